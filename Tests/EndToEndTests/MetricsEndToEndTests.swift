import Foundation
import XCTest

/// `mlv metrics`, `mlv params diff` and `mlv gate` over real commits, read without checkouts.
final class MetricsEndToEndTests: XCTestCase {
    /// Baseline (lr 0.1), then a worse model (lr 0.5), both committed.
    func makeHistory() throws -> TestRepository {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "baseline").code, 0)
        try repo.write("params.yaml", "train:\n  lr: 0.5\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "faster").code, 0)
        return repo
    }

    func testDiffShowAndHistory() throws {
        let repo = try makeHistory()
        let diff = try repo.mlv("metrics", "diff", "HEAD~1", "HEAD")
        XCTAssertEqual(diff.code, 0, diff.stderr)
        for expected in ["Path", "Change %", "accuracy", "0.92593", "0.71429", "-0.21164", "-22.86%", "regressed", "loss", "+400%"] {
            XCTAssertTrue(diff.stdout.contains(expected), "\(expected) not in\n\(diff.stdout)")
        }
        XCTAssertEqual(try repo.mlv("metrics", "diff", "HEAD~1", "HEAD", "--fail-on-regression").code, 1)
        XCTAssertEqual(try repo.mlv("metrics", "diff", "HEAD", "HEAD~1", "--fail-on-regression").code, 0, "the other way it improved")
        let json = try JSONSerialization.jsonObject(with: Data(try repo.mlv("metrics", "diff", "HEAD~1", "HEAD", "--json").stdout.utf8)) as! [String: Any]
        let metrics = json["metrics"] as! [[String: Any]]
        XCTAssertEqual(metrics.first { $0["metric"] as? String == "loss" }?["verdict"] as? String, "regressed")
        XCTAssertEqual(metrics.first { $0["metric"] as? String == "loss" }?["b"] as? Double, 0.4)
        XCTAssertTrue(try repo.mlv("metrics", "diff", "HEAD~1", "HEAD", "--md").stdout.contains("| metrics.json | accuracy |"))
        XCTAssertTrue(try repo.mlv("metrics", "diff").stdout.contains("No metric changed between HEAD and workspace"))
        XCTAssertTrue(try repo.mlv("metrics", "diff", "--all", "--precision", "2").stdout.contains("0.71"))

        let show = try repo.mlv("metrics", "show", "--rev", "HEAD~1", "--rev", "HEAD", "--csv")
        XCTAssertTrue(show.stdout.contains("HEAD~1,metrics.json,accuracy,0.92593"), show.stdout)
        XCTAssertTrue(try repo.mlv("metrics", "show", "--all-branches").stdout.contains("main"))

        let history = try repo.mlv("metrics", "history", "accuracy")
        XCTAssertEqual(history.code, 0, history.stderr)
        XCTAssertTrue(history.stdout.contains("accuracy:  █▁"), history.stdout)
        XCTAssertTrue(history.stdout.contains("faster") && history.stdout.contains("0.92593"), history.stdout)
        let range = try repo.mlv("metrics", "history", "accuracy", "HEAD~1..HEAD", "--json")
        let points = ((try JSONSerialization.jsonObject(with: Data(range.stdout.utf8)) as! [[String: Any]])[0]["points"]) as! [[String: Any]]
        XCTAssertEqual(points.count, 1)
        XCTAssertEqual(points[0]["value"] as? Double, 0.714286)
        let html = try repo.mlv("metrics", "history", "accuracy,loss", "--html", "chart.html")
        XCTAssertEqual(html.code, 0, html.stderr)
        let page = String(decoding: try repo.read("chart.html"), as: UTF8.self)
        let head = String(try repo.git("rev-parse", "--short=8", "HEAD").stdout.prefix(8))
        XCTAssertEqual(page.components(separatedBy: "<svg").count, 3, "one chart per metric")
        XCTAssertTrue(page.contains("<title>\(head) faster: 0.71429</title>"), "hover shows commit, subject and value")
        XCTAssertFalse(page.contains("<script") || page.contains("src=") || page.contains("href=") || page.contains("@import"),
                       "self-contained: nothing is loaded from elsewhere")
    }

    /// The second history reads commits, trees and metrics files from `.mlv/state/history`
    /// (proved by hiding a metrics blob it needs), and a damaged or newer index is named,
    /// ignored and written afresh.
    func testHistoryIndexIsReusedAndADamagedOneIsRebuilt() throws {
        let repo = try makeHistory()
        let first = try repo.mlv("metrics", "history", "accuracy", "--json")
        XCTAssertEqual(first.code, 0, first.stderr)
        XCTAssertEqual(first.stderr, "")
        XCTAssertTrue(repo.exists(".mlv/state/history"))

        let blob = try repo.git("rev-parse", "HEAD:metrics.json").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let loose = repo.path(".git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: loose), "mlv wrote the commit's objects loose")
        try FileManager.default.moveItem(atPath: loose, toPath: repo.path("hidden-blob"))
        let fromIndex = try repo.mlv("metrics", "history", "accuracy", "--json")
        XCTAssertEqual(fromIndex.code, 0, fromIndex.stderr)
        XCTAssertEqual(fromIndex.stdout, first.stdout, "the metrics file came from the index, not from Git")
        try FileManager.default.removeItem(atPath: repo.path(".mlv/state/history"))
        let withoutIndex = try repo.mlv("metrics", "history", "accuracy", "--json")
        let points = ((try JSONSerialization.jsonObject(with: Data(withoutIndex.stdout.utf8)) as! [[String: Any]])[0]["points"]) as! [[String: Any]]
        XCTAssertEqual(points.map { $0["summary"] as? String }, ["pipeline", "baseline", "faster"])
        XCTAssertTrue(points[2]["value"] is NSNull, "without the index the hidden blob is needed, and HEAD has no value")
        try FileManager.default.moveItem(atPath: repo.path("hidden-blob"), toPath: loose)

        XCTAssertEqual(try repo.mlv("metrics", "history", "accuracy", "--json").stdout, first.stdout)
        var bytes = [UInt8](try repo.read(".mlv/state/history"))
        bytes[bytes.count / 2] ^= 0x20
        try repo.write(".mlv/state/history", Data(bytes))
        let damaged = try repo.mlv("metrics", "history", "accuracy", "--json")
        XCTAssertEqual(damaged.stdout, first.stdout)
        XCTAssertEqual(damaged.stderr, "mlv: warning: ignoring the history index .mlv/state/history: it is damaged (truncated or altered: its checksum does not match); it will be rebuilt\n")
        let next = try repo.mlv("metrics", "history", "accuracy", "--json")
        XCTAssertEqual(next.stderr, "", "the index was written afresh")

        bytes = [UInt8](try repo.read(".mlv/state/history"))
        bytes[8] = 9
        try repo.write(".mlv/state/history", Data(bytes))
        let newer = try repo.mlv("exp", "show", "--json")
        XCTAssertEqual(newer.code, 0, newer.stderr)
        XCTAssertEqual(newer.stderr, "mlv: warning: ignoring the history index .mlv/state/history: it was written by a newer mlv (format 9); it will be rebuilt\n")
        XCTAssertEqual(try repo.mlv("metrics", "history", "accuracy", "--json").stderr, "")
    }

    func testParamsDiff() throws {
        let repo = try makeHistory()
        let diff = try repo.mlv("params", "diff", "HEAD~1", "HEAD")
        XCTAssertEqual(diff.code, 0, diff.stderr)
        XCTAssertTrue(diff.stdout.contains("params.yaml  train.lr") && diff.stdout.contains("0.1") && diff.stdout.contains("0.5"), diff.stdout)
        XCTAssertFalse(diff.stdout.contains("train.epochs"), diff.stdout)
        XCTAssertTrue(try repo.mlv("params", "diff", "HEAD~1", "HEAD", "--all").stdout.contains("train.epochs"))
        try repo.write("params.yaml", "train:\n  lr: 0.5\n  epochs: 4\n  optimizer: adam\n")
        let workspace = try repo.mlv("params", "diff", "--json")
        let params = (try JSONSerialization.jsonObject(with: Data(workspace.stdout.utf8)) as! [String: Any])["params"] as! [[String: Any]]
        XCTAssertEqual(Set(params.map { $0["param"] as! String }), ["train.epochs", "train.optimizer"])
        XCTAssertEqual(params.first { $0["param"] as? String == "train.optimizer" }?["verdict"] as? String, "added")
    }

    func testMetricsFileFormatsAndMalformedFiles() throws {
        let repo = try makeHistory()
        try repo.write("eval/log.csv", "epoch,val_loss\n1,0.9\n2,0.3\n")
        try repo.write("eval/extra.tsv", "f1\tname\n0.75\tbest\n")
        try repo.write("eval/nested.yaml", "test:\n  auc: 0.8\n")
        let show = try repo.mlv("metrics", "show", "--file", "eval/log.csv", "--file", "eval/extra.tsv", "--file", "eval/nested.yaml", "--json")
        XCTAssertEqual(show.code, 0, show.stderr)
        let values = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [[String: Any]]
        let byKey = Dictionary(uniqueKeysWithValues: values.map { ($0["metric"] as! String, $0["value"]!) })
        XCTAssertEqual(byKey["val_loss"] as? Double, 0.3, "the last row of a CSV counts")
        XCTAssertEqual(byKey["f1"] as? Double, 0.75)
        XCTAssertEqual(byKey["name"] as? String, "best")
        XCTAssertEqual(byKey["test.auc"] as? Double, 0.8)

        try repo.write("metrics.json", "{\"accuracy\": 0.9,\n \"loss\": }\n")
        let broken = try repo.mlv("metrics", "show")
        XCTAssertEqual(broken.code, 2)
        XCTAssertTrue(broken.stderr.contains("metrics.json:2:"), broken.stderr)
        XCTAssertEqual(try repo.mlv("metrics", "diff").code, 2)
        XCTAssertEqual(try repo.mlv("metrics", "show", "--rev", "HEAD").code, 0, "a commit is read from Git, not the broken work tree")
    }

    func testGateCommand() throws {
        let repo = try makeHistory()
        try repo.write("mlv.yaml", PipelineFixture.pipeline + "gates:\n  - accuracy >= 0.7\n  - loss <= baseline + 0.01\n")
        try repo.git("commit", "-q", "-am", "gates")
        let fail = try repo.mlv("gate", "HEAD", "--baseline", "HEAD~2")
        XCTAssertEqual(fail.code, 1, fail.stderr)
        for expected in ["Gates for HEAD against HEAD~2", "loss <= baseline + 0.01", "FAIL", "0.4 is not <= 0.09", "pass"] {
            XCTAssertTrue(fail.stdout.contains(expected), "\(expected) not in\n\(fail.stdout)")
        }
        let older = try repo.mlv("gate", "HEAD~2", "--baseline", "HEAD~2")
        XCTAssertEqual(older.code, 0, "the gates come from the checked revision's mlv.yaml, which has none")
        XCTAssertTrue(older.stdout.contains("No gates"), older.stdout)
        XCTAssertEqual(try repo.mlv("gate").code, 0, "the work tree against HEAD: unchanged metrics pass")
        let json = try JSONSerialization.jsonObject(with: Data(try repo.mlv("gate", "--json").stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["passed"] as? Bool, true)

        try repo.write("mlv.yaml", PipelineFixture.pipeline + "gates:\n  - accuracy >= \n")
        let bad = try repo.mlv("gate")
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.stderr.contains("mlv.yaml:19:5: gate `accuracy >=`: a number or `baseline`"), bad.stderr)
        try repo.write("mlv.yaml", PipelineFixture.pipeline + "gates:\n  - precision >= 0.5\n")
        let missing = try repo.mlv("gate")
        XCTAssertEqual(missing.code, 1)
        XCTAssertTrue(missing.stdout.contains("`precision` is missing at workspace"), missing.stdout)
    }
}
