@testable import MLVCore
import Foundation
import XCTest

/// Results are written straight into the returned array: every one must land in its place,
/// and after a failure every result already made must be released exactly once.
final class ParallelWorkTests: XCTestCase {
    /// Counts the instances made and released, across threads.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var made = 0, released = 0
        func make() { lock.withLock { made += 1 } }
        func release() { lock.withLock { released += 1 } }
        var counts: (made: Int, released: Int) { lock.withLock { (made, released) } }
    }

    final class Item {
        let index: Int
        let tally: Tally
        init(_ index: Int, _ tally: Tally) { self.index = index; self.tally = tally; tally.make() }
        deinit { tally.release() }
    }

    struct Stop: Error, Equatable { let index: Int }

    func testEveryResultLandsInItsPlaceOnEveryWorkerCount() throws {
        for workers in [1, 2, 3, 8] {
            let tally = Tally()
            do {
                let items = try ParallelWork.map(10_000, workers: workers) { Item($0, tally) }
                XCTAssertEqual(items.map(\.index), Array(0..<10_000), "workers: \(workers)")
            }
            XCTAssertEqual(tally.counts.made, 10_000)
            XCTAssertEqual(tally.counts.released, 10_000, "every result is released with the array")
        }
        XCTAssertEqual(try ParallelWork.map(0) { $0 }, [])
    }

    func testAFailureReleasesEveryResultMadeAndRethrows() throws {
        for workers in [1, 2, 4] {
            let tally = Tally()
            XCTAssertThrowsError(try ParallelWork.map(5_000, workers: workers) { index -> Item in
                if index == 2_500 || index == 4_000 { throw Stop(index: index) }
                return Item(index, tally)
            }) { error in
                XCTAssertNotNil(error as? Stop)
            }
            let counts = tally.counts
            XCTAssertGreaterThanOrEqual(counts.made, 2_500 / workers, "work went on until the failure")
            XCTAssertEqual(counts.released, counts.made, "workers: \(workers)")
        }
    }

    func testMapHashingGivesEachWorkerAHasher() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parallel-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for index in 0..<300 { try Data("file \(index)\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/f\(index)")) }
        let ids = try ParallelWork.mapHashing(300) { index, hasher in try hasher.hash(path: "\(dir)/f\(index)").0 }
        XCTAssertEqual(ids, (0..<300).map { ObjectID.of(Array("file \($0)\n".utf8)) })
    }
}
