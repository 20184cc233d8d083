@testable import MLVCore
import XCTest

/// Remote indexes and chunk lists are untrusted: offsets, lengths and sums are bounded and
/// checked without overflow.
final class PackIndexTests: XCTestCase {
    let id = ObjectID.of(Array("x".utf8)).hex

    func testHostileEntriesAreRefused() {
        let cases: [(String, String)] = [
            ("pack \(id) 16\n\(id) 9223372036854775807 1 o\n", "line 3 is not a valid entry"),
            ("pack \(id) 9223372036854775807\n\(id) 9223372036854775807 9223372036854775807 o\n", "line 3 is not a valid entry"),
            ("pack \(id) 1099511627776\n\(id) 0 1099511627776 o\n", "line 3 claims 1099511627776 bytes for one item; at most 1048576 are allowed"),
            ("pack \(id) 2000000\n\(id) 0 1048577 o\n", "line 3 claims 1048577 bytes"),
            ("pack \(id) 2000000\n\(id) 0 262145 c\n", "line 3 claims 262145 bytes"),
            ("pack \(id) 16\n\(id) -1 1 o\n", "line 3 is not a valid entry"),
        ]
        for (body, reason) in cases {
            XCTAssertThrowsError(try PackIndex.parse(Array(("mlv-pack-index 1\n" + body).utf8)), body) { error in
                XCTAssertEqual((error as? PackIndex.IndexProblem)?.reason.hasPrefix(reason), true, "\(reason): \(error)")
            }
        }
        XCTAssertEqual(try PackIndex.parse(Array("mlv-pack-index 1\npack \(id) 16\n\(id) 0 16 o\n".utf8)).entries.count, 1)
    }

    func testChunkListsAddUpWithoutOverflow() {
        let cases: [(String, String)] = [
            ("mlv-chunks 1\n9223372036854775807\n\(id) 262144\n" + String(repeating: "\(id) 262144\n", count: 3), "chunk lengths add up to"),
            ("mlv-chunks 1\n3145728\n" + String(repeating: "\(id) 1048576\n", count: 1024), "chunk list entry is longer than a chunk can be"),
            ("mlv-chunks 1\n100\n\(id) 60\n\(id) 60\n", "chunk lengths add up to more than 100"),
            ("mlv-chunks 1\n100\n\(id) 60\n", "chunk lengths add up to 60, not 100"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try ChunkList.parse(Array(text.utf8))) { error in
                XCTAssertEqual((error as? PackIndex.IndexProblem)?.reason.hasPrefix(reason), true, "\(reason): \(error)")
            }
        }
        // Past 2^63 in the sum: refused, not a trap.
        let huge = "mlv-chunks 1\n9223372036854775807\n" + String(repeating: "\(id) 262144\n", count: 4)
        XCTAssertThrowsError(try ChunkList.parse(Array(huge.utf8)))
    }
}
