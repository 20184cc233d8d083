import Crypto

/// `.mlv/state/hashes` in format 3: the state cache's records grouped by folder, each folder's
/// block sealed on its own, so a command that looks at ten folders of a million-file directory
/// checks and decodes ten blocks and copies the others into its save unparsed.
///
/// `MLVSTATE`, a UInt32 version (3), a UInt32 folder count, then per folder: a UInt16 length and
/// the folder's path, the UInt32 record count, the UInt32 block length and the block's SHA-256;
/// then the SHA-256 of everything before it (sealing the table); then the blocks back to back,
/// in table order. A block holds per record the inode, size and mtime in ns (64-bit
/// little-endian), the 32-byte id, a UInt16 length and the file's name within the folder. All
/// integers are little-endian. The table is checked when the file is opened, a block when its
/// folder is first looked at.
struct StateFile {
    typealias Entry = StateCache.Entry

    enum Opened {
        case folders(StateFile)
        /// Format 2, one flat table, read whole.
        case flat([String: Entry])
    }

    private struct Block {
        let offset: Int
        let length: Int
        let count: Int
        let seal: ObjectID
    }

    private var bytes: [UInt8] = []
    private var blocks: [String: Block] = [:]
    private var order: [String] = []

    static let recordSize = 58
    /// Per folder in the table, besides its path: UInt16, UInt32, UInt32 and the seal.
    static let folderSize = 2 + 4 + 4 + 32

    typealias DecodeError = StateCache.DecodeError

    /// Checks the magic, version, table and lengths; blocks are checked as they are decoded.
    static func open(_ bytes: [UInt8]) throws -> Opened {
        let magic = StateCache.magic
        guard bytes.count >= magic.count + 8 + 32, bytes.starts(with: magic) else { throw DecodeError(reason: "is truncated") }
        var reader = Reader(bytes: bytes, offset: magic.count)
        let version = try reader.u32()
        if version == 2 { return .flat(try StateCache.decodeFlat(bytes)) }
        guard version == StateCache.version else {
            throw DecodeError(reason: version > StateCache.version ? "was written by a newer mlv (format \(version))" : "has an unknown format (\(version))")
        }
        let count = Int(try reader.u32())
        guard count <= (bytes.count - reader.offset) / folderSize else { throw DecodeError(reason: "is damaged (it claims \(count) folders)") }
        var file = StateFile()
        var pending: [(String, Int, Int, ObjectID)] = []
        pending.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.string(length: Int(try reader.u16()))
            let records = Int(try reader.u32()), length = Int(try reader.u32())
            let seal = try reader.id()
            guard records <= length / recordSize else { throw DecodeError(reason: "is damaged (a folder claims \(records) records)") }
            pending.append((name, records, length, seal))
        }
        let tableEnd = reader.offset
        let stated = try reader.id()
        guard ObjectID.of(bytes[..<tableEnd]) == stated else {
            throw DecodeError(reason: "is damaged (truncated or altered: its checksum does not match)")
        }
        var offset = reader.offset
        for (name, records, length, seal) in pending {
            guard file.blocks[name] == nil else { throw DecodeError(reason: "is damaged (a folder appears twice)") }
            file.blocks[name] = Block(offset: offset, length: length, count: records, seal: seal)
            file.order.append(name)
            offset += length
        }
        guard offset == bytes.count else { throw DecodeError(reason: "is damaged (truncated or altered: its length does not match)") }
        file.bytes = bytes
        return .folders(file)
    }

    /// One folder's records (none when the file has no block for it).
    func decode(_ folder: String) throws -> [String: Entry] {
        guard let block = blocks[folder] else { return [:] }
        let body = bytes[block.offset..<(block.offset + block.length)]
        guard ObjectID.of(body) == block.seal else {
            throw DecodeError(reason: "is damaged (the records of folder '\(DisplayText.escaped(folder))' do not match their checksum)")
        }
        var reader = Reader(bytes: bytes, offset: block.offset, end: block.offset + block.length)
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(block.count)
        for _ in 0..<block.count {
            let inode = try reader.u64(), size = Int64(bitPattern: try reader.u64()), mtime = Int64(bitPattern: try reader.u64())
            let id = try reader.id()
            let name = try reader.string(length: Int(try reader.u16()))
            entries[name] = Entry(inode: inode, size: size, mtime: mtime, id: id)
        }
        guard reader.offset == reader.end else { throw DecodeError(reason: "is damaged (bytes after the records of folder '\(DisplayText.escaped(folder))')") }
        return entries
    }

    /// The file with `changed` folders written from `folders` (left out when empty) and every
    /// other folder's block copied as read.
    func rewritten(replacing changed: Set<String>, with folders: [String: [String: Entry]]) -> [UInt8] {
        let limit = Int(UInt16.max)
        var table: [(name: String, count: Int, body: ArraySlice<UInt8>, seal: ObjectID)] = []
        for name in order where !changed.contains(name) {
            let block = blocks[name]!
            table.append((name, block.count, bytes[block.offset..<(block.offset + block.length)], block.seal))
        }
        for name in changed.sorted() where name.utf8.count <= limit {
            guard let entries = folders[name], !entries.isEmpty else { continue }
            var body: [UInt8] = []
            var count = 0
            body.reserveCapacity(entries.count * (StateFile.recordSize + 16))
            for (file, entry) in entries where file.utf8.count <= limit {
                Reader.put(entry.inode, into: &body); Reader.put(UInt64(bitPattern: entry.size), into: &body)
                Reader.put(UInt64(bitPattern: entry.mtime), into: &body)
                body.append(contentsOf: entry.id.bytes)
                Reader.put(UInt16(file.utf8.count), into: &body)
                body.append(contentsOf: file.utf8)
                count += 1
            }
            // A block names its length in 32 bits; a folder too large for that is left out
            // (its files are hashed again) rather than trapping.
            guard body.count <= Int(UInt32.max) else { continue }
            table.append((name, count, body[...], ObjectID.of(body)))
        }
        var out = StateCache.magic
        out.reserveCapacity(bytes.count + 4096 + table.count * 64)
        Reader.put(StateCache.version, into: &out)
        Reader.put(UInt32(table.count), into: &out)
        for item in table {
            Reader.put(UInt16(item.name.utf8.count), into: &out)
            out.append(contentsOf: item.name.utf8)
            Reader.put(UInt32(item.count), into: &out)
            Reader.put(UInt32(item.body.count), into: &out)
            out.append(contentsOf: item.seal.bytes)
        }
        out.append(contentsOf: ObjectID.of(out).bytes)
        for item in table { out.append(contentsOf: item.body) }
        return out
    }

    /// Little-endian fields, each checked against the bytes that are left.
    private struct Reader {
        let bytes: [UInt8]
        var offset: Int
        var end: Int

        init(bytes: [UInt8], offset: Int, end: Int? = nil) {
            self.bytes = bytes
            self.offset = offset
            self.end = end ?? bytes.count
        }

        private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, count <= end - offset else { throw DecodeError(reason: "is truncated") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let slice = try take(MemoryLayout<T>.size)
            return slice.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
        }

        mutating func u16() throws -> UInt16 { try integer(UInt16.self) }
        mutating func u32() throws -> UInt32 { try integer(UInt32.self) }
        mutating func u64() throws -> UInt64 { try integer(UInt64.self) }
        mutating func id() throws -> ObjectID { try take(32).withUnsafeBytes { ObjectID(bytes: $0) } }
        mutating func string(length: Int) throws -> String { String(decoding: try take(length), as: UTF8.self) }

        static func put<T: FixedWidthInteger>(_ value: T, into out: inout [UInt8]) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
    }
}
