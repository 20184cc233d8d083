import Foundation
import MLVGit

/// What `exp apply` wrote.
public struct ExperimentApplyResult: Sendable {
    public let experiment: ExperimentRef
    /// Git-tracked files written or removed.
    public let files: [String]
    public let data: [CheckedOutPath]
    public let fetched: TransferResult?
}

/// Writes an experiment's files (params, lock, metrics, pointers, code it changed) into the
/// work tree and materializes its data, so `git commit` records it. Refuses, before changing
/// anything, to overwrite a file that holds none of HEAD's, the baseline's or the
/// experiment's version, or data not saved in the cache, unless `force`. Data missing from the cache is
/// fetched from the default remote.
public func applyExperiment(_ name: String, force: Bool, project: Project) throws -> ExperimentApplyResult {
    let experiment = try ExperimentRefs.find(name.hasPrefix("exp:") ? String(name.dropFirst(4)) : name, project: project)
    let target = Dictionary(try project.git.treeFiles(at: experiment.commit).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    let base = Dictionary(try project.git.treeFiles(at: experiment.baseline).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    var changed: [String] = []
    for (path, file) in target where base[path]?.blob != file.blob || base[path]?.mode != file.mode { changed.append(path) }
    for path in base.keys where target[path] == nil { changed.append(path) }
    changed.sort()
    // Paths come from a commit (untrusted): none may climb out, or into .git or .mlv.
    for path in changed {
        if let problem = RelativePath.trackedPathProblem(path) { throw ExperimentError.unsafePath(DisplayText.escaped(path.prefix(200)), reason: problem) }
    }
    // Content Git can give back (HEAD's, the baseline's, the experiment's) is not unsaved work.
    let head = try project.git.headCommit()
    var unsaved: [String] = []
    for path in changed {
        try project.checkParentStaysInside(path)
        let absolute = project.absolute(path)
        guard let st = FileSystem.lstatFile(absolute) else { continue }
        guard st.kind == .file else { unsaved.append(path); continue }
        let id = try Repository.blobID(of: try FileSystem.readFile(absolute))
        if id != base[path]?.blob && id != target[path]?.blob, try head.map({ try project.git.blobID(path, at: $0) }) != id {
            unsaved.append(path)
        }
    }
    let tracked = try project.committedTrackedPaths(at: experiment.commit, revision: experiment.name)
    var fetched: TransferResult?
    var needed = Set<ObjectID>()
    for item in tracked {
        needed.insert(item.pointer.id)
        if let files = try? project.expectedFiles(of: item.pointer) { needed.formUnion(files.map(\.id)) }
    }
    if !project.store.missing(from: needed).isEmpty {
        do {
            fetched = try fetch(TransferOptions(revisions: [experiment.commit.hex]), cwd: project.root, project: project)
        } catch let error as RemoteError where error.kind == .configuration {
            throw ExperimentError.dataMissing(paths: tracked.map(\.dataPath))
        }
    }
    do {
        let state = project.openStateCache()
        let version = WorkspaceVersion(project: project, state: state)
        for item in tracked {
            let plan = try CheckoutPlan(item, version: version)
            unsaved += plan.unsafeToReplace.map { $0.isEmpty ? item.dataPath : item.dataPath + "/" + $0 }
        }
        try? state.save()
    }
    if !unsaved.isEmpty && !force { throw ExperimentError.unsavedChanges(unsaved.sorted()) }
    do {
        let lock = try project.lock(command: "exp apply")
        defer { withExtendedLifetime(lock) {} }
        for path in changed {
            let absolute = project.absolute(path)
            try FileSystem.checkRealFolders(PathName.parent(of: path), under: project.root)
            guard let file = target[path] else {
                if FileSystem.lstatFile(absolute) != nil { try FileSystem.removeTree(absolute, display: path) }
                continue
            }
            guard !file.isSymlink else { continue }
            if FileSystem.lstatFile(absolute)?.kind == .directory { try FileSystem.removeTree(absolute, display: path) }
            try FileSystem.createDirectory(PathName.parent(of: absolute))
            try FileSystem.writeAtomically(Array(try project.git.readBlob(id: file.blob)), to: absolute, mode: file.isExecutable ? 0o755 : 0o644)
        }
    }
    let data = try checkout(tracked.map(\.dataPath), cwd: project.root, options: CheckoutOptions(force: force), project: project, command: "exp apply")
    return ExperimentApplyResult(experiment: experiment, files: changed, data: data, fetched: fetched)
}

/// Makes branch `branch` at the experiment's commit.
public func branchExperiment(_ name: String, branch: String, project: Project) throws -> ExperimentRef {
    let experiment = try ExperimentRefs.find(name, project: project)
    let reference = "refs/heads/" + branch
    guard !branch.hasPrefix("-"), Repository.isValidReferenceName(reference) else { throw ExperimentError.invalidBranch(DisplayText.escaped(branch)) }
    do {
        try project.git.createReference(reference, to: experiment.commit, force: false, message: "mlv exp branch \(experiment.name)")
    } catch let error as GitError where error.isExists {
        throw ExperimentError.branchExists(branch)
    }
    return experiment
}

/// Records the work tree's last pipeline run (its lock, params, metrics, pointers and changed
/// code) as an experiment of HEAD, without running anything.
public func saveExperiment(name: String?, message: String?, project: Project) throws -> ExperimentRef {
    guard FileSystem.exists(project.absolute(LockFile.fileName)) else { throw ExperimentError.nothingToSave }
    if let name { try ExperimentName.validate(name) }
    let snapshot = try WorkTreeSnapshot.capture(project: project)
    let queue = ExperimentQueue(project: project)
    let lock = try queue.lockEntries(command: "exp save")
    defer { withExtendedLifetime(lock) {} }
    var taken = Set(try ExperimentRefs.list(baseline: snapshot.baseline, project: project).map(\.name))
    taken.formUnion(try queue.all().filter { $0.baseline == snapshot.baseline.hex }.map(\.name))
    let chosen = name ?? ExperimentName.generate { taken.contains($0) }
    guard !taken.contains(chosen) else { throw ExperimentError.nameTaken(chosen, baseline: snapshot.baseline.short) }
    let commit = try project.git.writeCommit(base: snapshot.baseline, changes: snapshot.changes, parent: snapshot.baseline,
                                             message: message ?? "mlv exp save \(chosen)\n")
    let experiment = ExperimentRef(name: chosen, baseline: snapshot.baseline, commit: commit)
    do {
        try project.git.createReference(experiment.reference, to: commit, force: false, message: "mlv exp save")
    } catch let error as GitError where error.isExists {
        throw ExperimentError.nameTaken(chosen, baseline: snapshot.baseline.short)
    }
    return experiment
}

/// Which experiments `exp rm` removes.
public struct ExperimentRemoval: Sendable {
    public var names: [String] = []
    public var all = false
    public var failed = false
    public var queued = false
    /// Also delete the references on this Git remote.
    public var remote: String?
    public init() {}
}

/// Removes experiment references and queue entries (never one a worker is running). Returns
/// the names removed.
public func removeExperiments(_ removal: ExperimentRemoval, project: Project) throws -> [String] {
    let queue = ExperimentQueue(project: project)
    let lock = try queue.lockEntries(command: "exp rm")
    defer { withExtendedLifetime(lock) {} }
    let entries = try queue.all()
    var references: [ExperimentRef] = []
    var removedEntries: [ExperimentEntry] = []
    if removal.all { references = try ExperimentRefs.list(project: project) }
    for name in removal.names {
        let found = try? ExperimentRefs.find(name, project: project)
        let matching = entries.filter { $0.name == PathName.lastComponent(of: name) && (found == nil || $0.baseline == found!.baseline.hex) }
        guard found != nil || !matching.isEmpty else { throw ExperimentError.notFound(DisplayText.escaped(name)) }
        if let found { references.append(found) }
        removedEntries += matching
    }
    for entry in entries {
        if removal.all || (removal.failed && entry.state == .failed) || (removal.queued && (entry.state == .queued || entry.state == .interrupted)) {
            removedEntries.append(entry)
        }
    }
    var removed: [String] = []
    for entry in removedEntries where !removed.contains(entry.id) {
        if entry.state == .running {
            if removal.names.contains(entry.name) { throw ExperimentError.notFinished(entry.name, state: "running") }
            continue
        }
        try queue.remove(entry)
        removed.append(entry.id)
    }
    for reference in references { try project.git.deleteReference(reference.reference) }
    if let remote = removal.remote, !references.isEmpty {
        let (code, output) = NotesSync.git(["push", "--no-verify", "--quiet", "--", remote] + references.map { ":" + $0.reference }, project: project)
        guard code == 0 else { throw ExperimentError.gitFailed("could not delete the experiments on \(remote): \(output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))") }
    }
    var names = references.map(\.name) + removedEntries.filter { removed.contains($0.id) }.map(\.name)
    names = Array(Set(names)).sorted()
    return names
}

/// `[GITREMOTE] [NAME...]` of `exp push`/`exp pull`: the first word is the Git remote when
/// one has that name, else every word is an experiment.
public func splitGitRemote(_ words: [String], project: Project) -> (remote: String?, names: [String]) {
    guard let first = words.first, (try? project.git.config().string("remote.\(first).url")) != nil else { return (nil, words) }
    return (first, Array(words.dropFirst()))
}

/// What `exp push` sent.
public struct ExperimentPushResult: Sendable {
    public let remote: String
    public let experiments: [ExperimentRef]
    public let data: TransferResult
}

/// Pushes experiment references to a Git remote and their data to the mlv remote (data first:
/// a reference others can see always has its data there).
public func pushExperiments(_ names: [String], all: Bool, gitRemote: String?, project: Project) throws -> ExperimentPushResult {
    guard let remote = gitRemote ?? NotesSync.gitRemote(project: project), NotesSync.isPlausibleRemote(remote) else {
        throw ExperimentError.gitFailed("no Git remote to push experiments to; name one (`mlv exp push origin`) or add `origin`.")
    }
    var experiments: [ExperimentRef]
    if all {
        experiments = try ExperimentRefs.list(project: project)
    } else if names.isEmpty {
        guard let head = try project.git.headCommit() else { throw ExperimentError.noBaseline }
        experiments = try ExperimentRefs.list(baseline: head, project: project)
    } else {
        experiments = try names.map { try ExperimentRefs.find($0, project: project) }
    }
    guard !experiments.isEmpty else { throw ExperimentError.notFound(names.isEmpty ? "(any, for HEAD)" : names.joined(separator: ", ")) }
    let data = try uploadObjects(TransferOptions(revisions: experiments.map(\.commit.hex)), cwd: project.root, project: project)
    let (code, output) = NotesSync.git(["push", "--no-verify", "--quiet", "--", remote] + experiments.map { $0.reference + ":" + $0.reference }, project: project)
    guard code == 0 else { throw ExperimentError.gitFailed("could not push the experiment references to \(remote): \(output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))") }
    return ExperimentPushResult(remote: remote, experiments: experiments, data: data)
}

/// Fetches every experiment reference from a Git remote (their data is fetched when an
/// experiment is applied, or with `mlv fetch --rev`). Returns the experiments now known.
public func pullExperiments(_ names: [String], gitRemote: String?, project: Project) throws -> [ExperimentRef] {
    guard let remote = gitRemote ?? NotesSync.gitRemote(project: project), NotesSync.isPlausibleRemote(remote) else {
        throw ExperimentError.gitFailed("no Git remote to pull experiments from; name one (`mlv exp pull origin`) or add `origin`.")
    }
    let (code, output) = NotesSync.git(["fetch", "--quiet", "--no-tags", "--", remote, ExperimentRefs.prefix + "*:" + ExperimentRefs.prefix + "*"], project: project)
    guard code == 0 else { throw ExperimentError.gitFailed("could not fetch experiments from \(remote): \(output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))") }
    if names.isEmpty { return try ExperimentRefs.list(project: project) }
    return try names.map { try ExperimentRefs.find($0, project: project) }
}

/// Params and metrics of experiment (or revision) `a` against `b` (default: `a`'s baseline).
public func experimentDiff(_ a: String, _ b: String?, project: Project) throws -> (a: Revision, b: Revision, params: [ValueChange], metrics: [ValueChange]) {
    let commitA = try project.resolveCommit(a)
    let revisionB: Revision
    if let b {
        revisionB = .commit(try project.resolveCommit(b), label: b)
    } else {
        guard let parent = try project.git.commitInfo(commitA).parents.first else { throw ExperimentError.notFound(a) }
        revisionB = .commit(parent, label: parent.short)
    }
    let revisionA = Revision.commit(commitA, label: a)
    return (revisionB, revisionA, try paramsDiff(revisionB, revisionA, project: project), try metricsDiff(revisionB, revisionA, project: project))
}
