import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Fills pack files in a local temporary folder and uploads each (pack first, then its index)
/// when it reaches the target size. A pack is named by the SHA-256 of its bytes, so two
/// pushers never overwrite each other's packs, and an index appears only after its pack.
final class PackWriter {
    static let targetSize: Int64 = 32 << 20

    private let remote: RemoteStore
    private let catalog: RemoteCatalog
    private let directory: String
    private var fd: Int32 = -1
    private var path = ""
    private var sha = SHA256()
    private var size: Int64 = 0
    private var entries: [PackIndex.Entry] = []
    private var pending: Set<ObjectID> = []

    private(set) var packsSent = 0
    private(set) var bytesSent: Int64 = 0

    init(remote: RemoteStore, catalog: RemoteCatalog, temporaryDirectory: String) {
        self.remote = remote
        self.catalog = catalog
        directory = temporaryDirectory
    }

    deinit {
        if fd >= 0 { close(fd); unlink(path) }
    }

    /// Whether the remote, or a pack being written, already holds `id`.
    func has(_ id: ObjectID) -> Bool { catalog.has(id) || pending.contains(id) }

    /// Appends an item; uploads the pack when it is full.
    func append(_ id: ObjectID, kind: PackIndex.Kind, bytes: UnsafeRawBufferPointer) throws {
        if fd < 0 { try open() }
        sha.update(bufferPointer: bytes)
        try FileSystem.writeAll(fd, bytes, path: path)
        entries.append(PackIndex.Entry(id: id, offset: size, length: Int64(bytes.count), kind: kind))
        pending.insert(id)
        size += Int64(bytes.count)
        if size >= PackWriter.targetSize { try flush() }
    }

    /// Appends an item that moves from a pack being rewritten (gc): it is already in the
    /// catalog under its old pack, so only this writer's own pending set is checked.
    func appendForRewrite(_ id: ObjectID, kind: PackIndex.Kind, bytes: UnsafeRawBufferPointer) throws {
        guard !pending.contains(id) else { return }
        try append(id, kind: kind, bytes: bytes)
    }

    /// Uploads the pack in progress, if any.
    func flush() throws {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        defer { unlink(path) }
        let pack = ObjectID(digest: sha.finalize())
        let index = PackIndex(pack: pack, packSize: size, entries: entries)
        let key = RemoteCatalog.packPrefix + pack.hex + ".pack"
        try remote.put(key, fromFile: path)
        try remote.put(RemoteCatalog.packPrefix + pack.hex + ".idx", bytes: index.serialized())
        catalog.add(index, key: key)
        packsSent += 1
        bytesSent += size
        entries = []
        pending = []
    }

    private func open() throws {
        try FileSystem.createDirectory(directory)
        path = "\(directory)/pack-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WorkspaceError.io(path: path, operation: "create", errno: errno) }
        sha = SHA256()
        size = 0
    }
}
