import Foundation
import XCTest

/// `mlv train`, `mlv eval`, the run cache and `--commit`, run as a user would with real
/// Python scripts.
final class PipelineEndToEndTests: XCTestCase {
    func testTrainRunsStaleStagesOnlyAndTheRunCacheRestoresEarlierParams() throws {
        let repo = try PipelineFixture.make()
        let first = try repo.mlv("train", "--commit", "-m", "baseline")
        XCTAssertEqual(first.code, 0, first.stderr + first.stdout)
        XCTAssertEqual(PipelineFixture.runs(repo), ["prepare", "train", "evaluate"])
        XCTAssertTrue(first.stdout.contains("Stage train: running because it has not run before"), first.stdout)
        let baselineModel = try repo.read("models/model.bin")
        let baselineMetrics = try repo.read("metrics.json")
        // The commit holds the lock, metrics and params; outputs are ignored in Git.
        let tree = try repo.git("ls-tree", "-r", "--name-only", "HEAD").stdout
        for file in ["mlv.lock", "metrics.json", "params.yaml", "models/.gitignore", "data/.gitignore"] {
            XCTAssertTrue(tree.contains(file), "\(file) not in \(tree)")
        }
        XCTAssertFalse(tree.contains("models/model.bin\n"), tree)
        XCTAssertEqual(try repo.git("status", "--porcelain", "--untracked-files=no").stdout, "")
        try repo.assertGitFsckClean()

        // Nothing changed: nothing runs.
        PipelineFixture.clearRuns(repo)
        let again = try repo.mlv("train")
        XCTAssertEqual(again.code, 0, again.stderr)
        XCTAssertEqual(PipelineFixture.runs(repo), [])
        XCTAssertTrue(again.stdout.contains("Stage evaluate: skipped, up to date"), again.stdout)

        // A param changes: train and evaluate run, prepare does not.
        try repo.write("params.yaml", "train:\n  lr: 0.5\n  epochs: 3\n")
        let changed = try repo.mlv("train", "--commit")
        XCTAssertEqual(changed.code, 0, changed.stderr)
        XCTAssertEqual(PipelineFixture.runs(repo), ["train", "evaluate"])
        XCTAssertTrue(changed.stdout.contains("param `train.lr` changed: 0.1 -> 0.5"), changed.stdout)
        XCTAssertNotEqual(try repo.read("models/model.bin"), baselineModel)
        let message = try repo.git("log", "-1", "--format=%B").stdout
        XCTAssertTrue(message.contains("accuracy: 0.925926 -> 0.714286"), message)
        let diff = try repo.mlv("diff", "HEAD~1", "HEAD")
        XCTAssertTrue(diff.stdout.contains("modified models/model.bin"), diff.stdout)
        XCTAssertFalse(diff.stdout.contains("data/features"), "an unchanged output is not listed: \(diff.stdout)")

        // Back to the first params: restored from the run cache, nothing runs.
        PipelineFixture.clearRuns(repo)
        try repo.write("params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n")
        let back = try repo.mlv("train")
        XCTAssertEqual(back.code, 0, back.stderr)
        XCTAssertEqual(PipelineFixture.runs(repo), [])
        XCTAssertTrue(back.stdout.contains("Stage train: restored from the run cache"), back.stdout)
        XCTAssertEqual(try repo.read("models/model.bin"), baselineModel)
        XCTAssertEqual(try repo.read("metrics.json"), baselineMetrics)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
    }

    func testOutputsAreTrackedLikeAddedPaths() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train", "--commit").code, 0)
        let model = try repo.read("models/model.bin")
        let features = try repo.fingerprint("data/features")
        let status = try repo.mlv("status")
        XCTAssertTrue(status.stdout.contains("models/model.bin") && status.stdout.contains("data/features"), status.stdout)
        try FileManager.default.removeItem(atPath: repo.path("models/model.bin"))
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 1)
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        XCTAssertEqual(try repo.read("models/model.bin"), model)
        XCTAssertEqual(try repo.mlv("gc", "--workspace").code, 0)

        // Push to a directory remote, clone, pull: the outputs arrive byte for byte.
        let remote = repo.root + "-remote"
        defer { try? FileManager.default.removeItem(atPath: remote) }
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remote, "--default").code, 0)
        try repo.git("commit", "-q", "-am", "remote")
        let push = try repo.mlv("push")
        XCTAssertEqual(push.code, 0, push.stderr)
        let clone = repo.root + "-clone"
        defer { try? FileManager.default.removeItem(atPath: clone) }
        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", repo.root, clone], in: "/")
        let pull = try TestRepository.run(TestRepository.binary, ["pull"], in: clone)
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: clone + "/models/model.bin")), model)
        // In the clone, train finds everything up to date and runs nothing.
        let train = try TestRepository.run(TestRepository.binary, ["train"], in: clone)
        XCTAssertEqual(train.code, 0, train.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: clone + "/runs.log"), train.stdout)
        let cloned = try TestRepository.run("/usr/bin/env", ["find", "data/features", "-type", "f"], in: clone).stdout
        XCTAssertEqual(cloned.split(separator: "\n").count, features.count)
    }

    func testAFailingStageKeepsPreviousOutputsLockAndCache() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train", "--commit").code, 0)
        let model = try repo.read("models/model.bin")
        let lock = try repo.read("mlv.lock")
        let objects = try repo.cacheObjects()
        try repo.write("params.yaml", "train:\n  lr: 0.3\n  epochs: 3\n")
        try repo.write("train.py", "import os\nopen('models/model.bin', 'w').write('partial')\nos._exit(3)\n")
        let failed = try repo.mlv("train")
        XCTAssertEqual(failed.code, 3, "the stage's exit code is returned")
        XCTAssertTrue(failed.stderr.contains("stage `train` exited with code 3"), failed.stderr)
        XCTAssertEqual(try repo.read("models/model.bin"), model, "previous output put back")
        XCTAssertEqual(try repo.read("mlv.lock"), lock)
        XCTAssertEqual(try repo.cacheObjects(), objects)
        try repo.assertCacheObjectsWhole()

        // Killed by a signal: the same.
        try repo.write("train.py", "import os, signal\nopen('models/model.bin', 'w').write('partial')\nos.kill(os.getpid(), signal.SIGKILL)\n")
        let killed = try repo.mlv("train")
        XCTAssertEqual(killed.code, 137)
        XCTAssertTrue(killed.stderr.contains("killed by signal 9"), killed.stderr)
        XCTAssertEqual(try repo.read("models/model.bin"), model)
        XCTAssertEqual(try repo.read("mlv.lock"), lock)

        // Exits 0 without writing its output: an error naming the output.
        try repo.write("train.py", "print('forgot to save')\n")
        let forgot = try repo.mlv("train")
        XCTAssertEqual(forgot.code, 2)
        XCTAssertTrue(forgot.stderr.contains("did not write its declared output `models/model.bin`"), forgot.stderr)
        XCTAssertEqual(try repo.read("models/model.bin"), model)
        XCTAssertEqual(try repo.read("mlv.lock"), lock)
    }

    func testCtrlCDuringAStagePutsTheOutputsBack() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train").code, 0)
        let model = try repo.read("models/model.bin")
        let lock = try repo.read("mlv.lock")
        try repo.write("train.py", "import os, time\nopen('models/model.bin', 'w').write('partial')\nopen('stage.pid', 'w').write(str(os.getpid()))\ntime.sleep(60)\n")
        let process = try repo.startMLV(["train"])
        let deadline = Date().addingTimeInterval(30)
        while (try? repo.read("stage.pid"))?.isEmpty != false && Date() < deadline { usleep(20_000) }
        let stagePID = Int32(String(decoding: try repo.read("stage.pid"), as: UTF8.self))!
        XCTAssertTrue(process.isRunning)
        // Ctrl-C reaches mlv (the test is no terminal); mlv hands it to the stage's group.
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertFalse(Self.isAlive(stagePID))
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertEqual(try repo.read("models/model.bin"), model)
        XCTAssertEqual(try repo.read("mlv.lock"), lock)
    }

    /// A train that writes part of its output, saves its pid, then sleeps; returns mlv's
    /// process and the stage's pid once the stage is mid-way.
    func startSlowTrain(_ repo: TestRepository) throws -> (Process, pid_t) {
        try repo.write("train.py", "import os, time\nopen('models/model.bin', 'w').write('partial')\nopen('stage.pid', 'w').write(str(os.getpid()))\ntime.sleep(60)\n")
        try? FileManager.default.removeItem(atPath: repo.path("stage.pid"))
        let process = try repo.startMLV(["train"])
        let deadline = Date().addingTimeInterval(30)
        while (try? repo.read("stage.pid"))?.isEmpty != false && Date() < deadline { usleep(20_000) }
        let stagePID = Int32(String(decoding: try repo.read("stage.pid"), as: UTF8.self))!
        XCTAssertTrue(process.isRunning)
        return (process, stagePID)
    }

    /// Whether `pid` still runs (a zombie waiting for a reaper does not).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }

    /// mlv and its stage killed together (as a hang-up kills a terminal's jobs): checkout puts
    /// the recorded output back without --force, the half-written file is not "unsaved work".
    func testTrainKilledWithItsStageLeavesOutputsCheckoutCanRestore() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train").code, 0)
        let model = try repo.read("models/model.bin")
        let (process, stagePID) = try startSlowTrain(repo)
        kill(stagePID, SIGKILL)
        repo.kill(process, when: { true })
        XCTAssertEqual(String(decoding: try repo.read("models/model.bin"), as: UTF8.self), "partial")
        let checkout = try repo.mlv("checkout")
        XCTAssertEqual(checkout.code, 0, checkout.stderr)
        XCTAssertEqual(try repo.read("models/model.bin"), model)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo.path(".mlv/state/writing")), [], "the record is done with")
        // A later edit of the output is the user's again: checkout refuses to drop it.
        try repo.write("models/model.bin", "edited by hand")
        XCTAssertEqual(try repo.mlv("checkout").code, 2)
    }

    /// mlv alone killed: its stage goes with it, and a new train runs cleanly.
    func testStageDoesNotOutliveAKilledMLV() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train").code, 0)
        let (process, stagePID) = try startSlowTrain(repo)
        kill(process.processIdentifier, SIGKILL)
        // Watched before waiting for mlv's exit (which may wait for the stage's end).
        let deadline = Date().addingTimeInterval(10)
        while Self.isAlive(stagePID) && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(Self.isAlive(stagePID), "the stage kept running after mlv was killed")
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, SIGKILL)
        try repo.write("train.py", PipelineFixture.train)
        let rerun = try repo.mlv("train")
        XCTAssertEqual(rerun.code, 0, rerun.stderr)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
    }

    /// SIGTERM (or a hang-up) to mlv reaches the stage's group; the outputs are put back.
    func testTerminatingMLVStopsTheStageAndPutsOutputsBack() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train").code, 0)
        let model = try repo.read("models/model.bin")
        let lock = try repo.read("mlv.lock")
        for signalNumber in [SIGTERM, SIGHUP] {
            let (process, stagePID) = try startSlowTrain(repo)
            kill(process.processIdentifier, signalNumber)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 128 + signalNumber)
            XCTAssertFalse(Self.isAlive(stagePID))
            XCTAssertEqual(try repo.read("models/model.bin"), model)
            XCTAssertEqual(try repo.read("mlv.lock"), lock)
        }
    }

    func testSecondTrainWaitsForTheLockAndNamesTheHolder() throws {
        let repo = try PipelineFixture.make()
        try repo.write("train.py", PipelineFixture.train + "\nimport time\nopen('stage.started', 'w').write('1')\ntime.sleep(5)\n")
        let process = try repo.startMLV(["train"])
        let deadline = Date().addingTimeInterval(30)
        while !repo.exists("stage.started") && Date() < deadline { usleep(50_000) }
        let second = try repo.mlv("train", environment: ["MLV_LOCK_TIMEOUT": "0.5"])
        XCTAssertEqual(second.code, 2)
        XCTAssertTrue(second.stderr.contains("(mlv train) since"), "names the holder: \(second.stderr)")
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(try repo.mlv("train").code, 0)
    }

    func testEvalRunsOnlyEvaluationAndRefusesWhenUpstreamIsStale() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train").code, 0)
        PipelineFixture.clearRuns(repo)
        try repo.write("evaluate.py", PipelineFixture.evaluate + "\n# changed\n")
        let eval = try repo.mlv("eval", "--commit", "-m", "re-evaluate")
        XCTAssertEqual(eval.code, 0, eval.stderr)
        XCTAssertEqual(PipelineFixture.runs(repo), ["evaluate"])
        XCTAssertTrue(try repo.git("show", "--name-only", "--format=", "HEAD").stdout.contains("evaluate.py"), "Git-tracked deps are committed")

        try repo.write("params.yaml", "train:\n  lr: 0.2\n  epochs: 3\n")
        let refused = try repo.mlv("eval")
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.stderr.contains("stale stage(s) train"), refused.stderr)
        PipelineFixture.clearRuns(repo)
        XCTAssertEqual(try repo.mlv("eval", "--with-upstream").code, 0)
        XCTAssertEqual(PipelineFixture.runs(repo), ["train", "evaluate"])
    }

    func testDryRunChangesNothing() throws {
        let repo = try PipelineFixture.make()
        let dry = try repo.mlv("train", "--dry-run")
        XCTAssertEqual(dry.code, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("Stage prepare: would run because it has not run before"), dry.stdout)
        XCTAssertFalse(repo.exists("mlv.lock"))
        XCTAssertEqual(PipelineFixture.runs(repo), [])

        // --force runs the named stage even though it is up to date; its identical output
        // leaves evaluate up to date.
        XCTAssertEqual(try repo.mlv("train").code, 0)
        PipelineFixture.clearRuns(repo)
        let forced = try repo.mlv("train", "--force", "train")
        XCTAssertEqual(forced.code, 0, forced.stderr)
        XCTAssertEqual(PipelineFixture.runs(repo), ["train"])
        XCTAssertTrue(forced.stdout.contains("Stage train: running because --force"), forced.stdout)
        XCTAssertEqual(try repo.mlv("train", "nosuchstage").code, 2)
    }

    func testLockMergesCleanlyWhenBranchesRanDifferentStages() throws {
        let repo = try TestRepository()
        try repo.write("a.txt", "a\n")
        try repo.write("b.txt", "b\n")
        try repo.write("mlv.yaml", """
        stages:
          left:
            cmd: cp a.txt left.out
            deps: [a.txt]
            outs: [left.out]
          right:
            cmd: cp b.txt right.out
            deps: [b.txt]
            outs: [right.out]

        """)
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "both").code, 0)
        try repo.git("checkout", "-q", "-b", "left-branch")
        try repo.write("a.txt", "a2\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "left").code, 0)
        try repo.git("checkout", "-q", "main")
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        try repo.write("b.txt", "b2\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "right").code, 0)
        try repo.git("merge", "-q", "--no-edit", "left-branch")
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        let train = try repo.mlv("train")
        XCTAssertEqual(train.code, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("Stage left: skipped") && train.stdout.contains("Stage right: skipped"), train.stdout)
        XCTAssertEqual(String(decoding: try repo.read("left.out"), as: UTF8.self), "a2\n")
        XCTAssertEqual(String(decoding: try repo.read("right.out"), as: UTF8.self), "b2\n")
        try repo.assertGitFsckClean()
    }

    func testLineageUpstreamAndDownstream() throws {
        let repo = try PipelineFixture.make()
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "baseline").code, 0)
        let baseline = try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try repo.write("params.yaml", "train:\n  lr: 0.5\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train", "--commit", "-m", "faster").code, 0)

        let text = try repo.mlv("lineage", "metrics.json")
        XCTAssertEqual(text.code, 0, text.stderr)
        for expected in ["made by stage evaluate: python3 evaluate.py", "made by stage train", "params: train.epochs=3, train.lr=0.5",
                         "made by stage prepare", "added with mlv add (data/raw.mlv)", "kept in Git", "recorded in commit"] {
            XCTAssertTrue(text.stdout.contains(expected), "\(expected) missing from\n\(text.stdout)")
        }
        let json = try repo.mlv("lineage", "models/model.bin", "--rev", "HEAD~1", "--json")
        let graph = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let nodes = graph["nodes"] as! [[String: Any]]
        let node = nodes[graph["root"] as! Int]
        XCTAssertEqual(node["stage"] as? String, "train")
        XCTAssertEqual((node["recorded_in"] as? [String: Any])?["commit"] as? String, baseline)
        let deps = (node["deps"] as! [Int]).map { nodes[$0] }
        XCTAssertEqual(deps.first?["origin"] as? String, "stage")
        XCTAssertEqual((deps.first?["deps"] as? [Int])?.first.map { nodes[$0]["origin"] as? String }, "added")
        XCTAssertTrue(try repo.mlv("lineage", "models/model.bin", "--dot").stdout.hasPrefix("digraph lineage {"))
        XCTAssertTrue(try repo.mlv("lineage", "models/model.bin", "--mermaid").stdout.hasPrefix("flowchart LR"))

        let used = try repo.mlv("lineage", "--used-by", "data/raw", "--json")
        XCTAssertEqual(used.code, 0, used.stderr)
        let outputs = (try JSONSerialization.jsonObject(with: Data(used.stdout.utf8)) as! [String: Any])["outputs"] as! [[String: Any]]
        let models = outputs.filter { $0["path"] as? String == "models/model.bin" }
        XCTAssertEqual(models.count, 2, "both model versions were made from this data")
        XCTAssertTrue(models.contains { $0["commit"] as? String == baseline })
        XCTAssertTrue(outputs.contains { $0["path"] as? String == "metrics.json" && $0["depth"] as? Int == 3 })
        let modelID = models.first { $0["commit"] as? String == baseline }!["id"] as! String
        let byID = try repo.mlv("lineage", "--used-by", modelID)
        XCTAssertTrue(byID.stdout.contains("metrics.json") && byID.stdout.contains("evaluate"), byID.stdout)
        let unknown = try repo.mlv("lineage", "nowhere.bin")
        XCTAssertEqual(unknown.code, 2)
    }

    /// A crafted lock: 20 stages that each read both outputs of the one before (2^20 paths
    /// through it), and a chain of 3,000 stages. Each version is visited and printed once.
    func testLineageOverCraftedLocksIsLinear() throws {
        let repo = try TestRepository()
        let id = String(repeating: "a", count: 64)
        func stage(_ name: String, deps: [String], outs: [String]) -> String {
            "  \(name):\n    cmd: make\n    deps:" + (deps.isEmpty ? " []\n" : "\n") + deps.map { "      - {path: \($0), id: \(id)}\n" }.joined()
                + "    outs:\n" + outs.map { "      - {path: \($0), id: \(id), size: 1}\n" }.joined() + "    run: {started: x}\n"
        }
        var diamond = "schema: 1\nstages:\n" + stage("d0", deps: [], outs: ["d0a", "d0b"])
        for i in 1..<20 { diamond += stage("d\(i)", deps: ["d\(i - 1)a", "d\(i - 1)b"], outs: ["d\(i)a", "d\(i)b"]) }
        var chain = stage("c0", deps: [], outs: ["c0"])
        for i in 1..<3000 { chain += stage("c\(i)", deps: ["c\(i - 1)"], outs: ["c\(i)"]) }
        try repo.write("mlv.lock", diamond + chain)
        for (target, nodes) in [("d19a", 39), ("c2999", 3000)] {
            let result = try TestRepository.run("/usr/bin/timeout", ["-s", "KILL", "120", TestRepository.binary, "lineage", target, "--json"], in: repo.root)
            XCTAssertEqual(result.code, 0, result.stderr)
            let graph = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            XCTAssertEqual((graph?["nodes"] as? [Any])?.count, nodes)
        }
        let text = try TestRepository.run("/usr/bin/timeout", ["-s", "KILL", "120", TestRepository.binary, "lineage", "d19a"], in: repo.root)
        XCTAssertEqual(text.code, 0)
        XCTAssertEqual(text.stdout.components(separatedBy: "(shown above)").count - 1, 36, "each shared version is shown once, then referred to")
    }

    func testMalformedPipelineFilesGivePreciseErrors() throws {
        let repo = try PipelineFixture.make()
        let cases: [(yaml: String, expected: String)] = [
            ("stages:\n  train:\n    cmd: x\n    outz: [a]\n", "mlv.yaml:4:5: stage `train` has unknown key `outz`"),
            ("stages:\n  train:\n    deps: [a]\n", "mlv.yaml:2:3: stage `train` has no `cmd`"),
            ("stages:\n  a:\n    cmd: x\n    outs: [m]\n  b:\n    cmd: y\n    outs: [m]\n", "mlv.yaml:7:12: `m` is an output of both `a` and `b`"),
            ("stages:\n  a:\n    cmd: x\n    deps: [y]\n    outs: [x]\n  b:\n    cmd: y\n    deps: [x]\n    outs: [y]\n", "stages form a cycle: a -> b -> a"),
            ("stages:\n  a:\n    cmd: x\n    deps: [m]\n    outs: [m/sub]\n", "output `m/sub` overlaps its dep `m`"),
            ("stages:\n  a:\n    cmd: x\n    deps: [missing.csv]\n", "mlv.yaml:4:12: stage `a` depends on `missing.csv`, which does not exist"),
            ("stages:\n  a:\n    cmd: [x\n", "mlv.yaml:4:1: is not valid YAML"),
            ("stages:\n  a:\n    cmd: x\n    params: [train.missing]\n", "param `train.missing`, but params.yaml has no such key"),
            ("stagez: {}\n", "mlv.yaml:1:1: has unknown key `stagez`"),
        ]
        for (yaml, expected) in cases {
            try repo.write("mlv.yaml", yaml)
            let result = try repo.mlv("train")
            XCTAssertEqual(result.code, 2, yaml)
            XCTAssertTrue(result.stderr.contains(expected), "expected `\(expected)` for\n\(yaml)\ngot: \(result.stderr)")
        }
        try repo.write("mlv.yaml", PipelineFixture.pipeline)
        try repo.write("params.yaml", "train:\n  lr: [0.1\n")
        let badParams = try repo.mlv("train")
        XCTAssertTrue(badParams.stderr.contains("params.yaml:3:1: is not valid YAML"), badParams.stderr)
        try repo.write("params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n")
        XCTAssertEqual(try repo.mlv("train").code, 0)
        let lock = try repo.read("mlv.lock")
        try repo.write("mlv.lock", "schema: 1\nstages:\n  train:\n    cmd: x\n    deps: nope\n    outs: []\n    run: {started: x}\n")
        let badLock = try repo.mlv("status")
        XCTAssertEqual(badLock.code, 2)
        XCTAssertTrue(badLock.stderr.contains("mlv.lock:5:11: stage `train` deps must be a list"), badLock.stderr)
        try repo.write("mlv.lock", lock)
        XCTAssertEqual(try repo.mlv("add", "models/model.bin").code, 2, "an output cannot also be added by hand")
        // Nor can a stage write inside data `mlv add` tracks.
        try repo.write("data/extra/a.txt", "a\n")
        XCTAssertEqual(try repo.mlv("add", "data/extra").code, 0)
        try repo.write("mlv.yaml", PipelineFixture.pipeline.replacingOccurrences(of: "outs: [models/model.bin]", with: "outs: [data/extra/model.bin]"))
        let inside = try repo.mlv("train")
        XCTAssertEqual(inside.code, 2)
        XCTAssertTrue(inside.stderr.contains("outputs `data/extra/model.bin` inside `data/extra`, which `mlv add` already tracks"), inside.stderr)
    }

    func testFilesGitIgnoresInACodeFolderDoNotMakeAStageStale() throws {
        let repo = try TestRepository()
        try repo.write("src/helpers.py", "def double(x):\n    return 2 * x\n")
        try repo.write("src/main.py", "import sys\nsys.path.insert(0, 'src')\nimport helpers\nopen('out.txt', 'w').write(str(helpers.double(21)))\n")
        try repo.write(".gitignore", "/.mlv/\n__pycache__/\n")
        try repo.write("mlv.yaml", "stages:\n  run:\n    cmd: python3 src/main.py && mkdir -p src/__pycache__ && date +%N > src/__pycache__/helpers.pyc\n    deps: [src]\n    outs: [out.txt]\n")
        XCTAssertEqual(try repo.mlv("train").code, 0)
        XCTAssertTrue(repo.exists("src/__pycache__/helpers.pyc"), "the run left a bytecode cache in the code folder")
        let again = try repo.mlv("train")
        XCTAssertTrue(again.stdout.contains("Stage run: skipped, up to date"), again.stdout)
        try repo.write("src/helpers.py", "def double(x):\n    return x + x\n")
        XCTAssertTrue(try repo.mlv("train").stdout.contains("dep `src` changed"))
    }
}
