@testable import MLVCore
import XCTest

/// The event-level YAML reader must give exactly what the full (Yams) reader gives, or nothing.
final class YAMLPlainReaderTests: XCTestCase {
    static let scalars = [
        "1", "-0", "+1", "007", "1_000", "_1", "0x1F", "-0x10", "0o17", "0b101", "1.5", "1.", ".5", "+.5", "1e3", "1.5e-3", "-2E+5",
        ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "12:30", "1:20:30.5", "2026-01-01", "9223372036854775807", "9223372036854775808",
        "true", "True", "TRUE", "false", "yes", "no", "on", "off", "y", "~", "null", "Null", "NULL", "nul", "", "'true'", "\"1\"",
        "''", "\"\"", "adam", "a b", "0.1.2", "1,000", "-", "- a", "'it''s'", "\"\\u00e9\"", "é", "[1, 2]", "{a: 1}", "[]", "{}",
        "|\n    block\n", ">\n    folded\n", "!!str 1", "!!int \"2\"", "&a 1", "*a", "1 # comment",
    ]

    func testEventReaderAgreesWithTheFullReaderOrDefersToIt() throws {
        var texts: [String] = []
        for scalar in Self.scalars {
            texts += ["a: \(scalar)\n", "train:\n  lr: \(scalar)\n  list:\n    - \(scalar)\n", "- \(scalar)\n", "\(scalar)\n", "k: [\(scalar)]\n"]
        }
        texts += [
            "# only a comment\n", "a: 1\na: 2\n", "<<: {a: 1}\n", "? [a]\n: 1\n", "\"\": 1\nb: 2\n", "a:\n", "a: 1\n---\nb: 2\n",
            "---\na: 1\n...\n", "%YAML 1.1\n---\na: 1\n", "a: {b: [1, {c: d}], e: ~}\n", "null: 1\n1: 2\ntrue: 3\n",
            "train:\n  # the rate\n  lr: 0.001  # tuned\n  layers: [64, 32]\n  name: \"base\"\n", "a: [1\n", "\t- a\n",
            String(repeating: "[", count: 70) + String(repeating: "]", count: 70), "a: 9223372036854775809\n",
        ]
        var agreed = 0
        for text in texts {
            let full = try? StructuredFile.parseYAMLFully(text) { reason, line, column in
                StructuredFileError(file: "p.yaml", revision: nil, line: line, column: column, reason: reason)
            }
            guard let fast = YAMLPlainReader.read(text) else { continue }
            XCTAssertNotNil(full, "the event reader accepted what the full reader refuses: \(text.debugDescription)")
            if let full { XCTAssertEqual(fast.canonical, full.canonical, text.debugDescription) }
            agreed += 1
        }
        // Most of these go the fast way; the test would prove nothing if none did.
        XCTAssertGreaterThan(agreed, texts.count / 2)
        // What the fast way must leave to the full one.
        for text in ["a: 1\na: 2\n", "<<: {a: 1}\n", "a: !!str 1\n", "a: &x 1\n", "a: 1\n---\nb: 2\n", "a: 9223372036854775809\n", "? [a]\n: 1\n"] {
            XCTAssertNil(YAMLPlainReader.read(text), text.debugDescription)
        }
        XCTAssertEqual(YAMLPlainReader.read("train:\n  lr: 0.001  # tuned\n  n: 1_000\n  on: yes\n"),
                       .map(keys: ["train"], values: ["train": .map(keys: ["lr", "n", "on"], values: ["lr": .double(0.001), "n": .int(1000), "on": .string("yes")])]))
    }
}
