import Foundation
import MLVGit

/// An mlv-enabled Git work tree: where things live, its configuration and its cache.
public final class Project {
    /// The work tree's root (real path, no trailing slash).
    public let root: String
    public let git: Repository
    public let config: ProjectConfig
    public let store: ObjectStore
    public let reporter: Reporter
    /// Where tracked paths come from besides pointer files (`standardSources`: the lock).
    public let sources: [TrackedPathSource]
    /// Environment variables and clock the core reads (credentials, proxies, lock timeout,
    /// stage environment, timestamps).
    public let environment: Environment

    public var mlvDirectory: String { root + "/.mlv" }
    /// Where earlier stage runs are kept; an experiment's scratch copy shares its project's.
    var runCacheDirectory: String?
    /// Committed pipelines and params or metrics files parsed so far (see `ParsedBlobCache`).
    let parsedBlobs: ParsedBlobCache
    /// For a scratch project reading another repository (`mlv get`): the repository the
    /// command runs in, whose uncommitted config may hold credentials keyed by remote URL.
    var callerRepository: Repository?
    /// The metrics notes commit as first resolved (see `notesTip`); `.some(nil)`: no notes.
    private var resolvedNotesTip: GitObjectID??
    /// The private folders `mlv init` makes (and the first command in a fresh clone remakes).
    static let privateFolders = [".mlv", ".mlv/cache", ".mlv/cache/tmp", ".mlv/state"]
    var statePath: String { mlvDirectory + "/state/hashes" }
    var trustPath: String { mlvDirectory + "/state/objects" }
    var presencePath: String { mlvDirectory + "/state/present" }
    var cleanFoldersPath: String { mlvDirectory + "/state/clean" }
    var lockPath: String { mlvDirectory + "/lock" }

    /// Opens the project containing `directory`; fails when it is not in a Git work tree or
    /// `mlv init` has not been run.
    public static func open(from directory: String, reporter: Reporter = SilentReporter(),
                            sources: [TrackedPathSource] = Project.standardSources,
                            environment: Environment = .process, parsedBlobs: ParsedBlobCache = ParsedBlobCache()) throws -> Project {
        guard let git = try Repository.discover(from: directory, deferringLibgit2: true), let workTree = git.workTree else {
            throw WorkspaceError.notInGitWorkTree(directory)
        }
        let root = FileSystem.realPath(workTree) ?? workTree
        try checkPrivateFolders(root)
        if FileSystem.lstatFile(root + "/.mlv")?.kind != .directory {
            // A fresh clone of an mlv repository has the committed .mlvconfig but not the
            // private folder: make it, as `mlv init` would.
            guard FileSystem.exists(root + "/.mlvconfig") else { throw WorkspaceError.notInitialized(root) }
            for folder in privateFolders { try FileSystem.createDirectory(root + "/" + folder) }
        }
        return try Project(root: root, git: git, reporter: reporter, sources: sources, environment: environment, parsedBlobs: parsedBlobs)
    }

    /// Refuses a `.mlv` (or a folder inside it) that is a symlink or a file: a committed
    /// link named `.mlv` would send the lock, cache and state wherever it points.
    static func checkPrivateFolders(_ root: String) throws {
        for folder in privateFolders {
            guard let st = FileSystem.lstatFile(root + "/" + folder) else { return }
            guard st.kind == .directory else { throw WorkspaceError.privateFolderNotDirectory(folder) }
        }
    }

    init(root: String, git: Repository, reporter: Reporter, sources: [TrackedPathSource] = Project.standardSources,
         environment: Environment = .process, parsedBlobs: ParsedBlobCache = ParsedBlobCache()) throws {
        self.environment = environment
        self.parsedBlobs = parsedBlobs
        ParallelWork.configure(environment)
        self.root = root
        self.git = git
        self.reporter = reporter
        self.sources = sources
        config = try ProjectConfigCache.load(committed: root + "/.mlvconfig", local: root + "/.mlv/config",
                                             record: root + "/.mlv/state/config")
        var cache = config.cacheDirectory ?? ".mlv/cache"
        if !cache.hasPrefix("/") { cache = root + "/" + cache }
        // The temporary folder sits inside the cache so renames never cross filesystems.
        store = ObjectStore(root: cache, temporaryDirectory: cache + "/tmp")
    }

    /// The commit `refs/notes/mlv` points at, resolved once per project: reading a history's
    /// notes then costs no reference lookup per commit. Writing a note forgets it.
    func notesTip() throws -> GitObjectID? {
        if let known = resolvedNotesTip { return known }
        let tip = try git.commit(ofReference: MetricsNote.notesRef)
        resolvedNotesTip = .some(tip)
        return tip
    }

    func forgetNotesTip() { resolvedNotesTip = nil }

    /// Takes the repository's write lock for the life of the returned value.
    public func lock(command: String) throws -> RepositoryLock {
        let timeout = environment["MLV_LOCK_TIMEOUT"].flatMap(Double.init) ?? 60
        return try RepositoryLock(path: lockPath, command: command, timeout: timeout, now: environment.now)
    }

    public func absolute(_ relative: String) -> String {
        relative.isEmpty ? root : root + "/" + relative
    }

    // MARK: User paths

    /// Turns a path a user typed (relative to `cwd`) into a repository-relative path, refusing
    /// paths outside the work tree, inside `.git` or `.mlv`, or behind a symlink that leaves it.
    public func relativePath(forUserPath path: String, cwd: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : cwd + "/" + path
        var segments: [Substring] = []
        for segment in absolute.split(separator: "/") {
            if segment == "." || segment.isEmpty { continue }
            if segment == ".." { if !segments.isEmpty { segments.removeLast() }; continue }
            segments.append(segment)
        }
        var normalized = "/" + segments.joined(separator: "/")
        // cwd may be reached through a symlink (e.g. /tmp on some systems); compare real paths
        // of the deepest existing ancestor.
        if !normalized.hasPrefix(root + "/") && normalized != root {
            if let real = FileSystem.realPath(PathName.parent(of: normalized)) {
                normalized = real + "/" + PathName.lastComponent(of: normalized)
            }
        }
        guard normalized.hasPrefix(root + "/") else { throw WorkspaceError.outsideRepository(path) }
        let relative = String(normalized.dropFirst(root.count + 1))
        let first = relative.split(separator: "/").first.map(String.init) ?? ""
        if first == ".git" || first == ".mlv" { throw WorkspaceError.insideGitOrMLV(path) }
        try checkParentStaysInside(relative)
        return relative
    }

    /// Refuses a path whose parent folder resolves (through symlinks) outside the work tree.
    func checkParentStaysInside(_ relative: String) throws {
        let parent = PathName.parent(of: absolute(relative))
        guard let real = FileSystem.realPath(parent) else { return }
        if real != root && !real.hasPrefix(root + "/") {
            throw WorkspaceError.symlinkedParentEscapes(path: relative, resolved: real)
        }
    }

    // MARK: Pointers

    /// Reads and parses the pointer for `dataPath` (repository-relative).
    public func readPointer(for dataPath: String) throws -> PointerFile {
        let pointerPath = dataPath + PointerFile.suffix
        try checkParentStaysInside(pointerPath)
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(absolute(pointerPath), limit: PointerFile.maximumSize)
        } catch is FileSystem.FileTooLarge {
            throw PointerError(file: pointerPath, reason: "is larger than \(PointerFile.maximumSize) bytes; not a pointer")
        }
        return try PointerFile.parse(bytes, file: pointerPath)
    }

    /// Every tracked path in the work tree: the pointers, found by walking it without
    /// descending into `.git`, `.mlv` or tracked directories, and the outputs `mlv.lock`
    /// records. Sorted by data path.
    public func workspacePointers() throws -> [TrackedPath] {
        var outputs: [TrackedPath] = []
        for source in sources where FileSystem.exists(absolute(source.fileName)) {
            let bytes = try FileSystem.readFile(absolute(source.fileName), limit: source.maximumSize)
            outputs += try source.trackedPaths(in: bytes, revision: nil)
        }
        var found: [TrackedPath] = []
        try collectPointers(in: "", skipping: Set(outputs.map(\.dataPath)), into: &found)
        let pointed = Set(found.map(\.dataPath))
        found += outputs.filter { !pointed.contains($0.dataPath) }
        return found.sorted { $0.dataPath < $1.dataPath }
    }

    private func collectPointers(in relative: String, skipping outputs: Set<String>, into found: inout [TrackedPath]) throws {
        let names = Set(try FileSystem.listDirectory(absolute(relative)))
        for name in names.sorted() {
            if relative.isEmpty && (name == ".git" || name == ".mlv") { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            guard let st = FileSystem.lstatFile(absolute(child)) else { continue }
            if st.kind == .directory {
                if names.contains(name + PointerFile.suffix) || outputs.contains(child) { continue }
                try collectPointers(in: child, skipping: outputs, into: &found)
            } else if st.kind == .file, name.hasSuffix(PointerFile.suffix), name.count > PointerFile.suffix.count {
                let dataPath = String(child.dropLast(PointerFile.suffix.count))
                found.append(TrackedPath(dataPath: dataPath, pointer: try readPointer(for: dataPath)))
            }
        }
    }

    /// The pointers for the paths a user named (each a tracked path, or a folder holding
    /// some), or every pointer when `paths` is empty.
    public func selectPointers(_ paths: [String], cwd: String) throws -> [TrackedPath] {
        let all = try workspacePointers()
        guard !paths.isEmpty else { return all }
        var selected: [TrackedPath] = []
        for path in paths {
            var relative = try relativePath(forUserPath: path, cwd: cwd)
            if relative.hasSuffix(PointerFile.suffix) { relative = String(relative.dropLast(PointerFile.suffix.count)) }
            let matches = all.filter { relative.isEmpty || $0.dataPath == relative || $0.dataPath.hasPrefix(relative + "/") }
            if matches.isEmpty, let parent = all.first(where: { $0.pointer.kind == .directory && relative.hasPrefix($0.dataPath + "/") }) {
                // A file or folder inside a tracked directory: just that part of it.
                let inside = String(relative.dropFirst(parent.dataPath.count + 1))
                if let index = selected.firstIndex(where: { $0.dataPath == parent.dataPath }) {
                    if !selected[index].subpaths.isEmpty { selected[index].subpaths.append(inside) }
                } else {
                    var part = parent
                    part.subpaths = [inside]
                    selected.append(part)
                }
                continue
            }
            guard !matches.isEmpty else { throw WorkspaceError.notTracked(relative) }
            for match in matches {
                if let index = selected.firstIndex(where: { $0.dataPath == match.dataPath }) {
                    selected[index].subpaths = []
                } else {
                    selected.append(match)
                }
            }
        }
        return selected
    }

    /// The tracked paths committed in `commit` (through libgit2, no checkout): its pointer
    /// files and the outputs of its `mlv.lock`. Blobs already in `seen` are skipped (history
    /// walks meet the same pointer in many commits); pass nil to read everything.
    func committedTrackedPaths(at commit: GitObjectID, revision: String, seen: inout Set<GitObjectID>) throws -> [TrackedPath] {
        var result: [TrackedPath] = []
        let sourceFiles = Dictionary(sources.map { ($0.fileName, $0) }, uniquingKeysWith: { first, _ in first })
        let files = try git.listFiles(at: commit, where: {
            ($0.hasSuffix(PointerFile.suffix) && !$0.hasPrefix(".mlv/")) || sourceFiles[$0] != nil
        })
        for file in files where seen.insert(file.blob).inserted {
            let bytes = try git.readBlob(id: file.blob)
            if let source = sourceFiles[file.path] {
                guard bytes.count <= source.maximumSize else { throw FileSystem.FileTooLarge(path: "\(file.path) at \(revision)", limit: source.maximumSize) }
                result += try source.trackedPaths(in: Array(bytes), revision: revision)
            } else {
                let pointer = try PointerFile.parse(Array(bytes.prefix(PointerFile.maximumSize + 1)), file: file.path, revision: revision)
                result.append(TrackedPath(dataPath: String(file.path.dropLast(PointerFile.suffix.count)), pointer: pointer))
            }
        }
        return result
    }

    /// The tracked paths of a revision (nil: the work tree), sorted by data path.
    public func trackedPaths(at revision: String?) throws -> [TrackedPath] {
        guard let revision else { return try workspacePointers() }
        return try committedTrackedPaths(at: try resolveCommit(revision), revision: revision).sorted { $0.dataPath < $1.dataPath }
    }

    /// The status index (`.mlv/state/hashes`); one that is damaged or from a newer mlv is
    /// ignored with a warning and rebuilt.
    func openStateCache() -> StateCache {
        let reporter = reporter
        return StateCache(file: statePath) { reporter.warning($0) }
    }

    /// Summary of a commit (subject, author, time).
    public func commitSummary(hex: String) throws -> CommitSummary { CommitSummary(try commitInfo(try resolveCommit(hex))) }

    /// A commit's subject, author, time and parents, read once per cache (see `ParsedBlobCache`).
    func commitInfo(_ id: GitObjectID) throws -> CommitInfo {
        if let known = parsedBlobs.commit(id) { return known }
        let info = try git.commitInfo(id)
        parsedBlobs.store(commit: info)
        return info
    }

    /// The blob at `path` in `commit`, found from the commit's cached tree id.
    func blobID(_ path: String, at commit: GitObjectID) throws -> GitObjectID? {
        let tree = try commitInfo(commit).tree
        if let known = parsedBlobs.blob(path, inTree: tree) { return known }
        let found = try git.blobID(path, inTree: tree)
        parsedBlobs.store(blob: found, path: path, inTree: tree)
        return found
    }

    /// Up to `limit` commits along first-parent history from `revision`, newest first.
    public func firstParentHistory(from revision: String, limit: Int) throws -> [GitObjectID] {
        try firstParentHistory(from: try resolveCommit(revision), limit: limit)
    }

    /// Follows first parents through `commitInfo`, so each commit is read once and a long-lived
    /// process walks a history it has seen without reading it again. Stops before `stop`.
    func firstParentHistory(from tip: GitObjectID, limit: Int, stop: GitObjectID? = nil) throws -> [GitObjectID] {
        var result: [GitObjectID] = []
        var next: GitObjectID? = tip
        while let id = next, id != stop, result.count < limit {
            result.append(id)
            next = try commitInfo(id).parents.first
        }
        return result
    }

    /// Local branch names.
    public func branchNames() throws -> [String] {
        try git.references(matching: "refs/heads/*").map { String($0.name.dropFirst("refs/heads/".count)) }
    }

    func committedTrackedPaths(at commit: GitObjectID, revision: String) throws -> [TrackedPath] {
        var seen: Set<GitObjectID> = []
        return try committedTrackedPaths(at: commit, revision: revision, seen: &seen)
    }

    // MARK: Data versions

    /// The files a pointer stands for: one entry with an empty path for a file, the manifest's
    /// entries for a directory (the manifest is read from the cache and verified).
    public func expectedFiles(of pointer: PointerFile) throws -> [DirectoryManifest.Entry] {
        switch pointer.kind {
        case .file:
            return [DirectoryManifest.Entry(path: "", id: pointer.id, size: pointer.size, executable: false)]
        case .directory:
            return try manifest(pointer.id, fileCount: pointer.fileCount).entries
        }
    }

    /// The files of a tracked path that are in its scope; of a tree manifest only the folders
    /// that reach the scope are read (a folder pulled alone has only those nodes).
    func expectedFiles(of item: TrackedPath) throws -> [DirectoryManifest.Entry] {
        guard item.pointer.kind == .directory, !item.subpaths.isEmpty else { return try expectedFiles(of: item.pointer) }
        return try manifestWalk(item.pointer.id, fileCount: item.pointer.fileCount, descend: { folder, _ in item.reaches(folder) }).entries.filter { item.includes($0.path) }
    }

    /// A directory's manifest from the cache (version 1, or every node of a version 2 tree),
    /// each object verified and parsed; `fileCount` is what the pointer states, when known.
    public func manifest(_ id: ObjectID, fileCount: Int? = nil) throws -> DirectoryManifest {
        DirectoryManifest(sortedEntries: try manifestWalk(id, fileCount: fileCount).entries)
    }

    /// Reads a manifest with its nodes. With `allowMissing`, nodes the cache lacks are listed
    /// rather than an error; `descend` chooses the folders (inside the directory) to read.
    func manifestWalk(_ id: ObjectID, fileCount: Int?, allowMissing: Bool = false,
                      descend: (String, ObjectID) -> Bool = { _, _ in true },
                      held: ((ObjectID) -> Bool)? = nil) throws -> ManifestWalk {
        try ManifestWalk.read(id, fileCount: fileCount, allowMissing: allowMissing, descend: descend, held: held) { node in
            do { return try store.readVerified(node) } catch StoreError.missing { return nil }
        }
    }
}

/// A tracked path in the work tree and its pointer.
public struct TrackedPath: Equatable, Sendable {
    /// The data's repository-relative path (`data`, `models/model.bin`).
    public let dataPath: String
    public let pointer: PointerFile
    /// For a directory: the parts of it a command is limited to (paths inside it); empty
    /// for all of it.
    public var subpaths: [String] = []

    public init(dataPath: String, pointer: PointerFile, subpaths: [String] = []) {
        self.dataPath = dataPath
        self.pointer = pointer
        self.subpaths = subpaths
    }

    public var pointerPath: String { dataPath + PointerFile.suffix }

    /// Whether a file inside the tracked path (relative to it) is in scope.
    public func includes(_ path: String) -> Bool {
        subpaths.isEmpty || subpaths.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    /// Whether a folder inside the tracked path holds anything in scope (it is in scope, or
    /// on the way to what is): the folders of a tree manifest worth reading.
    func reaches(_ folder: String) -> Bool {
        includes(folder) || subpaths.contains { $0.hasPrefix(folder + "/") }
    }
}
