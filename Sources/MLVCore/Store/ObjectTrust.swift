/// Remembers large cache objects whose bytes were verified, by (inode, size, mtime), so that
/// checkout can copy them in the kernel without rehashing. Any write to an object changes its
/// mtime and voids the record; silent bit rot is `mlv fsck`'s to find. Objects below the
/// threshold are cheap to rehash and are always verified while they are copied.
final class ObjectTrust: @unchecked Sendable {
    /// Objects smaller than this are never trusted without hashing.
    static let threshold: Int64 = 4 << 20

    private let records: StateCache
    private let store: ObjectStore

    init(file: String, store: ObjectStore) {
        records = StateCache(file: file)
        self.store = store
    }

    /// Whether the object's bytes were verified and the file has not changed since.
    func isTrusted(_ id: ObjectID, stat: FileStat) -> Bool {
        stat.size >= ObjectTrust.threshold && records.id(for: id.hex, stat: stat) == id
    }

    /// Records an object whose bytes were just checked against its id; `hashedAt` as for the
    /// state cache (`Int64.max` for an object mlv wrote from bytes it hashed).
    func recordVerified(_ id: ObjectID, hashedAt: Int64) {
        guard let stat = FileSystem.lstatFile(store.path(for: id)), stat.size >= ObjectTrust.threshold else { return }
        records.record(id.hex, stat: stat, id: id, hashedAt: hashedAt)
    }

    /// Drops the record of an object found corrupted.
    func forget(_ id: ObjectID) { records.forget(id.hex) }

    func save() throws { try records.save() }
}
