import Crypto

/// The name of an object: the SHA-256 of its bytes, shown as 64 lower-case hex digits, so that
/// `sha256sum` agrees with mlv. Held as 32 bytes: ids are hashed and compared by the
/// thousand in every status.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    private var a: UInt64, b: UInt64, c: UInt64, d: UInt64

    /// Accepts exactly 64 lower-case hex digits.
    public init?(hex: String) {
        var text = hex
        let parsed = text.withUTF8 { ObjectID(hexBytes: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses 64 lower-case hex digits straight from bytes (manifests, the state cache).
    init?<C: Collection>(hexBytes: C) where C.Element == UInt8 {
        if let parsed = hexBytes.withContiguousStorageIfAvailable({ ObjectID(hexBuffer: $0) }) {
            guard let parsed else { return nil }
            self = parsed
            return
        }
        let copy = Array(hexBytes)
        guard let parsed = copy.withUnsafeBufferPointer({ ObjectID(hexBuffer: $0) }) else { return nil }
        self = parsed
    }

    private init?(hexBuffer hexBytes: UnsafeBufferPointer<UInt8>) {
        guard hexBytes.count == 64 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var index = 0
        for byte in hexBytes {
            let nibble: UInt64
            switch byte {
            case 48...57: nibble = UInt64(byte - 48)
            case 97...102: nibble = UInt64(byte - 87)
            default: return nil
            }
            switch index >> 4 {
            case 0: words.0 = words.0 << 4 | nibble
            case 1: words.1 = words.1 << 4 | nibble
            case 2: words.2 = words.2 << 4 | nibble
            default: words.3 = words.3 << 4 | nibble
            }
            index += 1
        }
        (a, b, c, d) = words
    }

    init(digest: SHA256.Digest) {
        self = digest.withUnsafeBytes { ObjectID(bytes: $0) }
    }

    /// The 64 hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for word in [a, b, c, d] {
            for shift in stride(from: 60, through: 0, by: -4) {
                out.append(digits[Int((word >> UInt64(shift)) & 0xf)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 32 bytes, most significant first (binary files such as the status index).
    var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [a, b, c, d] { for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) } }
        return out
    }

    /// Reads 32 bytes written by `bytes`.
    init(bytes raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 32)
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for index in 0..<8 {
            words.0 = words.0 << 8 | UInt64(raw[index])
            words.1 = words.1 << 8 | UInt64(raw[index + 8])
            words.2 = words.2 << 8 | UInt64(raw[index + 16])
            words.3 = words.3 << 8 | UInt64(raw[index + 24])
        }
        (a, b, c, d) = words
    }

    /// The first byte, which names the cache folder the object lives in.
    var firstByte: Int { Int(a >> 56) }

    /// The id's first `count` bits (1 to 63) as a number.
    func leadingBits(_ count: Int) -> Int { Int(a >> UInt64(64 - count)) }

    /// The id of `bytes`.
    public static func of(_ bytes: [UInt8]) -> ObjectID {
        ObjectID(digest: SHA256.hash(data: bytes))
    }

    /// The id of part of a buffer, hashed in place.
    static func of(_ bytes: ArraySlice<UInt8>) -> ObjectID {
        bytes.withUnsafeBytes { ObjectID(digest: SHA256.hash(data: $0)) }
    }

    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { (lhs.a, lhs.b, lhs.c, lhs.d) < (rhs.a, rhs.b, rhs.c, rhs.d) }
}
