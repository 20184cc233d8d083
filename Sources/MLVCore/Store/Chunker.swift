/// Content-defined chunking with a gear rolling hash and normalized cut points (FastCDC-style):
/// boundaries depend on content, so an edit moves only the chunks around it and a new version
/// of a file shares every other chunk with the old one.
public struct Chunker: Sendable {
    public let minimumSize: Int
    public let averageSize: Int
    public let maximumSize: Int
    /// Stricter before the average size, looser after it, which narrows the size spread.
    private let smallMask: UInt64
    private let largeMask: UInt64

    /// Defaults: 16 KiB minimum, 64 KiB average, 256 KiB maximum.
    public init(minimumSize: Int = 16 << 10, averageSize: Int = 64 << 10, maximumSize: Int = 256 << 10) {
        precondition(minimumSize < averageSize && averageSize < maximumSize && averageSize.nonzeroBitCount == 1)
        self.minimumSize = minimumSize
        self.averageSize = averageSize
        self.maximumSize = maximumSize
        let bits = averageSize.trailingZeroBitCount
        // The top bits of the hash depend on the most bytes (it shifts left once per byte).
        smallMask = ~UInt64(0) << UInt64(64 - (bits + 2))
        largeMask = ~UInt64(0) << UInt64(64 - (bits - 2))
    }

    /// The length of the next chunk at the start of `data`; `data.count` when the rest is one
    /// chunk. `atEnd` says no more bytes follow `data` (otherwise a short tail is not cut).
    public func nextCut(_ data: UnsafeRawBufferPointer) -> Int {
        let n = data.count
        if n <= minimumSize { return n }
        let limit = min(n, maximumSize)
        let normal = min(averageSize, limit)
        var hash: UInt64 = 0
        var i = minimumSize
        let gear = Chunker.gear
        while i < normal {
            hash = (hash &<< 1) &+ gear[Int(data[i])]
            if hash & smallMask == 0 { return i + 1 }
            i += 1
        }
        while i < limit {
            hash = (hash &<< 1) &+ gear[Int(data[i])]
            if hash & largeMask == 0 { return i + 1 }
            i += 1
        }
        return limit
    }

    /// 256 fixed pseudo-random words (splitmix64 from a fixed seed). Changing them changes every
    /// cut point, so they are part of the remote format.
    static let gear: [UInt64] = {
        var state: UInt64 = 0x6D6C_762D_6765_6172 // "mlv-gear"
        return (0..<256).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }()
}
