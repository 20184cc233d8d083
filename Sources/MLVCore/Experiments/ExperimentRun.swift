import Foundation
import MLVGit
#if canImport(Glibc)
import Glibc
#endif

/// Runs one experiment in a scratch copy of its snapshot (`.mlv/exps/work/<id>`, a Git work
/// tree of its own whose HEAD is the baseline and whose objects are the repository's, read
/// through Git's alternates), so the user's work tree, index and HEAD are never touched.
/// Tracked data and outputs are materialized there from the shared cache (reflink or copy,
/// never a link a stage could write through); the run cache is shared with `mlv train`.
struct ExperimentRun {
    let project: Project
    let entry: ExperimentEntry

    var scratch: String { ExperimentQueue(project: project).workDirectory + "/" + entry.id }

    /// Runs it and records the experiment commit; returns that commit.
    func run(observer: PipelineObserver) throws -> GitObjectID {
        guard let baseline = GitObjectID(hex: entry.baseline), let snapshot = GitObjectID(hex: entry.snapshot) else {
            throw ExperimentError.unreadableEntry(entry.id, reason: "its baseline or snapshot is not a commit id")
        }
        // A run cut short before left its copy behind: its partial outputs are discarded.
        try FileSystem.removeTree(scratch, display: ".mlv/exps/work/" + entry.id)
        defer { try? FileSystem.removeTree(scratch, display: ".mlv/exps/work/" + entry.id) }
        // The copy is where room runs out first (train and checkout report their own shortfalls).
        let copy = try DiskSpace.reporting("exp run", needed: { nil }) { try makeCopy(baseline: baseline, snapshot: snapshot) }
        for (file, group) in Dictionary(grouping: entry.assignments, by: \.file) {
            try copy.checkParentStaysInside(file)
            let path = copy.absolute(file)
            let current = FileSystem.exists(path) ? try FileSystem.readFile(path, limit: StructuredFile.maximumSize) : nil
            try FileSystem.createDirectory(PathName.parent(of: path))
            try FileSystem.writeAtomically(try ParamsFileWriter.apply(group, to: current, file: file), to: path)
        }
        _ = try checkout([], cwd: copy.root, options: CheckoutOptions(force: true), project: copy, command: "exp run")
        var options = TrainOptions()
        options.stages = entry.stages
        let result = try train(options, project: copy, observer: observer)
        let changes = try changedFiles(in: copy, baseline: baseline, snapshot: snapshot)
        let message = try commitMessage(result, copy: copy)
        let commit = try project.git.writeCommit(base: baseline, changes: changes, parent: baseline, message: message)
        do {
            try project.git.createReference(entry.reference, to: commit, force: false, message: "mlv exp run \(entry.name)")
        } catch let error as GitError where error.isExists {
            throw ExperimentError.nameTaken(entry.name, baseline: baseline.short)
        }
        return commit
    }

    /// Writes the snapshot's files into the scratch folder and makes it a project.
    func makeCopy(baseline: GitObjectID, snapshot: GitObjectID) throws -> Project {
        try FileSystem.createDirectory(scratch)
        for file in try project.git.treeFiles(at: snapshot) {
            // Tree paths come from a commit: nothing may climb out, or into .git or .mlv.
            if let problem = RelativePath.trackedPathProblem(file.path) {
                throw ExperimentError.unsafePath(DisplayText.escaped(file.path.prefix(200)), reason: problem)
            }
            let path = scratch + "/" + file.path
            try FileSystem.checkRealFolders(PathName.parent(of: file.path), under: scratch)
            try FileSystem.createDirectory(PathName.parent(of: path))
            let bytes = Array(try project.git.readBlob(id: file.blob))
            if file.isSymlink {
                guard symlink(String(decoding: bytes, as: UTF8.self), path) == 0 else { throw FileError(path: file.path, operation: "create link", errno: errno) }
            } else {
                try FileSystem.writeAtomically(bytes, to: path, mode: file.isExecutable ? 0o755 : 0o644)
            }
        }
        let git = try Repository.create(at: scratch)
        try FileSystem.createDirectory(git.gitDirectory + "/objects/info")
        try FileSystem.writeAtomically(Array((project.git.gitDirectory + "/objects\n").utf8), to: git.gitDirectory + "/objects/info/alternates")
        try Repository.open(at: scratch).detachHead(at: baseline)
        for folder in Project.privateFolders { try FileSystem.createDirectory(scratch + "/" + folder) }
        // The shared cache; reflinks or copies only, so a stage cannot write into it.
        let config = "[core]\n\tcache = \(project.store.root)\n\tlinkMode = auto\n"
        try FileSystem.writeAtomically(Array(config.utf8), to: scratch + "/.mlv/config")
        let copy = try Project.open(from: scratch, reporter: SilentReporter(), sources: project.sources, environment: project.environment)
        copy.runCacheDirectory = project.runCacheDirectory ?? project.mlvDirectory + "/runs"
        return copy
    }

    /// What the experiment commit changes against the baseline: every file of the snapshot, and
    /// the lock, params, metrics, pointers and `.gitignore` files the run wrote.
    func changedFiles(in copy: Project, baseline: GitObjectID, snapshot: GitObjectID) throws -> [String: TreeChange] {
        let base = Dictionary(try project.git.treeFiles(at: baseline).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var paths = Set(try project.git.treeFiles(at: snapshot).map(\.path))
        paths.formUnion([LockFile.fileName, PipelineDefinition.fileName, ".gitignore"])
        if let definition = try PipelineDefinition.load(root: copy.root) {
            for stage in definition.stages {
                paths.formUnion(stage.paramFiles)
                paths.formUnion(stage.metrics.map(\.path))
                for plot in stage.plots {
                    let absolute = copy.absolute(plot.path)
                    if FileSystem.lstatFile(absolute)?.kind == .directory {
                        paths.formUnion(try WorkspaceScanner.scan(absolute, displayPath: plot.path, cacheRoot: copy.store.root, foreignLinks: .refuse)
                            .map { plot.path + "/" + $0.path })
                    } else {
                        paths.insert(plot.path)
                    }
                }
                for out in stage.outs {
                    let parent = PathName.parent(of: out.path)
                    paths.insert(parent.isEmpty ? ".gitignore" : parent + "/.gitignore")
                }
            }
        }
        paths.formUnion(entry.assignments.map(\.file))
        var changes: [String: TreeChange] = [:]
        for path in paths.sorted() {
            guard let st = FileSystem.lstatFile(copy.absolute(path)) else {
                if base[path] != nil { changes[path] = .remove }
                continue
            }
            guard st.kind == .file else { continue }
            let bytes = try FileSystem.readFile(copy.absolute(path))
            if let old = base[path], old.blob == (try Repository.blobID(of: bytes)), old.isExecutable == st.isExecutable { continue }
            changes[path] = .write(bytes, executable: st.isExecutable)
        }
        return changes
    }

    /// "mlv exp NAME: train.lr=0.1" and a line per metric that changed against the baseline.
    func commitMessage(_ result: TrainResult, copy: Project) throws -> String {
        let generated = try generatedMessage(result, project: copy)
        let body = generated.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
        let subject = entry.message ?? ("mlv exp \(entry.name): " + (entry.assignments.isEmpty ? "no param changes" : entry.assignments.map(\.display).joined(separator: ", ")))
        return subject + "\n" + (body.isEmpty ? "" : "\n" + body)
    }
}
