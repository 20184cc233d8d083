import CGit2

/// A Git object id (SHA-1), independent of libgit2's C struct.
public struct GitObjectID: Hashable, Sendable, CustomStringConvertible {
    /// Forty lower-case hex digits.
    public let hex: String

    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            return nil
        }
        self.hex = hex
    }

    init(_ oid: git_oid) {
        var copy = oid
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, 41, &copy)
        hex = String(cString: buffer)
    }

    var raw: git_oid {
        var oid = git_oid()
        _ = hex.withCString { git_oid_fromstr(&oid, $0) }
        return oid
    }

    public var short: String { String(hex.prefix(8)) }
    public var description: String { hex }
}
