import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small objects fetched from a remote, kept in pack files in `ROOT/packs` instead of one file
/// each: a fetch of ten thousand files writes one file, not ten thousand. A pack and its index
/// use the remote format (`PackIndex`); a pack counts only once its index is in place, and
/// every read is checked against the object's id.
final class LocalPacks: @unchecked Sendable {
    /// A packed object: which pack, and where in it.
    struct Location { let pack: Int; let offset: Int64; let length: Int64 }

    let directory: String
    private let temporaryDirectory: String
    private let lock = NSLock()
    private var loaded = false
    private var names: [String] = []
    private var descriptors: [Int32] = []
    /// Each pack's objects by id (`PackLookup`, from `<pack>.ids`).
    private var lookups: [PackLookup] = []
    /// The pack the last search found an object in.
    private var lastFound = 0
    /// Each pack's objects in pack order, parsed from its index when gc or a fetch needs them.
    private var contents: [Int: [PackIndex.Entry]] = [:]
    /// Packs whose every item this process checked as it put them in place (a pull's fetch),
    /// and single items checked in packs that also hold others; reading them back for the
    /// checkout does not hash them again. By pack where it can be: a table of a million ids
    /// cost a pull 190 MB.
    private var checkedPacks: Set<String> = []
    private var checkedItems: [ObjectID: String] = [:]

    /// A local index is read up to this size: an add now starts a new pack every 100,000
    /// objects, but an earlier mlv put a whole add in one pack (about 90 MB of index for a
    /// million files).
    static let maximumIndexBytes: Int64 = 512 << 20

    init(directory: String, temporaryDirectory: String) {
        self.directory = directory
        self.temporaryDirectory = temporaryDirectory
    }

    deinit {
        for fd in descriptors where fd >= 0 { close(fd) }
    }

    func packPath(_ name: String) -> String { "\(directory)/\(name).pack" }
    private func indexPath(_ name: String) -> String { "\(directory)/\(name).idx" }
    private func lookupPath(_ name: String) -> String { "\(directory)/\(name).ids" }

    /// Finds every pack that has its index, reading each one's lookup file (made from the
    /// index when missing, stale or damaged). Called with `lock` held.
    private func loadIfNeeded() {
        guard !loaded else { return }
        loaded = true
        guard let files = try? FileSystem.listDirectory(directory) else { return }
        for file in files.sorted() where file.hasSuffix(".idx") && !file.hasPrefix(".") {
            let name = String(file.dropLast(4))
            guard let packSize = FileSystem.lstatFile(packPath(name))?.size, let indexStat = FileSystem.lstatFile(indexPath(name)) else { continue }
            if let bytes = try? FileSystem.readFile(lookupPath(name), limit: 64 + Int(LocalPacks.maximumIndexBytes)),
               let lookup = try? PackLookup.decode(bytes), lookup.packSize == packSize, lookup.matches(index: indexStat) {
                register(name, lookup)
                continue
            }
            guard let index = readIndex(name), index.packSize == packSize else { continue }
            register(name, writeLookup(for: index, name: name))
        }
    }

    /// A pack's index, checked against its name; nil when unreadable or not this pack's.
    private func readIndex(_ name: String) -> PackIndex? {
        guard let bytes = try? FileSystem.readFile(indexPath(name), limit: Int(LocalPacks.maximumIndexBytes)),
              let index = try? PackIndex.parse(bytes), index.pack.hex == name else { return nil }
        return index
    }

    /// Makes and writes the lookup file of a pack whose index was just read or written (a
    /// failure to write only costs the next command a parse of the index).
    private func writeLookup(for index: PackIndex, name: String) -> PackLookup {
        var lookup = PackLookup(index: index)
        if let stat = FileSystem.lstatFile(indexPath(name)) {
            lookup.indexStamp = (stat.size, stat.mtimeNanoseconds, stat.inode)
            try? FileSystem.writeAtomically(lookup.encoded(), to: lookupPath(name), mode: 0o444)
        }
        return lookup
    }

    private func register(_ name: String, _ lookup: PackLookup) {
        names.append(name)
        descriptors.append(-1)
        lookups.append(lookup)
    }

    /// A pack's objects in pack order (with `lock` held).
    private func entries(ofPack pack: Int) -> [PackIndex.Entry] {
        if let known = contents[pack] { return known }
        let entries = readIndex(names[pack])?.entries.filter { $0.kind == .object } ?? []
        contents[pack] = entries
        return entries
    }

    /// Where `id` is (with `lock` held).
    private func locate(_ id: ObjectID) -> Location? {
        loadIfNeeded()
        // Reads in storage order ask the same pack again and again.
        if lastFound < lookups.count, let found = lookups[lastFound].find(id) {
            return Location(pack: lastFound, offset: found.offset, length: found.length)
        }
        for pack in lookups.indices.reversed() where pack != lastFound {
            if let found = lookups[pack].find(id) {
                lastFound = pack
                return Location(pack: pack, offset: found.offset, length: found.length)
            }
        }
        return nil
    }

    func location(of id: ObjectID) -> Location? { lock.withLock { locate(id) } }

    /// Where each of `ids` is, in their order. Many ids in no order (a push's or fsck's
    /// million) are sorted once and walked beside each pack's sorted ids: a search per id
    /// per pack misses the processor's caches twice for each of some twenty packs.
    func locations(of ids: [ObjectID]) -> [Location?] {
        guard ids.count >= 4_096 else { return ids.map(location(of:)) }
        let sorted = ids.enumerated().map { (id: $0.element, position: $0.offset) }.sorted { $0.id < $1.id }
        var result = [Location?](repeating: nil, count: ids.count)
        lock.withLock {
            loadIfNeeded()
            // Newest pack first: an object held by two packs is found in the newer.
            for pack in lookups.indices.reversed() {
                lookups[pack].forEachMatch(inSorted: sorted.lazy.map(\.id)) { match, offset, length in
                    let position = sorted[match].position
                    if result[position] == nil { result[position] = Location(pack: pack, offset: offset, length: length) }
                }
            }
        }
        return result
    }

    /// Every packed object with its size.
    func all() -> [(id: ObjectID, size: Int64)] {
        lock.withLock {
            loadIfNeeded()
            var seen = Set<ObjectID>()
            var result: [(id: ObjectID, size: Int64)] = []
            for lookup in lookups { lookup.forEach { id, size in if seen.insert(id).inserted { result.append((id, size)) } } }
            return result
        }
    }

    /// The pack file holding `id`, for messages.
    func path(of id: ObjectID) -> String? {
        lock.withLock { locate(id).map { packPath(names[$0.pack]) } }
    }

    private func descriptor(_ pack: Int) throws -> Int32 {
        try lock.withLock {
            if descriptors[pack] >= 0 { return descriptors[pack] }
            let fd = open(packPath(names[pack]), O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw FileError(path: packPath(names[pack]), operation: "open", errno: errno) }
            descriptors[pack] = fd
            return fd
        }
    }

    /// The object's bytes, checked against its id; nil when it is not packed.
    func read(_ id: ObjectID) throws -> [UInt8]? {
        guard let location = location(of: id) else { return nil }
        let fd = try descriptor(location.pack)
        // Only a pull's packs are marked checked: the common read asks nothing of the tables.
        let (name, alreadyChecked) = lock.withLock {
            let name = names[location.pack]
            return (name, (!checkedPacks.isEmpty && checkedPacks.contains(name)) || (!checkedItems.isEmpty && checkedItems[id] == name))
        }
        let bytes = try LocalPacks.readItem(fd, offset: location.offset, length: location.length, path: packPath(name))
        guard bytes.count == Int(location.length), alreadyChecked || ObjectID.of(bytes) == id else {
            throw StoreError.corrupted(id, path: packPath(name))
        }
        return bytes
    }

    /// The item's bytes from an open pack; fewer than `length` when the pack is shorter.
    private static func readItem(_ fd: Int32, offset: Int64, length: Int64, path: @autoclosure () -> String) throws -> [UInt8] {
        var filled = 0
        return try [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, count in
            while filled < buffer.count {
                let n = pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled))
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw FileError(path: path(), operation: "read", errno: errno) }
                if n == 0 { break }
                filled += n
            }
            count = filled
        }
    }

    /// An item of an open pack when it is whole and hashes to its id; nil otherwise (unreadable too).
    private static func intactItem(_ entry: PackIndex.Entry, in fd: Int32, path: String) -> [UInt8]? {
        guard let bytes = try? readItem(fd, offset: entry.offset, length: entry.length, path: path),
              bytes.count == Int(entry.length), ObjectID.of(bytes) == entry.id else { return nil }
        return bytes
    }

    /// Starts a new pack; objects become visible when it is committed. (Tests choose small
    /// blocks to cross their edges with few bytes.)
    func makeBuilder(blockSize: Int = LocalPackBuilder.blockSize) throws -> LocalPackBuilder {
        try LocalPackBuilder(temporaryDirectory: temporaryDirectory, blockSize: blockSize) { [self] file, index in
            try install(file, index, checked: nil)
        }
    }

    /// Takes in a pack by hard link (`link` makes the temporary file): no byte is copied, as
    /// for a local `git clone`. The `wanted` items are read back from the linked file and
    /// checked before it counts; a mismatch throws `damaged(entry)` and keeps nothing.
    /// Returns false when the link cannot be made.
    func adopt(_ index: PackIndex, wanted: [PackIndex.Entry], link: (String) -> Bool, damaged: (PackIndex.Entry) -> Error) throws -> Bool {
        try FileSystem.createDirectory(temporaryDirectory)
        let temp = "\(temporaryDirectory)/\(ObjectStore.temporaryPrefix)\(TemporaryName.suffix())"
        guard link(temp) else { return false }
        do {
            let fd = open(temp, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw FileError(path: temp, operation: "open", errno: errno) }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, Int64(st.st_size) == index.packSize else { throw damaged(wanted.first ?? index.entries[0]) }
            _ = try ParallelWork.map(wanted.count) { number in
                guard LocalPacks.intactItem(wanted[number], in: fd, path: temp) != nil else { throw damaged(wanted[number]) }
            }
            // Only the items read back and checked count: the remote's index may name other
            // content (with other bytes) that this cache must never claim to hold.
            // A pack an earlier fetch adopted keeps the items it was adopted for: its index
            // is rewritten with those and these, or the earlier objects would vanish.
            let earlier: [PackIndex.Entry] = lock.withLock {
                loadIfNeeded()
                return names.firstIndex(of: index.pack.hex).map { self.entries(ofPack: $0) } ?? []
            }
            let wantedIDs = Set(wanted.map(\.id))
            let kept = earlier.filter { !wantedIDs.contains($0.id) }
            let entries = (kept + wanted.filter { $0.kind == .object }).sorted { $0.offset < $1.offset }
            let verified = PackIndex(pack: index.pack, packSize: index.packSize, entries: entries)
            try install(temp, verified, checked: kept.isEmpty ? nil : wanted.map(\.id))
            return true
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Moves a finished, synced pack into place, then its index (which makes it count).
    /// `checked`: the items this process checked; nil when it checked them all.
    private func install(_ file: String, _ index: PackIndex, checked ids: [ObjectID]?) throws {
        try FileSystem.createDirectory(directory)
        let name = index.pack.hex
        guard rename(file, packPath(name)) == 0 else { throw FileError(path: packPath(name), operation: "rename pack into the cache", errno: errno) }
        try FileSystem.writeAtomically(index.serialized(), to: indexPath(name), mode: 0o444)
        let lookup = writeLookup(for: index, name: name)
        try FileSystem.syncDirectory(directory)
        lock.withLock {
            if let ids { for id in ids { checkedItems[id] = name } } else { checkedPacks.insert(name) }
            guard loaded else { return }
            let pack: Int
            if let known = names.firstIndex(of: name) {
                pack = known
                lookups[known] = lookup
            } else {
                register(name, lookup)
                pack = names.count - 1
            }
            // Parsed again only if gc or a fetch needs the pack order (a million-file add
            // would otherwise keep 56 MB of entries it never reads).
            contents[pack] = nil
        }
    }

    /// Drops `dead` objects: a pack holding none of them stays; one holding only dead ones is
    /// deleted; the live objects of the others move to a new pack first. Returns the packs
    /// removed. Runs under the repository lock (gc).
    func remove(_ dead: Set<ObjectID>) throws -> Int {
        // Only packs holding a dead object have their index read.
        let affected: [(String, [PackIndex.Entry])] = lock.withLock {
            loadIfNeeded()
            return names.indices.filter { pack in dead.contains { lookups[pack].find($0) != nil } }.map { (names[$0], entries(ofPack: $0)) }
        }
        var removed = 0
        for (name, entries) in affected {
            let live = entries.filter { !dead.contains($0.id) }
            if !live.isEmpty {
                let builder = try makeBuilder()
                let fd = open(packPath(name), O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw FileError(path: packPath(name), operation: "open", errno: errno) }
                defer { close(fd) }
                var intact = true
                for entry in live where intact {
                    guard let bytes = LocalPacks.intactItem(entry, in: fd, path: packPath(name)) else { intact = false; continue }
                    try bytes.withUnsafeBytes { try builder.append([(entry.id, $0)]) }
                }
                // A pack with a damaged live object is left as it is, for fsck to report.
                guard intact else { continue }
                try builder.commit()
            }
            unlink(indexPath(name))
            unlink(lookupPath(name))
            unlink(packPath(name))
            removed += 1
        }
        // Forget everything: the next lookup reads the indexes that remain.
        forgetLoaded()
        return removed
    }

    /// Packs below this size are merged by `consolidate` (a fetch commits a pack every 64 MiB,
    /// so every pack a fetch or an adopted small remote pack made counts as small).
    static let smallPackSize: Int64 = 64 << 20
    /// Merged packs are cut at about this size.
    static let mergedPackSize: Int64 = 256 << 20

    /// Merges the small packs into as few as `mergedPackSize` allows, as `git gc` repacks, so
    /// that loading the indexes does not grow with the number of fetches. Every object is
    /// read back and checked before it is copied; a pack with a damaged object is left as it
    /// is (for fsck to report). The merged packs are installed before the old ones go, so a
    /// process killed on the way leaves objects twice at worst, never missing. Returns how
    /// many packs were merged and how many were written. Runs under the repository lock (gc).
    func consolidate() throws -> (merged: Int, written: Int) {
        let small: [(String, [PackIndex.Entry])] = lock.withLock {
            loadIfNeeded()
            return names.indices.filter { (FileSystem.lstatFile(packPath(names[$0]))?.size ?? 0) < LocalPacks.smallPackSize }
                .map { (names[$0], entries(ofPack: $0)) }
        }
        guard small.count >= 2 else { return (0, 0) }
        var builder = try makeBuilder()
        var merged: [String] = [], written: Set<String> = []
        for (name, entries) in small {
            let fd = open(packPath(name), O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var items: [(ObjectID, [UInt8])] = []
            for entry in entries {
                guard let bytes = LocalPacks.intactItem(entry, in: fd, path: packPath(name)) else { items = []; break }
                items.append((entry.id, bytes))
            }
            guard items.count == entries.count else { continue }
            for (id, bytes) in items { try bytes.withUnsafeBytes { try builder.append([(id, $0)]) } }
            merged.append(name)
            if builder.bytes >= LocalPacks.mergedPackSize {
                if let name = try builder.commit() { written.insert(name) }
                builder = try makeBuilder()
            }
        }
        if let name = try builder.commit() { written.insert(name) }
        // A pack is named by its bytes: an old pack that held exactly what a new one holds has
        // just been replaced by it, and stays.
        for name in merged where !written.contains(name) {
            // The index first: a pack without one no longer counts, and `removeOrphans` takes it.
            unlink(indexPath(name))
            unlink(lookupPath(name))
            unlink(packPath(name))
        }
        try FileSystem.syncDirectory(directory)
        forgetLoaded()
        return (merged.count, written.count)
    }

    /// How many packs count (have their index).
    func count() -> Int { lock.withLock { loadIfNeeded(); return names.count } }

    private func forgetLoaded() {
        lock.withLock {
            for fd in descriptors where fd >= 0 { close(fd) }
            names = []; descriptors = []; lookups = []; contents = [:]; checkedPacks = []; checkedItems = [:]; loaded = false
        }
    }

    /// Deletes pack files whose index never appeared (a fetch killed between the two renames),
    /// lookup files of packs that are gone, and temporaries of processes that no longer run.
    func removeOrphans() {
        guard let files = try? FileSystem.listDirectory(directory) else { return }
        let indexes = Set(files.filter { $0.hasSuffix(".idx") && !$0.hasPrefix(".") }.map { $0.dropLast(4) })
        for file in files where file.hasSuffix(".pack") && !indexes.contains(file.dropLast(5)) {
            unlink("\(directory)/\(file)")
        }
        for file in files where file.hasSuffix(".ids") && !indexes.contains(file.dropLast(4)) {
            unlink("\(directory)/\(file)")
        }
        for file in files where file.hasPrefix(".") && file.contains(".mlv-tmp-") {
            FileSystem.removeIfAbandoned("\(directory)/\(file)")
        }
    }
}

/// A pack being written by a fetch: appends from several threads, then one `commit` that
/// syncs it and puts it in place. Discarded (its temporary file removed) unless committed.
final class LocalPackBuilder: @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32
    private let path: String
    private var size: Int64 = 0
    private var entries: [PackIndex.Entry] = []
    private var ids: Set<ObjectID> = []
    private var finished = false
    private let install: (String, PackIndex) throws -> Void
    /// Objects are gathered here and written a block at a time: one `write` per small object,
    /// made under the lock, cost more than hashing it and kept the other cores waiting.
    private var block: PackBlock
    /// The first failed block write: the pack has a hole and must not be committed.
    private var writeFailure: Error?
    static let blockSize = 4 << 20

    fileprivate init(temporaryDirectory: String, blockSize: Int, install: @escaping (String, PackIndex) throws -> Void) throws {
        try FileSystem.createDirectory(temporaryDirectory)
        path = "\(temporaryDirectory)/\(ObjectStore.temporaryPrefix)\(TemporaryName.suffix())"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw FileError(path: path, operation: "create", errno: errno) }
        self.install = install
        block = PackBlock(offset: 0, capacity: blockSize)
    }

    deinit {
        block.release()
        if !finished { close(fd); unlink(path) }
    }

    var count: Int { lock.withLock { entries.count } }
    var bytes: Int64 { lock.withLock { size } }

    /// Appends verified objects; those already in this pack are skipped. Each object gets its
    /// place in the pack under the lock; full blocks are written outside it, at their offset.
    func append(_ items: [(id: ObjectID, bytes: UnsafeRawBufferPointer)]) throws {
        var full: [PackBlock] = []
        defer { for finished in full { finished.release() } }
        try lock.withLock {
            if let writeFailure { throw writeFailure }
            for item in items where !ids.contains(item.id) {
                if !block.fits(item.bytes.count) && block.used > 0 {
                    full.append(block)
                    block = PackBlock(offset: size, capacity: block.capacity)
                }
                if block.fits(item.bytes.count) {
                    block.add(item.bytes)
                } else {
                    // Larger than a block: straight to its place; the empty block moves past it.
                    do { try FileSystem.writeAll(fd, item.bytes, at: size, path: path) } catch { writeFailure = error; throw error }
                    block.offset = size + Int64(item.bytes.count)
                }
                entries.append(PackIndex.Entry(id: item.id, offset: size, length: Int64(item.bytes.count), kind: .object))
                ids.insert(item.id)
                size += Int64(item.bytes.count)
            }
        }
        try writeOut(full)
    }

    /// Writes the objects still in memory now, for a builder that will take no more (a full
    /// pack waiting for its batch to commit holds no memory).
    func flush() throws {
        let pending = lock.withLock { () -> PackBlock in
            let pending = block
            block = PackBlock(offset: size, capacity: block.capacity)
            // Its batch keeps every id it packed and sends none here twice; a million-file add
            // waits with some twenty full packs, whose id sets held about 40 MB.
            ids = []
            return pending
        }
        defer { pending.release() }
        try writeOut([pending])
    }

    private func writeOut(_ blocks: [PackBlock]) throws {
        for finished in blocks where finished.used > 0 {
            do {
                try FileSystem.writeAll(fd, finished.filled, at: finished.offset, path: path)
                // Start writing it back now, so the fsync at commit waits for little.
                _ = LinuxCalls.syncFileRange(fd, finished.offset, Int64(finished.used), LinuxCalls.startWriteback)
            } catch {
                lock.withLock { if writeFailure == nil { writeFailure = error } }
                throw error
            }
        }
    }

    /// Makes the pack durable and visible; an empty pack is simply dropped. Returns the pack's
    /// name (nil when empty).
    @discardableResult
    func commit() throws -> String? {
        let (entries, size, last, failure) = lock.withLock { (self.entries, self.size, self.block, self.writeFailure) }
        finished = true
        guard !entries.isEmpty else { close(fd); unlink(path); return nil }
        do {
            if let failure { throw failure }
            try FileSystem.writeAll(fd, last.filled, at: last.offset, path: path)
        } catch {
            close(fd); unlink(path)
            throw error
        }
        guard fsync(fd) == 0 else {
            let failure = errno
            close(fd); unlink(path)
            throw FileError(path: path, operation: "fsync", errno: failure)
        }
        close(fd)
        let index = PackIndex(packSize: size, entries: entries)
        do { try install(path, index) } catch { unlink(path); throw error }
        return index.pack.hex
    }
}

/// A run of objects gathered in memory for one write at `offset` in the pack; its memory is
/// taken at the first object.
private struct PackBlock {
    var offset: Int64
    let capacity: Int
    private var memory: UnsafeMutableRawBufferPointer?
    private(set) var used = 0

    init(offset: Int64, capacity: Int) {
        self.offset = offset
        self.capacity = capacity
    }

    func fits(_ count: Int) -> Bool { used + count <= capacity }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let memory = memory ?? .allocate(byteCount: capacity, alignment: 16)
        self.memory = memory
        UnsafeMutableRawBufferPointer(rebasing: memory[used..<(used + bytes.count)]).copyMemory(from: bytes)
        used += bytes.count
    }

    var filled: UnsafeRawBufferPointer { memory.map { UnsafeRawBufferPointer(rebasing: $0[0..<used]) } ?? UnsafeRawBufferPointer(start: nil, count: 0) }

    func release() { memory?.deallocate() }
}
