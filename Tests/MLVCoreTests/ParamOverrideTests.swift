import XCTest
@testable import MLVCore

/// `-S` overrides: parsing, sweeps, and writing them into params files of each format.
final class ParamOverrideTests: XCTestCase {
    private func parse(_ text: String) throws -> ParamOverride {
        try ParamOverride.parse(text) { _ in "params.yaml" }
    }

    func testValuesAreYAMLScalarsAndSweepsExpand() throws {
        XCTAssertEqual(try parse("train.lr=0.1,0.01").values, ["0.1", "0.01"])
        XCTAssertEqual(try parse("opt=adam").values, ["\"adam\""])
        XCTAssertEqual(try parse("layers=[64, 32]").values, ["[64, 32]"])
        XCTAssertEqual(try parse("layers=[1,2],[3]").values, ["[1, 2]", "[3]"])
        XCTAssertEqual(try parse("flag=true").values, ["true"])
        XCTAssertEqual(try parse("name='a,b'").values, ["\"a,b\""])
        XCTAssertEqual(try parse("e=range(1,10,3)").values, ["1", "4", "7"])
        XCTAssertEqual(try parse("lr=range(0.1,0.4,0.1)").values, ["0.1", "0.2", "0.3"])
        XCTAssertEqual(try parse("opt=choice(adam,sgd)").values, ["\"adam\"", "\"sgd\""])
        let withFile = try parse("config.json:+model.depth=4")
        XCTAssertEqual([withFile.file, withFile.key], ["config.json", "model.depth"])
        XCTAssertTrue(withFile.allowNew)
        let sweep = try ParamOverride.expand([try parse("a=1,2"), try parse("b=x,y,z")])
        XCTAssertEqual(sweep.count, 6)
        XCTAssertEqual(sweep.map { $0.map(\.display).joined(separator: " ") }.prefix(3), ["a=1 b=\"x\"", "a=1 b=\"y\"", "a=1 b=\"z\""])
        XCTAssertThrowsError(try ParamOverride.expand([try parse("a=range(0,1000)"), try parse("b=1,2")]))
    }

    func testMalformedOverridesAreRefused() {
        for text in ["lr", "=1", "a=", "a=1,,2", "a=[1", ".a=1", "a..b=1", "a=range(1)", "a=range(0,5,0)", "p.txt:a=1", ":a=1"] {
            XCTAssertThrowsError(try parse(text), text) { XCTAssertTrue($0 is ExperimentError, text) }
        }
    }

    private func apply(_ text: String, file: String, _ overrides: [String]) throws -> String {
        let assignments = try overrides.map { try ParamOverride.parse($0) { _ in file } }.map {
            ParamAssignment(file: $0.file, key: $0.key, value: $0.values[0], allowNew: $0.allowNew)
        }
        return String(decoding: try ParamsFileWriter.apply(assignments, to: Array(text.utf8), file: file), as: UTF8.self)
    }

    func testEachFormatIsRewrittenWithItsKeyOrder() throws {
        XCTAssertEqual(try apply("train:\n  lr: 0.1\n  epochs: 3\nname: run\n", file: "params.yaml", ["train.lr=0.5", "+train.new.deep=1"]),
                       "train:\n  lr: 0.5\n  epochs: 3\n  new:\n    deep: 1\nname: \"run\"\n")
        XCTAssertEqual(try apply(#"{"train": {"lr": 0.1, "tags": ["a"]}, "seed": 1}"#, file: "p.json", ["seed=2", "train.tags=[b, c]"]),
                       "{\n  \"train\": {\n    \"lr\": 0.1,\n    \"tags\": [\"b\", \"c\"]\n  },\n  \"seed\": 2\n}\n")
        XCTAssertEqual(try apply("seed = 1\n[train]\nlr = 0.1\nname = \"x\"\n", file: "p.toml", ["train.lr=0.01", "+train.opt.kind=adam"]),
                       "seed = 1\n\n[train]\nlr = 0.01\nname = \"x\"\n\n[train.opt]\nkind = \"adam\"\n")
        XCTAssertEqual(try apply("a.b: 1\n", file: "p.yaml", ["a.b=2"]), "a.b: 2\n", "a key holding a dot")
    }

    func testShapeAndExistenceAreChecked() {
        XCTAssertThrowsError(try apply("lr: 0.1\n", file: "p.yaml", ["lr=[1, 2]"]))
        XCTAssertThrowsError(try apply("opt:\n  a: 1\n", file: "p.yaml", ["opt=1"]))
        XCTAssertThrowsError(try apply("lr: 0.1\n", file: "p.yaml", ["momentum=0.9"])) {
            XCTAssertEqual($0 as? ExperimentError, .unknownParam(file: "p.yaml", key: "momentum", fileMissing: false))
        }
        XCTAssertThrowsError(try apply("a = 1\n", file: "p.toml", ["a=null"]))
        XCTAssertThrowsError(try ParamsFileWriter.apply([ParamAssignment(file: "p.yaml", key: "x", value: "1", allowNew: false)], to: nil, file: "p.yaml"))
    }

    func testExperimentNames() {
        for good in ["lr-0.1", "a_b", "Run.3", String(repeating: "x", count: 64)] { XCTAssertNoThrow(try ExperimentName.validate(good), good) }
        for bad in ["", "a/b", "..", "a..b", "-a", ".a", "a b", "a\u{7}", "a.lock", "a.", "ü", String(repeating: "x", count: 65)] {
            XCTAssertThrowsError(try ExperimentName.validate(bad), bad)
        }
        let generated = ExperimentName.generate { _ in false }
        XCTAssertNoThrow(try ExperimentName.validate(generated))
        XCTAssertEqual(generated.split(separator: "-").count, 2)
    }
}
