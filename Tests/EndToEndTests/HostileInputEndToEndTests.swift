import Foundation
import XCTest

/// Committed files and remotes written by someone else: nothing they say may make mlv write
/// outside the work tree, into `.git`, or crash (findings of the hostile-input review).
final class HostileInputEndToEndTests: XCTestCase {
    /// A folder outside the repository, removed after the test.
    func outsideFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-outside-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The id and size `mlv add` gives `content`, leaving that object in the cache.
    func cachedObject(_ repo: TestRepository, _ content: String) throws -> (id: String, size: Int) {
        try repo.write("seed.txt", content)
        XCTAssertEqual(try repo.mlv("add", "seed.txt").code, 0)
        return (TestRepository.sha256(Data(content.utf8)), content.utf8.count)
    }

    static func lock(outputs: [(path: String, id: String, size: Int)]) -> String {
        var text = "schema: 1\nstages:\n  evil:\n    cmd: \"true\"\n    deps: []\n    outs:\n"
        for out in outputs { text += "      - path: \(out.path)\n        type: file\n        id: \(out.id)\n        size: \(out.size)\n" }
        return text + "    run:\n      started: \"2026-01-01T00:00:00Z\"\n"
    }

    func assertRefused(_ result: TestRepository.Result, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.code, 2, result.stdout + result.stderr, file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("mlv: error: ") == true, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(message), "expected `\(message)` in: \(result.stderr)", file: file, line: line)
        XCTAssertFalse(result.stderr.contains("Fatal error") || result.stderr.contains("Stack dump"), result.stderr, file: file, line: line)
    }

    // Finding 1: lock outputs through committed symlinks.
    func testLockOutputsBehindSymlinkedFoldersAreNeverWritten() throws {
        let repo = try TestRepository()
        let outside = try outsideFolder()
        try Data("original rc\n".utf8).write(to: URL(fileURLWithPath: outside + "/.bashrc"))
        let object = try cachedObject(repo, "ssh-ed25519 attacker\n")
        try FileManager.default.createSymbolicLink(atPath: repo.path("link"), withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: repo.path("home"), withDestinationPath: outside)
        try repo.write("mlv.lock", Self.lock(outputs: [("link/authorized_keys", object.id, object.size), ("home/.bashrc", object.id, object.size)]))
        try repo.git("add", "link", "home", "mlv.lock")
        try repo.git("commit", "-q", "-m", "hostile")

        for arguments in [["checkout"], ["checkout", "--force"], ["pull"]] {
            let result = try repo.mlv(arguments[0], arguments.count > 1 ? arguments[1] : "-q")
            XCTAssertNotEqual(result.code, 0, "\(arguments): \(result.stdout)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: outside + "/authorized_keys"), "\(arguments) wrote outside the work tree")
            XCTAssertEqual(try String(contentsOfFile: outside + "/.bashrc", encoding: .utf8), "original rc\n", "\(arguments) overwrote a file outside")
        }
        assertRefused(try repo.mlv("checkout"), "home is a symbolic link")
    }

    // Finding 14: `.git` is never a tracked path, in any case and at any depth.
    func testPointersLocksAndManifestsNamingGitAreRefused() throws {
        let repo = try TestRepository()
        let object = try cachedObject(repo, "#!/bin/sh\necho owned\n")
        let configBefore = try repo.read(".git/config")
        let pointer = { (name: String) in
            "version: 1\npath: \(name)\ntype: file\nid: \(object.id)\nsize: \(object.size)\n"
        }
        try repo.write(".git.mlv", pointer(".git"))
        assertRefused(try repo.mlv("checkout", "--force"), "pointer .git.mlv stands for a path that names a `.git` folder")
        assertRefused(try repo.mlv("status"), "pointer .git.mlv stands for a path that names a `.git` folder")
        try FileManager.default.removeItem(atPath: repo.path(".git.mlv"))

        try repo.write("sub/.GIT.mlv", pointer(".GIT"))
        assertRefused(try repo.mlv("checkout", "--force"), "pointer sub/.GIT.mlv stands for a path that names a `.git` folder")
        try FileManager.default.removeItem(atPath: repo.path("sub"))

        try repo.write("mlv.lock", Self.lock(outputs: [(".git/hooks/post-checkout", object.id, object.size)]))
        assertRefused(try repo.mlv("checkout", "--force"), "mlv.lock:7:15: output path `.git/hooks/post-checkout` names a `.git` folder")
        try repo.write("mlv.lock", Self.lock(outputs: [("a/.Git/x", object.id, object.size)]))
        assertRefused(try repo.mlv("status"), "output path `a/.Git/x` names a `.git` folder")
        try FileManager.default.removeItem(atPath: repo.path("mlv.lock"))

        XCTAssertFalse(repo.exists(".git/hooks/post-checkout"))
        XCTAssertEqual(try repo.read(".git/config"), configBefore)
        try repo.assertGitFsckClean()

        // A nested Git repository inside data is skipped by add, not stored as data.
        try repo.write("data/a.txt", "a")
        try repo.write("data/.git/HEAD", "ref: refs/heads/main\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        let manifestFiles = try repo.mlv("status", "--json").stdout
        XCTAssertFalse(manifestFiles.contains(".git/HEAD"), manifestFiles)
        try FileManager.default.removeItem(atPath: repo.path("data"))
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        XCTAssertEqual(try repo.fingerprint("data").keys.sorted(), ["a.txt"])
    }

    // Finding 15: committed config cannot move private folders.
    func testCommittedConfigCannotMoveTheCacheAndDotMLVMustBeAFolder() throws {
        let repo = try TestRepository()
        let outside = try outsideFolder()
        try repo.write(".mlvconfig", "[core]\n\tcache = \(outside)/cache\n")
        assertRefused(try repo.mlv("status"), "config \(repo.root)/.mlvconfig: core.cache may only be set in .mlv/config")
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside + "/cache"))
        // In the machine's own .mlv/config it is honoured.
        try repo.write(".mlvconfig", "[core]\n\tlinkMode = auto\n")
        try repo.write(".mlv/config", "[core]\n\tcache = \(outside)/cache\n")
        try repo.write("d.txt", "data")
        XCTAssertEqual(try repo.mlv("add", "d.txt").code, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: outside + "/cache"))

        let clone = try TestRepository(initMLV: false)
        try clone.write(".mlvconfig", "[core]\n\tlinkMode = auto\n")
        try FileManager.default.createSymbolicLink(atPath: clone.path(".mlv"), withDestinationPath: outside + "/private")
        try FileManager.default.createDirectory(atPath: outside + "/private", withIntermediateDirectories: true)
        assertRefused(try clone.mlv("status"), ".mlv is a symbolic link or a file, not a folder")
        assertRefused(try clone.mlv("init"), ".mlv is a symbolic link or a file, not a folder")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside + "/private"), [])
    }

    // Finding 16: remote names are never used as paths unchecked.
    func testRemoteNamesThatAreNotPlainNamesAreRefused() throws {
        let repo = try TestRepository()
        let outside = try outsideFolder()
        try repo.write("d.txt", "data")
        XCTAssertEqual(try repo.mlv("add", "d.txt").code, 0)
        for name in ["../../../outside/evil", "..", ".hidden", "-x", "a/b", "a b"] {
            try repo.write(".mlvconfig", "[core]\n\tremote = x\n[remote \"\(name)\"]\n\turl = \(outside)/store\n")
            assertRefused(try repo.mlv("pull"), "remote name `\(name)`")
            assertRefused(try repo.mlv("push"), "remote name `\(name)`")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [])
        let added = try repo.mlv("remote", "add", "../up", outside + "/store")
        assertRefused(added, "remote name `../up` may hold only ASCII letters, digits")
        assertRefused(try repo.mlv("remote", "add", "..", outside + "/store"), "remote name `..` may not start with `.` or `-`")
    }

    // Finding 4: names of one and two characters.
    func testOneAndTwoCharacterNames() throws {
        let repo = try TestRepository()
        try repo.write("e", "one")
        try repo.write("ab", "two")
        try repo.write("d/a", "inside")
        try repo.write("d/b/c", "deeper")
        for path in ["e", "ab", "d"] {
            let result = try repo.mlv("add", path)
            XCTAssertEqual(result.code, 0, "\(path): \(result.stderr)")
        }
        for path in ["e", "ab", "d"] { try FileManager.default.removeItem(atPath: repo.path(path)) }
        let checkout = try repo.mlv("checkout")
        XCTAssertEqual(checkout.code, 0, checkout.stderr)
        XCTAssertEqual(try String(contentsOfFile: repo.path("e"), encoding: .utf8), "one")
        XCTAssertEqual(try String(contentsOfFile: repo.path("d/a"), encoding: .utf8), "inside")
        XCTAssertEqual(try String(contentsOfFile: repo.path("d/b/c"), encoding: .utf8), "deeper")
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
    }

    // Finding 9: control characters in names and keys never reach the terminal raw.
    func testTerminalEscapesInMetricKeysArePrintedVisibly() throws {
        let repo = try TestRepository()
        try repo.write("mlv.yaml", "stages:\n  m:\n    cmd: \"true\"\n    metrics: [m.json]\n")
        try repo.write("m.json", "{\"evil\\u001b]0;owned\\u0007\\u001b[2J\": 1}")
        let shown = try repo.mlv("metrics", "show")
        XCTAssertEqual(shown.code, 0, shown.stderr)
        XCTAssertFalse(shown.stdout.contains("\u{1B}") || shown.stdout.contains("\u{07}"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("evil\\x1b]0;owned\\x07\\x1b[2J"), shown.stdout)
    }

    // Findings 5 and 6: huge integers fail gates closed; non-finite changes print.
    func testHugeAndExtremeMetricValues() throws {
        let repo = try TestRepository()
        try repo.write("mlv.yaml", "stages:\n  m:\n    cmd: \"true\"\n    metrics: [m.json]\ngates:\n  - loss <= 1\n")
        try repo.write("m.json", "{\"loss\": 9223372036854775808}")
        let gate = try repo.mlv("gate")
        XCTAssertEqual(gate.code, 1, gate.stdout + gate.stderr)
        XCTAssertTrue(gate.stdout.contains("loss    9223372036854775808  -         loss <= 1  FAIL    9.22337e+18 is not <= 1"), gate.stdout)
        try repo.write("m.json", "{\"loss\": 9223372036854775809}")
        let refused = try repo.mlv("gate")
        XCTAssertEqual(refused.code, 1)
        XCTAssertTrue(refused.stdout.contains("FAIL") && refused.stdout.contains("which mlv cannot hold exactly"), refused.stdout)

        try repo.write("m.json", "{\"loss\": -1.7e308}")
        try repo.git("add", "mlv.yaml", "m.json")
        try repo.git("commit", "-q", "-m", "low")
        try repo.write("m.json", "{\"loss\": 1.7e308}")
        try repo.git("commit", "-q", "-am", "high")
        let history = try repo.mlv("metrics", "history", "loss")
        XCTAssertEqual(history.code, 0, history.stderr)
        XCTAssertTrue(history.stdout.contains("▁█"), history.stdout)
        let diff = try repo.mlv("metrics", "diff", "HEAD~1", "HEAD", "--json")
        XCTAssertEqual(diff.code, 0, diff.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any]
        let change = (object?["metrics"] as? [[String: Any]])?.first
        XCTAssertEqual(change?["change"] as? String, "inf", diff.stdout)
        XCTAssertEqual(change?["b"] as? Double, 1.7e308, diff.stdout)
    }

    // Finding 13: a Git remote name from config is never passed to git as an option.
    func testABranchRemoteThatLooksLikeAnOptionIsNotPassedToGit() throws {
        let repo = try TestRepository()
        let outside = try outsideFolder()
        try repo.write("d.txt", "data")
        XCTAssertEqual(try repo.mlv("add", "d.txt").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", outside + "/store").code, 0)
        try repo.git("commit", "-q", "-m", "data")
        try repo.git("config", "branch.main.remote", "--upload-pack=touch \(outside)/owned")
        let pull = try repo.mlv("pull")
        XCTAssertEqual(pull.code, 0, pull.stderr)
        let push = try repo.mlv("push")
        XCTAssertEqual(push.code, 0, push.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside + "/owned"), "a config value became a git option")
    }
}
