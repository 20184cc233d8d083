@testable import MLVCore
import XCTest

final class YAMLSupportTests: XCTestCase {
    /// Anchors and aliases are refused before Yams composes (and expands) them.
    func testAnchorsAliasesAndDeepNestingAreRefusedInEveryFileMLVReads() throws {
        var laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for level in 1..<30 { laughs += "l\(level): &l\(level) [*\(level == 1 ? "a" : "l\(level - 1)"),*\(level == 1 ? "a" : "l\(level - 1)")]\n" }
        let cases: [(String, String)] = [
            (laughs, "params.yaml:1:4: uses a YAML anchor"),
            ("a: 1\nb: *x\n", "params.yaml:2:4: uses a YAML alias"),
            ("? *k\n: 1\n", "uses a YAML alias"),
            (String(repeating: "[", count: 70) + String(repeating: "]", count: 70), "params.yaml:1:65: nests deeper than 64 levels"),
            ("a: [1\n", "params.yaml:2:1: is not valid YAML"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try StructuredFile.parse(Array(text.utf8), file: "params.yaml"), String(text.prefix(40))) { error in
                XCTAssertTrue("\(error)".contains(message), "expected `\(message)` in `\(error)`")
            }
        }
        XCTAssertThrowsError(try LockFile.parse(Array("schema: &s 1\nstages: {}\n".utf8))) { error in
            XCTAssertTrue("\(error)".hasPrefix("mlv.lock:1:9: uses a YAML anchor"), "\(error)")
        }
        XCTAssertThrowsError(try PipelineDefinition.parse(Array("stages:\n  a: &x {cmd: x}\n  b: *x\n".utf8))) { error in
            XCTAssertTrue("\(error)".contains("mlv.yaml:2:6: uses a YAML anchor"), "\(error)")
        }
        // Integers past 64 bits: kept when a double holds them exactly, refused otherwise.
        XCTAssertEqual(try StructuredFile.parse(Array("a: 9223372036854775808\n".utf8), file: "p.yaml").value(at: "a"), .double(9223372036854775808.0))
        XCTAssertThrowsError(try StructuredFile.parse(Array("a: 9223372036854775809\n".utf8), file: "p.yaml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("p.yaml:1:4: gives a value the number 9223372036854775809, which mlv cannot hold exactly"), "\(error)")
        }
        XCTAssertThrowsError(try StructuredFile.parse(Array("loss\n9223372036854775809\n".utf8), file: "m.csv")) { error in
            XCTAssertTrue("\(error)".hasPrefix("m.csv:2: gives `loss` the number 9223372036854775809, which mlv cannot hold exactly"), "\(error)")
        }
        XCTAssertEqual(try StructuredFile.parse(Array("loss\n-0007\n".utf8), file: "m.csv").value(at: "loss"), .int(-7))
        // Plain text with `*` and `&` inside scalars is fine.
        XCTAssertEqual(try StructuredFile.parse(Array("cmd: python a.py *.csv & b\n".utf8), file: "p.yaml").value(at: "cmd"), .string("python a.py *.csv & b"))
    }

    func testTOMLNestingIsBoundedBeforeParsing() throws {
        let deep = "x" + String(repeating: ".a", count: 50_000) + " = 1\n"
        XCTAssertThrowsError(try StructuredFile.parse(Array(deep.utf8), file: "p.toml")) { error in
            XCTAssertEqual("\(error)", "p.toml:1: nests a dotted key deeper than 64 levels")
        }
        let arrays = "x = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"
        XCTAssertThrowsError(try StructuredFile.parse(Array(arrays.utf8), file: "p.toml")) { error in
            XCTAssertEqual("\(error)", "p.toml:1: nests arrays or tables deeper than 64 levels")
        }
        // Many floats, dotted keys of normal depth, headers and quoted dots are fine.
        let fine = "[train.opt]\nlr = 0.5\nv = [" + (0..<100).map { "\($0).5" }.joined(separator: ", ") + "]\n\"a.b.c\" = \"x.y\"\n"
        XCTAssertEqual(try StructuredFile.parse(Array(fine.utf8), file: "p.toml").value(at: "train.opt.lr"), .double(0.5))
    }

    /// Inputs the fuzzer found (scripts/fuzz.sh): each crashed a parser mlv builds on.
    func testFuzzFindingsAreRefusedNotCrashes() throws {
        // Yams traps converting an overflowing YAML 1.1 sexagesimal integer.
        let sexagesimal = "+64444444444444:444446444444444444:4444444444444444:444444444440"
        XCTAssertEqual(try StructuredFile.parse(Array("a: \(sexagesimal)\n".utf8), file: "p.yaml").value(at: "a"), .string(sexagesimal))
        XCTAssertThrowsError(try LockFile.parse(Array("schema: \(sexagesimal)\nstages: {}\n".utf8)))
        XCTAssertEqual(try StructuredFile.parse(Array("a: 0x1F\nb: -0o17\nc: 1_0\n".utf8), file: "p.yaml"),
                       .map(keys: ["a", "b", "c"], values: ["a": .int(31), "b": .int(-15), "c": .int(10)]))
        // toml++ asserts (aborts) on a header whose key starts with `}`.
        let header = "ok = true\n[train]\nlr = 0.1\n[}rain.opt]\nname = \"adam\"\n"
        XCTAssertThrowsError(try StructuredFile.parse(Array(header.utf8), file: "p.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("p.toml:4: is not valid TOML: a table header must be"), "\(error)")
        }
        for broken in ["v = [105, }\n", "v = [1,,2]\n", "v = [,1]\n", "t = {a = 1,}\n", "v = [1, 2\n"] {
            XCTAssertThrowsError(try StructuredFile.parse(Array(broken.utf8), file: "p.toml"), broken) { error in
                XCTAssertTrue("\(error)".contains("is not valid TOML"), "\(error)")
            }
        }
        let fine = "a = [\n  [1, 2],\n  [3],\n]\n[[runs]]\nid = 1\n[ \"x.y\" . z ]\nk = 2\nt = {b = [1, \"]\"], c = {d = 1}}\n"
        XCTAssertEqual(try StructuredFile.parse(Array(fine.utf8), file: "p.toml").value(at: "x.y.z.k"), .int(2))
    }
}
