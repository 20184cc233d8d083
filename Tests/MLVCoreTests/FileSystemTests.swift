@testable import MLVCore
import XCTest

final class FileSystemTests: XCTestCase {
    /// A folder that cannot be made is reported with errno's own reason and the folder, not
    /// as a generic I/O error.
    func testCreateDirectoryReportsTheRealReason() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-fs-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: base, contents: Data("a file".utf8))
        defer { try? FileManager.default.removeItem(atPath: base) }
        XCTAssertThrowsError(try FileSystem.createDirectory(base + "/sub/deeper")) { error in
            XCTAssertEqual("\(error)", "create directory \(base) failed: Not a directory.")
        }
    }

    func testPathNamesOfOneAndTwoCharacters() {
        XCTAssertEqual(PathName.parent(of: "e"), "")
        XCTAssertEqual(PathName.lastComponent(of: "e"), "e")
        XCTAssertEqual(PathName.parent(of: "d/a"), "d")
        XCTAssertEqual(PathName.parent(of: "/a"), "/")
        XCTAssertEqual(PathName.parent(of: "ab/"), "")
        XCTAssertEqual(PathName.lastComponent(of: "a/b/"), "b")
        XCTAssertEqual(PathName.fileExtension(of: "m.JSON"), "json")
        XCTAssertEqual(PathName.fileExtension(of: ".hidden"), "")
        XCTAssertTrue(PathName.isGitFolderName(".GiT"))
        XCTAssertFalse(PathName.isGitFolderName(".gitx"))
    }

    func testDisplayTextEscapesControlCharacters() {
        XCTAssertEqual(DisplayText.escaped("a\u{1B}]0;t\u{07}b\nc\u{202E}d"), "a\\x1b]0;t\\x07b\\x0ac\\u{202e}d")
        XCTAssertEqual(DisplayText.escaped("line\nnext\ttab", keepNewlines: true), "line\nnext\ttab")
        XCTAssertEqual(DisplayText.escaped("plain ünïcode"), "plain ünïcode")
    }
}
