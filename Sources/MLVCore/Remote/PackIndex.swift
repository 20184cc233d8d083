/// What a pack holds: each entry's id, where its bytes are in the pack, and what they are.
///
/// Format (version 1), text: the line `mlv-pack-index 1`, the line `pack <pack id> <size>`,
/// then one line per entry `<id> <offset> <length> <kind>`, kind `o` (a whole object),
/// `c` (a chunk of a large file) or `l` (the chunk list of the large file with that id).
public struct PackIndex: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case object = "o", chunk = "c", chunkList = "l"

        /// The largest item of this kind mlv writes: objects above 1 MiB are chunked, chunks
        /// are at most 256 KiB, and a chunk list names at most a few hundred thousand chunks.
        public var maximumLength: Int64 {
            switch self {
            case .object: return chunkingThreshold
            case .chunk: return Int64(Chunker().maximumSize)
            case .chunkList: return ChunkList.maximumBytes
            }
        }
    }

    /// An index larger than this is refused before it is read (~700,000 entries).
    public static let maximumBytes: Int64 = 64 << 20

    /// One stored item.
    public struct Entry: Equatable, Sendable {
        public let id: ObjectID
        public let offset: Int64
        public let length: Int64
        public let kind: Kind
    }

    /// The pack's name: the SHA-256 of its entry lines (`entryText`). Every item is named by
    /// the hash of its bytes and placed by offset, so the entries determine the pack's bytes
    /// and the name follows from its content without hashing the pack a second time.
    public let pack: ObjectID
    public let packSize: Int64
    public let entries: [Entry]

    public func serialized() -> [UInt8] {
        Array("mlv-pack-index 1\npack \(pack.hex) \(packSize)\n".utf8) + PackIndex.entryText(entries)
    }

    /// One line `<id> <offset> <length> <kind>` per entry, as the index lists them.
    public static func entryText(_ entries: [Entry]) -> [UInt8] {
        var text = ""
        text.reserveCapacity(entries.count * 90)
        for entry in entries { text += "\(entry.id.hex) \(entry.offset) \(entry.length) \(entry.kind.rawValue)\n" }
        return Array(text.utf8)
    }

    /// The index of a pack holding `entries`, named by them.
    public init(packSize: Int64, entries: [Entry]) {
        self.init(pack: ObjectID.of(PackIndex.entryText(entries)), packSize: packSize, entries: entries)
    }

    public init(pack: ObjectID, packSize: Int64, entries: [Entry]) {
        self.pack = pack
        self.packSize = packSize
        self.entries = entries
    }

    /// Parses strictly; every entry must lie inside the pack.
    public static func parse(_ bytes: [UInt8]) throws -> PackIndex {
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
        guard lines.count >= 3, String(decoding: lines[0], as: UTF8.self) == "mlv-pack-index 1" else {
            throw IndexProblem("does not start with `mlv-pack-index 1`")
        }
        guard bytes.last == 10 else { throw IndexProblem("is truncated") }
        let head = lines[1].split(separator: 32)
        guard head.count == 3, String(decoding: head[0], as: UTF8.self) == "pack",
              let pack = ObjectID(hexBytes: head[1]), let size = Int64(String(decoding: head[2], as: UTF8.self)), size >= 0 else {
            throw IndexProblem("line 2 is not `pack <id> <size>`")
        }
        var entries: [Entry] = []
        for (number, line) in lines.dropFirst(2).enumerated() where !line.isEmpty {
            let parts = line.split(separator: 32)
            guard parts.count == 4, let id = ObjectID(hexBytes: parts[0]),
                  let offset = Int64(String(decoding: parts[1], as: UTF8.self)),
                  let length = Int64(String(decoding: parts[2], as: UTF8.self)),
                  let kind = Kind(rawValue: String(decoding: parts[3], as: UTF8.self)),
                  offset >= 0, length >= 0, length <= size, offset <= size - length else {
                throw IndexProblem("line \(number + 3) is not a valid entry")
            }
            // mlv never stores items larger than these; a bigger length is hostile or damage,
            // and would otherwise size a download or an allocation.
            guard length <= kind.maximumLength else {
                throw IndexProblem("line \(number + 3) claims \(length) bytes for one item; at most \(kind.maximumLength) are allowed")
            }
            entries.append(Entry(id: id, offset: offset, length: length, kind: kind))
        }
        return PackIndex(pack: pack, packSize: size, entries: entries)
    }

    /// Why an index could not be read.
    public struct IndexProblem: Error { public let reason: String; init(_ reason: String) { self.reason = reason } }
}

/// The chunks a large file is made of, in order.
///
/// Format (version 1): `mlv-chunks 1`, the line `<file size>`, then `<chunk id> <length>` per chunk.
public struct ChunkList: Equatable, Sendable {
    public struct Chunk: Equatable, Sendable {
        public let id: ObjectID
        public let length: Int64
    }

    public let size: Int64
    public let chunks: [Chunk]

    /// A list for a file of up to 1 TiB of minimum-size chunks fits in this.
    public static let maximumBytes: Int64 = 64 << 20

    public func serialized() -> [UInt8] {
        var text = "mlv-chunks 1\n\(size)\n"
        for chunk in chunks { text += "\(chunk.id.hex) \(chunk.length)\n" }
        return Array(text.utf8)
    }

    public static func parse(_ bytes: [UInt8]) throws -> ChunkList {
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
        guard lines.count >= 2, String(decoding: lines[0], as: UTF8.self) == "mlv-chunks 1",
              let size = Int64(String(decoding: lines[1], as: UTF8.self)), size >= 0 else {
            throw PackIndex.IndexProblem("chunk list header is malformed")
        }
        var chunks: [Chunk] = []
        var total: Int64 = 0
        for line in lines.dropFirst(2) where !line.isEmpty {
            let parts = line.split(separator: 32)
            guard parts.count == 2, let id = ObjectID(hexBytes: parts[0]),
                  let length = Int64(String(decoding: parts[1], as: UTF8.self)), length > 0 else {
                throw PackIndex.IndexProblem("chunk list entry is malformed")
            }
            guard length <= Int64(Chunker().maximumSize) else { throw PackIndex.IndexProblem("chunk list entry is longer than a chunk can be") }
            chunks.append(Chunk(id: id, length: length))
            let (sum, overflow) = total.addingReportingOverflow(length)
            guard !overflow, sum <= size else { throw PackIndex.IndexProblem("chunk lengths add up to more than \(size)") }
            total = sum
        }
        guard total == size else { throw PackIndex.IndexProblem("chunk lengths add up to \(total), not \(size)") }
        return ChunkList(size: size, chunks: chunks)
    }
}
