import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Options for `checkout`.
public struct CheckoutOptions: Sendable {
    /// Overwrite or delete workspace files whose content is not in the cache.
    public var force = false
    /// Print nothing about paths already up to date (hooks).
    public init(force: Bool = false) { self.force = force }
}

/// What `checkout` did for one tracked path.
public struct CheckedOutPath: Sendable, Equatable {
    public let dataPath: String
    public let written: Int
    public let deleted: Int
    public let bytesWritten: Int64
    /// Objects that could not be materialized: missing from the cache or corrupted.
    public let missing: [ObjectID]
    public let corrupted: [ObjectID]
    public var failed: Bool { !missing.isEmpty || !corrupted.isEmpty }
}

/// Makes the workspace match the pointers (`mlv checkout`). Files whose current content is
/// not in the cache are never overwritten or deleted without `force`: such conflicts are all
/// reported before anything changes.
public func checkout(_ paths: [String], cwd: String, options: CheckoutOptions = CheckoutOptions(), project: Project) throws -> [CheckedOutPath] {
    try checkout(paths, cwd: cwd, options: options, project: project, command: "checkout")
}

func checkout(_ paths: [String], cwd: String, options: CheckoutOptions, project: Project, command: String) throws -> [CheckedOutPath] {
    let lock = try project.lock(command: "checkout")
    defer { withExtendedLifetime(lock) {} }
    let tracked = try project.selectPointers(paths, cwd: cwd)
    let state = project.openStateCache()
    let version = WorkspaceVersion(project: project, state: state)
    // Half-written outputs of an mlv killed mid-stage are not unsaved work.
    let interrupted = InterruptedWrites(project: project).abandoned()
    let halfWritten = Set(interrupted.flatMap(\.paths))
    var plans: [CheckoutPlan] = []
    var conflicts: [String] = []
    // Folders proven to hold exactly what the target has there are left unread (see `narrowed`).
    let clean = CleanFolders(file: project.cleanFoldersPath)
    for item in tracked {
        let plan = try CheckoutPlan(item, version: version, halfWritten: halfWritten, clean: clean)
        for path in plan.unsafeToReplace { conflicts.append(path.isEmpty ? item.dataPath : item.dataPath + "/" + path) }
        plans.append(plan)
    }
    if !conflicts.isEmpty && !options.force {
        try? state.save()
        throw CheckoutError.wouldOverwrite(conflicts.sorted())
    }
    let trust = ObjectTrust(file: project.trustPath, store: project.store)
    let materializer = Materializer(store: project.store, mode: project.config.linkMode, trust: trust)
    var results: [CheckedOutPath] = []
    try DiskSpace.reporting(command, needed: { plans.reduce(0) { $0 + $1.writes.reduce(0) { $0 + $1.size } } }) {
        for plan in plans {
            results.append(try plan.apply(materializer: materializer, project: project, state: state))
        }
        try state.save()
        try trust.save()
    }
    // A record is done with once every path it names has been put back.
    let restored = Set(results.filter { !$0.failed }.map(\.dataPath))
    for record in interrupted where record.paths.allSatisfy({ restored.contains($0) }) {
        InterruptedWrites(project: project).end(record.file)
    }
    return results
}

/// The changes one tracked path needs.
struct CheckoutPlan {
    let item: TrackedPath
    var writes: [DirectoryManifest.Entry] = []
    var deletions: [String] = []
    var unsafeToReplace: [String] = []
    var missingManifest = false

    init(_ item: TrackedPath, version: WorkspaceVersion, halfWritten: Set<String> = [], clean: CleanFolders? = nil) throws {
        self.item = item
        let project = version.project
        // Nothing is written or removed through a symbolic link: a committed link named like
        // a folder of a lock output or pointer would otherwise send the bytes out of the tree.
        try FileSystem.checkRealFolders(PathName.parent(of: item.dataPath), under: project.root)
        let expected: [DirectoryManifest.Entry]
        var narrowed: [String: WorkspaceFile]?
        do {
            if let found = try Self.narrowed(item, version: version, clean: clean) {
                (expected, narrowed) = found
            } else {
                expected = try project.expectedFiles(of: item)
            }
        } catch StoreError.missing {
            missingManifest = true
            return
        }
        let actual = try narrowed ?? (try version.files(at: item.dataPath, kind: item.pointer.kind) ?? [:]).filter { item.includes($0.key) }
        var expectedPaths = Set<String>()
        for entry in expected where item.includes(entry.path) {
            // Only files already there can be left over (a fresh clone has none).
            if !actual.isEmpty { expectedPaths.insert(entry.path) }
            if let file = actual[entry.path] {
                let sameMode = item.pointer.kind == .file || file.stat.kind != .file || file.stat.isExecutable == entry.executable
                if file.id == entry.id && sameMode { continue }
                if !Self.isSafeToReplace(file, store: project.store),
                   !InterruptedWrites.covers(halfWritten, PathName.join(item.dataPath, entry.path)) {
                    unsafeToReplace.append(entry.path)
                }
            }
            writes.append(entry)
        }
        for (path, file) in actual where !expectedPaths.contains(path) {
            deletions.append(path)
            if !Self.isSafeToReplace(file, store: project.store), !InterruptedWrites.covers(halfWritten, PathName.join(item.dataPath, path)) {
                unsafeToReplace.append(path)
            }
        }
        if item.pointer.kind == .directory {
            var folders = Set<String>()
            for entry in writes { folders.insert(PathName.parent(of: entry.path)) }
            for path in deletions { folders.insert(PathName.parent(of: path)) }
            for folder in folders where !folder.isEmpty {
                try FileSystem.checkRealFolders(folder, under: project.absolute(item.dataPath), display: item.dataPath)
            }
        }
        // A folder where a file or a tracked directory must go is replaced as a whole.
        if item.pointer.kind == .directory, let st = FileSystem.lstatFile(project.absolute(item.dataPath)), st.kind != .directory {
            if actual[""] != nil { deletions.removeAll { $0 == "" } }
            if !FileSystem.exists(project.store.path(for: actual[""]?.id ?? item.pointer.id)) { unsafeToReplace.append("") }
        }
    }

    /// For a whole tracked directory with folder proofs (`CleanFolders`): the target tree's
    /// files and the workspace's, both without the folders that already hold exactly the
    /// target's content. Such a folder's seal (its files' stats, unchanged) matches a proof
    /// that it held the very node the target has there, so nothing in it is read, compared
    /// or written: a checkout that changes 100 files of a million reads 100 files' worth of
    /// tree and state. Nil when there are no proofs to use.
    static func narrowed(_ item: TrackedPath, version: WorkspaceVersion,
                         clean: CleanFolders?) throws -> (expected: [DirectoryManifest.Entry], actual: [String: WorkspaceFile])? {
        guard let clean, item.subpaths.isEmpty, item.pointer.kind == .directory,
              let known = clean.record(for: item.dataPath)?.folders else { return nil }
        let sealedAt = StateCache.now()
        guard case .files(let scanned)? = try version.scan(at: item.dataPath, kind: .directory) else { return nil }
        let seals = FolderSeals(scanned, sealedAt: sealedAt)
        if seals.holds("", node: item.pointer.id, proofs: known) { return ([], [:]) }
        var skipped: [String] = []
        let walk = try version.project.manifestWalk(item.pointer.id, fileCount: item.pointer.fileCount) { folder, node in
            if seals.holds(folder, node: node, proofs: known) { skipped.append(folder); return false }
            return true
        }
        let files = skipped.isEmpty ? scanned : seals.files(of: scanned, outside: skipped)
        return (walk.entries, try version.identify(files, at: item.dataPath))
    }

    /// A workspace file may be replaced when its bytes are kept in the cache (it was added).
    static func isSafeToReplace(_ file: WorkspaceFile, store: ObjectStore) -> Bool {
        if file.stat.kind == .symlink { return file.id != nil }
        guard let id = file.id else { return false }
        return store.contains(id)
    }

    func apply(materializer: Materializer, project: Project, state: StateCache) throws -> CheckedOutPath {
        if missingManifest {
            return CheckedOutPath(dataPath: item.dataPath, written: 0, deleted: 0, bytesWritten: 0, missing: [item.pointer.id], corrupted: [])
        }
        let base = project.absolute(item.dataPath)
        if item.pointer.kind == .directory, let st = FileSystem.lstatFile(base), st.kind != .directory {
            unlink(base)
        }
        for path in deletions {
            let absolute = path.isEmpty ? base : base + "/" + path
            unlink(absolute)
            FileSystem.removeEmptyDirectories(from: PathName.parent(of: absolute), upTo: base)
        }
        if item.pointer.kind == .directory && !writes.isEmpty { try FileSystem.createDirectory(base) }
        var parents = Set<String>()
        for entry in writes where !entry.path.isEmpty {
            parents.insert(PathName.parent(of: entry.path))
        }
        for parent in parents where !parent.isEmpty { try FileSystem.createDirectory(base + "/" + parent) }
        if item.pointer.kind == .file {
            let parent = PathName.parent(of: base)
            try FileSystem.createDirectory(parent)
            let leftover = "." + PathName.lastComponent(of: base) + ".mlv-tmp-"
            for name in (try? FileSystem.listDirectory(parent)) ?? [] where name.hasPrefix(leftover) {
                FileSystem.removeIfAbandoned(parent + "/" + name)
            }
        }
        let total = Int64(writes.count)
        // Workers take neighbouring items; spread over folders, they seldom wait for the same
        // folder's lock to create and rename files.
        let order = interleavedByFolder(writes)
        // Only failures are kept: an outcome per file cost 56 MB at a million files.
        let failuresLock = NSLock()
        var failures: [(position: Int, error: StoreError)] = []
        _ = try ParallelWork.mapHashing(writes.count, progress: { done in
            project.reporter.progress(phase: "checkout \(item.dataPath)", done: done, total: total)
        }) { index, hasher in
            let entry = writes[order[index]]
            let destination = entry.path.isEmpty ? base : base + "/" + entry.path
            let written: FileStat?
            do {
                written = try materializer.materialize(entry.id, to: destination, executable: entry.executable, hasher: hasher)
            } catch let error as StoreError {
                failuresLock.withLock { failures.append((index, error)) }
                return
            }
            if let written {
                state.record(entry.path.isEmpty ? item.dataPath : item.dataPath + "/" + entry.path, stat: written, id: entry.id,
                             hashedAt: Int64.max)
            }
        }
        var missing: [ObjectID] = [], corrupted: [ObjectID] = []
        var bytes = writes.reduce(Int64(0)) { $0 + $1.size }
        for failure in failures.sorted(by: { $0.position < $1.position }) {
            bytes -= writes[order[failure.position]].size
            switch failure.error {
            case .missing(let id): missing.append(id)
            case .corrupted(let id, _): corrupted.append(id)
            }
        }
        return CheckedOutPath(dataPath: item.dataPath, written: writes.count - missing.count - corrupted.count,
                              deleted: deletions.count, bytesWritten: bytes, missing: missing, corrupted: corrupted)
    }
}

/// Indexes of `entries` taking one file from each folder in turn.
private func interleavedByFolder(_ entries: [DirectoryManifest.Entry]) -> [Int] {
    var folders: [Substring: [Int]] = [:]
    var firstSeen: [Substring] = []
    for (index, entry) in entries.enumerated() {
        let folder = entry.path.lastIndex(of: "/").map { entry.path[..<$0] } ?? ""
        if folders[folder] == nil { firstSeen.append(folder) }
        folders[folder, default: []].append(index)
    }
    let lists = firstSeen.map { folders[$0]! }
    var order: [Int] = []
    order.reserveCapacity(entries.count)
    for round in 0..<(lists.map(\.count).max() ?? 0) {
        for list in lists where round < list.count { order.append(list[round]) }
    }
    return order
}

/// Problems specific to `checkout`.
public enum CheckoutError: UserFacingError, Equatable {
    case wouldOverwrite([String])
    case reflinkUnsupported(String)

    public var description: String {
        switch self {
        case .wouldOverwrite(let paths):
            let shown = paths.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            let more = paths.count > 20 ? "\n  … and \(paths.count - 20) more" : ""
            return "checkout would overwrite or delete \(paths.count) file(s) whose content is not saved in the mlv cache:\n\(shown)\(more)\nNothing was changed. Run `mlv add` on them to keep their content, or `mlv checkout --force` to discard it."
        case .reflinkUnsupported(let path):
            return "core.linkMode is reflink, but the filesystem holding \(path) cannot clone files; set core.linkMode to auto or copy."
        }
    }
}
