import Foundation
import XCTest

/// `mlv hooks install` and the hooks at work under real `git push`, `git switch` and
/// `git commit`, with a bare repository on disk and a local-directory mlv remote.
final class HooksEndToEndTests: XCTestCase {
    /// PATH with the mlv under test first, as a user's shell would have it.
    static var environment: [String: String] {
        let binDirectory = (TestRepository.binary as NSString).deletingLastPathComponent
        return ["PATH": binDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
    }

    /// Runs git with mlv on PATH (hooks call it).
    @discardableResult
    static func git(_ repo: TestRepository, _ arguments: String..., environment: [String: String] = [:]) throws -> TestRepository.Result {
        try TestRepository.run("/usr/bin/env", ["git"] + arguments, in: repo.root, environment: Self.environment.merging(environment) { _, b in b })
    }

    /// The pipeline fixture with `gates`, trained and committed, a bare Git remote, a directory
    /// mlv remote and hooks installed; nothing pushed yet.
    func makeUnpushedRepository(gates: [String]) throws -> (repo: TestRepository, bare: String, store: String) {
        let repo = try PipelineFixture.make()
        let bare = repo.root + "-origin.git", store = repo.root + "-store"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: bare); try? FileManager.default.removeItem(atPath: store) }
        _ = try TestRepository.run("/usr/bin/env", ["git", "init", "-q", "--bare", "-b", "main", bare], in: "/")
        try repo.git("remote", "add", "origin", bare)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", store, "--default").code, 0)
        try repo.write("mlv.yaml", PipelineFixture.pipeline + "gates:\n" + gates.map { "  - \($0)\n" }.joined())
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "baseline with gates").code, 0)
        let install = try repo.mlv("hooks", "install")
        XCTAssertEqual(install.code, 0, install.stderr)
        return (repo, bare, store)
    }

    /// `makeUnpushedRepository` with a first push done.
    func makeRepository() throws -> (repo: TestRepository, bare: String, store: String) {
        let (repo, bare, store) = try makeUnpushedRepository(gates: ["accuracy >= 0.5", "loss <= baseline + 0.01"])
        // A first push to an empty remote: the baseline rule is skipped, the absolute one holds.
        let first = try Self.git(repo, "push", "-u", "origin", "main")
        XCTAssertEqual(first.code, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("skipped  no baseline: first push to an empty remote"), first.stderr)
        XCTAssertTrue(first.stdout.contains("Pushed ") && first.stdout.contains("(store)"), first.stdout + first.stderr)
        return (repo, bare, store)
    }

    /// The newcomer's first push: baseline rules are skipped on an empty remote, absolute ones
    /// are enforced, and `mlv.gate.missingBaseline fail` keeps the strict behaviour.
    func testFirstPushSkipsBaselineRulesButEnforcesAbsoluteOnes() throws {
        let (repo, bare, _) = try makeUnpushedRepository(gates: ["accuracy >= 0.999", "loss <= baseline + 0.01"])

        let weak = try Self.git(repo, "push", "-u", "origin", "main")
        XCTAssertNotEqual(weak.code, 0)
        let table = weak.stderr.split(separator: "\n").drop { !$0.hasPrefix("Gates for") }.prefix(4)
            .map { $0.replacingOccurrences(of: #"\([0-9a-f]{7,}\)"#, with: "(ID)", options: .regularExpression) }
        XCTAssertEqual(table, ["Gates for main (ID) (no baseline):",
                               "Metric    Value    Baseline  Rule                     Result   Why",
                               "accuracy  0.92593  -         accuracy >= 0.999        FAIL     0.925926 is not >= 0.999",
                               "loss      0.08     -         loss <= baseline + 0.01  skipped  no baseline: first push to an empty remote"], weak.stderr)
        XCTAssertTrue(weak.stderr.contains("mlv: error: a gate failed, so the push was refused."), weak.stderr)
        XCTAssertFalse(weak.stderr.contains("--allow-missing-baseline"), "git push takes no such flag: \(weak.stderr)")
        XCTAssertEqual(try remoteTip(bare), "")

        try repo.write("mlv.yaml", PipelineFixture.pipeline + "gates:\n  - accuracy >= 0.5\n  - loss <= baseline + 0.01\n")
        try repo.git("commit", "-q", "-am", "realistic gate")
        try repo.git("config", "mlv.gate.missingBaseline", "fail")
        let strict = try Self.git(repo, "push", "-u", "origin", "main")
        XCTAssertNotEqual(strict.code, 0)
        XCTAssertTrue(strict.stderr.contains("no baseline to compare with; this repository sets `mlv.gate.missingBaseline fail`"), strict.stderr)
        XCTAssertEqual(try remoteTip(bare), "")

        try repo.git("config", "--unset", "mlv.gate.missingBaseline")
        let first = try Self.git(repo, "push", "-u", "origin", "main")
        XCTAssertEqual(first.code, 0, first.stderr)
        XCTAssertFalse(try remoteTip(bare).isEmpty)

        // A new branch that shares no history with the remote's default branch.
        try repo.git("checkout", "-q", "--orphan", "fresh")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "unrelated").code, 0)
        let orphan = try Self.git(repo, "push", "-u", "origin", "fresh")
        XCTAssertEqual(orphan.code, 0, orphan.stderr)
        XCTAssertTrue(orphan.stderr.contains("no baseline: fresh shares no history with origin's default branch"), orphan.stderr)
    }

    func remoteTip(_ bare: String, _ branch: String = "main") throws -> String {
        try TestRepository.run("/usr/bin/env", ["git", "rev-parse", "--verify", "-q", "refs/heads/\(branch)"], in: bare)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testPassingPushUploadsDataAndARegressionIsRefused() throws {
        let (repo, bare, store) = try makeRepository()
        let pushedFirst = try remoteTip(bare)
        XCTAssertFalse(pushedFirst.isEmpty)
        // Better params: the push passes, and a clone gets the new model's bytes from the store.
        try repo.write("params.yaml", "train:\n  lr: 0.05\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "better").code, 0)
        let pass = try Self.git(repo, "push")
        XCTAssertEqual(pass.code, 0, pass.stderr)
        XCTAssertTrue(pass.stderr.contains("against origin"), pass.stderr)
        let head = try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try remoteTip(bare), head)
        let clone = repo.root + "-clone"
        defer { try? FileManager.default.removeItem(atPath: clone) }
        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", bare, clone], in: "/")
        XCTAssertEqual(try TestRepository.run(TestRepository.binary, ["pull"], in: clone).code, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: clone + "/models/model.bin")), try repo.read("models/model.bin"))

        // Pushing again with nothing new contacts no mlv remote: the store is not even read.
        try FileManager.default.moveItem(atPath: store, toPath: store + "-away")
        defer { try? FileManager.default.moveItem(atPath: store + "-away", toPath: store) }
        try repo.git("commit", "-q", "--allow-empty", "-m", "docs only")
        let quiet = try Self.git(repo, "push")
        XCTAssertEqual(quiet.code, 0, quiet.stderr)
        // The data directory's tree, known on the remote, stands for its files (9 objects before).
        let summary = quiet.stdout.split(separator: "\n").first { $0.hasPrefix("Pushed") }.map { String($0).components(separatedBy: " in ")[0] }
        XCTAssertEqual(summary, "Pushed 0 object(s), 0 B; 4 already there (86 B); 0 request(s)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "no request reached the remote")
        try FileManager.default.moveItem(atPath: store + "-away", toPath: store)

        // A regression: refused with the table on stderr; the remote branch does not move.
        let before = try remoteTip(bare)
        try repo.write("params.yaml", "train:\n  lr: 2.0\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "worse").code, 0)
        let refused = try Self.git(repo, "push")
        XCTAssertNotEqual(refused.code, 0)
        for expected in ["Gates for main", "loss <= baseline + 0.01", "FAIL", "the push was refused"] {
            XCTAssertTrue(refused.stderr.contains(expected), "\(expected) not in \(refused.stderr)")
        }
        XCTAssertEqual(try remoteTip(bare), before)
        // --no-verify bypasses every hook, as Git documents.
        XCTAssertEqual(try Self.git(repo, "push", "--no-verify").code, 0)
        try repo.assertGitFsckClean()
    }

    func testNewBranchIsGatedAgainstItsMergeBaseAndDeletionPushesNothing() throws {
        let (repo, bare, _) = try makeRepository()
        XCTAssertEqual(try repo.git("fetch", "-q", "origin").code, 0)
        try repo.git("remote", "set-head", "origin", "main")
        try Self.git(repo, "switch", "-q", "-c", "experiment")
        try repo.write("params.yaml", "train:\n  lr: 3.0\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "worse on a branch").code, 0)
        let refused = try Self.git(repo, "push", "-u", "origin", "experiment")
        XCTAssertNotEqual(refused.code, 0)
        XCTAssertTrue(refused.stderr.contains("merge base with origin/HEAD"), refused.stderr)
        XCTAssertEqual(try remoteTip(bare, "experiment"), "")
        try repo.write("params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "back").code, 0)
        XCTAssertEqual(try Self.git(repo, "push", "-u", "origin", "experiment").code, 0)
        XCTAssertFalse(try remoteTip(bare, "experiment").isEmpty)
        let deleted = try Self.git(repo, "push", "origin", "--delete", "experiment")
        XCTAssertEqual(deleted.code, 0, deleted.stderr)
        XCTAssertFalse(deleted.stderr.contains("Gates for"), deleted.stderr)
    }

    func testExistingUserHookIsChainedAndRestored() throws {
        let repo = try PipelineFixture.make()
        let bare = repo.root + "-origin.git"
        defer { try? FileManager.default.removeItem(atPath: bare) }
        _ = try TestRepository.run("/usr/bin/env", ["git", "init", "-q", "--bare", "-b", "main", bare], in: "/")
        try repo.git("remote", "add", "origin", bare)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", bare + "-store", "--default").code, 0)
        defer { try? FileManager.default.removeItem(atPath: bare + "-store") }
        let userHook = "#!/bin/sh\nwhile read line; do echo \"$line\" >> \"$(git rev-parse --git-dir)/user-hook.log\"; done\nexit 0\n"
        try repo.write(".git/hooks/pre-push", userHook)
        chmod(repo.path(".git/hooks/pre-push"), 0o755)
        let install = try repo.mlv("hooks", "install")
        XCTAssertTrue(install.stdout.contains("runs your earlier hook first"), install.stdout)
        XCTAssertEqual(String(decoding: try repo.read(".git/hooks/pre-push.mlv-chained"), as: UTF8.self), userHook)
        let push = try Self.git(repo, "push", "-u", "origin", "main")
        XCTAssertEqual(push.code, 0, push.stderr)
        let log = String(decoding: try repo.read(".git/user-hook.log"), as: UTF8.self)
        XCTAssertTrue(log.hasPrefix("refs/heads/main "), "the user's hook got Git's input: \(log)")

        // A failing user hook still stops the push.
        try repo.write(".git/hooks/pre-push.mlv-chained", "#!/bin/sh\necho no >&2\nexit 3\n")
        try repo.git("commit", "-q", "--allow-empty", "-m", "more")
        let stopped = try Self.git(repo, "push")
        XCTAssertNotEqual(stopped.code, 0)
        XCTAssertTrue(stopped.stderr.contains("exited with code 3"), stopped.stderr)

        let uninstall = try repo.mlv("hooks", "uninstall")
        XCTAssertEqual(uninstall.code, 0, uninstall.stderr)
        XCTAssertEqual(String(decoding: try repo.read(".git/hooks/pre-push"), as: UTF8.self), "#!/bin/sh\necho no >&2\nexit 3\n")
        XCTAssertFalse(repo.exists(".git/hooks/post-checkout"))

        // core.hooksPath is honoured.
        try repo.git("config", "core.hooksPath", "githooks")
        XCTAssertEqual(try repo.mlv("hooks", "install").code, 0)
        XCTAssertTrue(repo.exists("githooks/post-merge"))
        XCTAssertTrue(try repo.mlv("hooks", "status").stdout.contains("githooks/pre-push"))
    }

    func testPostCheckoutMaterializesAfterSwitchAndKeepsUnsavedChanges() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "v1").code, 0)
        let v1 = try repo.read("models/model.bin")
        XCTAssertEqual(try repo.mlv("hooks", "install").code, 0)
        try Self.git(repo, "switch", "-q", "-c", "v2")
        try repo.write("params.yaml", "train:\n  lr: 0.7\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "v2").code, 0)
        let v2 = try repo.read("models/model.bin")
        XCTAssertNotEqual(v1, v2)
        let back = try Self.git(repo, "switch", "-q", "main")
        XCTAssertEqual(back.code, 0, back.stderr)
        XCTAssertEqual(try repo.read("models/model.bin"), v1, "post-checkout put v1's bytes back")
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try Self.git(repo, "switch", "-q", "v2").code, 0)
        XCTAssertEqual(try repo.read("models/model.bin"), v2)

        // An unsaved edit is never overwritten: the hook warns instead.
        try repo.write("models/model.bin", "my unsaved edit")
        let warned = try Self.git(repo, "switch", "-q", "main")
        XCTAssertEqual(warned.code, 0)
        XCTAssertTrue(warned.stderr.contains("kept your unsaved changes in models/model.bin"), warned.stderr)
        XCTAssertEqual(String(decoding: try repo.read("models/model.bin"), as: UTF8.self), "my unsaved edit")

        // post-merge: a fast-forward merge brings the merged commit's data.
        try repo.write("models/model.bin", v1)
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        let merge = try Self.git(repo, "merge", "-q", "--ff-only", "v2")
        XCTAssertEqual(merge.code, 0, merge.stderr)
        XCTAssertEqual(try repo.read("models/model.bin"), v2)
    }

    func testPostCommitEvaluatesAndNotesRoundTripThroughPushAndClone() throws {
        let (repo, bare, _) = try makeRepository()
        XCTAssertEqual(try repo.mlv("hooks", "install", "--evaluate").code, 0)
        PipelineFixture.clearRuns(repo)
        // A commit that changes the evaluation script: post-commit re-evaluates and notes it.
        try repo.write("evaluate.py", PipelineFixture.evaluate.replacingOccurrences(of: "round(error, 6)", with: "round(error / 2, 6)") + "\n")
        try repo.git("add", "evaluate.py")
        let commit = try Self.git(repo, "commit", "-q", "-m", "loss halved")
        XCTAssertEqual(commit.code, 0, commit.stderr)
        XCTAssertEqual(PipelineFixture.runs(repo), ["evaluate"])
        let note = try repo.git("notes", "--ref=mlv", "show", "HEAD").stdout
        XCTAssertTrue(note.contains("\"loss\" : 0.04"), note)
        XCTAssertTrue(note.contains("evaluate"), "the evaluation's lineage is in the note: \(note)")
        let shown = try repo.mlv("metrics", "show", "--rev", "HEAD")
        XCTAssertTrue(shown.stdout.contains("0.04 (note)"), shown.stdout)

        // The pre-push hook pushes refs/notes/mlv with the branch; a clone's `mlv pull` fetches it.
        XCTAssertEqual(try Self.git(repo, "push").code, 0)
        XCTAssertFalse(try TestRepository.run("/usr/bin/env", ["git", "rev-parse", "-q", "--verify", "refs/notes/mlv"], in: bare).stdout.isEmpty)
        let clone = repo.root + "-clone"
        defer { try? FileManager.default.removeItem(atPath: clone) }
        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", bare, clone], in: "/")
        XCTAssertEqual(try TestRepository.run(TestRepository.binary, ["pull"], in: clone).code, 0)
        let cloned = try TestRepository.run(TestRepository.binary, ["metrics", "show", "--rev", "HEAD", "--json"], in: clone)
        let values = try JSONSerialization.jsonObject(with: Data(cloned.stdout.utf8)) as! [[String: Any]]
        XCTAssertTrue(values.contains { $0["metric"] as? String == "loss" && $0["source"] as? String == "note" && $0["value"] as? Double == 0.04 }, cloned.stdout)
    }

    func testMlvPushCarriesNotesToTheGitRemote() throws {
        let repo = try PipelineFixture.make()
        let bare = repo.root + "-origin.git"
        defer { try? FileManager.default.removeItem(atPath: bare); try? FileManager.default.removeItem(atPath: bare + "-store") }
        _ = try TestRepository.run("/usr/bin/env", ["git", "init", "-q", "--bare", "-b", "main", bare], in: "/")
        try repo.git("remote", "add", "origin", bare)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", bare + "-store", "--default").code, 0)
        XCTAssertEqual(try repo.mlv("train", "--commit").code, 0)
        try repo.git("push", "-q", "-u", "origin", "main")
        try repo.git("notes", "--ref=mlv", "add", "-m", #"{"mlv_note": 1, "metrics": {"metrics.json": {"accuracy": 0.99}}, "lock": ""}"#, "HEAD")
        let push = try repo.mlv("push")
        XCTAssertEqual(push.code, 0, push.stderr)
        let remoteNotes = try TestRepository.run("/usr/bin/env", ["git", "rev-parse", "-q", "--verify", "refs/notes/mlv"], in: bare).stdout
        XCTAssertEqual(remoteNotes.trimmingCharacters(in: .whitespacesAndNewlines),
                       try repo.git("rev-parse", "refs/notes/mlv").stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let shown = try repo.mlv("metrics", "show", "--rev", "HEAD")
        XCTAssertTrue(shown.stdout.contains("0.99 (note)"), shown.stdout)
        // A note that is not mlv's is reported, not misread.
        try repo.git("notes", "--ref=mlv", "add", "-f", "-m", "hello", "HEAD")
        let bad = try repo.mlv("metrics", "show", "--rev", "HEAD")
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.stderr.contains("not an mlv metrics note"), bad.stderr)
    }
}
