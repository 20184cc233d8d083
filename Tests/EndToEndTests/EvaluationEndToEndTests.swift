import Foundation
import XCTest

/// `mlv evaluate`, the `evaluate:` stage key and `mlv plots`, with every number checked against
/// scikit-learn (run by `Reference/evaluation_reference.py` on the same random files).
final class EvaluationEndToEndTests: XCTestCase {
    static let referenceScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/evaluation_reference.py").path

    /// Leaves of a JSON document by dotted key, as `mlv metrics show` flattens them.
    static func flatten(_ value: Any, prefix: String = "", into out: inout [String: Any]) {
        if let map = value as? [String: Any] {
            for (key, child) in map { flatten(child, prefix: prefix.isEmpty ? key : prefix + "." + key, into: &out) }
        } else {
            out[prefix] = value
        }
    }

    func testEveryMetricMatchesScikitLearn() throws {
        let repo = try TestRepository(initMLV: false)
        let data = repo.path("cases")
        let reference = try TestRepository.run("/usr/bin/env", ["python3", Self.referenceScript, data], in: repo.root)
        try XCTSkipIf(reference.code != 0 && reference.stderr.contains("No module named"), "scikit-learn is not installed: \(reference.stderr)")
        XCTAssertEqual(reference.code, 0, reference.stderr)
        let cases = try XCTUnwrap(JSONSerialization.jsonObject(with: try repo.read("cases/cases.json")) as? [String: [String: Any]])
        XCTAssertEqual(cases.count, 12)
        var compared = 0
        // Each case twice: ranked in memory, and through sorted runs on disk (a 16-row buffer).
        for (name, spec) in cases.sorted(by: { $0.key < $1.key }) + cases.sorted(by: { $0.key < $1.key }).map({ ($0.key + "-spilled", $0.value) }) {
            let task = try XCTUnwrap(spec["task"] as? String)
            let source = name.replacingOccurrences(of: "-spilled", with: "")
            let file = source + (task == "text" ? ".jsonl" : ".csv")
            let buffer = name.hasSuffix("-spilled") ? ["--buffer-rows", "16"] : []
            let arguments = ["evaluate", file, "--task", task, "-o", name + ".metrics.json", "--plots", name + "-plots"] + buffer + (spec["args"] as? [String] ?? [])
            let result = try TestRepository.run(TestRepository.binary, arguments, in: data)
            XCTAssertEqual(result.code, 0, "\(name): \(result.stderr)")
            var actual: [String: Any] = [:]
            Self.flatten(try JSONSerialization.jsonObject(with: try repo.read("cases/\(name).metrics.json")), into: &actual)
            for (key, expected) in try XCTUnwrap(spec["expected"] as? [String: Any]) {
                if expected is NSNull {
                    XCTAssertTrue(actual[key] is NSNull, "\(name) \(key): scikit-learn has no value, mlv wrote \(actual[key] ?? "nothing")")
                } else {
                    let want = try XCTUnwrap(expected as? Double)
                    guard let got = actual[key] as? Double else { XCTFail("\(name) \(key): missing or not a number (\(actual[key] ?? "nothing"))"); continue }
                    XCTAssertEqual(got, want, accuracy: 1e-9, "\(name) \(key)")
                }
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 600)
        // Plot data: the confusion matrix sums to the rows; ROC curves start at (0, 0) and end at (1, 1).
        let confusion = try XCTUnwrap(JSONSerialization.jsonObject(with: try repo.read("cases/binary1-plots/confusion.json")) as? [String: Any])
        let matrix = try XCTUnwrap(confusion["matrix"] as? [[Int]])
        XCTAssertEqual(matrix.flatMap { $0 }.reduce(0, +), 537)
        let roc = try XCTUnwrap(JSONSerialization.jsonObject(with: try repo.read("cases/binary1-plots/roc.json")) as? [String: Any])
        let curve = try XCTUnwrap((roc["curves"] as? [[String: Any]])?.first)
        XCTAssertEqual((curve["fpr"] as? [Double])?.first, 0)
        XCTAssertEqual((curve["tpr"] as? [Double])?.last, 1)
    }

    func testBadPredictionsAreRefusedWithFileRowAndColumn() throws {
        let repo = try TestRepository(initMLV: false)
        try repo.write("p.csv", "y,yhat,s\n1,1,0.9\n0,1,0.4\n")
        try repo.write("three.csv", "y,yhat\n1,1\n0,2\n")
        try repo.write("short.csv", "y,yhat\n1,1\n0\n")
        try repo.write("reg.csv", "y,yhat\n1.5,2\n2.5,abc\n")
        try repo.write("empty.csv", "")
        try repo.write("wide.jsonl", "{\"y\": 1, \"yhat\": \"" + String(repeating: "x", count: 2 << 20) + "\"}\n")
        try repo.write("bad.jsonl", "{\"y\": 1, \"yhat\": 1}\n{\"y\": 1\n")
        try repo.write("scores.csv", "y,yhat,s\n1,1,3.5\n0,0,-2\n1,0,0.5\n")
        try repo.write("metrics.json", "{\"kept\": true}\n")
        let cases: [([String], String)] = [
            (["p.csv", "--task", "binary", "--label", "label"], "p.csv has no column `label`; its columns are: y, yhat, s."),
            (["three.csv", "--task", "binary", "--label", "y", "--prediction", "yhat"],
             "three.csv:3: column `yhat` holds `2`, a third class for a binary task (already seen: 0, 1); use --task multiclass."),
            (["short.csv", "--task", "binary", "--label", "y", "--prediction", "yhat"], "short.csv:3: the row has 1 field(s); the header has 2."),
            (["reg.csv", "--task", "regression", "--label", "y", "--prediction", "yhat"], "reg.csv:3: column `yhat` holds `abc`, which is not a number."),
            (["empty.csv", "--task", "binary"], "empty.csv is empty; it needs a header (CSV/TSV) or a JSON object per line."),
            (["wide.jsonl", "--task", "text", "--label", "y", "--prediction", "yhat"], "wide.jsonl:1: the line is longer than 1048576 bytes; that is not a row of predictions."),
            (["bad.jsonl", "--task", "binary", "--label", "y", "--prediction", "yhat"], "bad.jsonl:2: the row is not valid JSON: it ends inside an object."),
            (["p.csv", "--task", "multiclass", "--label", "y", "--prediction", "yhat", "--score", "s"],
             "a multiclass evaluation needs one --score column per class, in class order (0, 1): 2 expected, 1 given."),
            (["p.csv", "--task", "ranking"], "unknown task `ranking`; use binary, multiclass, regression or text."),
            (["p.txt", "--task", "binary"], "p.txt: predictions must be CSV (.csv), TSV (.tsv) or JSON Lines (.jsonl, .ndjson)."),
        ]
        for (arguments, message) in cases {
            let result = try TestRepository.run(TestRepository.binary, ["evaluate"] + arguments + ["-o", "metrics.json"], in: repo.root)
            XCTAssertEqual(result.code, 2, "\(arguments)")
            XCTAssertEqual(result.stderr, "mlv: error: \(message)\n", "\(arguments)")
            XCTAssertEqual(String(decoding: try repo.read("metrics.json"), as: UTF8.self), "{\"kept\": true}\n", "a failed evaluation wrote metrics")
        }
        // Scores outside [0, 1] rank fine, but are not probabilities: log loss and Brier are null.
        let ranked = try TestRepository.run(TestRepository.binary, ["evaluate", "scores.csv", "--task", "binary", "--label", "y", "--prediction", "yhat", "--score", "s", "--json"], in: repo.root)
        XCTAssertEqual(ranked.code, 0, ranked.stderr)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ranked.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(metrics["roc_auc"] as? Double, 1)
        XCTAssertTrue(metrics["log_loss"] is NSNull)
        XCTAssertTrue(metrics["brier"] is NSNull)
        // Rows without a label or prediction are skipped and counted, never read as 0.
        try repo.write("gaps.csv", "y,yhat\n1,1\n,0\n0,\n0,0\n")
        let gaps = try TestRepository.run(TestRepository.binary, ["evaluate", "gaps.csv", "--task", "binary", "--label", "y", "--prediction", "yhat", "--json"], in: repo.root)
        let gapMetrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(gaps.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(gapMetrics["rows"] as? Int, 2)
        XCTAssertEqual(gapMetrics["rows_skipped"] as? Int, 2)
        XCTAssertEqual(gapMetrics["accuracy"] as? Double, 1)
    }

    static let trainScript = """
    import random, re, os
    p = dict(re.findall(r"^\\s+(\\w+):\\s*(\\S+)", open("params.yaml").read(), re.M))
    noise = float(p["noise"])
    rnd = random.Random(7)
    os.makedirs("out", exist_ok=True)
    with open("out/predictions.csv", "w") as f:
        f.write("y_true,y_pred,y_score,language\\n")
        for i in range(2000):
            y = 1 if rnd.random() < 0.3 else 0
            s = min(1, max(0, (0.6 if y else 0.3) + rnd.gauss(0, noise)))
            f.write(f"{y},{int(s >= 0.5)},{s:.4f},{'de' if i % 3 == 0 else 'en'}\\n")
    with open("loss.csv", "w") as f:
        f.write("epoch,loss,val_loss\\n")
        for e in range(1, 11):
            f.write(f"{e},{1/(e*(1+noise)):.4f},{1.2/(e*(1+noise))+0.05:.4f}\\n")

    """

    static let pipeline = """
    stages:
      train:
        cmd: python3 train.py
        deps: [train.py]
        params: [train.noise]
        outs: [out/predictions.csv]
        plots: [loss.csv]
      evaluate:
        evaluate:
          predictions: out/predictions.csv
          task: binary
          label: y_true
          prediction: y_pred
          score: y_score
          slice_by: [language]
        metrics: [metrics.json]
        plots: [plots]
    metrics:
      f1: higher_is_better
    gates:
      - f1 >= baseline - 0.01
      - slices.language=de.f1 >= 0.7

    """

    /// The browser's view of a plots page (see `Reference/check_plots_page.py`).
    func browserReport(_ page: String, screenshot: String) throws -> [String: Any] {
        let script = URL(fileURLWithPath: Self.referenceScript).deletingLastPathComponent().appendingPathComponent("check_plots_page.py").path
        let result = try TestRepository.run("/usr/bin/env", ["python3", script, page, screenshot], in: "/")
        XCTAssertEqual(result.code, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func testEvaluateStageFlowsIntoMetricsGatesExperimentsAndPlots() throws {
        let repo = try TestRepository()
        try repo.write("train.py", Self.trainScript)
        try repo.write("params.yaml", "train:\n  noise: 0.2\n")
        try repo.write("mlv.yaml", Self.pipeline)
        let base = try repo.mlv("train", "--commit", "-m", "base")
        XCTAssertEqual(base.code, 0, base.stderr)
        XCTAssertEqual(base.stdout.split(separator: "\n").prefix(6).joined(separator: "\n").replacingOccurrences(of: #"\d+\.\d\d s"#, with: "<S> s", options: .regularExpression), """
        Stage train: running because it has not run before
        > python3 train.py
        Stage train: done in <S> s
        Stage evaluate: running because it has not run before
        > mlv evaluate out/predictions.csv --task binary --label y_true --prediction y_pred --score y_score --slice-by language -o metrics.json --plots plots
        Stage evaluate: done in <S> s
        """)
        XCTAssertEqual(try repo.git("ls-files", "plots").stdout, "plots/calibration.json\nplots/confusion.json\nplots/pr.json\nplots/roc.json\n")
        try repo.write("params.yaml", "train:\n  noise: 0.12\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-q").code, 0)
        let diff = try repo.mlv("metrics", "diff", "HEAD~1", "HEAD", "--json")
        let changes = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])?["metrics"] as? [[String: Any]])
        XCTAssertEqual(changes.first { $0["metric"] as? String == "f1" }?["verdict"] as? String, "improved")
        XCTAssertNotNil(changes.first { $0["metric"] as? String == "slices.language=de.f1" })
        let gate = try repo.mlv("gate", "HEAD", "--json")
        XCTAssertEqual(gate.code, 0, gate.stdout + gate.stderr)
        // The run cache restores plots and metrics too.
        try repo.write("params.yaml", "train:\n  noise: 0.2\n")
        let restored = try repo.mlv("train")
        XCTAssertTrue(restored.stdout.contains("Stage evaluate: restored from the run cache"), restored.stdout)
        XCTAssertEqual(try repo.read("plots/roc.json"), Data(try repo.git("show", "HEAD~1:plots/roc.json").stdout.utf8))
        try repo.git("checkout", "-q", "--", ".")
        XCTAssertEqual(try repo.mlv("checkout", "-q").code, 0)
        // An experiment's metrics, slices included, are columns of exp show.
        XCTAssertEqual(try repo.mlv("exp", "run", "-S", "train.noise=0.3", "-n", "noisy", "-q").code, 0)
        let shown = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try repo.mlv("exp", "show", "--json").stdout.utf8)) as? [String: Any])
        XCTAssertTrue((shown["metrics"] as? [String] ?? []).contains("slices.language=de.f1"))
        XCTAssertEqual((shown["experiments"] as? [[String: Any]])?.last?["gate"] as? String, "fail")

        let page = repo.path("diff.html")
        let wrote = try repo.mlv("plots", "diff", "HEAD~1", "HEAD", "--html", "diff.html")
        XCTAssertEqual(wrote.stdout, "Wrote diff.html: 5 plot file(s) from 2 revision(s).\n")
        let screenshot = ProcessInfo.processInfo.environment["MLV_SCREENSHOT"] ?? repo.path("diff.png")
        let report = try browserReport(page, screenshot: screenshot)
        XCTAssertEqual(report["scripts"] as? Int, 0)
        XCTAssertEqual(report["errors"] as? [String], [])
        let sections = try XCTUnwrap(report["sections"] as? [[String: Any]])
        XCTAssertEqual(sections.map { $0["path"] as? String }, ["loss.csv", "plots/calibration.json", "plots/confusion.json", "plots/pr.json", "plots/roc.json"])
        let curves: [String: Int] = ["loss.csv": 4, "plots/calibration.json": 2, "plots/pr.json": 2, "plots/roc.json": 2]
        for section in sections {
            let path = section["path"] as? String ?? ""
            let charts = section["charts"] as? [[String: Any]] ?? []
            let heatmaps = section["heatmaps"] as? [[String: Any]] ?? []
            if path == "plots/confusion.json" {
                XCTAssertEqual(charts.count, 0)
                XCTAssertEqual(heatmaps.map { $0["caption"] as? String }, ["HEAD~1", "HEAD"])
                XCTAssertEqual(heatmaps.map { $0["cells"] as? Int }, [4, 4])
                XCTAssertEqual(heatmaps.map { $0["titled"] as? Int }, [4, 4])
                continue
            }
            XCTAssertEqual(charts.count, 1, path)
            let chart = try XCTUnwrap(charts.first)
            XCTAssertEqual(chart["xAxis"] as? Bool, true, path)
            XCTAssertEqual(chart["yAxis"] as? Bool, true, path)
            XCTAssertGreaterThanOrEqual(chart["xTicks"] as? Int ?? 0, 3, path)
            XCTAssertGreaterThanOrEqual(chart["yTicks"] as? Int ?? 0, 3, path)
            XCTAssertEqual(chart["curves"] as? Int, curves[path], path)
            XCTAssertEqual((chart["legend"] as? [String])?.count, curves[path], path)
            XCTAssertGreaterThan(chart["titled"] as? Int ?? 0, 0, path)
            XCTAssertEqual(chart["visible"] as? Bool, true, path)
        }
        XCTAssertEqual(sections.first?["charts"].flatMap { ($0 as? [[String: Any]])?.first?["legend"] as? [String] },
                       ["HEAD~1: loss", "HEAD~1: val_loss", "HEAD: loss", "HEAD: val_loss"])
        guard sections.count == 5 else { return XCTFail("sections: \(sections.map { $0["path"] ?? "" })") }
        XCTAssertEqual(sections[4]["charts"].flatMap { ($0 as? [[String: Any]])?.first?["xLabel"] as? String }, "false positive rate")

        // plots show of an experiment and the work tree: one of each chart per revision.
        XCTAssertEqual(try repo.mlv("plots", "show", "--rev", "noisy", "--rev", "HEAD", "--html", "show.html").code, 0)
        let show = try browserReport(repo.path("show.html"), screenshot: repo.path("show.png"))
        XCTAssertEqual((show["sections"] as? [[String: Any]])?.count, 5)
    }

    func testRepositoryTextIsEscapedInThePage() throws {
        let repo = try TestRepository()
        let hostile = "<img src=x onerror=alert(1)>"
        try repo.write("p.csv", "truth,guess\n\"\(hostile)\",a\na,a\nb,\"\(hostile)\"\n")
        try repo.write("mlv.yaml", """
        stages:
          evaluate:
            evaluate: {predictions: p.csv, task: multiclass, label: truth, prediction: guess}
            metrics: [m.json]
            plots: ["<b>plots</b>"]

        """)
        let train = try repo.mlv("train", "--commit", "-q")
        XCTAssertEqual(train.code, 0, train.stderr)
        XCTAssertEqual(try repo.mlv("plots", "show", "--html", "page.html").code, 0)
        let html = String(decoding: try repo.read("page.html"), as: UTF8.self)
        XCTAssertFalse(html.contains("<img"), "a class name reached the page unescaped")
        XCTAssertFalse(html.contains("<b>plots"), "a path reached the page unescaped")
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        let report = try browserReport(repo.path("page.html"), screenshot: repo.path("page.png"))
        XCTAssertEqual(report["errors"] as? [String], [])
        XCTAssertEqual(report["scripts"] as? Int, 0)
        XCTAssertEqual(((report["sections"] as? [[String: Any]])?.first?["heatmaps"] as? [[String: Any]])?.first?["cells"] as? Int, 9)
    }
}
