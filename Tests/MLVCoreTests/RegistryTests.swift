@testable import MLVCore
import MLVGit
import XCTest

/// Registry tag names, semantic versions, the state the tags add up to, and the pointer's
/// import fields: all read from untrusted repositories.
final class RegistryTests: XCTestCase {
    func testSemanticVersionsParseStrictlyAndOrderAsSemVer() {
        for bad in ["1.2.3", "v1.2", "v1.2.3.4", "v01.2.3", "v1.02.3", "v1.2.3-", "v1.2.3-01", "v1.2.3+", "v1.2.3-a..b", "v-1.2.3", "v1.2.3 ", "v1.2.3-é", "v1234567890.0.0"] {
            XCTAssertNil(SemanticVersion(bad), bad)
        }
        let ordered = ["v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta", "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.10.0", "v2.0.0"]
        let versions = ordered.compactMap(SemanticVersion.init)
        XCTAssertEqual(versions.count, ordered.count)
        XCTAssertEqual(versions.shuffled().sorted().map(\.text), ordered)
        XCTAssertEqual(SemanticVersion("v1.0.0+build.5"), SemanticVersion("v1.0.0"), "build metadata has no precedence")
    }

    func testTagNamesFollowTheGTOConvention() {
        let v = SemanticVersion("v1.3.0")!
        XCTAssertEqual(RegistryTag(name: "churn@v1.3.0"), .register(model: "churn", version: v))
        XCTAssertEqual(RegistryTag(name: "churn@v1.3.0!"), .deprecateVersion(model: "churn", version: v))
        XCTAssertEqual(RegistryTag(name: "churn#prod#4"), .promote(model: "churn", stage: "prod", number: 4))
        XCTAssertEqual(RegistryTag(name: "churn#prod!#5"), .demote(model: "churn", stage: "prod", number: 5))
        XCTAssertEqual(RegistryTag(name: "churn@deprecated"), .deprecateModel(model: "churn"))
        for other in ["v1.0.0", "churn@1.3.0", "churn#prod", "churn#prod#0", "churn#prod#04", "churn#prod#x", "a/b@v1.0.0", "churn#pr od#1", "@v1.0.0", "churn#prod#99999999999"] {
            XCTAssertNil(RegistryTag(name: other), other)
        }
        for tag in [RegistryTag.register(model: "m", version: v), .demote(model: "m", stage: "s", number: 2)] {
            XCTAssertEqual(RegistryTag(name: tag.name), tag, "names round-trip")
        }
    }

    func record(_ name: String, _ commit: Int, time: Int, message: String? = nil) -> TagRecord {
        TagRecord(name: name, commit: GitObjectID(hex: String(repeating: String(commit), count: 40))!, taggerName: "t", taggerEmail: "t@t",
                  time: Date(timeIntervalSince1970: TimeInterval(time)), message: message)
    }

    func testStagesFollowTheirNumberedEventsAndDemotionsEmptyThem() {
        let registry = ModelRegistry(tags: [
            record("m@v1.0.0", 1, time: 1), record("m@v1.1.0", 2, time: 2), record("m@v2.0.0", 3, time: 3),
            // Numbered order wins over tag time: #2 came later though its clock was behind.
            record("m#prod#1", 1, time: 10), record("m#prod#2", 2, time: 5),
            record("m#staging#1", 3, time: 11), record("m#staging!#2", 3, time: 12),
            // A stage tag naming its version in the message beats the commit's.
            record("m#canary#1", 1, time: 13, message: "x\n\nmlv-version: v1.1.0\n"),
            record("m@v2.0.0!", 3, time: 14),
        ])
        let model = registry.models["m"]!
        XCTAssertEqual(model.stages.mapValues(\.text), ["prod": "v1.1.0", "canary": "v1.1.0"])
        XCTAssertEqual(model.latest?.version.text, "v1.1.0", "the deprecated v2.0.0 is not latest")
        XCTAssertEqual(model.lastNumber["staging"], 2)
        XCTAssertEqual(model.version(SemanticVersion("v1.1.0")!)?.stages, ["canary", "prod"])
        XCTAssertEqual(model.events.map(\.kind), [.registered, .registered, .registered, .promoted, .promoted, .promoted, .demoted, .promoted, .deprecated])
        XCTAssertEqual(try ModelSpecifier("m#prod")!.resolve(in: registry).version.text, "v1.1.0")
        XCTAssertThrowsError(try ModelSpecifier("m#staging")!.resolve(in: registry)) { XCTAssertEqual($0 as? RegistryError, .stageEmpty(model: "m", stage: "staging")) }
        XCTAssertNil(ModelSpecifier("m@1.0"))
    }

    func testImportFieldsOfAPointerAreCheckedLikeTheRest() throws {
        let base = "version: 1\npath: m.pkl\ntype: file\nid: \(String(repeating: "a", count: 64))\nsize: 3\n"
        let good = base + "source-url: /srv/repo.git\nsource-rev: churn#prod\nsource-commit: \(String(repeating: "b", count: 40))\nsource-path: models/m.pkl\n"
        let pointer = try PointerFile.parse(Array(good.utf8), file: "m.pkl.mlv")
        XCTAssertEqual(pointer.source, ImportSource(url: "/srv/repo.git", revision: "churn#prod", commit: String(repeating: "b", count: 40), path: "models/m.pkl"))
        XCTAssertEqual(try PointerFile.parse(pointer.serialized(), file: "m.pkl.mlv"), pointer, "round trip")
        let bad: [(String, String)] = [
            ("source-url: /r\nsource-commit: \(String(repeating: "b", count: 40))\nsource-path: ../../etc/passwd\n", "valid `source-path`"),
            ("source-url: /r\nsource-commit: xyz\nsource-path: m\n", "valid `source-commit`"),
            ("source-url: /r\nsource-commit: \(String(repeating: "B", count: 40))\nsource-path: m\n", "valid `source-commit`"),
            ("source-url: -oProxyCommand=x\nsource-commit: \(String(repeating: "b", count: 40))\nsource-path: m\n", "`source-url`"),
            ("source-url: /r\tx\nsource-commit: \(String(repeating: "b", count: 40))\nsource-path: m\n", "`source-url`"),
            ("source-rev: main\n", "without `source-url`"),
        ]
        for (fields, reason) in bad {
            XCTAssertThrowsError(try PointerFile.parse(Array((base + fields).utf8), file: "m.pkl.mlv"), fields) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(error)")
            }
        }
    }
}
