import CGit2
import Foundation

/// One file in a commit's tree, with what Git records about it.
public struct TreeFile: Sendable, Equatable {
    public let path: String
    public let blob: GitObjectID
    /// `0o100644`, `0o100755` or `0o120000` (a symbolic link).
    public let mode: UInt32
    public var isExecutable: Bool { mode == 0o100755 }
    public var isSymlink: Bool { mode == 0o120000 }
}

/// A change to a tree written by `commitChanges`: new bytes (with the executable bit), or removal.
public enum TreeChange: Sendable, Equatable {
    case write([UInt8], executable: Bool)
    case remove
}

extension Repository {
    /// Creates `name` pointing at `commit`; with `force` false an existing reference is an
    /// error whose `isExists` is true (`git_reference_create`).
    public func createReference(_ name: String, to commit: GitObjectID, force: Bool, message: String) throws {
        var oid = commit.raw
        var ref: OpaquePointer?
        try check(git_reference_create(&ref, pointer, name, &oid, force ? 1 : 0, message), "create \(name)")
        git_reference_free(ref)
    }

    /// Deletes a reference; a missing one is not an error (`git_reference_remove`).
    public func deleteReference(_ name: String) throws {
        let rc = try git_reference_remove(pointer, name)
        if rc == GIT_ENOTFOUND.rawValue { return }
        try check(rc, "delete \(name)")
    }

    /// Whether `name` is a valid reference name (`git_reference_name_is_valid`).
    public static func isValidReferenceName(_ name: String) -> Bool {
        var valid: Int32 = 0
        return git_reference_name_is_valid(&valid, name) == 0 && valid == 1
    }

    /// Every file of `commit`'s tree with its mode (`git_tree_walk` order: depth first, sorted).
    public func treeFiles(at commit: GitObjectID) throws -> [TreeFile] {
        try withTree(of: commit) { tree in
            var found: [TreeFile] = []
            try collectFiles(tree: tree, prefix: "", into: &found)
            return found
        }
    }

    private func collectFiles(tree: OpaquePointer, prefix: String, into found: inout [TreeFile]) throws {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let type = git_tree_entry_type(entry)
            if type == GIT_OBJECT_TREE {
                var sub: OpaquePointer?
                try check(git_tree_lookup(&sub, pointer, git_tree_entry_id(entry)), "read tree \(path)")
                defer { git_tree_free(sub) }
                try collectFiles(tree: sub!, prefix: path, into: &found)
            } else if type == GIT_OBJECT_BLOB {
                found.append(TreeFile(path: path, blob: GitObjectID(git_tree_entry_id(entry).pointee),
                                      mode: UInt32(git_tree_entry_filemode(entry).rawValue)))
            }
        }
    }

    /// The blob id Git would give `bytes` (`git_odb_hash`), without writing it.
    public static func blobID(of bytes: [UInt8]) throws -> GitObjectID {
        var oid = git_oid()
        try bytes.withUnsafeBytes { raw in
            try check(git_odb_hash(&oid, raw.baseAddress, raw.count, GIT_OBJECT_BLOB), "hash blob")
        }
        return GitObjectID(oid)
    }

    /// Writes a commit whose tree is `base`'s with `changes` applied and whose parent is
    /// `parent`, without touching the index, the work tree or any reference. Returns its id.
    public func writeCommit(base: GitObjectID, changes: [String: TreeChange], parent: GitObjectID, message: String) throws -> GitObjectID {
        try createCommit(updating: nil, tree: try writeTree(base: base, changes: changes), parents: [parent], message: message)
    }

    /// Writes the tree of `base` (none: empty) with `changes` applied, through an in-memory
    /// index (`git_index_new`, `git_index_read_tree`, `git_index_write_tree_to`).
    func writeTree(base: GitObjectID?, changes: [String: TreeChange]) throws -> git_oid {
        var index: OpaquePointer?
        try check(git_index_new(&index), "create an in-memory index")
        defer { git_index_free(index) }
        if let base {
            try withTree(of: base) { tree in
                try check(git_index_read_tree(index, tree), "read tree of \(base.short)")
            }
        }
        for (path, change) in changes.sorted(by: { $0.key < $1.key }) {
            switch change {
            case .remove:
                let rc = git_index_remove_bypath(index, path)
                if rc != GIT_ENOTFOUND.rawValue { try check(rc, "remove \(path) from the tree") }
            case .write(let bytes, let executable):
                var blobOID = git_oid()
                try bytes.withUnsafeBytes { raw in
                    try check(git_blob_create_from_buffer(&blobOID, pointer, raw.baseAddress, raw.count), "write blob \(path)")
                }
                var entry = git_index_entry()
                entry.mode = executable ? 0o100755 : 0o100644
                entry.id = blobOID
                try path.withCString { cPath in
                    entry.path = cPath
                    try check(git_index_add(index, &entry), "add \(path) to the tree")
                }
            }
        }
        var treeOID = git_oid()
        try check(git_index_write_tree_to(&treeOID, index, pointer), "write tree")
        return treeOID
    }

    /// Makes this repository's HEAD a detached `commit` and its index that commit's tree, so
    /// status compares a work tree written from elsewhere against it (`git_repository_set_head_detached`,
    /// `git_index_read_tree`). Used for the scratch repository of an experiment run.
    public func detachHead(at commit: GitObjectID) throws {
        var oid = commit.raw
        try check(git_repository_set_head_detached(pointer, &oid), "detach HEAD at \(commit.short)")
        try withTree(of: commit) { tree in
            try withIndex { index in
                try check(git_index_read_tree(index, tree), "read tree of \(commit.short) into the index")
                try check(git_index_write(index), "write the index")
            }
        }
    }
}
