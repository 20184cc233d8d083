import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Fills pack files in a local temporary folder and uploads each (pack first, then its index)
/// when it reaches the target size, several at once in the background while the next pack
/// fills. A pack is named by its content (`PackIndex.pack`), so two pushers never overwrite
/// each other's packs, and an index appears only after its pack. Appends may come from
/// several threads.
final class PackWriter: @unchecked Sendable {
    /// Packs stream to S3 in one PUT each, so their size costs disk, not memory; 128 MiB keeps a
    /// 1 GiB push to about 20 requests.
    static let targetSize: Int64 = 128 << 20
    /// Names of packs being filled: `pack-PID-N` in the cache's temporary folder.
    static let temporaryPrefix = "pack-"

    private let remote: RemoteStore
    private let catalog: RemoteCatalog
    /// The size at which a pack is closed and sent (tests choose small packs).
    private let packSize: Int64
    private let directory: String
    private var fd: Int32 = -1
    private var path = ""
    private var size: Int64 = 0
    private var entries: [PackIndex.Entry] = []
    /// Items in the pack being filled or in packs still uploading.
    private var scheduled: Set<ObjectID> = []

    // Uploads in flight are bounded: each holds at most one pack (or one part) in memory.
    private let uploads = DispatchGroup()
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    /// Serializes appends and the pack being filled (fd, path, size, entries).
    private let appendLock = NSLock()
    private var failure: Error?
    private var sentPacks = 0
    private var sentBytes: Int64 = 0

    /// When set, a pack's upload starts only once every earlier one has finished, so packs
    /// appear on the remote in the order they were filled (a push's manifests and tree nodes).
    var publishesInOrder: Bool {
        get { appendLock.withLock { inOrder } }
        set { appendLock.withLock { inOrder = newValue } }
    }
    private var inOrder = false
    var packsSent: Int { lock.withLock { sentPacks } }
    var bytesSent: Int64 { lock.withLock { sentBytes } }

    init(remote: RemoteStore, catalog: RemoteCatalog, temporaryDirectory: String, concurrentUploads: Int = 4,
         packSize: Int64 = PackWriter.targetSize) {
        self.remote = remote
        self.packSize = packSize
        self.catalog = catalog
        directory = temporaryDirectory
        slots = DispatchSemaphore(value: max(1, concurrentUploads))
    }

    deinit {
        if fd >= 0 { close(fd); unlink(path) }
    }

    /// Whether the remote, or a pack being written or uploaded, already holds `id`.
    func has(_ id: ObjectID) -> Bool { lock.withLock { catalog.has(id) || scheduled.contains(id) } }

    /// Appends an item; starts the pack's upload when it is full.
    func append(_ id: ObjectID, kind: PackIndex.Kind, bytes: UnsafeRawBufferPointer) throws {
        try append([(id, kind, bytes.count)], bytes: bytes)
    }

    /// Appends several items stored back to back in `bytes` (`length`s in order) with one
    /// write: workers that gather items first contend for the pack once per group.
    func append(_ items: [(id: ObjectID, kind: PackIndex.Kind, length: Int)], bytes: UnsafeRawBufferPointer) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        try appendLock.withLock {
            if fd < 0 { try open() }
            try FileSystem.writeAll(fd, bytes, path: path)
            var offset = size
            for item in items {
                entries.append(PackIndex.Entry(id: item.id, offset: offset, length: Int64(item.length), kind: item.kind))
                offset += Int64(item.length)
            }
            lock.withLock { scheduled.formUnion(items.map(\.id)) }
            size = offset
            if size >= packSize { try startUpload() }
        }
    }

    /// Appends an item that moves from a pack being rewritten (gc): it is already in the
    /// catalog under its old pack, so only this writer's own items are checked.
    func appendForRewrite(_ id: ObjectID, kind: PackIndex.Kind, bytes: UnsafeRawBufferPointer) throws {
        guard !lock.withLock({ scheduled.contains(id) }) else { return }
        try append(id, kind: kind, bytes: bytes)
    }

    /// Uploads the pack in progress, if any; with `wait`, returns once every upload has
    /// finished and rethrows the first failure.
    func flush(wait: Bool = true) throws {
        try appendLock.withLock { try startUpload() }
        if wait {
            uploads.wait()
            if let failure = lock.withLock({ failure }) { throw failure }
        }
    }

    /// Closes the pack being filled, if any, and uploads it in the background. Called with
    /// `appendLock` held.
    private func startUpload() throws {
        if fd >= 0 {
            close(fd)
            fd = -1
            let file = path, filled = size, packEntries = entries
            entries = []
            if inOrder { uploads.wait() }
            slots.wait()
            uploads.enter()
            DispatchQueue.global().async { [self] in
                defer { unlink(file); slots.signal(); uploads.leave() }
                guard lock.withLock({ failure == nil }) else { return }
                do {
                    let index = PackIndex(packSize: filled, entries: packEntries)
                    let key = RemoteCatalog.packPrefix + index.pack.hex + ".pack"
                    try remote.put(key, fromFile: file)
                    let indexBytes = index.serialized()
                    try remote.put(RemoteCatalog.packPrefix + index.pack.hex + ".idx", bytes: indexBytes)
                    catalog.remember(indexBytes, name: index.pack.hex + ".idx")
                    lock.withLock {
                        catalog.add(index, key: key)
                        // The catalog answers for these now; a million-item push would
                        // otherwise keep every id twice.
                        scheduled.subtract(packEntries.lazy.map(\.id))
                        sentPacks += 1
                        sentBytes += filled
                    }
                } catch {
                    lock.withLock { if failure == nil { failure = error } }
                }
            }
        }
    }

    private func open() throws {
        try FileSystem.createDirectory(directory)
        path = "\(directory)/\(PackWriter.temporaryPrefix)\(TemporaryName.suffix())"
        fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: path, operation: "create", errno: errno) }
        size = 0
    }
}
