import Foundation
import XCTest

/// Every command driven into a failure: exit code 2 and exactly one `mlv: error: …` line on
/// stderr (no trace, no second line), compared as text with the temporary paths normalized.
final class ExitCodeEndToEndTests: XCTestCase {
    func testHelpPrintsUsageAndExitsZero() throws {
        let repo = try TestRepository()
        for arguments in [["--help"], ["exp", "--help"], ["exp", "run", "--help"], ["help", "train"]] {
            let result = try TestRepository.run(TestRepository.binary, arguments, in: repo.root)
            XCTAssertEqual(result.code, 0, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr, "", "\(arguments)")
            XCTAssertTrue(result.stdout.contains("USAGE: mlv"), "\(arguments)")
        }
    }

    func testEveryCommandFailsWithCodeTwoAndOneLine() throws {
        let repo = try TestRepository()
        let plain = try TestRepository(initMLV: false)
        let notGit = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-nogit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: notGit, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: notGit) }
        let broken = try TestRepository()
        try broken.write("mlv.lock", "schema: 1\nstages: [\n")
        try broken.write("mlv.yaml", "stages:\n  a:\n    cmd: x\n    bogus: 1\n")
        let badPointer = try TestRepository()
        try badPointer.write("x.mlv", "version: 9\n")

        // An error that is not one of mlv's own types reached ArgumentParser before (exit 1).
        let hugeLock = try TestRepository()
        try hugeLock.write("mlv.lock", Data(count: (64 << 20) + 1))

        enum Place { case repo, plain, notGit, broken, badPointer, hugeLock }
        let cases: [(Place, [String], String)] = [
            (.hugeLock, ["status"], "ROOT/mlv.lock is larger than 67108864 bytes, more than mlv reads for a file of this kind; refusing it."),
            (.notGit, ["init"], "NOGIT is not inside a Git work tree; run `git init` first, then `mlv init`."),
            (.repo, ["add", "nothing-here"], "nothing-here does not exist."),
            (.broken, ["status"], "mlv.lock:3:1: is not valid YAML: did not find expected node content; restore it with `git checkout -- mlv.lock` or rerun `mlv train`"),
            (.badPointer, ["checkout"], "pointer x.mlv has version 9; this mlv reads version 1 — upgrade mlv; nothing was changed. Restore it with `git checkout -- x.mlv` or re-add the data."),
            (.repo, ["checkout", "missing-path"], "missing-path is not tracked by mlv (no missing-path.mlv pointer); see `mlv status` for what is."),
            (.repo, ["diff", "nope"], "git: resolve revision 'nope' failed: revspec 'nope' not found"),
            (.plain, ["gc", "--workspace"], "mlv is not initialized in ROOT; run `mlv init`."),
            (.broken, ["fsck"], "mlv.lock:3:1: is not valid YAML: did not find expected node content; restore it with `git checkout -- mlv.lock` or rerun `mlv train`"),
            (.repo, ["remote", "add", "../x", "/tmp/x"], "config .mlvconfig: remote name `../x` may hold only ASCII letters, digits, `-`, `_` and `.`."),
            (.repo, ["remote", "remove", "nope"], "no remote named `nope`; add one with `mlv remote add NAME URL`."),
            (.repo, ["push"], "no remote given and no default set; use `-r NAME` or `mlv remote add NAME URL --default`."),
            (.repo, ["fetch", "-r", "nope"], "no remote named `nope`; add one with `mlv remote add NAME URL`."),
            (.repo, ["pull", "-r", "nope"], "no remote named `nope`; add one with `mlv remote add NAME URL`."),
            (.broken, ["train"], "mlv.yaml:4:5: stage `a` has unknown key `bogus`; expected cmd, evaluate, deps, params, outs, metrics, plots, wdir, desc"),
            (.broken, ["eval"], "mlv.yaml:4:5: stage `a` has unknown key `bogus`; expected cmd, evaluate, deps, params, outs, metrics, plots, wdir, desc"),
            (.repo, ["lineage", "nothing"], "nothing is not made by any stage, tracked by mlv, or kept in Git; nothing to trace."),
            (.repo, ["metrics", "show", "--rev", "nope"], "git: resolve revision 'nope' failed: revspec 'nope' not found"),
            (.repo, ["metrics", "diff", "nope"], "git: resolve revision 'nope' failed: revspec 'nope' not found"),
            (.repo, ["metrics", "history", "loss", "nope..HEAD"], "git: resolve revision 'nope' failed: revspec 'nope' not found"),
            (.repo, ["params", "diff", "nope"], "git: resolve revision 'nope' failed: revspec 'nope' not found"),
            (.repo, ["gate", "nope"], "git: resolve revision 'nope' failed: revspec 'nope' not found"),
            (.notGit, ["hooks", "install"], "NOGIT is not inside a Git work tree; run `git init` first, then `mlv init`."),
            (.notGit, ["hooks", "uninstall"], "NOGIT is not inside a Git work tree; run `git init` first, then `mlv init`."),
            (.notGit, ["hooks", "status"], "NOGIT is not inside a Git work tree; run `git init` first, then `mlv init`."),
            (.repo, ["hook", "pre-rebase"], "mlv has no `pre-rebase` hook; it handles pre-push, post-checkout, post-merge, post-commit."),
        ]
        for (place, arguments, expected) in cases {
            let directory: String
            switch place {
            case .repo: directory = repo.root
            case .plain: directory = plain.root
            case .notGit: directory = notGit
            case .broken: directory = broken.root
            case .badPointer: directory = badPointer.root
            case .hugeLock: directory = hugeLock.root
            }
            let result = try TestRepository.run(TestRepository.binary, arguments, in: directory)
            let root = place == .notGit ? notGit : directory
            let stderr = result.stderr.replacingOccurrences(of: root, with: place == .notGit ? "NOGIT" : "ROOT")
            XCTAssertEqual(result.code, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
            let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(lines.count, 2, "\(arguments): one line and its newline: \(stderr)")
            XCTAssertTrue(stderr.hasPrefix("mlv: error: "), "\(arguments): \(stderr)")
            XCTAssertEqual(stderr, "mlv: error: \(expected)\n", "\(arguments)")
        }
    }
}
