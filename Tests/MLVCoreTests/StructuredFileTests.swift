import XCTest
@testable import MLVCore

/// Params and metrics files in every format mlv reads, well-formed and malformed.
final class StructuredFileTests: XCTestCase {
    private func parse(_ text: String, _ file: String) throws -> StructuredValue {
        try StructuredFile.parse(Array(text.utf8), file: file)
    }

    private func flat(_ text: String, _ file: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try parse(text, file).flattened().map { ($0.key, $0.value.canonical) })
    }

    func testEachFormatFlattensToDottedKeys() throws {
        let expected = ["train.lr": "0.1", "train.epochs": "3", "train.opt.name": "\"adam\"", "ok": "true"]
        XCTAssertEqual(try flat("train:\n  lr: 0.1\n  epochs: 3\n  opt:\n    name: adam\nok: true\n", "p.yaml"), expected)
        XCTAssertEqual(try flat(#"{"train": {"lr": 0.1, "epochs": 3, "opt": {"name": "adam"}}, "ok": true}"#, "p.json"), expected)
        XCTAssertEqual(try flat("ok = true\n[train]\nlr = 0.1\nepochs = 3\n[train.opt]\nname = \"adam\"\n", "p.toml"), expected)
        XCTAssertEqual(try flat("epoch,loss,acc\n1,0.9,0.5\n2,0.4,\"0.75\"\n", "m.csv"), ["epoch": "2", "loss": "0.4", "acc": "0.75"])
        XCTAssertEqual(try flat("epoch\tloss\n1\t0.9\n", "m.tsv"), ["epoch": "1", "loss": "0.9"])
    }

    func testDottedLookupAndNumbers() throws {
        let value = try parse("train:\n  lr: 1e-3\n  layers: [64, 32]\n  name: '0.5'\n", "p.yaml")
        XCTAssertEqual(value.value(at: "train.lr")?.number, 0.001)
        XCTAssertEqual(value.value(at: "train.layers"), .list([.int(64), .int(32)]))
        XCTAssertEqual(value.value(at: "train.name"), .string("0.5"), "a quoted number stays text")
        XCTAssertNil(value.value(at: "train.missing"))
        XCTAssertEqual(StructuredValue.double(2).canonical, "2.0")
        XCTAssertEqual(StructuredValue.string("a\"b\n").canonical, #""a\"b\n""#)
    }

    func testMalformedFilesNameTheFileLineAndColumn() {
        let cases: [(String, String, String)] = [
            ("a: [1, 2\n", "p.yaml", "p.yaml:2:1: is not valid YAML"),
            ("a: 1\na: 2\n", "p.yaml", "p.yaml"),
            ("{\n\"a\": 1,\n  \"b\" 2}", "p.json", "p.json:3:"),
            ("[train]\nlr = = 1\n", "p.toml", "p.toml:2:"),
            ("loss,acc\n0.5\n", "m.csv", "m.csv:2: has 1 values in its last row but 2 names"),
            ("loss\n", "m.csv", "has a header but no row"),
            ("- 1\n- 2\n", "p.yaml", "must hold a mapping"),
            ("x: 1", "p.ini", "has an extension mlv does not read"),
            ("a: *anchor\n", "p.yaml", "p.yaml"),
        ]
        for (text, file, expected) in cases {
            XCTAssertThrowsError(try StructuredFile.parse(Array(text.utf8), file: file), file) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(file): expected `\(expected)` in `\(error)`")
            }
        }
        XCTAssertThrowsError(try StructuredFile.parse([0xff, 0xfe], file: "p.yaml")) { error in
            XCTAssertTrue("\(error)".contains("not UTF-8"))
        }
    }
}
