@testable import MLVCore
import XCTest

final class DirectoryManifestTests: XCTestCase {
    let a = ObjectID.of(Array("a".utf8))
    let b = ObjectID.of(Array("b".utf8))

    func testCanonicalOrderAndStableID() throws {
        let one = DirectoryManifest(entries: [
            .init(path: "z.txt", id: a, size: 1, executable: false),
            .init(path: "dir/b.txt", id: b, size: 1, executable: true),
        ])
        let two = DirectoryManifest(entries: one.entries.reversed())
        XCTAssertEqual(one.serialized(), two.serialized())
        XCTAssertEqual(one.entries.map(\.path), ["dir/b.txt", "z.txt"])
        XCTAssertEqual(try DirectoryManifest.parse(one.serialized(), source: "t"), one)
        XCTAssertEqual(one.totalSize, 2)
    }

    func testEscapingAndMalformedEntriesAreRefused() {
        let cases: [(String, String)] = [
            ("mlv-manifest 1\n\(a) 1 644 ../x\n", "escapes"),
            ("mlv-manifest 1\n\(a) 1 644 /etc/passwd\n", "absolute"),
            ("mlv-manifest 1\n\(a) 1 644 a//b\n", "empty segment"),
            ("mlv-manifest 1\n\(a) 1 777 x\n", "mode 777"),
            ("mlv-manifest 1\n\(a) -1 644 x\n", "bad size"),
            ("mlv-manifest 1\nzz 1 644 x\n", "bad id"),
            ("mlv-manifest 1\n\(a) 1 644 b\n\(a) 1 644 a\n", "out of order"),
            ("mlv-manifest 1\n\(a) 1 644 b", "truncated"),
            ("mlv-manifest 2\n", "does not start"),
            ("mlv-manifest 1\n\(a) 1 644 sub/.Git/hooks/post-checkout\n", "line 2: path `sub/.Git/hooks/post-checkout` names a `.git` folder"),
            ("mlv-manifest 1\n\(a) 1 644 x\n\n", "line 3 is empty"),
            ("mlv-manifest 1\n\(a) 99999999999999999999 644 x\n", "line 2 has a bad size"),
            ("mlv-manifest 1\n\(a) 1 644 a\u{1B}[2J\n", "contains a control character"),
            ("mlv-manifest 1\n" + String(repeating: "\n", count: 64 << 20), "line 2 is empty"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try DirectoryManifest.parse(Array(text.utf8), source: "m")) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(reason): \(error)")
            }
        }
    }
}
