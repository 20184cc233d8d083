@testable import MLVCore
import XCTest

final class PointerFileTests: XCTestCase {
    let id = ObjectID(hex: String(repeating: "ab", count: 32))!

    func testRoundTrip() throws {
        let pointer = PointerFile(name: "data", kind: .directory, id: id, size: 1234, fileCount: 7)
        XCTAssertEqual(try PointerFile.parse(pointer.serialized(), file: "sub/data.mlv"), pointer)
        let file = PointerFile(name: "model.bin", kind: .file, id: id, size: 0, fileCount: nil)
        XCTAssertEqual(try PointerFile.parse(file.serialized(), file: "model.bin.mlv"), file)
    }

    func testHostileInputsAreRefusedWithReason() {
        let hex = id.hex
        let cases: [(String, String)] = [
            ("", "no `version`"),
            ("version: 9\n", "version 9"),
            ("version: 1\npath: data\ntype: file\nid: \(hex)\nsize: 1\n", "must sit beside its data"),
            ("version: 1\npath: x\ntype: file\nid: \(hex.uppercased())\nsize: 1\n", "not 64 lower-case hex"),
            ("version: 1\npath: x\ntype: file\nid: \(hex)\nsize: 99999999999999999999\n", "whole number"),
            ("version: 1\npath: x/y\ntype: file\nid: \(hex)\nsize: 1\n", "must be the name"),
            ("version: 1\npath: x\ntype: directory\nid: \(hex)\nsize: 1\n", "without a valid `files`"),
            ("version: 1\npath: x\ntype: file\nid: \(hex)\nsize: 1\nfiles: 2\n", "has `files`"),
            ("version 1\n", "not `key: value`"),
            ("version: 1\u{0}\n", "NUL"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try PointerFile.parse(Array(text.utf8), file: "x.mlv"), reason) { error in
                let message = (error as? PointerError)?.description ?? "\(error)"
                XCTAssertTrue(message.contains(reason) && message.contains("x.mlv"), "\(reason): \(message)")
            }
        }
        XCTAssertThrowsError(try PointerFile.parse([0xff, 0xfe, 0x0a], file: "x.mlv"))
        XCTAssertThrowsError(try PointerFile.parse(Array(repeating: 0x23, count: 5000), file: "x.mlv"))
    }

    func testRevisionIsNamedInErrors() {
        XCTAssertThrowsError(try PointerFile.parse(Array("version: 3\n".utf8), file: "d.mlv", revision: "HEAD~1")) { error in
            XCTAssertTrue("\(error)".contains("d.mlv at HEAD~1"), "\(error)")
        }
    }
}
