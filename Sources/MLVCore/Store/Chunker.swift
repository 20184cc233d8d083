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

    /// Every chunk of `data` from its start, as `nextCut` would cut them one after another,
    /// with the expensive part on every core. Without `atEnd`, stops before a tail shorter
    /// than the maximum (more bytes may change its cut); `data[consumed...]` is that tail.
    ///
    /// The gear hash shifts left once per byte, so after 64 bytes it depends only on the last
    /// 64: any position's hash can be computed from 64 bytes before it. Positions where the
    /// looser mask matches are found in parallel; a chunk's first 63 tested positions, whose
    /// hash starts from zero at the minimum size, are recomputed exactly, one chunk at a time.
    public func cuts(in data: UnsafeRawBufferPointer, atEnd: Bool) -> (cuts: [Range<Int>], consumed: Int) {
        let candidates = matchingPositions(data)
        let gear = Chunker.gear
        var result: [Range<Int>] = []
        var start = 0
        var next = 0
        while start < data.count {
            let remaining = data.count - start
            if !atEnd && remaining < maximumSize { break }
            var length = remaining
            if remaining > minimumSize {
                let limit = min(remaining, maximumSize)
                let normal = min(averageSize, limit)
                length = limit
                var hash: UInt64 = 0
                var i = minimumSize
                let exactEnd = min(minimumSize + 63, limit)
                while i < exactEnd {
                    hash = (hash &<< 1) &+ gear[Int(data[start + i])]
                    if hash & (i < normal ? smallMask : largeMask) == 0 { length = i + 1; break }
                    i += 1
                }
                if i == exactEnd {
                    while next < candidates.count && candidates[next].position < start + exactEnd { next += 1 }
                    var c = next
                    while c < candidates.count && candidates[c].position < start + limit {
                        let relative = candidates[c].position - start
                        if relative >= normal || candidates[c].strict { length = relative + 1; break }
                        c += 1
                    }
                }
            }
            result.append(start..<(start + length))
            start += length
        }
        return (result, start)
    }

    /// Positions whose 64-byte gear hash matches the looser mask (`strict`: the stricter one
    /// too), in order, computed in slices on every core.
    private func matchingPositions(_ data: UnsafeRawBufferPointer) -> [(position: Int, strict: Bool)] {
        let slice = 1 << 20
        let slices = (data.count + slice - 1) / slice
        let gear = Chunker.gear
        let (small, large) = (smallMask, largeMask)
        let found = (try? ParallelWork.map(slices) { index -> [(position: Int, strict: Bool)] in
            let from = index * slice, to = min(data.count, from + slice)
            var positions: [(position: Int, strict: Bool)] = []
            // Two halves in one loop: each step of a gear hash waits for the one before, so
            // two independent hashes keep the core busy. Unchecked indexing: this loop is
            // most of the chunker's time.
            var second: [(position: Int, strict: Bool)] = []
            gear.withUnsafeBufferPointer { table in
                guard let bytes = data.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
                let half = (to - from) / 2
                let mid = from + half
                var a: UInt64 = 0, b: UInt64 = 0
                // Warm up on the 64 bytes before each half.
                for j in max(0, from - 64)..<from { a = (a &<< 1) &+ table[Int(bytes[j])] }
                for j in max(0, mid - 64)..<mid { b = (b &<< 1) &+ table[Int(bytes[j])] }
                for k in 0..<half {
                    a = (a &<< 1) &+ table[Int(bytes[from + k])]
                    b = (b &<< 1) &+ table[Int(bytes[mid + k])]
                    if a & large == 0 { positions.append((from + k, a & small == 0)) }
                    if b & large == 0 { second.append((mid + k, b & small == 0)) }
                }
                for i in (mid + half)..<to {
                    b = (b &<< 1) &+ table[Int(bytes[i])]
                    if b & large == 0 { second.append((i, b & small == 0)) }
                }
            }
            return positions + second
        }) ?? []
        return found.flatMap { $0 }
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
