import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `mlv ui` as a user runs it: the built binary serving a real repository on 127.0.0.1, driven
/// in headless Chromium (`Reference/check_ui.py`); and `mlv ui --export`.
final class UIEndToEndTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/check_ui.py").path

    /// The pipeline fixture with three commits of different params, and an experiment.
    func repositoryWithRuns() throws -> TestRepository {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train", "--commit", "-q", "-m", "baseline <b>bold</b>").code, 0)
        for lr in ["0.5", "0.9"] {
            try repo.write("params.yaml", "train:\n  lr: \(lr)\n  epochs: 3\n")
            XCTAssertEqual(try repo.mlv("train", "--commit", "-q", "-m", "lr \(lr)").code, 0)
        }
        XCTAssertEqual(try repo.mlv("exp", "run", "-S", "train.lr=0.3", "-n", "web-exp", "-q").code, 0)
        return repo
    }

    /// Starts `mlv ui` on a free loopback port and reads its first line (it prints that once
    /// it serves). The caller stops the process.
    func startServer(in repo: TestRepository) throws -> (server: Process, port: Int, firstLine: String) {
        let port = MotoServer.freePort()
        let server = TestRepository.process(TestRepository.binary, ["ui", "--port", String(port)], in: repo.root)
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        var bytes = Data()
        while !bytes.contains(10) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            bytes += chunk
        }
        return (server, port, String(decoding: bytes, as: UTF8.self))
    }

    func testTheAppInARealBrowser() throws {
        let repo = try repositoryWithRuns()
        let (server, port, line) = try startServer(in: repo)
        defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
        // The URL line says it is serving.
        XCTAssertEqual(line, "mlv ui: serving \(repo.root) at http://127.0.0.1:\(port)/ (Ctrl-C stops it)\n")
        let shots = ProcessInfo.processInfo.environment["MLV_UI_SCREENSHOTS"] ?? repo.path("shots")
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let result = try TestRepository.run("/usr/bin/env", ["python3", Self.script, "http://127.0.0.1:\(port)", shots, "accuracy"], in: repo.root)
        XCTAssertEqual(result.code, 0, result.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["errors"] as? [String], [])
        let rows = try XCTUnwrap(report["rows"] as? [[String]])
        // Newest commit first, the experiment under its baseline; subjects escaped, shown as text.
        XCTAssertEqual(rows.map { $0.first ?? "" }, ["lr 0.9", "web-exp vs baseline", "lr 0.5", "baseline <b>bold</b>", "pipeline"])
        XCTAssertEqual(rows.map { $0.count > 3 ? $0[3] : "" }, ["baseline", "done", "baseline", "baseline", "baseline"])
        let ascending = try XCTUnwrap(report["ascending"] as? [String]).filter { !$0.isEmpty }.compactMap(Double.init)
        let descending = try XCTUnwrap(report["descending"] as? [String]).filter { !$0.isEmpty }.compactMap(Double.init)
        XCTAssertEqual(ascending, ascending.sorted())
        XCTAssertEqual(descending, ascending.sorted(by: >))
        XCTAssertEqual(ascending.count, 3)
        let threshold = try XCTUnwrap(report["threshold"] as? Double)
        let filtered = try XCTUnwrap(report["filtered"] as? [String]).compactMap(Double.init)
        for value in ascending where value > threshold { XCTAssertTrue(filtered.contains(value), "\(value) was filtered out") }
        XCTAssertTrue(!filtered.isEmpty && filtered.allSatisfy { $0 > threshold }, "\(filtered) after `accuracy > \(threshold)`")
        XCTAssertTrue((report["compare_url"] as? String)?.contains("/compare?rev=") == true)
        XCTAssertEqual(report["compare_tables"] as? Int, 2, "\(report["compare_headings"] ?? "")")
        // The compare page's metrics are `mlv metrics diff`'s numbers for the same two revisions.
        let compareURL = try XCTUnwrap(URLComponents(string: try XCTUnwrap(report["compare_url"] as? String)))
        let revisions = compareURL.queryItems?.filter { $0.name == "rev" }.compactMap(\.value) ?? []
        guard revisions.count == 2 else { return XCTFail("the compare page was not reached: \(report["compare_url"] ?? "")") }
        let diff = try repo.mlv("metrics", "diff", revisions[0], revisions[1], "--json")
        let changes = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])?["metrics"] as? [[String: Any]])
        let expected = changes.filter { $0["verdict"] as? String != "unchanged" }.map { change -> [String] in
            [change["metric"] as? String ?? "", String(format: "%.6g", change["a"] as? Double ?? .nan), String(format: "%.6g", change["b"] as? Double ?? .nan)]
        }
        XCTAssertEqual(report["compare_metrics"] as? [[String]], expected)
        XCTAssertFalse(expected.isEmpty)
        // A metric column moved one place left.
        let before = try XCTUnwrap(report["columns_before"] as? [String]), after = try XCTUnwrap(report["columns_after"] as? [String])
        guard before.count > 3, after.count == before.count else { return XCTFail("columns: \(before) -> \(after)") }
        let moved = before[before.count - 2]
        XCTAssertEqual(after[after.count - 3], moved, "\(before) -> \(after)")
        XCTAssertEqual(Set(after), Set(before))
        XCTAssertEqual(report["history_points"] as? Int, 3)
        let titles = try XCTUnwrap(report["history_titles"] as? [String])
        XCTAssertTrue(titles.last?.contains(" lr 0.9 (") == true, "\(titles)")
        XCTAssertTrue((report["history_links"] as? [String])?.last?.contains("/compare?rev=") == true)
        XCTAssertEqual((report["data_rows"] as? [[String]])?.map { $0.first ?? "" }, ["data/features", "data/raw", "data/test.csv", "models/model.bin"])
        let nodes = try XCTUnwrap(report["lineage_nodes"] as? [String])
        XCTAssertTrue(nodes.contains { $0.hasPrefix("models/model.bin: $ python3 train.py") }, "\(nodes)")
        XCTAssertTrue(nodes.contains { $0.hasPrefix("data/raw: added with mlv add") }, "\(nodes)")
        // A new commit shows up on reload.
        try repo.write("params.yaml", "train:\n  lr: 0.7\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-q", "-m", "lr 0.7").code, 0)
        let again = try TestRepository.run("/usr/bin/env", ["python3", Self.script, "http://127.0.0.1:\(port)", shots, "accuracy"], in: repo.root)
        let reloaded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((reloaded["rows"] as? [[String]])?.first?.first, "lr 0.7")
        // Ctrl-C stops it cleanly.
        Glibc.kill(server.processIdentifier, SIGINT)
        server.waitUntilExit()
        XCTAssertEqual(server.terminationReason, .exit)
        XCTAssertEqual(server.terminationStatus, 0)
    }

    func testAThousandRequestsWhileCommitsLand() throws {
        let repo = try repositoryWithRuns()
        let (server, port, _) = try startServer(in: repo)
        defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
        let script = URL(fileURLWithPath: Self.script).deletingLastPathComponent().appendingPathComponent("load_ui.py").path
        let load = TestRepository.process("/usr/bin/env", ["python3", script, "http://127.0.0.1:\(port)", "1000", String(server.processIdentifier)], in: repo.root)
        let result = Pipe()
        load.standardOutput = result
        try load.run()
        // Commits land while the requests run.
        var commits = 0
        while load.isRunning && commits < 6 {
            try repo.write("params.yaml", "train:\n  lr: 0.\(commits + 1)5\n  epochs: 3\n")
            XCTAssertEqual(try repo.mlv("train", "--commit", "-q", "-m", "during load \(commits)").code, 0)
            commits += 1
        }
        load.waitUntilExit()
        XCTAssertGreaterThan(commits, 0)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: result.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        XCTAssertEqual(report["statuses"] as? [String: Int], ["200": 1000], "every request answered")
        XCTAssertTrue(server.isRunning, "the server died under load")
        let early = try XCTUnwrap(report["early_kib"] as? Int), late = try XCTUnwrap(report["late_kib"] as? Int)
        XCTAssertLessThan(late, early + early / 2 + 20_000, "memory grew from \(early) KiB to \(late) KiB")
        // The server wrote what it learned to the history index meanwhile; it reads back whole
        // and holds the commits that landed during the load.
        XCTAssertTrue(repo.exists(".mlv/state/history"))
        let history = try repo.mlv("metrics", "history", "accuracy", "--json")
        XCTAssertEqual(history.stderr, "")
        XCTAssertTrue(history.stdout.contains("\"summary\" : \"during load 0\""), history.stdout)
    }

    /// The server reads the branch's history before it prints its URL, so the first history
    /// page needs nothing from Git: a metrics blob taken away after the URL shows is not missed.
    /// A server started without it (and without the history index) shows no value there.
    func testTheServerReadsHistoryBeforeItPrintsItsURL() throws {
        let repo = try repositoryWithRuns()
        try? FileManager.default.removeItem(atPath: repo.path(".mlv/state/history"))
        let blob = try repo.git("rev-parse", "HEAD:metrics.json").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let loose = repo.path(".git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: loose), "mlv wrote the commit's objects loose")
        let accuracy = try XCTUnwrap((try JSONSerialization.jsonObject(with: try repo.read("metrics.json")) as? [String: Any])?["accuracy"] as? Double)
        func historyPage(_ port: Int) throws -> String {
            try TestRepository.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/history?metric=accuracy"], in: repo.root).stdout
        }
        let (server, port, _) = try startServer(in: repo)
        try FileManager.default.moveItem(atPath: loose, toPath: repo.path("hidden-blob"))
        let page = try historyPage(port)
        server.terminate()
        server.waitUntilExit()
        XCTAssertEqual(page.components(separatedBy: "): \(accuracy)</title>").count, 2, "HEAD's point, once: \(page.suffix(600))")

        try? FileManager.default.removeItem(atPath: repo.path(".mlv/state/history"))
        let (blind, blindPort, _) = try startServer(in: repo)
        defer { if blind.isRunning { blind.terminate(); blind.waitUntilExit() } }
        XCTAssertFalse(try historyPage(blindPort).contains("): \(accuracy)</title>"), "without the blob, HEAD has no value")
        try FileManager.default.moveItem(atPath: repo.path("hidden-blob"), toPath: loose)
    }

    func testExportWritesTheSamePagesWithRelativeLinks() throws {
        let repo = try repositoryWithRuns()
        let result = try repo.mlv("ui", "--export", "site")
        XCTAssertEqual(result.code, 0, result.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: repo.path("site")).sorted()
        XCTAssertTrue(files.contains("index.html") && files.contains("app.js") && files.contains("data.html"), "\(files)")
        XCTAssertEqual(files.filter { $0.hasPrefix("compare-") }.count, 4, "each of 3 commits against its parent, the experiment against its baseline")
        XCTAssertEqual(files.filter { $0.hasPrefix("history-") }.count, 2)
        let index = String(decoding: try repo.read("site/index.html"), as: UTF8.self)
        XCTAssertFalse(index.contains("href=\"/"), "an exported page links to the server")
        XCTAssertTrue(index.contains("baseline &lt;b&gt;bold&lt;/b&gt;"))
        for link in index.components(separatedBy: "href=\"").dropFirst().map({ String($0.prefix { $0 != "\"" }) }) where !link.hasPrefix("data:") {
            XCTAssertTrue(files.contains(link), "index.html links to \(link), which was not written")
        }
        XCTAssertEqual(result.stdout, "Wrote \(files.count) file(s) to site; open site/index.html.\n")
    }
}
