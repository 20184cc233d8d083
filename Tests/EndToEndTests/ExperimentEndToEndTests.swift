import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `mlv exp` on the real Python pipeline of `PipelineFixture`, with the built binary.
final class ExperimentEndToEndTests: XCTestCase {
    /// The fixture, trained and committed, so experiments have a baseline with a lock.
    func trainedFixture() throws -> TestRepository {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train", "--commit", "-q").code, 0)
        PipelineFixture.clearRuns(repo)
        return repo
    }

    /// SHA-256 of every file of the work tree, ignored ones included, plus Git's HEAD and
    /// index: what "never touches the work tree, index or HEAD" means. `.mlv` is mlv's own.
    func workTreeState(_ repo: TestRepository) throws -> [String: String] {
        var state = try repo.fingerprint("").filter { !$0.key.hasPrefix(".git/") && !$0.key.hasPrefix(".mlv/") }
        state[".git/HEAD"] = TestRepository.sha256(try repo.read(".git/HEAD"))
        state[".git/index"] = TestRepository.sha256(try repo.read(".git/index"))
        state["refs/heads"] = try repo.git("for-each-ref", "refs/heads").stdout
        return state
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func testSweepRunsInIsolationAndShowsSortedJSON() throws {
        let repo = try trainedFixture()
        try repo.write("notes.txt", "ignored scratch\n")
        try repo.write(".git/info/exclude", "notes.txt\n")
        let before = try workTreeState(repo)
        let sweep = try repo.mlv("exp", "run", "-S", "train.lr=0.1,0.5", "-S", "train.epochs=3,7", "-j", "2")
        XCTAssertEqual(sweep.code, 0, sweep.stderr + sweep.stdout)
        XCTAssertEqual(try workTreeState(repo), before, "exp run changed the work tree, index, HEAD or branches")
        XCTAssertEqual(PipelineFixture.runs(repo), [], "a stage ran in the user's work tree")

        let shown = try json(try repo.mlv("exp", "show", "--json", "--sort-by", "accuracy:desc").stdout)
        XCTAssertEqual(shown["params"] as? [String], ["train.epochs", "train.lr"])
        XCTAssertEqual(shown["metrics"] as? [String], ["accuracy", "loss"])
        let rows = try XCTUnwrap(shown["experiments"] as? [[String: Any]])
        guard rows.count == 5 else { return XCTFail("exp show rows: \(rows)") }
        XCTAssertEqual(rows[0]["is_baseline"] as? Bool, true)
        XCTAssertEqual(rows[0]["name"] as? String, "main")
        let experiments = Array(rows.dropFirst())
        XCTAssertEqual(experiments.map { $0["state"] as? String }, Array(repeating: "done", count: 4))
        XCTAssertEqual(experiments.map { $0["gate"] as? String? }, Array(repeating: nil, count: 4), "the fixture declares no gates")
        let accuracies = experiments.map { ($0["metrics"] as? [String: Any])?["accuracy"] as? Double ?? -1 }
        XCTAssertEqual(accuracies, accuracies.sorted(by: >), "--sort-by accuracy:desc")
        XCTAssertEqual(Set(experiments.map { ($0["params"] as? [String: Any])?["train.lr"] as? Double ?? -1 }), [0.1, 0.5])
        for key in ["name", "baseline", "commit", "created", "state", "exit_code", "params", "metrics", "gate", "best", "is_baseline"] {
            XCTAssertTrue(experiments[0].keys.contains(key), "exp show --json lacks \(key)")
        }
        // The best accuracy (higher is better) is marked on the first row after sorting.
        XCTAssertEqual((experiments[0]["best"] as? [String])?.contains("accuracy"), true)

        // Each experiment is a commit whose parent is HEAD, and a revision everywhere. (lr=0.1
        // with 3 epochs is the baseline's own run: restored from the run cache, same metrics.)
        let changed = try XCTUnwrap(experiments.first { ($0["params"] as? [String: Any])?["train.lr"] as? Double == 0.5 })
        let name = try XCTUnwrap(changed["name"] as? String)
        let head = try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try XCTUnwrap(changed["commit"] as? String)
        XCTAssertEqual(try repo.git("rev-parse", commit + "^").stdout.trimmingCharacters(in: .whitespacesAndNewlines), head)
        XCTAssertEqual(try repo.git("for-each-ref", "--format=%(refname)", "refs/mlv/exps/\(head)/\(name)").stdout, "refs/mlv/exps/\(head)/\(name)\n")
        let params = try repo.mlv("params", "diff", "HEAD", name, "--json")
        XCTAssertEqual(params.code, 0, params.stderr)
        XCTAssertEqual(try repo.mlv("metrics", "show", "--rev", name).code, 0)
        XCTAssertEqual(try repo.mlv("lineage", "models/model.bin", "--rev", name).code, 0)
        XCTAssertEqual(try repo.mlv("diff", "HEAD", name).code, 0)
        let expDiff = try repo.mlv("exp", "diff", name)
        XCTAssertEqual(expDiff.code, 0, expDiff.stderr)
        XCTAssertTrue(expDiff.stdout.hasPrefix("Path         Param"), expDiff.stdout)
        // A branch of the same name wins; exp:NAME still means the experiment.
        try repo.git("branch", name, "HEAD")
        let viaPrefix = try repo.mlv("metrics", "diff", "exp:" + name, name, "--json")
        XCTAssertEqual(viaPrefix.code, 0, viaPrefix.stderr)
        let viaPrefixChanges = try XCTUnwrap(try json(viaPrefix.stdout)["metrics"] as? [[String: Any]])
        XCTAssertFalse(viaPrefixChanges.isEmpty, "exp:NAME was read as the branch, which equals HEAD")
        try repo.git("fsck", "--strict", "--no-dangling")
    }

    func testUncommittedCodeAndDataChangesAreTheExperimentsStartingPoint() throws {
        let repo = try trainedFixture()
        // Code changed but not committed, and tracked data changed but not `mlv add`ed.
        try repo.write("evaluate.py", PipelineFixture.evaluate + "\nimport json\nm = json.load(open('metrics.json'))\nm['extra'] = 1\njson.dump(m, open('metrics.json', 'w'))\n")
        try repo.write("data/test.csv", "x,y\n4,9\n")
        let before = try workTreeState(repo)
        let run = try repo.mlv("exp", "run", "-n", "wip", "-q")
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertEqual(try workTreeState(repo), before)
        let exp = try repo.git("for-each-ref", "--format=%(refname)", "refs/mlv/exps/").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try repo.git("show", exp + ":evaluate.py").stdout, String(decoding: try repo.read("evaluate.py"), as: UTF8.self))
        XCTAssertNotEqual(try repo.git("show", exp + ":data/test.csv.mlv").stdout, try repo.git("show", "HEAD:data/test.csv.mlv").stdout)
        XCTAssertEqual(try repo.git("show", "HEAD:data/test.csv.mlv").stdout, String(decoding: try repo.read("data/test.csv.mlv"), as: UTF8.self),
                       "the user's pointer was rewritten")
        let metrics = try repo.mlv("metrics", "show", "--rev", "wip", "--json").stdout
        XCTAssertTrue(metrics.contains("\"extra\""), metrics)
        XCTAssertEqual(try repo.git("show", exp + ":data/test.csv.mlv").stdout.contains(TestRepository.sha256(Data("x,y\n4,9\n".utf8))), true)
    }

    func testApplyThenCommitRecordsTheExperimentAndBranchPointsAtIt() throws {
        let repo = try trainedFixture()
        XCTAssertEqual(try repo.mlv("exp", "run", "-S", "train.lr=0.5", "-n", "half", "-q").code, 0)
        let branch = try repo.mlv("exp", "branch", "half", "try-half")
        XCTAssertEqual(branch.code, 0, branch.stderr)
        XCTAssertEqual(try repo.git("rev-parse", "try-half").stdout, try repo.git("rev-parse", "refs/mlv/exps/" + (try head(repo)) + "/half").stdout)
        XCTAssertEqual(try repo.mlv("exp", "branch", "half", "try-half").stderr, "mlv: error: branch `try-half` already exists; choose another name.\n")

        let apply = try repo.mlv("exp", "apply", "half")
        XCTAssertEqual(apply.code, 0, apply.stderr)
        XCTAssertEqual(String(decoding: try repo.read("params.yaml"), as: UTF8.self), "train:\n  lr: 0.5\n  epochs: 3\n")
        try repo.git("commit", "-q", "-am", "take half")
        let same = try repo.mlv("metrics", "diff", "half", "HEAD", "--all", "--json")
        let changes = try XCTUnwrap(try json(same.stdout)["metrics"] as? [[String: Any]])
        XCTAssertEqual(changes.count, 2)
        XCTAssertTrue(changes.allSatisfy { $0["verdict"] as? String == "unchanged" }, same.stdout)
        // The model in the work tree is the one the experiment made, and train has nothing to do.
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try repo.mlv("train", "--dry-run").stdout.components(separatedBy: "up to date").count - 1, 3)

        // Unsaved edits are never overwritten without --force.
        XCTAssertEqual(try repo.mlv("exp", "run", "-S", "train.lr=0.9", "-n", "nine", "-q").code, 0)
        try repo.write("params.yaml", "train:\n  lr: 0.33\n  epochs: 3\n")
        let refused = try repo.mlv("exp", "apply", "nine")
        XCTAssertEqual(refused.code, 2)
        XCTAssertEqual(refused.stderr, """
        mlv: error: applying would overwrite 1 file(s) with changes that are not HEAD's, the baseline's or the experiment's, or data not saved in the cache:
          params.yaml
        Nothing was changed. Commit or `mlv add` them first, or pass --force to discard them.

        """)
        XCTAssertEqual(String(decoding: try repo.read("params.yaml"), as: UTF8.self), "train:\n  lr: 0.33\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("exp", "apply", "nine", "--force", "-q").code, 0)
        XCTAssertEqual(String(decoding: try repo.read("params.yaml"), as: UTF8.self), "train:\n  lr: 0.9\n  epochs: 3\n")
    }

    func head(_ repo: TestRepository) throws -> String {
        try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testQueueSurvivesAKilledWorkerAndFailuresKeepTheirLog() throws {
        let repo = try trainedFixture()
        // A train step that can be slowed down, and fails for a negative epoch count.
        try repo.write("train.py", PipelineFixture.train + "\n" + """
        import sys, time
        open("train.started", "w").write("1")
        time.sleep(float(os.environ.get("SLOW", "0")))
        if epochs < 0:
            print("epochs must not be negative", file=sys.stderr)
            sys.exit(3)

        """)
        try repo.git("commit", "-q", "-am", "slow train")
        let queued = try repo.mlv("exp", "run", "--queue", "-S", "train.epochs=4,-1", "-n", "q")
        XCTAssertEqual(queued.stdout, "Queued q-1 (train.epochs=4)\nQueued q-2 (train.epochs=-1)\nRun them with `mlv exp queue start`.\n")
        XCTAssertEqual(try repo.mlv("exp", "queue", "status").stdout, "2 queued, 0 running, 0 interrupted, 0 failed, 0 done\n")

        let before = try workTreeState(repo)
        let worker = try repo.startMLV(["exp", "queue", "start"], environment: ["SLOW": "30"])
        repo.kill(worker, when: { repo.hasFile(under: ".mlv/exps/work", containing: "train.started") })
        XCTAssertEqual(try repo.mlv("exp", "queue", "status").stdout, "1 queued, 0 running, 1 interrupted, 0 failed, 0 done\n")

        // Ctrl-C (SIGINT to the worker) stops the run and puts the entry back in the queue. (The
        // killed run's scratch copy is cleared first, so its marker file cannot be mistaken for
        // this run's.)
        try FileManager.default.removeItem(atPath: repo.path(".mlv/exps/work"))
        let interrupted = try repo.startMLV(["exp", "queue", "start"], environment: ["SLOW": "30"])
        let deadline = Date().addingTimeInterval(60)
        while !repo.hasFile(under: ".mlv/exps/work", containing: "train.started") && interrupted.isRunning && Date() < deadline { usleep(5_000) }
        XCTAssertTrue(interrupted.isRunning, "the worker finished before it could be interrupted")
        Glibc.kill(interrupted.processIdentifier, SIGINT)
        interrupted.waitUntilExit()
        XCTAssertEqual(interrupted.terminationStatus, 130)
        XCTAssertEqual(try repo.mlv("exp", "queue", "status").stdout, "2 queued, 0 running, 0 interrupted, 0 failed, 0 done\n")

        let resumed = try repo.mlv("exp", "queue", "start")
        XCTAssertEqual(resumed.code, 1, resumed.stderr)
        XCTAssertEqual(OutputEndToEndTests.normalized(resumed.stdout, repo), """
        Experiment q-1: done, commit <SHORT> (train.epochs=4)
        Experiment q-2: failed (exit code 3); see `mlv exp queue logs q-2`
          stage `train` exited with code 3; its previous outputs were put back, and mlv.lock and the cache are unchanged.

        """)
        XCTAssertEqual(try workTreeState(repo), before, "a killed or failed experiment changed the work tree")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: repo.path(".mlv/exps/work"))) ?? []
        XCTAssertEqual(leftovers, [], "a scratch copy was left behind")
        let log = try repo.mlv("exp", "queue", "logs", "q-2")
        XCTAssertEqual(OutputEndToEndTests.normalized(log.stdout, repo), """
        Stage prepare: skipped, up to date
        Stage train: running because dep `train.py` changed; param `train.epochs` changed: 3 -> -1
        > python3 train.py
        epochs must not be negative
        mlv: error: stage `train` exited with code 3; its previous outputs were put back, and mlv.lock and the cache are unchanged.

        """)
        let shown = try json(try repo.mlv("exp", "show", "--json").stdout)
        let rows = try XCTUnwrap(shown["experiments"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["name"] as? String }, ["main", "q-1", "q-2"])
        XCTAssertEqual(rows.map { $0["state"] as? String }, ["baseline", "done", "failed"])
        XCTAssertEqual(rows[2]["exit_code"] as? Int, 3)
        XCTAssertEqual(try repo.mlv("exp", "run", "-n", "q-2").stderr,
                       "mlv: error: an experiment named `q-2` already exists for baseline \(try head(repo).prefix(8)); choose another name with -n, or remove it with `mlv exp rm q-2`.\n")
        XCTAssertEqual(try repo.mlv("exp", "rm", "--failed").stdout, "Removed 1 experiment(s): q-2\n")
        XCTAssertEqual(try repo.mlv("exp", "queue", "status").stdout, "0 queued, 0 running, 0 interrupted, 0 failed, 1 done\n")
        try repo.git("fsck", "--strict", "--no-dangling")
    }

    func testTwoQueueStartsRunEachEntryOnceAndTheQueueIsManaged() throws {
        let repo = try trainedFixture()
        // Every run of the train stage appends a line to a file outside the scratch copies.
        let counter = repo.root + "-runs.txt"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: counter) }
        try repo.write("train.py", PipelineFixture.train + "\nimport time\nopen(os.environ['COUNTER'], 'a').write(str(lr) + '\\n')\ntime.sleep(0.5)\n")
        try repo.git("commit", "-q", "-am", "count runs")
        XCTAssertEqual(try repo.mlv("exp", "run", "--queue", "-S", "train.lr=0.11,0.22,0.33,0.44", "-n", "c", "-q").code, 0)
        let list = try JSONSerialization.jsonObject(with: Data(try repo.mlv("exp", "queue", "list", "--json").stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(list?.map { $0["name"] as? String }, ["c-1", "c-2", "c-3", "c-4"])
        XCTAssertEqual(list?.map { $0["state"] as? String }, ["queued", "queued", "queued", "queued"])
        XCTAssertEqual(try repo.mlv("exp", "queue", "remove", "c-4").stdout, "Removed 1 experiment(s) from the queue.\n")
        let first = try repo.startMLV(["exp", "queue", "start"], environment: ["COUNTER": counter])
        let second = try repo.startMLV(["exp", "queue", "start", "-j", "2"], environment: ["COUNTER": counter])
        first.waitUntilExit()
        second.waitUntilExit()
        XCTAssertEqual([first.terminationStatus, second.terminationStatus], [0, 0])
        let runs = (try String(contentsOfFile: counter, encoding: .utf8)).split(separator: "\n").sorted()
        XCTAssertEqual(runs, ["0.11", "0.22", "0.33"], "an entry ran twice, or not at all")
        XCTAssertEqual(try repo.mlv("exp", "queue", "status").stdout, "0 queued, 0 running, 0 interrupted, 0 failed, 3 done\n")
        // retry puts failed entries back; clear removes what waits.
        XCTAssertEqual(try repo.mlv("exp", "run", "--queue", "-S", "train.epochs=oops", "-n", "bad", "-q").code, 0)
        XCTAssertEqual(try repo.mlv("exp", "queue", "start", "-q").code, 1)
        XCTAssertEqual(try repo.mlv("exp", "queue", "retry").stdout, "Queued 1 experiment(s) again; run them with `mlv exp queue start`.\n")
        XCTAssertEqual(try repo.mlv("exp", "queue", "status").stdout, "1 queued, 0 running, 0 interrupted, 0 failed, 3 done\n")
        XCTAssertEqual(try repo.mlv("exp", "queue", "clear").stdout, "Removed 1 experiment(s) from the queue.\n")
        XCTAssertEqual(try repo.mlv("exp", "queue", "status").stdout, "0 queued, 0 running, 0 interrupted, 0 failed, 3 done\n")
    }

    func testPushPullToABareRepositoryAndApplyInAFreshClone() throws {
        let repo = try trainedFixture()
        let bare = repo.root + "-bare.git"
        let store = repo.root + "-store"
        let clone = repo.root + "-clone"
        addTeardownBlock {
            for path in [bare, store, clone] {
                _ = try? TestRepository.run("/bin/chmod", ["-R", "u+w", path], in: "/")
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        _ = try TestRepository.run("/usr/bin/env", ["git", "init", "-q", "--bare", bare], in: "/")
        try repo.git("remote", "add", "origin", bare)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", store, "--default").code, 0)
        try repo.git("commit", "-q", "-am", "remote")
        try repo.git("push", "-q", "--no-verify", "origin", "main")
        XCTAssertEqual(try repo.mlv("push", "-q").code, 0)
        XCTAssertEqual(try repo.mlv("exp", "run", "-S", "train.lr=0.7", "-n", "far", "-q").code, 0)
        let pushed = try repo.mlv("exp", "push", "origin", "far")
        XCTAssertEqual(pushed.code, 0, pushed.stderr)
        XCTAssertEqual(pushed.stdout.split(separator: "\n").first, "Pushed 1 experiment(s) to origin: far")

        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", "-b", "main", bare, clone], in: "/")
        let pulled = try TestRepository.run(TestRepository.binary, ["exp", "pull"], in: clone)
        XCTAssertEqual(pulled.code, 0, pulled.stderr)
        let shown = try TestRepository.run(TestRepository.binary, ["exp", "show", "--csv"], in: clone)
        XCTAssertEqual(OutputEndToEndTests.normalized(shown.stdout, repo).replacingOccurrences(of: #"\d{4}-\d\d-\d\d \d\d:\d\d"#, with: "<DATE>", options: .regularExpression),
                       "Experiment,Baseline,Created,State,train.lr,accuracy,loss,Gate\nmain,\(try head(repo).prefix(8)),<DATE>,baseline,0.1,\(try metric(repo, "HEAD", "accuracy")),\(try metric(repo, "HEAD", "loss")),-\nfar,\(try head(repo).prefix(8)),<DATE>,done,0.7,\(try metric(repo, "far", "accuracy")),\(try metric(repo, "far", "loss")),-\n")
        let applied = try TestRepository.run(TestRepository.binary, ["exp", "apply", "far"], in: clone)
        XCTAssertEqual(applied.code, 0, applied.stderr)
        // The clone's model is byte for byte the one the experiment made in the other repository.
        XCTAssertEqual(try repo.mlv("exp", "apply", "far", "-q").code, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: clone + "/models/model.bin")), try repo.read("models/model.bin"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: clone + "/metrics.json")), try repo.read("metrics.json"))
        _ = try TestRepository.run("/usr/bin/env", ["git", "-C", clone, "fsck", "--strict", "--no-dangling"], in: "/")
    }

    func metric(_ repo: TestRepository, _ revision: String, _ key: String) throws -> String {
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try repo.mlv("metrics", "show", "--rev", revision, "--json").stdout.utf8)) as? [[String: Any]])
        let value = try XCTUnwrap(rows.first { $0["metric"] as? String == key }?["value"] as? Double)
        var text = String(format: "%.5f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    func testGCKeepsExperimentDataUnlessTold() throws {
        let repo = try trainedFixture()
        XCTAssertEqual(try repo.mlv("exp", "run", "-S", "train.lr=0.3", "-n", "kept", "-q").code, 0)
        XCTAssertEqual(try repo.mlv("gc", "--workspace", "-q").code, 0)
        let applied = try repo.mlv("exp", "apply", "kept")
        XCTAssertEqual(applied.code, 0, applied.stderr)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try repo.mlv("checkout", "-q", "--force").code, 0)
        try repo.git("checkout", "-q", "--", ".")
        XCTAssertEqual(try repo.mlv("checkout", "-q").code, 0)
        let dropped = try repo.mlv("gc", "--workspace", "--drop-experiments", "--dry-run", "--json")
        XCTAssertGreaterThan(try json(dropped.stdout)["removed_objects"] as? Int ?? 0, 0, "the experiment's model is only kept for the experiment")
    }

    func testBadInputIsRefusedAndLeavesNoTrace() throws {
        let empty = try TestRepository()
        try empty.write("mlv.yaml", "stages:\n  s:\n    cmd: echo\n")
        XCTAssertEqual(try empty.mlv("exp", "run").stderr,
                       "mlv: error: the repository has no commit yet; an experiment needs a baseline commit. Commit mlv.yaml and its inputs first.\n")

        let repo = try trainedFixture()
        try repo.write("notes.txt", "x\n")
        try repo.write("params.txt", "lr 1\n")
        let cases: [([String], String)] = [
            (["-S", "lr"], "-S lr: expected [FILE:]KEY=VALUE."),
            (["-S", "=1"], "-S =1: the key before `=` is empty."),
            (["-S", "train.lr=[1, 2]"], "-S train.lr=[1, 2]: `train.lr` holds a plain value; it cannot be replaced by a list."),
            (["-S", "train.momentum=0.9"], "-S train.momentum: `params.yaml` has no param `train.momentum`; write `+train.momentum=VALUE` to add a new one."),
            (["-S", "params.txt:lr=2"], "-S params.txt:lr=2: params file `params.txt` is not YAML, JSON or TOML; only those can be changed."),
            (["-S", "train.lr=range(1,2,0)"], "-S train.lr=range(1,2,0): range needs finite numbers and a step that is not 0."),
            (["nostage"], "mlv.yaml has no stage `nostage`; its stages are: prepare, train, evaluate."),
            (["-n", "a/b"], "`a/b` cannot be an experiment name: it holds `/`. Use letters, digits, `.`, `_` and `-`."),
            (["-n", "a..b"], "`a..b` cannot be an experiment name: it holds `..`. Use letters, digits, `.`, `_` and `-`."),
            (["-n", "a b"], "`a b` cannot be an experiment name: it holds a space. Use letters, digits, `.`, `_` and `-`."),
            (["-n", "a\u{1B}b"], "`a\\x1bb` cannot be an experiment name: it holds a control character. Use letters, digits, `.`, `_` and `-`."),
        ]
        for (arguments, message) in cases {
            let result = try TestRepository.run(TestRepository.binary, ["exp", "run"] + arguments, in: repo.root)
            XCTAssertEqual(result.code, 2, "\(arguments)")
            XCTAssertEqual(result.stderr, "mlv: error: \(message)\n", "\(arguments)")
        }
        // A stale pipeline whose upstream data is not in the cache: refused before anything runs.
        try repo.write("data/raw/part4.csv", "7,14\n")
        XCTAssertEqual(try repo.mlv("add", "data/raw", "-q").code, 0)
        let id = TestRepository.sha256(Data("7,14\n".utf8))
        XCTAssertTrue(try repo.cacheObjects().contains(id))
        try FileManager.default.removeItem(atPath: repo.path(".mlv/cache/" + id.prefix(2) + "/" + id.dropFirst(2)))
        XCTAssertEqual(try repo.mlv("exp", "run", "-S", "train.lr=0.2").stderr,
                       "mlv: error: the cache lacks data the experiment needs: data/raw; run `mlv pull` first. Nothing was queued or run.\n")
        XCTAssertEqual(try repo.git("for-each-ref", "refs/mlv").stdout, "")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: repo.path(".mlv/exps/entries")))?.filter { !$0.hasSuffix(".lock") } ?? [], [])
        XCTAssertEqual(PipelineFixture.runs(repo), [])
    }

    func testConcurrentRunsBesideTrainDoNotInterfere() throws {
        let repo = try trainedFixture()
        try repo.write("train.py", PipelineFixture.train + "\nimport time\nopen('train.started', 'w').write('1')\ntime.sleep(float(os.environ.get('SLOW', '0')))\n")
        try repo.git("commit", "-q", "-am", "slow train")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-q").code, 0)
        let first = try repo.startMLV(["exp", "run", "-S", "train.lr=0.2", "-n", "one"], environment: ["SLOW": "2"])
        let second = try repo.startMLV(["exp", "run", "-S", "train.lr=0.3", "-n", "two"], environment: ["SLOW": "2"])
        // Meanwhile the user trains other params in the work tree.
        try repo.write("params.yaml", "train:\n  lr: 0.4\n  epochs: 3\n")
        let train = try repo.mlv("train", "-q")
        XCTAssertEqual(train.code, 0, train.stderr)
        first.waitUntilExit()
        second.waitUntilExit()
        XCTAssertEqual([first.terminationStatus, second.terminationStatus], [0, 0])
        XCTAssertEqual(try repo.mlv("params", "diff", "HEAD", "one", "--json").stdout.contains("0.2"), true)
        XCTAssertEqual(try repo.mlv("params", "diff", "HEAD", "two", "--json").stdout.contains("0.3"), true)
        XCTAssertTrue(String(decoding: try repo.read("mlv.lock"), as: UTF8.self).contains("\"train.lr\": 0.4"), "the work tree's own run was recorded")
        // The run cache is shared: the work tree asking for lr=0.2 restores the experiment's model.
        try repo.write("params.yaml", "train:\n  lr: 0.2\n  epochs: 3\n")
        PipelineFixture.clearRuns(repo)
        let restored = try repo.mlv("train")
        XCTAssertEqual(restored.code, 0, restored.stderr)
        XCTAssertFalse(PipelineFixture.runs(repo).contains("train"), restored.stdout)
        // Saving the work tree's run as an experiment.
        let saved = try repo.mlv("exp", "save", "-n", "mine")
        XCTAssertEqual(saved.code, 0, saved.stderr)
        XCTAssertEqual(try repo.mlv("metrics", "diff", "mine", "one", "--json").stdout.contains("\"verdict\" : \"changed\""), false)
        try repo.git("fsck", "--strict", "--no-dangling")
    }
}
