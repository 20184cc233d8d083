import Crypto
@testable import MLVCore
import XCTest

/// Content-defined chunking: sizes stay in bounds, cuts depend on content, and an edit moves
/// only the chunks around it.
final class ChunkerTests: XCTestCase {
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// Chunk ids of `data`, cut the way push cuts a whole file held in memory.
    static func chunks(_ data: [UInt8], chunker: Chunker = Chunker()) -> [(id: String, length: Int)] {
        data.withUnsafeBytes { raw in
            var result: [(String, Int)] = []
            var start = 0
            while start < raw.count {
                let length = chunker.nextCut(UnsafeRawBufferPointer(rebasing: raw[start...]))
                let digest = SHA256.hash(data: UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]))
                result.append((digest.map { String(format: "%02x", $0) }.joined(), length))
                start += length
            }
            return result
        }
    }

    /// The cuts `nextCut` makes one after another, and where it stops without the end.
    static func sequentialCuts(_ raw: UnsafeRawBufferPointer, chunker: Chunker, atEnd: Bool) -> (cuts: [Range<Int>], consumed: Int) {
        var cuts: [Range<Int>] = []
        var start = 0
        while start < raw.count {
            if !atEnd && raw.count - start < chunker.maximumSize { break }
            let length = chunker.nextCut(UnsafeRawBufferPointer(rebasing: raw[start...]))
            cuts.append(start..<(start + length))
            start += length
        }
        return (cuts, start)
    }

    func testParallelCutsEqualSequentialCutsOnAnyContent() {
        let tiny = Chunker(minimumSize: 256, averageSize: 1024, maximumSize: 4096)
        // Tiny chunks put many cuts in the exactly-recomputed region and across slices.
        let inputs: [(String, [UInt8], Chunker)] = [
            ("random", Self.randomBytes(9 << 20 | 12345, seed: 7), Chunker()),
            ("random, tiny chunks", Self.randomBytes(3 << 20 | 77, seed: 8), tiny),
            ("zeros", [UInt8](repeating: 0, count: 5 << 20), Chunker()),
            ("short period", (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }, tiny),
            ("below the minimum", Self.randomBytes(100, seed: 9), Chunker()),
            ("empty", [], Chunker()),
        ]
        for (name, data, chunker) in inputs {
            data.withUnsafeBytes { raw in
                for atEnd in [true, false] {
                    let parallel = chunker.cuts(in: raw, atEnd: atEnd)
                    let sequential = Self.sequentialCuts(raw, chunker: chunker, atEnd: atEnd)
                    XCTAssertEqual(parallel.cuts, sequential.cuts, "\(name), atEnd \(atEnd)")
                    XCTAssertEqual(parallel.consumed, sequential.consumed, "\(name), atEnd \(atEnd)")
                }
            }
        }
    }

    func testSizesStayInBoundsAndAverageIsNearTheTarget() {
        let chunker = Chunker()
        let pieces = Self.chunks(Self.randomBytes(16 << 20, seed: 1), chunker: chunker)
        for piece in pieces.dropLast() {
            XCTAssertGreaterThanOrEqual(piece.length, chunker.minimumSize)
            XCTAssertLessThanOrEqual(piece.length, chunker.maximumSize)
        }
        let average = (16 << 20) / pieces.count
        XCTAssertGreaterThan(average, chunker.averageSize / 2)
        XCTAssertLessThan(average, chunker.averageSize * 2)
        XCTAssertEqual(pieces.map(\.id), Self.chunks(Self.randomBytes(16 << 20, seed: 1)).map(\.id), "deterministic")
    }

    func testAnInsertionChangesOnlyTheChunksAroundIt() {
        var data = Self.randomBytes(8 << 20, seed: 2)
        let before = Set(Self.chunks(data).map(\.id))
        data.insert(contentsOf: [UInt8](repeating: 7, count: 100), at: 4 << 20)
        let after = Self.chunks(data).map(\.id)
        let new = after.filter { !before.contains($0) }
        XCTAssertLessThanOrEqual(new.count, 3, "boundaries resynchronise right after the edit")
    }

    func testScatteredEditsOfOnePercentSendAFewPercent() {
        var data = Self.randomBytes(32 << 20, seed: 3)
        let before = Set(Self.chunks(data).map(\.id))
        for region in 0..<5 {
            let start = region * (6 << 20) + 999
            for i in start..<(start + (64 << 10)) { data[i] ^= 0xa5 }
        }
        let changed = Self.chunks(data).filter { !before.contains($0.id) }.reduce(0) { $0 + $1.length }
        XCTAssertLessThan(changed, (32 << 20) / 20, "under 5% of the file is new")
    }
}
