import Foundation
import XCTest

/// A three-stage pipeline (prepare -> train -> evaluate) written as real Python scripts, in a
/// fresh repository with its raw data added and everything committed. Each script appends its
/// name to `runs.log`, so tests can tell a run from a restore.
enum PipelineFixture {
    static let prepare = """
    import glob, os
    open("runs.log", "a").write("prepare\\n")
    os.makedirs("data/features", exist_ok=True)
    rows = []
    for name in sorted(glob.glob("data/raw/*.csv")):
        rows += [line.strip() for line in open(name) if line.strip()]
    open("data/features/rows.txt", "w").write("\\n".join(rows) + "\\n")
    open("data/features/count.txt", "w").write(str(len(rows)) + "\\n")
    """

    static let train = """
    import json, os, re
    open("runs.log", "a").write("train\\n")
    params = dict(re.findall(r"^\\s+(\\w+):\\s*(\\S+)", open("params.yaml").read(), re.M))
    lr, epochs = float(params["lr"]), int(params["epochs"])
    rows = [tuple(map(float, line.split(","))) for line in open("data/features/rows.txt")]
    w = sum(y / x for x, y in rows) / len(rows) * (1 - lr / 10)
    os.makedirs("models", exist_ok=True)
    open("models/model.bin", "w").write(json.dumps({"w": w, "epochs": epochs}))
    """

    static let evaluate = """
    import json
    open("runs.log", "a").write("evaluate\\n")
    model = json.load(open("models/model.bin"))
    x, y = [float(v) for v in open("data/test.csv").read().split("\\n")[1].split(",")]
    error = abs(model["w"] * x - y)
    json.dump({"loss": round(error, 6), "accuracy": round(1 / (1 + error), 6)}, open("metrics.json", "w"))
    """

    static let pipeline = """
    stages:
      prepare:
        cmd: python3 prepare.py
        deps: [data/raw, prepare.py]
        outs: [data/features]
      train:
        cmd: python3 train.py
        deps: [data/features, train.py]
        params: [train.lr, train.epochs]
        outs: [models/model.bin]
      evaluate:
        cmd: python3 evaluate.py
        deps: [models/model.bin, data/test.csv, evaluate.py]
        metrics: [metrics.json]
    metrics:
      accuracy: higher_is_better
      loss: lower_is_better

    """

    static func make(file: StaticString = #filePath, line: UInt = #line) throws -> TestRepository {
        let repo = try TestRepository()
        for i in 1...3 { try repo.write("data/raw/part\(i).csv", "\(i),\(i * 2)\n\(i + 3),\(i * 2 + 6)\n") }
        try repo.write("data/test.csv", "x,y\n4,8\n")
        try repo.write("prepare.py", prepare + "\n")
        try repo.write("train.py", train + "\n")
        try repo.write("evaluate.py", evaluate + "\n")
        try repo.write("params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n")
        try repo.write("mlv.yaml", pipeline)
        try repo.write(".gitignore", "/.mlv/\nruns.log\n")
        let add = try repo.mlv("add", "data/raw", "data/test.csv")
        XCTAssertEqual(add.code, 0, add.stderr, file: file, line: line)
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "pipeline")
        return repo
    }

    static func runs(_ repo: TestRepository) -> [String] {
        ((try? String(contentsOfFile: repo.path("runs.log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static func clearRuns(_ repo: TestRepository) { try? FileManager.default.removeItem(atPath: repo.path("runs.log")) }
}
