import XCTest
@testable import MLVCore

/// The gate grammar, including hostile input, and how gates evaluate.
final class GateRuleTests: XCTestCase {
    func testRulesParse() throws {
        XCTAssertEqual(try GateRule.parse("accuracy >= 0.85").bound, .number(0.85))
        let relative = try GateRule.parse("  loss<=baseline+0.01 ")
        XCTAssertEqual(relative.metric, "loss")
        XCTAssertEqual(relative.comparison, .lessOrEqual)
        XCTAssertEqual(relative.bound, .baseline(operation: "+", operand: 0.01))
        XCTAssertEqual(try GateRule.parse("f1 >= baseline * 0.99").bound, .baseline(operation: "*", operand: 0.99))
        XCTAssertEqual(try GateRule.parse("eval/auc > baseline").bound, .baseline(operation: nil, operand: 0))
        XCTAssertEqual(try GateRule.parse("metrics.json:test.acc != -1e-3").metric, "metrics.json:test.acc")
        XCTAssertEqual(try GateRule.parse("a == 2").comparison, .equal)
        XCTAssertEqual(try GateRule.parse("a < baseline - 5").bound, .baseline(operation: "-", operand: 5))
        XCTAssertEqual(try GateRule.parse("slices.language=de.f1 >= 0.7").metric, "slices.language=de.f1")
        XCTAssertEqual(try GateRule.parse("a==2").metric, "a")
    }

    func testErrorsPointAtTheCharacter() {
        let cases: [(String, Int, String)] = [
            ("accuracy >= ", 13, "a number or `baseline`"),
            ("accuracy => 0.8", 10, "a comparison"),
            ("accuracy = 0.8", 10, "`==`"),
            ("accuracy >= 0.8 extra", 17, "the end of the rule"),
            (">= 0.8", 1, "a metric name"),
            ("loss <= baseline / 2", 18, "+, - or *"),
            ("loss <= baseline + ", 20, "a number"),
            ("loss <= baselines", 17, "an operator or the end"),
            ("acc >= 1e999", 8, "a finite number"),
            ("acc >= 1e", 10, "digits of the exponent"),
            ("acc >= .", 8, "a number"),
            ("baseline >= 1", 1, "belongs on the right"),
            ("acc >= 0.5\n; rm -rf /", 11, "on one line"),
            ("akkuratesse≥ 0.5", 12, "a comparison"),
            (String(repeating: "a", count: 400) + " >= 1", 301, "at most 300"),
            ("", 1, "a metric name"),
        ]
        for (text, column, expected) in cases {
            XCTAssertThrowsError(try GateRule.parse(text), text) { error in
                guard let syntax = error as? GateSyntaxError else { return XCTFail("\(error)") }
                XCTAssertEqual(syntax.column, column, "\(text): \(syntax)")
                XCTAssertTrue(syntax.expected.contains(expected), "\(text): expected `\(expected)` in `\(syntax.expected)`")
                XCTAssertTrue(syntax.description.contains("^"), syntax.description)
            }
        }
    }

    private func snapshot(_ values: [String: StructuredValue], label: String = "HEAD", problems: [String: String] = [:]) -> MetricsSnapshot {
        MetricsSnapshot(revision: .workspace, values: values.sorted { $0.key < $1.key }.map {
            MetricValue(file: "metrics.json", key: $0.key, value: $0.value, source: .file)
        }, problems: problems, directions: [:])
    }

    func testEvaluationFailsClosed() throws {
        let rules = ["accuracy >= 0.85", "loss <= baseline + 0.01", "f1 >= baseline * 0.99", "missing > 0", "name > 0"]
            .map { GateSource(text: $0, line: nil, column: nil) }
        let current = snapshot(["accuracy": .double(0.9), "loss": .double(0.2), "f1": .double(0.5), "name": .string("x")])
        let base = snapshot(["loss": .double(0.15), "f1": .double(0.5)])
        let results = try GateEvaluator(rules: rules).evaluate(current, baseline: base)
        XCTAssertEqual(results.map(\.passed), [true, false, true, false, false])
        XCTAssertEqual(results[1].bound!, 0.16, accuracy: 1e-12)
        XCTAssertTrue(results[3].reason.contains("`missing` is missing"), results[3].reason)
        XCTAssertTrue(results[4].reason.contains("not a number"), results[4].reason)

        let noBaseline = try GateEvaluator(rules: rules).evaluate(current, baseline: nil)
        XCTAssertFalse(noBaseline[1].passed)
        XCTAssertTrue(noBaseline[1].reason.contains("no baseline"))
        XCTAssertEqual(noBaseline[1].reason, "no baseline to compare with; name one with --baseline")
        let skipped = try GateEvaluator(rules: rules, missingBaseline: .skip(reason: "no baseline: first push to an empty remote"))
            .evaluate(current, baseline: nil)
        XCTAssertEqual(skipped.map(\.passed), [true, true, true, false, false], "absolute rules are still enforced")
        XCTAssertEqual(skipped.map(\.skipped), [false, true, true, false, false])
        XCTAssertEqual(skipped[1].reason, "no baseline: first push to an empty remote")
        // A baseline that exists but lacks the metric fails even when a missing baseline is skipped.
        let partial = try GateEvaluator(rules: rules, missingBaseline: .skip(reason: "x")).evaluate(current, baseline: snapshot(["loss": .double(0.1)]))
        XCTAssertFalse(partial[2].passed)
        XCTAssertFalse(partial[2].skipped)

        let broken = snapshot([:], problems: ["metrics.json": "metrics.json:3:1: is not valid JSON"])
        let failed = try GateEvaluator(rules: [rules[0]]).evaluate(broken, baseline: nil)
        XCTAssertFalse(failed[0].passed)
        XCTAssertTrue(failed[0].reason.contains("not valid JSON"), failed[0].reason)
        XCTAssertThrowsError(try GateEvaluator(rules: [GateSource(text: "acc >=", line: 9, column: 5)]).evaluate(current, baseline: nil)) { error in
            XCTAssertTrue("\(error)".hasPrefix("mlv.yaml:9:5: gate `acc >=`"), "\(error)")
        }
    }

    func testHookScriptsInTheRepositoryMatchWhatInstallWrites() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in HookScripts.all {
            let text = try String(contentsOf: root.appendingPathComponent("hooks/\(name)"), encoding: .utf8)
            XCTAssertEqual(text, HookScripts.script(for: name), "hooks/\(name) differs from what `mlv hooks install` writes")
            XCTAssertTrue(text.contains("exec mlv hook \(name) \"$@\""))
        }
    }
}
