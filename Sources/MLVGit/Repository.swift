import CGit2
import Foundation

/// An open Git repository; the handle is freed when the value is released.
///
/// Not thread-safe: libgit2 objects must not be shared between threads, so open one
/// `Repository` per thread.
public final class Repository {
    /// The libgit2 handle; nil until first use for a repository found by `StandardLayout`.
    private var handle: OpaquePointer?

    /// The work tree's root, with a trailing slash removed; nil for a bare repository.
    public let workTree: String?
    /// The `.git` folder (or the bare repository's folder).
    public let gitDirectory: String

    init(pointer: OpaquePointer) {
        handle = pointer
        (workTree, gitDirectory) = Repository.paths(of: pointer)
    }

    private init(unopened found: StandardLayout.Found) {
        workTree = found.workTree
        gitDirectory = found.gitDirectory
    }

    deinit { if let handle { git_repository_free(handle) } }

    private static func paths(of pointer: OpaquePointer) -> (workTree: String?, gitDirectory: String) {
        var workTree: String?
        if let wd = git_repository_workdir(pointer) {
            var path = String(cString: wd)
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            workTree = path
        }
        var gd = String(cString: git_repository_path(pointer))
        while gd.count > 1 && gd.hasSuffix("/") { gd.removeLast() }
        return (workTree, gd)
    }

    /// The libgit2 handle, opened on first use when the repository was found without libgit2;
    /// libgit2 must then agree on where the work tree is.
    var pointer: OpaquePointer {
        get throws {
            if let handle { return handle }
            GitLibrary.ensure()
            var repo: OpaquePointer?
            try check(git_repository_open(&repo, gitDirectory), "open repository at \(gitDirectory)")
            let opened = Repository.paths(of: repo!)
            guard opened.workTree == workTree else {
                git_repository_free(repo)
                throw GitError(code: -1, operation: "open repository at \(gitDirectory)",
                               message: "libgit2 places its work tree at \(opened.workTree ?? "nowhere"), not \(workTree ?? "nowhere")")
            }
            handle = repo
            return repo!
        }
    }

    /// Opens the repository that contains `path`, searching parent folders (`git_repository_discover`
    /// then `git_repository_open`). Returns nil when `path` is in no repository. With
    /// `deferringLibgit2`, an ordinary layout is found without libgit2, which is then loaded
    /// and opened only when first needed (a command that never needs it starts faster).
    public static func discover(from path: String, deferringLibgit2: Bool = false) throws -> Repository? {
        if deferringLibgit2, let found = StandardLayout.find(from: path) { return Repository(unopened: found) }
        GitLibrary.ensure()
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        let rc = git_repository_discover(&buf, path, 0, nil)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "discover repository from \(path)")
        let found = String(cString: buf.ptr)
        return try open(at: found)
    }

    /// Opens the repository at exactly `path` (`git_repository_open`).
    public static func open(at path: String) throws -> Repository {
        GitLibrary.ensure()
        var repo: OpaquePointer?
        try check(git_repository_open(&repo, path), "open repository at \(path)")
        return Repository(pointer: repo!)
    }

    /// Creates a repository (`git_repository_init`); used by tests and the demo.
    public static func create(at path: String, bare: Bool = false) throws -> Repository {
        GitLibrary.ensure()
        var repo: OpaquePointer?
        try check(git_repository_init(&repo, path, bare ? 1 : 0), "init repository at \(path)")
        return Repository(pointer: repo!)
    }

    // MARK: Revisions

    /// Resolves any revision expression to a commit (`git_revparse_single` on `REV^{commit}`):
    /// `HEAD~2`, a branch, a tag, a short id.
    public func resolveCommit(_ revision: String) throws -> GitObjectID {
        var obj: OpaquePointer?
        try check(git_revparse_single(&obj, pointer, "\(revision)^{commit}"), "resolve revision '\(revision)'")
        defer { git_object_free(obj) }
        return GitObjectID(git_object_id(obj).pointee)
    }

    /// The commit HEAD points at, or nil on an unborn branch (`git_reference_name_to_id`).
    public func headCommit() throws -> GitObjectID? {
        var oid = git_oid()
        let rc = try git_reference_name_to_id(&oid, pointer, "HEAD")
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EUNBORNBRANCH.rawValue { return nil }
        try check(rc, "read HEAD")
        return GitObjectID(oid)
    }

    /// The short name of the branch HEAD is on, nil when detached or unborn (`git_repository_head`).
    public func currentBranch() -> String? {
        var ref: OpaquePointer?
        guard let pointer = try? pointer, git_repository_head(&ref, pointer) == 0 else { return nil }
        defer { git_reference_free(ref) }
        guard git_reference_is_branch(ref) == 1 else { return nil }
        return String(cString: git_reference_shorthand(ref))
    }

    // MARK: Commits

    func withCommit<T>(_ id: GitObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var oid = id.raw
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, pointer, &oid), "look up commit \(id.short)")
        defer { git_commit_free(commit) }
        return try body(commit!)
    }

    /// Author, time, subject and parents of a commit (`git_commit_lookup`).
    public func commitInfo(_ id: GitObjectID) throws -> CommitInfo {
        try withCommit(id) { commit in
            let summary = git_commit_summary(commit).map { String(cString: $0) } ?? ""
            let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
            let author = git_commit_author(commit).pointee
            var parents: [GitObjectID] = []
            for index in 0..<git_commit_parentcount(commit) {
                parents.append(GitObjectID(git_commit_parent_id(commit, index).pointee))
            }
            return CommitInfo(
                id: id, summary: summary, message: message,
                authorName: String(cString: author.name), authorEmail: String(cString: author.email),
                time: Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit))),
                parents: parents, tree: GitObjectID(git_commit_tree_id(commit).pointee))
        }
    }

    // MARK: Trees and blobs

    func withTree<T>(of commitID: GitObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withCommit(commitID) { commit in
            var tree: OpaquePointer?
            try check(git_commit_tree(&tree, commit), "read tree of \(commitID.short)")
            defer { git_tree_free(tree) }
            return try body(tree!)
        }
    }

    /// The bytes of the file at `path` in `commit`, without a checkout, or nil when the commit
    /// has no file there (`git_tree_entry_bypath` then `git_blob_lookup`).
    public func readFile(_ path: String, at commit: GitObjectID) throws -> Data? {
        guard let blob = try blobID(path, at: commit) else { return nil }
        return try readBlob(id: blob)
    }

    /// The blob id of the file at `path` in `commit`, or nil (`git_tree_entry_bypath`).
    public func blobID(_ path: String, at commit: GitObjectID) throws -> GitObjectID? {
        try withTree(of: commit) { tree in try blobID(path, in: tree, named: commit.short) }
    }

    /// The blob id at `path` under the tree `treeID` (a commit's root tree, when the commit
    /// has been read already), or nil.
    public func blobID(_ path: String, inTree treeID: GitObjectID) throws -> GitObjectID? {
        var oid = treeID.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &oid), "read tree \(treeID.short)")
        defer { git_tree_free(tree) }
        return try blobID(path, in: tree!, named: treeID.short)
    }

    private func blobID(_ path: String, in tree: OpaquePointer, named: String) throws -> GitObjectID? {
        var entry: OpaquePointer?
        let rc = git_tree_entry_bypath(&entry, tree, path)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "find \(path) in \(named)")
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
        return GitObjectID(git_tree_entry_id(entry).pointee)
    }

    /// The bytes of a blob by id (`git_blob_lookup`), copied before the blob is freed.
    public func readBlob(id: GitObjectID) throws -> Data {
        try readBlob(id.raw)
    }

    func readBlob(_ oid: git_oid) throws -> Data {
        var oid = oid
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, pointer, &oid), "read blob")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: raw, count: size)
    }

    /// Every blob path in `commit`'s tree (recursively) for which `include` is true, with its
    /// blob id (`git_tree_entry_byindex`, `git_tree_lookup`).
    public func listFiles(at commit: GitObjectID, where include: (String) -> Bool) throws -> [(path: String, blob: GitObjectID)] {
        try treeFiles(at: commit).filter { include($0.path) }.map { ($0.path, $0.blob) }
    }

    // MARK: History and references

    /// Commits reachable from `start`, newest first (`git_revwalk`); `firstParent` follows only
    /// first parents; `limit` stops early.
    public func history(from start: GitObjectID, firstParent: Bool = false, limit: Int? = nil) throws -> [GitObjectID] {
        if firstParent {
            // A chain needs no sorting walk (which reads every commit before it returns the
            // first): follow first parents, through the object cache later lookups hit too.
            var result: [GitObjectID] = []
            var next: GitObjectID? = start
            while let id = next, result.count < (limit ?? Int.max) {
                result.append(id)
                next = try withCommit(id) { commit in
                    git_commit_parentcount(commit) > 0 ? GitObjectID(git_commit_parent_id(commit, 0).pointee) : nil
                }
            }
            return result
        }
        return try walk(limit: limit) { walker in
            var oid = start.raw
            try check(git_revwalk_push(walker, &oid), "walk history from \(start.short)")
        }
    }

    /// Every commit reachable from any branch, tag or other reference, and HEAD (`git_revwalk_push_glob`).
    public func allCommits() throws -> [GitObjectID] {
        try walk(limit: nil) { walker in
            try check(git_revwalk_push_glob(walker, "refs/*"), "walk all references")
            let rc = git_revwalk_push_head(walker)
            if rc != GIT_ENOTFOUND.rawValue && rc != GIT_EUNBORNBRANCH.rawValue { try check(rc, "walk HEAD") }
        }
    }

    func walk(limit: Int?, setup: (OpaquePointer) throws -> Void) throws -> [GitObjectID] {
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, pointer), "start history walk")
        defer { git_revwalk_free(walker) }
        try check(git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue), "sort history walk")
        try setup(walker!)
        var result: [GitObjectID] = []
        var oid = git_oid()
        while true {
            if let limit, result.count >= limit { break }
            let rc = git_revwalk_next(&oid, walker)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "walk history")
            result.append(GitObjectID(oid))
        }
        return result
    }

    /// References whose names match `glob` (e.g. `refs/heads/*`), each peeled to its commit;
    /// references that do not lead to a commit are skipped (`git_reference_iterator_glob_new`).
    public func references(matching glob: String) throws -> [(name: String, commit: GitObjectID)] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_glob_new(&iterator, pointer, glob), "list references \(glob)")
        defer { git_reference_iterator_free(iterator) }
        var result: [(String, GitObjectID)] = []
        var ref: OpaquePointer?
        while true {
            let rc = git_reference_next(&ref, iterator)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "list references \(glob)")
            defer { git_reference_free(ref) }
            let name = String(cString: git_reference_name(ref))
            var peeled: OpaquePointer?
            if git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0 {
                result.append((name, GitObjectID(git_object_id(peeled).pointee)))
                git_object_free(peeled)
            }
        }
        return result.sorted { $0.0 < $1.0 }
    }

    /// Where Git looks for hooks: `core.hooksPath` when set, else the repository's hooks folder
    /// (`git_repository_item_path` ignores `core.hooksPath`, so that setting is read first).
    public func hooksDirectory() throws -> String {
        if let configured = try config().string("core.hooksPath") {
            if configured.hasPrefix("/") { return configured }
            return (workTree ?? gitDirectory) + "/" + configured
        }
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        try check(git_repository_item_path(&buf, pointer, GIT_REPOSITORY_ITEM_HOOKS), "find hooks folder")
        var path = String(cString: buf.ptr)
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// Whether Git's ignore rules exclude `path` (`git_ignore_path_is_ignored`).
    public func isIgnored(_ path: String) throws -> Bool {
        var ignored: Int32 = 0
        try check(git_ignore_path_is_ignored(&ignored, pointer, path), "check ignore rules for \(path)")
        return ignored == 1
    }

    /// The repository's layered configuration (`git_repository_config_snapshot`).
    public func config() throws -> GitConfig {
        var cfg: OpaquePointer?
        try check(git_repository_config_snapshot(&cfg, pointer), "read configuration")
        return GitConfig(pointer: cfg!)
    }
}

/// What mlv reads about a commit.
public struct CommitInfo: Sendable, Equatable {
    public let id: GitObjectID
    public let summary: String
    public let message: String
    public let authorName: String
    public let authorEmail: String
    public let time: Date
    public let parents: [GitObjectID]
    /// The commit's root tree.
    public let tree: GitObjectID

    public init(id: GitObjectID, summary: String, message: String, authorName: String, authorEmail: String,
                time: Date, parents: [GitObjectID], tree: GitObjectID) {
        self.id = id
        self.summary = summary
        self.message = message
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.time = time
        self.parents = parents
        self.tree = tree
    }
}
