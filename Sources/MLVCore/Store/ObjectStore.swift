import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The content-addressed cache: each object is a read-only file `ROOT/ab/cdef…` named by its
/// SHA-256, or (small objects a fetch brought) an item of a pack in `ROOT/packs`. Objects
/// appear only by rename from a fully written, synced temporary file.
public final class ObjectStore: @unchecked Sendable {
    /// The cache folder.
    public let root: String
    /// Where objects are written before they are renamed into place (same filesystem).
    public let temporaryDirectory: String

    /// Packs of small fetched objects.
    let packs: LocalPacks

    public init(root: String, temporaryDirectory: String) {
        self.root = root
        self.temporaryDirectory = temporaryDirectory
        packs = LocalPacks(directory: root + "/packs", temporaryDirectory: temporaryDirectory)
    }

    /// Where the object lives, whether or not it is present.
    public func path(for id: ObjectID) -> String {
        let hex = id.hex
        return "\(root)/\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    /// Packs are asked first: their table is in memory, and when every object is packed the
    /// shard folders do not exist, so a loose look would be a failing `open` per object.
    public func contains(_ id: ObjectID) -> Bool {
        packs.location(of: id) != nil || containsLoose(id)
    }

    /// Whether the object is a file of its own (not only in a pack).
    func containsLoose(_ id: ObjectID) -> Bool { looseSize(id) != nil }

    /// The size of the object's own file, resolved from its open shard folder.
    private func looseSize(_ id: ObjectID) -> Int64? {
        guard let fd = shardDescriptor(shardIndex(id)) else { return nil }
        var st = stat()
        guard String(id.hex.dropFirst(2)).withCString({ fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0,
              st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(st.st_size)
    }

    /// `ids` in the order their bytes lie in the cache, packed ones by pack and offset, then
    /// loose ones by id; and those the cache lacks (not in `ordered`). Reading a million small
    /// objects in id order is a random read of every pack: a push from a cold page cache
    /// spent 40 s where reading the packs through takes 5.
    public func storageOrder(_ ids: [ObjectID]) -> (ordered: [ObjectID], missing: Set<ObjectID>) {
        var byPack: [Int: [(offset: Int64, id: ObjectID)]] = [:]
        var unpacked = Set<ObjectID>()
        for (id, found) in zip(ids, packs.locations(of: ids)) {
            if let found { byPack[found.pack, default: []].append((found.offset, id)) } else { unpacked.insert(id) }
        }
        let missing = missingLoose(from: unpacked)
        var ordered: [ObjectID] = []
        ordered.reserveCapacity(ids.count)
        for pack in byPack.keys.sorted() { ordered += byPack[pack]!.sorted { $0.offset < $1.offset }.map(\.id) }
        ordered += unpacked.subtracting(missing).sorted()
        return (ordered, missing)
    }

    /// The ids among `ids` that the cache lacks. Many ids per shard folder: read the folders
    /// (one `getdents` per folder beats a `stat` per object); few: `stat` each.
    public func missing(from ids: Set<ObjectID>) -> Set<ObjectID> {
        // Packs first: after an add nearly everything is packed, and the loose folders then
        // need no listing at all. Located together, as `storageOrder` locates them.
        let list = Array(ids)
        return missingLoose(from: Set(zip(list, packs.locations(of: list)).compactMap { $1 == nil ? $0 : nil }))
    }

    /// The ids among `ids`, none of them packed, that have no file of their own either.
    private func missingLoose(from ids: Set<ObjectID>) -> Set<ObjectID> {
        var byShard: [Int: [ObjectID]] = [:]
        for id in ids { byShard[shardIndex(id), default: []].append(id) }
        var missing = Set<ObjectID>()
        for (shard, wanted) in byShard {
            guard let fd = shardDescriptor(shard) else { missing.formUnion(wanted); continue }
            var st = stat()
            // ext4 directories grow by about 32 bytes per entry; list when we need a good share.
            let listing = fstat(fd, &st) == 0 && wanted.count * 32 * 4 >= Int(st.st_size)
            if listing, let names = listShard(fd) {
                for id in wanted where !names.contains(String(id.hex.dropFirst(2))) { missing.insert(id) }
            } else {
                for id in wanted where !containsLoose(id) { missing.insert(id) }
            }
        }
        return missing
    }

    private func listShard(_ fd: Int32) -> Set<String>? {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else { return nil }
        defer { closedir(dir) }
        rewinddir(dir)
        var names = Set<String>()
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_REG) || entry.pointee.d_type == UInt8(DT_UNKNOWN) else { continue }
            names.insert(withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            })
        }
        return names
    }

    private func shardIndex(_ id: ObjectID) -> Int { id.firstByte }

    /// The folder of loose objects whose ids start with byte `shard` (`ROOT/3f`). Built
    /// without `String(format:)`, which costs more than the `stat` it names.
    func shardFolder(_ shard: Int) -> String {
        root + "/" + String(shard >> 4, radix: 16) + String(shard & 15, radix: 16)
    }

    // Shard folders stay open so that presence checks resolve one path component, not the
    // whole cache path: `status` checks every object a directory needs.
    private let shardLock = NSLock()
    private var shardDescriptors = [Int32](repeating: -1, count: 256)
    /// Shard folders found missing. With small objects packed most are, and an add of 10,000
    /// files otherwise failed 20,000 opens asking for them. Every object this process stages
    /// goes through `ensureShardFolder`, which forgets the mark; other processes that write
    /// objects hold the project lock, so a writer's view is exact and a reader's is that of
    /// when it looked, as for the packs it loaded.
    private var missingShards = [Bool](repeating: false, count: 256)

    private func shardDescriptor(_ shard: Int) -> Int32? {
        shardLock.withLock {
            if shardDescriptors[shard] >= 0 { return shardDescriptors[shard] }
            if missingShards[shard] { return nil }
            let fd = open(shardFolder(shard), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { missingShards[shard] = true }
                return nil
            }
            shardDescriptors[shard] = fd
            return fd
        }
    }

    /// Creates the shard folder an object of `id` goes in, if missing.
    private func ensureShardFolder(_ id: ObjectID) throws {
        guard shardDescriptor(id.firstByte) == nil else { return }
        try FileSystem.createDirectory(shardFolder(id.firstByte))
        shardLock.withLock { missingShards[id.firstByte] = false }
    }

    /// Stages a checked temporary file as object `id` in `batch`; it counts from the commit.
    func stage(_ temp: String, as id: ObjectID, size: Int64, in batch: ObjectBatch) throws {
        try ensureShardFolder(id)
        batch.stage(temp, as: id, final: path(for: id), size: size)
    }

    deinit {
        for fd in shardDescriptors where fd >= 0 { close(fd) }
    }

    /// The size of a present object.
    public func size(of id: ObjectID) -> Int64? {
        packs.location(of: id)?.length ?? looseSize(id)
    }

    /// Where a damaged object's bytes are: its own file, or the pack holding it.
    public func location(of id: ObjectID) -> String {
        containsLoose(id) ? path(for: id) : packs.path(of: id) ?? path(for: id)
    }

    /// Reads a small object whole (manifests, files on push) and checks its bytes against its id.
    public func readVerified(_ id: ObjectID, limit: Int = 1 << 30) throws -> [UInt8] {
        // Packs first: most small objects are packed, and a push of a million of them would
        // otherwise fail a million opens of loose files first. A damaged packed copy still
        // leaves a loose one to read.
        var damaged: StoreError?
        do {
            if let bytes = try packs.read(id) {
                guard bytes.count <= limit else { throw FileSystem.FileTooLarge(path: path(for: id), limit: limit) }
                return bytes
            }
        } catch let error as StoreError {
            damaged = error
        }
        let objectPath = path(for: id)
        let shard = shardDescriptor(shardIndex(id))
        let fd = shard.map { shard in String(id.hex.dropFirst(2)).withCString { openat(shard, $0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) } } ?? -1
        guard fd >= 0 else {
            if shard == nil || errno == ENOENT { throw damaged ?? StoreError.missing(id) }
            throw FileError(path: objectPath, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError(path: objectPath, operation: "stat", errno: errno) }
        guard st.st_size <= limit else { throw FileSystem.FileTooLarge(path: objectPath, limit: limit) }
        // Objects never change size; a short read leaves bytes that cannot match the id.
        let size = Int(st.st_size)
        var filled = 0
        let bytes = try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            while filled < size {
                let n = try FileSystem.readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[filled...]), path: objectPath)
                if n == 0 { break }
                filled += n
            }
            count = filled
        }
        guard ObjectID.of(bytes) == id else { throw StoreError.corrupted(id, path: objectPath) }
        return bytes
    }

    /// Rehashes a present object; returns false when its bytes no longer match its id.
    public func verify(_ id: ObjectID, hasher: FileHasher) throws -> Bool {
        if containsLoose(id) { return try hasher.hash(path: path(for: id)).id == id }
        do {
            guard try packs.read(id) != nil else { throw StoreError.missing(id) }
            return true
        } catch StoreError.corrupted {
            return false
        }
    }

    /// Every object id in the cache, with its size. Temporary and foreign files are skipped.
    public func allObjects() throws -> [(id: ObjectID, size: Int64)] {
        guard FileSystem.exists(root) else { return [] }
        var result: [(ObjectID, Int64)] = []
        for shard in try FileSystem.listDirectory(root) where shard.utf8.count == 2 {
            let shardPath = root + "/" + shard
            guard FileSystem.lstatFile(shardPath)?.kind == .directory else { continue }
            for name in try FileSystem.listDirectory(shardPath) {
                guard let id = ObjectID(hex: shard + name),
                      let st = FileSystem.lstatFile(shardPath + "/" + name), st.kind == .file else { continue }
                result.append((id, st.size))
            }
        }
        let loose = Set(result.map(\.0))
        result += packs.all().filter { !loose.contains($0.id) }
        return result
    }

    /// Deletes objects (gc): files of their own, and packed copies (a pack keeps its other
    /// objects in a new pack). Files are read-only, which `unlink` does not mind.
    public func remove(_ ids: Set<ObjectID>) throws {
        // Before anything goes: what status proved present at the old generation is void.
        if !ids.isEmpty { try CacheGeneration(store: self).bump() }
        for id in ids { try removeLoose(id) }
        _ = try packs.remove(ids)
        packs.removeOrphans()
    }

    /// Deletes one object.
    public func remove(_ id: ObjectID) throws { try remove([id]) }

    private func removeLoose(_ id: ObjectID) throws {
        let objectPath = path(for: id)
        guard unlink(objectPath) == 0 || errno == ENOENT else {
            throw FileError(path: objectPath, operation: "delete", errno: errno)
        }
    }

    // MARK: Writing

    /// Prefix of temporary object files; the process id follows so leftovers can be cleaned.
    static let temporaryPrefix = ".tmp-obj-"

    /// A new temporary file, opened for writing. With a known id it goes in the object's own
    /// shard folder: many small objects then spread over 256 folders instead of contending
    /// for one, and the final rename stays inside a folder.
    func createTemporary(for id: ObjectID? = nil) throws -> (fd: Int32, path: String) {
        let directory: String
        if let id {
            directory = shardFolder(id.firstByte)
            try ensureShardFolder(id)
        } else {
            try FileSystem.createDirectory(temporaryDirectory)
            directory = temporaryDirectory
        }
        let name = "\(directory)/\(ObjectStore.temporaryPrefix)\(TemporaryName.suffix())"
        let fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw FileError(path: name, operation: "create", errno: errno) }
        return (fd, name)
    }

    /// Deletes temporary object files left by mlv processes that no longer run (a killed add).
    public func removeAbandonedTemporaries() {
        removeAbandonedPackTemporaries()
        for shard in 0..<256 where shardDescriptor(shard) != nil {
            removeAbandoned(in: shardFolder(shard), prefixes: [ObjectStore.temporaryPrefix])
        }
    }

    /// Deletes what killed processes left in the temporary folder only: object temporaries and
    /// packs being filled for a push (up to about 128 MiB each). Cheap enough for every push.
    public func removeAbandonedPackTemporaries() {
        removeAbandoned(in: temporaryDirectory, prefixes: [ObjectStore.temporaryPrefix, PackWriter.temporaryPrefix])
    }

    /// Files named `PREFIX<pid>-<n>` whose process is gone.
    private func removeAbandoned(in folder: String, prefixes: [String]) {
        guard let names = try? FileSystem.listDirectory(folder) else { return }
        for name in names {
            guard let prefix = prefixes.first(where: { name.hasPrefix($0) }) else { continue }
            if TemporaryName.ownerIsGone(name.dropFirst(prefix.count)) { unlink(folder + "/" + name) }
        }
    }

    /// Copies the file at `source` into a temporary file while hashing it, in one pass.
    /// Returns the id and size; the object is staged in `batch` unless the cache already has it.
    public func ingest(file source: String, hasher: FileHasher, batch: ObjectBatch) throws -> (id: ObjectID, size: Int64) {
        // Small files: one read, hash, and only write when the object is new.
        if let result = try hasher.hashSmall(path: source, body: { id, bytes -> (ObjectID, Int64) in
            if !batch.isKnown(id) && !contains(id), try !batch.pack(id, bytes) {
                let temp = try createTemporary(for: id)
                defer { close(temp.fd) }
                do { try FileSystem.writeAll(temp.fd, bytes, path: temp.path) } catch { unlink(temp.path); throw error }
                try stage(temp.path, as: id, size: Int64(bytes.count), in: batch)
            }
            return (id, Int64(bytes.count))
        }) {
            return result
        }
        // Large files: stream through SHA-256 and into the temporary file together.
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileError(path: source, operation: "open", errno: errno) }
        defer { close(input) }
        let temp = try createTemporary()
        var closed = false
        defer { if !closed { close(temp.fd) } }
        do {
            let (id, size) = try hasher.copyHashing(from: input, sourcePath: source, to: temp.fd, destinationPath: temp.path)
            close(temp.fd)
            closed = true
            if batch.isKnown(id) || contains(id) {
                unlink(temp.path)
            } else {
                try stage(temp.path, as: id, size: size, in: batch)
            }
            return (id, size)
        } catch {
            unlink(temp.path)
            throw error
        }
    }

    /// Gives a packed object a file of its own (for a hard link or symlink to it), synced
    /// before it is renamed into place.
    func unpack(_ id: ObjectID) throws {
        guard !containsLoose(id), let bytes = try packs.read(id) else { return }
        let temp = try createTemporary(for: id)
        do {
            try FileSystem.writeAll(temp.fd, bytes, path: temp.path)
            guard fsync(temp.fd) == 0 else { throw FileError(path: temp.path, operation: "fsync", errno: errno) }
            close(temp.fd)
        } catch {
            close(temp.fd); unlink(temp.path)
            throw error
        }
        guard rename(temp.path, path(for: id)) == 0 else {
            let failure = errno
            unlink(temp.path)
            throw FileError(path: path(for: id), operation: "rename object into the cache", errno: failure)
        }
    }

    /// Stores bytes already in memory (a manifest) under their id.
    public func ingest(bytes: [UInt8], batch: ObjectBatch) throws -> ObjectID {
        let id = ObjectID.of(bytes)
        try bytes.withUnsafeBytes { try ingest(verified: $0, id: id, batch: batch) }
        return id
    }

    /// Stores bytes the caller has just checked against `id`.
    func ingest(verified bytes: UnsafeRawBufferPointer, id: ObjectID, batch: ObjectBatch) throws {
        if batch.isKnown(id) || contains(id) { return }
        // A packing batch (a large add) takes small objects such as tree nodes into its pack.
        if bytes.count <= Int(chunkingThreshold), try batch.pack(id, bytes) { return }
        let temp = try createTemporary(for: id)
        defer { close(temp.fd) }
        do { try FileSystem.writeAll(temp.fd, bytes, path: temp.path) } catch { unlink(temp.path); throw error }
        batch.stage(temp.path, as: id, final: path(for: id), size: Int64(bytes.count))
    }
}

/// Objects written to temporary files and waiting to be made durable and renamed into place
/// together; one `syncfs` for the whole batch instead of an `fsync` per small file. A batch
/// made `packingInto` the cache's local packs puts small files' objects into packs instead of
/// a file each (an add of many files), made durable and visible by the same `commit`.
public final class ObjectBatch: @unchecked Sendable {
    private let lock = NSLock()
    private var staged: [(temp: String, final: String)] = []
    private var bytes: Int64 = 0
    /// The objects the last `commit` made visible as files of their own. Packed objects (at
    /// most 1 MiB each) are only counted: a list of a million of them held 40 MB for nothing.
    public private(set) var committedObjects: [(id: ObjectID, size: Int64)] = []
    private var stagedObjects: [(id: ObjectID, size: Int64)] = []
    /// How many objects this batch put in packs.
    private var packedTotal = 0
    private var ids: Set<ObjectID> = []
    private var packs: LocalPacks?
    /// The pack being filled, then the full ones waiting for `commit`.
    private var packBuilder: LocalPackBuilder?
    private var fullBuilders: [LocalPackBuilder] = []
    private var packedObjects = 0
    private var packedBytes: Int64 = 0

    /// Adds of at least this many files pack their small objects.
    static let packingThreshold = 1_000
    /// A pack holds at most this many objects or bytes, so its index stays well inside what a
    /// reader accepts (an add of a million files makes several packs, not one of 90 MB index).
    static let packObjects = 100_000
    static let packBytes: Int64 = 256 << 20
    private var objectsPerPack = ObjectBatch.packObjects

    public init() {}

    init(packingInto packs: LocalPacks, objectsPerPack: Int = ObjectBatch.packObjects) throws {
        self.packs = packs
        self.objectsPerPack = objectsPerPack
        packBuilder = try packs.makeBuilder()
    }

    /// Appends a small object, just hashed from `bytes`, to the batch's pack; false when the
    /// batch does not pack (the caller then writes a file).
    func pack(_ id: ObjectID, _ bytes: UnsafeRawBufferPointer) throws -> Bool {
        let chosen = try lock.withLock { () throws -> (builder: LocalPackBuilder, isNew: Bool)? in
            guard var builder = packBuilder else { return nil }
            guard ids.insert(id).inserted else { return (builder, false) }
            if packedObjects >= objectsPerPack || packedBytes + Int64(bytes.count) > ObjectBatch.packBytes, let packs {
                try builder.flush()
                fullBuilders.append(builder)
                builder = try packs.makeBuilder()
                packBuilder = builder
                packedObjects = 0
                packedBytes = 0
            }
            packedObjects += 1
            packedBytes += Int64(bytes.count)
            packedTotal += 1
            self.bytes += Int64(bytes.count)
            return (builder, true)
        }
        guard let chosen else { return false }
        if chosen.isNew { try chosen.builder.append([(id, bytes)]) }
        return true
    }

    public var count: Int { lock.withLock { stagedObjects.count + packedTotal } }

    /// The total size of the staged objects.
    func stagedBytes() -> Int64 { lock.withLock { bytes } }

    func isKnown(_ id: ObjectID) -> Bool { lock.withLock { ids.contains(id) } }

    func stage(_ temp: String, as id: ObjectID, final: String, size: Int64) {
        let duplicate = lock.withLock { () -> Bool in
            if ids.contains(id) { return true }
            ids.insert(id)
            staged.append((temp, final))
            stagedObjects.append((id, size))
            bytes += size
            return false
        }
        if duplicate { unlink(temp) }
    }

    /// Flushes every staged file to disk, then renames each into the cache and flushes the
    /// renames. An interruption before this leaves only temporary files, never a partial object.
    public func commit() throws {
        // The pack first: synced, renamed, then given its index (which makes it count).
        for builder in lock.withLock({ fullBuilders + (packBuilder.map { [$0] } ?? []) }) { try builder.commit() }
        lock.withLock { packBuilder = nil; fullBuilders = [] }
        let items = lock.withLock { staged }
        guard let first = items.first else {
            lock.withLock {
                committedObjects = stagedObjects
                stagedObjects.removeAll(); packedTotal = 0; bytes = 0
            }
            return
        }
        try syncFilesystem(containing: first.temp)
        for shard in Set(items.map { PathName.parent(of: $0.final) }) {
            try FileSystem.createDirectory(shard)
        }
        // Renames of many small objects take as long as writing them: on every core.
        _ = try ParallelWork.map(items.count, workers: items.count > 256 ? nil : 1) { index in
            guard rename(items[index].temp, items[index].final) == 0 else {
                throw FileError(path: items[index].final, operation: "rename object into the cache", errno: errno)
            }
        }
        try syncFilesystem(containing: first.final)
        lock.withLock {
            committedObjects = stagedObjects
            staged.removeAll(); stagedObjects.removeAll(); packedTotal = 0; bytes = 0
        }
    }

    /// Deletes the temporary files of a batch that will not be committed.
    public func discard() {
        for item in lock.withLock({ staged }) { unlink(item.temp) }
        // An uncommitted pack builder removes its temporary file when it goes.
        lock.withLock { staged.removeAll(); stagedObjects.removeAll(); packedTotal = 0; ids.removeAll(); bytes = 0; packBuilder = nil; fullBuilders = [] }
    }

    private func syncFilesystem(containing path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        guard LinuxCalls.syncfs(fd) == 0 else { throw FileError(path: path, operation: "sync", errno: errno) }
    }
}

/// Problems with objects in the cache.
public enum StoreError: UserFacingError, Equatable {
    case missing(ObjectID)
    case corrupted(ObjectID, path: String)

    public var description: String {
        switch self {
        case .missing(let id):
            return "object \(id.short) is missing from the cache; run `mlv fetch` if a remote has it, or `mlv fsck` to see what uses it."
        case .corrupted(let id, let path):
            return "object \(id.short) in the cache is corrupted (its bytes no longer hash to its id): \(path); delete it and fetch or re-add it."
        }
    }
}
