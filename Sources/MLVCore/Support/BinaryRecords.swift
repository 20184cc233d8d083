import Crypto
import Foundation

/// Appends little-endian integers and length-prefixed strings to a byte buffer, for mlv's own
/// binary state files.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func put<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func put(_ text: String) {
        put(UInt32(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }

    mutating func put(raw: some Sequence<UInt8>) { bytes.append(contentsOf: raw) }

    /// A file of `magic`, `version` and these records, closed by a SHA-256 of all before it.
    static func sealed(magic: [UInt8], version: UInt32, capacity: Int = 1 << 16, _ body: (inout BinaryWriter) -> Void) -> [UInt8] {
        var writer = BinaryWriter(capacity: capacity)
        writer.put(raw: magic)
        writer.put(version)
        body(&writer)
        writer.put(raw: SHA256.hash(data: writer.bytes))
        return writer.bytes
    }
}

/// Reads what `BinaryWriter` wrote, checking every length against the bytes that are left, so
/// a damaged file gives an error, never a crash or a huge allocation.
struct BinaryReader {
    struct Damaged: Error { let reason: String }

    private let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - offset }

    /// Opens a file `BinaryWriter.sealed` wrote: checks its magic, its version and its
    /// checksum, and reads from the first record.
    static func unsealed(_ bytes: [UInt8], magic: [UInt8], version: UInt32) throws -> BinaryReader {
        let header = magic.count + 4, trailer = 32
        guard bytes.count >= header + trailer, Array(bytes[0..<magic.count]) == magic else { throw Damaged(reason: "is truncated or not an mlv file") }
        var reader = BinaryReader(bytes, from: magic.count, to: bytes.count - trailer)
        let found = try reader.read(UInt32.self)
        guard found == version else {
            throw Damaged(reason: found > version ? "was written by a newer mlv (format \(found))" : "has an unknown format (\(found))")
        }
        guard Array(SHA256.hash(data: bytes[0..<(bytes.count - trailer)])) == Array(bytes[(bytes.count - trailer)...]) else {
            throw Damaged(reason: "is damaged (truncated or altered: its checksum does not match)")
        }
        return reader
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw Damaged(reason: "ends in the middle of a record") }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + size)]))
            }
        }
        offset += size
        return T(littleEndian: value)
    }

    /// A count of records that each take at least `minimumSize` bytes.
    mutating func count(minimumSize: Int) throws -> Int {
        let count = Int(try read(UInt32.self))
        guard count <= remaining / max(minimumSize, 1) else { throw Damaged(reason: "counts more records than it holds") }
        return count
    }

    mutating func raw(_ length: Int) throws -> ArraySlice<UInt8> {
        guard length >= 0, remaining >= length else { throw Damaged(reason: "ends in the middle of a record") }
        defer { offset += length }
        return bytes[offset..<(offset + length)]
    }

    mutating func string() throws -> String {
        let length = Int(try read(UInt32.self))
        return String(decoding: try raw(length), as: UTF8.self)
    }
}
