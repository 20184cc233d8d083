@testable import MLVCore
import XCTest

final class JSONReaderTests: XCTestCase {
    func parse(_ text: String) throws -> StructuredValue { try StructuredFile.parse(Array(text.utf8), file: "m.json") }

    func testNumbersAreExactOrRefusedByName() throws {
        XCTAssertEqual(try parse(#"{"a": 9223372036854775807}"#).value(at: "a"), .int(Int.max))
        XCTAssertEqual(try parse(#"{"a": -9223372036854775808}"#).value(at: "a"), .int(Int.min))
        // 2^63 is a double exactly: it stays that number (positive), never wraps.
        XCTAssertEqual(try parse(#"{"loss": 9223372036854775808}"#).value(at: "loss"), .double(9223372036854775808.0))
        XCTAssertEqual(try parse(#"{"a": 18446744073709551616}"#).value(at: "a"), .double(18446744073709551616.0))
        XCTAssertEqual(try parse(#"{"a": 0.1, "b": -2.5e-3, "c": 1E2}"#), .map(keys: ["a", "b", "c"], values: ["a": .double(0.1), "b": .double(-0.0025), "c": .double(100)]))
        let refused: [(String, String)] = [
            (#"{"loss": 9223372036854775809}"#, "m.json:1:10: is not valid JSON: it gives `loss` the number 9223372036854775809, which mlv cannot hold exactly"),
            (#"{"x": {"y": 1e999}}"#, "m.json:1:13: is not valid JSON: it gives `x.y` the number 1e999, which is out of range"),
            (#"{"a": 01}"#, "m.json:1:7: is not valid JSON: it has a number with a leading zero"),
            ("{\"a\": 1,\n \"a\": 2}", "m.json:2:2: is not valid JSON: it has the key `a` twice in one object"),
            (#"{"a": NaN}"#, "m.json:1:7: is not valid JSON: it has an unexpected character where a value was expected"),
            (#"{"a": 1} x"#, "m.json:1:10: is not valid JSON: it has text after the JSON value"),
            (#"{"a": "\ud800"}"#, "is not valid JSON: it has an unpaired surrogate escape"),
            ("{\"a\": \"x\ny\"}", "is not valid JSON: it has a control character inside a string"),
            (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "m.json:1:65: is not valid JSON: it nests deeper than 64 levels"),
        ]
        for (text, message) in refused {
            XCTAssertThrowsError(try parse(text), text) { XCTAssertTrue("\($0)".contains(message), "expected `\(message)` in `\($0)`") }
        }
    }

    func testStringsAndEscapes() throws {
        XCTAssertEqual(try parse(#"{"k": "a\"b\\c\/d\n\u00e9\ud83d\ude00"}"#).value(at: "k"), .string("a\"b\\c/d\né😀"))
        XCTAssertEqual(try parse(#"{"t": true, "f": false, "n": null, "l": [1, "x", []], "m": {}}"#),
                       .map(keys: ["t", "f", "n", "l", "m"], values: ["t": .bool(true), "f": .bool(false), "n": .null,
                                                              "l": .list([.int(1), .string("x"), .list([])]), "m": .map(keys: [], values: [:])]))
    }
}
