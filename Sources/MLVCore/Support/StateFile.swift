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
        var reader = BinaryReader(bytes, from: magic.count)
        let version = try truncatedIfShort { try reader.read(UInt32.self) }
        if version == 2 { return .flat(try StateCache.decodeFlat(bytes)) }
        guard version == StateCache.version else {
            throw DecodeError(reason: version > StateCache.version ? "was written by a newer mlv (format \(version))" : "has an unknown format (\(version))")
        }
        let count = Int(try truncatedIfShort { try reader.read(UInt32.self) })
        guard count <= (bytes.count - reader.offset) / folderSize else { throw DecodeError(reason: "is damaged (it claims \(count) folders)") }
        var file = StateFile()
        var pending: [(String, Int, Int, ObjectID)] = []
        pending.reserveCapacity(count)
        for _ in 0..<count {
            let (name, records, length, seal) = try truncatedIfShort {
                (try StateFile.name(&reader), Int(try reader.read(UInt32.self)), Int(try reader.read(UInt32.self)), try StateFile.id(&reader))
            }
            guard records <= length / recordSize else { throw DecodeError(reason: "is damaged (a folder claims \(records) records)") }
            pending.append((name, records, length, seal))
        }
        let tableEnd = reader.offset
        let stated = try truncatedIfShort { try StateFile.id(&reader) }
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
        var reader = BinaryReader(bytes, from: block.offset, to: block.offset + block.length)
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(block.count)
        try StateFile.truncatedIfShort {
            for _ in 0..<block.count {
                let inode = try reader.read(UInt64.self), size = try reader.read(Int64.self), mtime = try reader.read(Int64.self)
                let id = try StateFile.id(&reader)
                entries[try StateFile.name(&reader)] = Entry(inode: inode, size: size, mtime: mtime, id: id)
            }
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
            var body = BinaryWriter(capacity: entries.count * (StateFile.recordSize + 16))
            var count = 0
            for (file, entry) in entries where file.utf8.count <= limit {
                body.put(entry.inode); body.put(entry.size); body.put(entry.mtime)
                body.put(raw: entry.id.bytes)
                StateFile.put(name: file, into: &body)
                count += 1
            }
            // A block names its length in 32 bits; a folder too large for that is left out
            // (its files are hashed again) rather than trapping.
            guard body.bytes.count <= Int(UInt32.max) else { continue }
            table.append((name, count, body.bytes[...], ObjectID.of(body.bytes)))
        }
        var out = BinaryWriter(capacity: bytes.count + 4096 + table.count * 64)
        out.put(raw: StateCache.magic)
        out.put(StateCache.version)
        out.put(UInt32(table.count))
        for item in table {
            StateFile.put(name: item.name, into: &out)
            out.put(UInt32(item.count))
            out.put(UInt32(item.body.count))
            out.put(raw: item.seal.bytes)
        }
        out.put(raw: ObjectID.of(out.bytes).bytes)
        for item in table { out.put(raw: item.body) }
        return out.bytes
    }

    /// Names are a UInt16 length and UTF-8 bytes.
    private static func put(name: String, into writer: inout BinaryWriter) {
        writer.put(UInt16(name.utf8.count))
        writer.put(raw: name.utf8)
    }

    private static func name(_ reader: inout BinaryReader) throws -> String {
        String(decoding: try reader.raw(Int(try reader.read(UInt16.self))), as: UTF8.self)
    }

    private static func id(_ reader: inout BinaryReader) throws -> ObjectID {
        try reader.raw(32).withUnsafeBytes { ObjectID(bytes: $0) }
    }

    /// `BinaryReader` runs out as "ends in the middle of a record"; this file says "is truncated".
    private static func truncatedIfShort<T>(_ read: () throws -> T) throws -> T {
        do { return try read() } catch is BinaryReader.Damaged { throw DecodeError(reason: "is truncated") }
    }
}
