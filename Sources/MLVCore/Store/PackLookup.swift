/// A local pack's objects sorted by id, kept beside it as `<pack>.ids`, so that finding an
/// object costs a binary search, not a parse of the text index (a million-file cache has
/// about 90 MB of index text, which every command used to parse to look up a few objects).
/// Derived from the pack's index: a missing or damaged one is rebuilt from it.
///
/// Format (version 1): `MLVPKIDS`, a UInt32 version, the pack's size (UInt64), the size, mtime
/// in ns and inode of the index it was made from (UInt64 each: an index rewritten since, by
/// any means, is noticed by one `lstat`), a UInt32 count, then per object its 32-byte id, offset and length (UInt64), in id order; then the SHA-256
/// of everything before it. Integers are little-endian.
struct PackLookup {
    static let magic = Array("MLVPKIDS".utf8)
    static let version: UInt32 = 1

    let packSize: Int64
    /// The index file's size, mtime and inode when this was made from it.
    var indexStamp: (size: Int64, mtime: Int64, inode: UInt64) = (0, 0, 0)
    private(set) var ids: [ObjectID] = []
    private var offsets: [Int64] = []
    private var lengths: [Int64] = []
    /// `fanout[p]` is the position of the first id whose top `fanoutBits` bits are `p` or more.
    /// About one id per slot: a push looks each of a million ids up in every pack, and most
    /// of those searches are misses that an empty slot answers at once.
    private var fanout: [UInt32] = []
    private var fanoutBits = 8

    /// The lookup for a pack's whole objects (chunks and chunk lists are not cache objects).
    init(index: PackIndex) {
        packSize = index.packSize
        var objects = index.entries.filter { $0.kind == .object }
        objects.sort { $0.id < $1.id }
        var previous: ObjectID?
        for entry in objects where entry.id != previous {
            ids.append(entry.id)
            offsets.append(entry.offset)
            lengths.append(entry.length)
            previous = entry.id
        }
        buildFanout()
    }

    private init(packSize: Int64) { self.packSize = packSize }

    private mutating func buildFanout() {
        // Between 8 and 20 bits: 4 bytes of table per id at most.
        fanoutBits = max(8, min(20, Int.bitWidth - 1 - max(ids.count, 1).leadingZeroBitCount))
        let slots = 1 << fanoutBits
        fanout = [UInt32](repeating: 0, count: slots + 1)
        var position = 0
        for slot in 0..<slots {
            fanout[slot] = UInt32(position)
            while position < ids.count && ids[position].leadingBits(fanoutBits) == slot { position += 1 }
        }
        fanout[slots] = UInt32(ids.count)
    }

    /// Where the object is in the pack.
    func find(_ id: ObjectID) -> (offset: Int64, length: Int64)? {
        let slot = id.leadingBits(fanoutBits)
        var low = Int(fanout[slot]), high = Int(fanout[slot + 1])
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] == id { return (offsets[middle], lengths[middle]) }
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// Calls `body` with the position, offset and length of each of `query` (sorted by id)
    /// that this pack holds: one walk through both lists.
    func forEachMatch<Query: RandomAccessCollection>(inSorted query: Query, _ body: (Int, Int64, Int64) -> Void)
    where Query.Element == ObjectID, Query.Index == Int {
        var mine = 0, theirs = query.startIndex
        while mine < ids.count && theirs < query.endIndex {
            let wanted = query[theirs]
            if ids[mine] == wanted {
                body(theirs, offsets[mine], lengths[mine])
                theirs += 1
            } else if ids[mine] < wanted {
                mine += 1
            } else {
                theirs += 1
            }
        }
    }

    /// Whether this was made from the index file as it is now.
    func matches(index stat: FileStat) -> Bool {
        indexStamp.size == stat.size && indexStamp.mtime == stat.mtimeNanoseconds && indexStamp.inode == stat.inode
    }

    /// Each object with its length.
    func forEach(_ body: (ObjectID, Int64) -> Void) {
        for position in ids.indices { body(ids[position], lengths[position]) }
    }

    func encoded() -> [UInt8] {
        BinaryWriter.sealed(magic: PackLookup.magic, version: PackLookup.version, capacity: 64 + ids.count * 48) { out in
            out.put(UInt64(packSize))
            out.put(UInt64(bitPattern: indexStamp.size))
            out.put(UInt64(bitPattern: indexStamp.mtime))
            out.put(indexStamp.inode)
            out.put(UInt32(ids.count))
            for position in ids.indices {
                out.put(raw: ids[position].bytes)
                out.put(UInt64(offsets[position]))
                out.put(UInt64(lengths[position]))
            }
        }
    }

    /// Reads a lookup file strictly: sealed, ids strictly increasing, every item inside the pack
    /// and no longer than an object can be, so a search over it is sound.
    static func decode(_ bytes: [UInt8]) throws -> PackLookup {
        var input = try BinaryReader.unsealed(bytes, magic: magic, version: version)
        let size = try input.read(UInt64.self)
        guard size <= UInt64(Int64.max) else { throw BinaryReader.Damaged(reason: "is damaged (its pack size is out of range)") }
        var lookup = PackLookup(packSize: Int64(size))
        lookup.indexStamp = (Int64(bitPattern: try input.read(UInt64.self)), Int64(bitPattern: try input.read(UInt64.self)), try input.read(UInt64.self))
        let count = try input.count(minimumSize: 48)
        lookup.ids.reserveCapacity(count)
        lookup.offsets.reserveCapacity(count)
        lookup.lengths.reserveCapacity(count)
        for _ in 0..<count {
            let id = try input.raw(32).withUnsafeBytes { ObjectID(bytes: $0) }
            let offset = try input.read(UInt64.self), length = try input.read(UInt64.self)
            guard length <= UInt64(PackIndex.Kind.object.maximumLength), offset <= size, length <= size - offset else {
                throw BinaryReader.Damaged(reason: "is damaged (an object lies outside its pack)")
            }
            if let last = lookup.ids.last, !(last < id) { throw BinaryReader.Damaged(reason: "is damaged (its ids are out of order)") }
            lookup.ids.append(id)
            lookup.offsets.append(Int64(offset))
            lookup.lengths.append(Int64(length))
        }
        guard input.remaining == 0 else { throw BinaryReader.Damaged(reason: "is damaged (bytes after its last record)") }
        lookup.buildFanout()
        return lookup
    }
}
