import Crypto

/// The name of an object: the SHA-256 of its bytes as 64 lower-case hex digits, so that
/// `sha256sum` agrees with mlv.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hex: String

    /// Accepts exactly 64 lower-case hex digits.
    public init?(hex: String) {
        guard ObjectID.isValid(hex) else { return nil }
        self.hex = hex
    }

    init(digest: SHA256.Digest) {
        var out = [UInt8]()
        out.reserveCapacity(64)
        let digits = Array("0123456789abcdef".utf8)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        hex = String(decoding: out, as: UTF8.self)
    }

    static func isValid(_ hex: String) -> Bool {
        hex.utf8.count == 64 && hex.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// The id of `bytes`.
    public static func of(_ bytes: [UInt8]) -> ObjectID {
        ObjectID(digest: SHA256.hash(data: bytes))
    }

    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }
}
