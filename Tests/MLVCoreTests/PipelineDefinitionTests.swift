import XCTest
@testable import MLVCore

/// `mlv.yaml` parsing, the stage graph, and `mlv.lock` round trips.
final class PipelineDefinitionTests: XCTestCase {
    private func parse(_ text: String) throws -> PipelineDefinition { try PipelineDefinition.parse(Array(text.utf8)) }

    func testStagesParamsAndOrder() throws {
        let definition = try parse("""
        stages:
          evaluate:
            cmd: python3 evaluate.py
            deps: [./models/model.bin, data/test.csv]
            metrics: [metrics.json]
          train:
            cmd: python3 train.py
            deps: [data/features/]
            params: [train.lr, {config.toml: [optimizer.name]}]
            outs: [models/model.bin]
          prepare:
            cmd: python3 prepare.py
            deps: [data/raw]
            outs: [data/features]
        metrics:
          accuracy: higher_is_better
        gates:
          - accuracy >= 0.8
        """)
        let graph = try PipelineGraph(definition)
        XCTAssertEqual(graph.order, ["prepare", "train", "evaluate"])
        XCTAssertEqual(graph.downstream(of: ["train"]), ["train", "evaluate"])
        XCTAssertEqual(graph.upstreamClosure(of: ["train"]), ["prepare", "train"])
        XCTAssertEqual(graph.producer(of: "data/features/rows.txt")?.name, "prepare")
        let train = definition.stage(named: "train")!
        XCTAssertEqual(train.deps.map(\.path), ["data/features"])
        XCTAssertEqual(train.params, [ParamReference(file: "params.yaml", key: "train.lr"), ParamReference(file: "config.toml", key: "optimizer.name")])
        XCTAssertEqual(definition.stage(named: "evaluate")!.deps.first?.path, "models/model.bin")
        XCTAssertEqual(definition.metricDirections["accuracy"], .higherIsBetter)
        XCTAssertEqual(definition.gates.map(\.text), ["accuracy >= 0.8"])
    }

    func testHostileDefinitionsAreRefused() {
        let cases: [(String, String)] = [
            ("stages:\n  a:\n    cmd: x\n    outs: [/etc/passwd]\n", "must be relative"),
            ("stages:\n  a:\n    cmd: x\n    outs: [../up]\n", "must not use `..`"),
            ("stages:\n  a:\n    cmd: x\n    outs: [.git/hooks]\n", "inside .git or .mlv"),
            ("stages:\n  a b:\n    cmd: x\n", "may hold only letters"),
            ("stages:\n  a:\n    cmd: ''\n", "non-empty command"),
            ("stages:\n  a:\n    cmd: x\n    outs: [o, o]\n", "listed twice"),
            ("stages:\n  a:\n    cmd: x\n    outs: [o]\n    metrics: [o/m.json]\n", "overlap"),
            ("stages:\n  a:\n    cmd: x\n  a:\n    cmd: y\n", "twice"),
            ("metrics:\n  acc: up\nstages: {}\n", "expected higher_is_better or lower_is_better"),
            ("", "is empty"),
            ("stages:\n  a:\n    cmd: x\n    params: [{p.ini: [k]}]\n", "must end in .yaml"),
            ("stages:\n  a:\n    cmd: x\n    outs: [mlv.lock]\n", "cannot be an output"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "expected `\(expected)` in `\(error)`")
            }
        }
    }

    func testLockRoundTripsAndStaysSorted() throws {
        let id = ObjectID.of(Array("x".utf8))
        let stage = { (name: String) in
            LockedStage(name: name, cmd: "python3 \"\(name)\".py", wdir: "", deps: [LockedDep(path: "data/raw", id: id, kind: .directory)],
                        params: [LockedParam(file: "params.yaml", key: "train.lr", value: .double(0.1)),
                                 LockedParam(file: "params.yaml", key: "train.layers", value: .list([.int(1), .string("a: b")]))],
                        outs: [TrackedPath(dataPath: "models/\(name)", pointer: PointerFile(name: name, kind: .directory, id: id, size: 10, fileCount: 2))],
                        metrics: [LockedMetrics(path: "m.json", id: id, values: ["acc": .double(0.5), "n": .int(3)], keys: ["acc", "n"])],
                        run: RunInfo(started: "2026-01-01T00:00:00Z", duration: 1.5, mlvVersion: "0.1.0", commit: nil, dirty: true))
        }
        let lock = LockFile(stages: [stage("zeta"), stage("alpha")])
        XCTAssertEqual(lock.stages.map(\.name), ["alpha", "zeta"])
        let parsed = try LockFile.parse(lock.serialized())
        XCTAssertEqual(parsed.stages.map(\.params), lock.stages.map(\.params))
        XCTAssertEqual(parsed.serialized(), lock.serialized(), "serializing is stable")
        XCTAssertEqual(parsed, lock)
    }

    func testMalformedLocksAreRefused() {
        let cases: [(String, String)] = [
            ("schema: 2\nstages: {}\n", "schema 2"),
            ("stages: {}\n", "has no `schema`"),
            ("schema: 1\nstages:\n  a:\n    cmd: x\n    deps: []\n    outs:\n      - path: ../x\n        id: \(String(repeating: "a", count: 64))\n        size: 1\n    run: {started: x}\n", "output path `../x` escapes its directory with `..`"),
            ("schema: 1\nstages:\n  a:\n    cmd: x\n    deps: []\n    outs:\n      - path: x\n        id: nothex\n        size: 1\n    run: {started: x}\n", "64 lower-case hex"),
            ("schema: 1\nstages:\n  a:\n    cmd: x\n    deps: []\n    outs: []\n    run: {started: x}\n    extra: 1\n", "unknown key `extra`"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try LockFile.parse(Array(text.utf8)), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "expected `\(expected)` in `\(error)`")
            }
        }
    }
}
