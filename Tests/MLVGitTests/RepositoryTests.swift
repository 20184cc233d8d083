import Foundation
import MLVGit
import XCTest

/// The libgit2 wrapper against real repositories, checked with the git CLI.
final class RepositoryTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mlvgit-\(UUID().uuidString)").resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: root + "/sub/deeper", withIntermediateDirectories: true)
        try shell("git init -q -b main . && git config user.name T && git config user.email t@example.com")
        try "one\n".write(toFile: root + "/a.txt", atomically: true, encoding: .utf8)
        try shell("git add a.txt && git commit -q -m first && git tag v1")
        try "two\n".write(toFile: root + "/a.txt", atomically: true, encoding: .utf8)
        try shell("git commit -q -am second")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    @discardableResult
    func shell(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, command)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testDiscoverFromSubfolderAndOutside() throws {
        let repo = try XCTUnwrap(try Repository.discover(from: root + "/sub/deeper"))
        XCTAssertEqual(repo.workTree, root)
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("nogit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        XCTAssertNil(try Repository.discover(from: outside))
    }

    func testResolveRevisionsAgreeWithGit() throws {
        let repo = try Repository.open(at: root)
        for rev in ["HEAD", "HEAD~1", "main", "v1", String(try shell("git rev-parse HEAD").prefix(7))] {
            XCTAssertEqual(try repo.resolveCommit(rev).hex, try shell("git rev-parse '\(rev)^{commit}'"), rev)
        }
        XCTAssertThrowsError(try repo.resolveCommit("nope")) { error in
            XCTAssertTrue((error as? GitError)?.message.contains("nope") ?? false, "\(error)")
        }
        XCTAssertEqual(repo.currentBranch(), "main")
    }

    func testReadFileAtAnyCommitWithoutCheckout() throws {
        let repo = try Repository.open(at: root)
        let first = try repo.resolveCommit("v1")
        XCTAssertEqual(try repo.readFile("a.txt", at: first).map { String(decoding: $0, as: UTF8.self) }, "one\n")
        XCTAssertNil(try repo.readFile("missing.txt", at: first))
        XCTAssertEqual(try String(contentsOfFile: root + "/a.txt", encoding: .utf8), "two\n")
    }

    func testHistoryAndReferences() throws {
        let repo = try Repository.open(at: root)
        let head = try repo.resolveCommit("HEAD")
        XCTAssertEqual(try repo.history(from: head).map(\.hex), try shell("git rev-list HEAD").split(separator: "\n").map(String.init))
        XCTAssertEqual(try repo.references(matching: "refs/tags/*").map(\.name), ["refs/tags/v1"])
        XCTAssertEqual(try repo.allCommits().count, 2)
        XCTAssertEqual(try repo.commitInfo(head).summary, "second")
    }

    func testStageUnstageAndCommitIndex() throws {
        let repo = try Repository.open(at: root)
        try "new\n".write(toFile: root + "/sub/n.txt", atomically: true, encoding: .utf8)
        try repo.stage(["sub/n.txt"])
        XCTAssertEqual(try shell("git diff --cached --name-only"), "sub/n.txt")
        XCTAssertTrue(try repo.isTracked("sub"))
        try repo.unstage(["sub/n.txt"])
        XCTAssertEqual(try shell("git diff --cached --name-only"), "")
        try repo.stage(["sub/n.txt"])
        let commit = try repo.commitIndex(message: "third")
        XCTAssertEqual(try shell("git rev-parse HEAD"), commit.hex)
        XCTAssertEqual(try shell("git show HEAD:sub/n.txt"), "new")
        try shell("git fsck --strict")
    }

    func testCommitFilesOnAnotherRefLeavesIndexAndWorkTree() throws {
        let repo = try Repository.open(at: root)
        let head = try repo.resolveCommit("HEAD")
        let commit = try repo.commitFiles(["meta/run.json": Array("{}".utf8)], onto: head, ref: "refs/heads/runs", message: "record run")
        XCTAssertEqual(try shell("git rev-parse runs"), commit.hex)
        XCTAssertEqual(try shell("git show runs:meta/run.json"), "{}")
        XCTAssertEqual(try shell("git show runs:a.txt"), "two")
        XCTAssertEqual(try shell("git rev-parse HEAD"), head.hex)
        XCTAssertEqual(try shell("git status --porcelain"), "")
        // A stale parent is refused (compare and swap on the ref).
        XCTAssertThrowsError(try repo.commitFiles(["x": [1]], onto: head, ref: "refs/heads/runs", message: "stale"))
        try shell("git fsck --strict")
    }

    func testNotesRoundTripAndRefuseOverwrite() throws {
        let repo = try Repository.open(at: root)
        let head = try repo.resolveCommit("HEAD")
        XCTAssertNil(try repo.readNote(on: head, notesRef: "refs/notes/mlv"))
        try repo.writeNote("accuracy: 0.9", on: head, notesRef: "refs/notes/mlv")
        XCTAssertEqual(try shell("git notes --ref=mlv show HEAD"), "accuracy: 0.9")
        XCTAssertThrowsError(try repo.writeNote("again", on: head, notesRef: "refs/notes/mlv")) { error in
            XCTAssertTrue((error as? GitError)?.isExists ?? false)
        }
        try repo.writeNote("accuracy: 0.95", on: head, notesRef: "refs/notes/mlv", force: true)
        XCTAssertEqual(try repo.readNote(on: head, notesRef: "refs/notes/mlv"), "accuracy: 0.95")
    }

    func testConfigFileReadWriteAndHooksPath() throws {
        let path = root + "/.mlvconfig"
        try "[core]\n\tlinkMode = copy\n[remote \"store\"]\n\turl = /tmp/x\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try GitConfig.open(file: path)
        XCTAssertEqual(try config.string("core.linkMode"), "copy")
        XCTAssertEqual(try config.string("remote.store.url"), "/tmp/x")
        XCTAssertNil(try config.string("core.missing"))
        try config.set("core.cache", to: "/shared/cache")
        XCTAssertEqual(try shell("git config -f .mlvconfig core.cache"), "/shared/cache")
        XCTAssertEqual(try config.entries(matching: "^remote\\.").map(\.name), ["remote.store.url"])

        let repo = try Repository.open(at: root)
        XCTAssertEqual(try repo.hooksDirectory(), root + "/.git/hooks")
        try shell("git config core.hooksPath githooks")
        XCTAssertEqual(try Repository.open(at: root).hooksDirectory(), root + "/githooks")
    }

    func testIgnoreRules() throws {
        try "/data\n".write(toFile: root + "/.gitignore", atomically: true, encoding: .utf8)
        let repo = try Repository.open(at: root)
        XCTAssertTrue(try repo.isIgnored("data"))
        XCTAssertFalse(try repo.isIgnored("data.mlv"))
    }
}
