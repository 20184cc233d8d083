import CGit2
import Foundation

extension Repository {
    func withIndex<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "open the index")
        defer { git_index_free(index) }
        try check(git_index_read(index, 0), "read the index")
        return try body(index!)
    }

    /// Stages work-tree paths (relative to the work tree): files present are added, files
    /// absent are removed from the index (`git_index_add_bypath`, `git_index_remove_bypath`).
    public func stage(_ paths: [String]) throws {
        guard let root = workTree else { throw GitError(code: -1, operation: "stage", message: "bare repository") }
        try withIndex { index in
            for path in paths {
                var st = stat()
                if lstat(root + "/" + path, &st) == 0 {
                    try check(git_index_add_bypath(index, path), "stage \(path)")
                } else {
                    try check(git_index_remove_bypath(index, path), "unstage removed \(path)")
                }
            }
            try check(git_index_write(index), "write the index")
        }
    }

    /// Resets index entries for `paths` to HEAD's version, or removes them on an unborn branch
    /// (`git_reset_default`).
    public func unstage(_ paths: [String]) throws {
        guard let head = try headCommit() else {
            try withIndex { index in
                for path in paths { try check(git_index_remove_bypath(index, path), "unstage \(path)") }
                try check(git_index_write(index), "write the index")
            }
            return
        }
        var oid = head.raw
        var commit: OpaquePointer?
        try check(git_object_lookup(&commit, pointer, &oid, GIT_OBJECT_COMMIT), "look up HEAD")
        defer { git_object_free(commit) }
        try withStrArray(paths) { array in
            try check(git_reset_default(pointer, commit, &array), "unstage \(paths.joined(separator: ", "))")
        }
    }

    /// Whether the index holds `path` itself or any file under it (a folder).
    public func isTracked(_ path: String) throws -> Bool {
        try withIndex { index in
            if git_index_get_bypath(index, path, 0) != nil { return true }
            var position = 0
            let prefix = path.hasSuffix("/") ? path : path + "/"
            if git_index_find_prefix(&position, index, prefix) == 0 { return true }
            return false
        }
    }

    /// Paths in the index, optionally only those under `prefix`.
    public func indexedPaths(under prefix: String = "") throws -> [String] {
        try withIndex { index in
            var paths: [String] = []
            for position in 0..<git_index_entrycount(index) {
                guard let entry = git_index_get_byindex(index, position) else { continue }
                let path = String(cString: entry.pointee.path)
                if prefix.isEmpty || path == prefix || path.hasPrefix(prefix + "/") { paths.append(path) }
            }
            return paths
        }
    }

    /// Commits the index on HEAD's branch, as `git commit` does (`git_index_write_tree`,
    /// `git_commit_create` on "HEAD").
    @discardableResult
    public func commitIndex(message: String) throws -> GitObjectID {
        let treeOID: git_oid = try withIndex { index in
            var oid = git_oid()
            try check(git_index_write_tree(&oid, index), "write tree from the index")
            return oid
        }
        let parents = try headCommit().map { [$0] } ?? []
        return try createCommit(updating: "HEAD", tree: treeOID, parents: parents, message: message)
    }

    /// Creates a commit on `ref` whose tree is `parent`'s tree with `files` replaced or added,
    /// without touching the index or the work tree (`git_index_new`, `git_index_read_tree`,
    /// `git_index_write_tree_to`, `git_commit_create`). The ref moves only if it still points at
    /// `parent` (compare and swap); a missing ref is created.
    @discardableResult
    public func commitFiles(_ files: [String: [UInt8]], onto parent: GitObjectID?, ref: String, message: String) throws -> GitObjectID {
        let tree = try writeTree(base: parent, changes: files.mapValues { .write($0, executable: false) })
        return try createCommit(updating: ref, tree: tree, parents: parent.map { [$0] } ?? [], message: message)
    }

    func createCommit(updating ref: String?, tree treeOID: git_oid, parents: [GitObjectID], message: String) throws -> GitObjectID {
        var treeOID = treeOID
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &treeOID), "look up new tree")
        defer { git_tree_free(tree) }
        let signature = try defaultSignature()
        defer { git_signature_free(signature) }
        var parentHandles: [OpaquePointer?] = []
        defer { parentHandles.forEach { git_commit_free($0) } }
        for parent in parents {
            var oid = parent.raw
            var handle: OpaquePointer?
            try check(git_commit_lookup(&handle, pointer, &oid), "look up parent \(parent.short)")
            parentHandles.append(handle)
        }
        var commitOID = git_oid()
        try parentHandles.withUnsafeMutableBufferPointer { buffer in
            try check(git_commit_create(&commitOID, pointer, ref, signature, signature, nil, message, tree,
                                        parents.count, buffer.baseAddress), "commit to \(ref)")
        }
        return GitObjectID(commitOID)
    }

    /// The committer from Git's configuration (`git_signature_default`), or a neutral one when
    /// `user.name` is unset so that commits never fail for lack of it.
    func defaultSignature() throws -> UnsafeMutablePointer<git_signature> {
        var signature: UnsafeMutablePointer<git_signature>?
        // As git does: GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL win over user.name and user.email.
        let environment = ProcessInfo.processInfo.environment
        if let name = environment["GIT_COMMITTER_NAME"], let email = environment["GIT_COMMITTER_EMAIL"], !name.isEmpty,
           git_signature_now(&signature, name, email) == 0, let signature { return signature }
        if try git_signature_default(&signature, pointer) == 0, let signature { return signature }
        try check(git_signature_now(&signature, "mlv", "mlv@localhost"), "create signature")
        return signature!
    }
}

/// Runs `body` with a `git_strarray` holding `strings`, freeing the copies afterwards.
func withStrArray<T>(_ strings: [String], _ body: (inout git_strarray) throws -> T) rethrows -> T {
    var cStrings: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { cStrings.forEach { free($0) } }
    return try cStrings.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: strings.count)
        return try body(&array)
    }
}
