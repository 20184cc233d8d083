import Foundation
@testable import MLVGit
import XCTest

/// Finding a repository without libgit2 must give libgit2's answer or none at all.
final class StandardLayoutTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID().uuidString)").resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: root + "/main/sub", withIntermediateDirectories: true)
        try shell("cd main && git init -q -b main . && git -c user.name=T -c user.email=t@example.com commit -q --allow-empty -m first")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func shell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, command)
    }

    /// Deferred and eager discovery name the same folders, and a deferred repository works.
    func assertAgrees(from path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let eager = try Repository.discover(from: path)
        let deferred = try Repository.discover(from: path, deferringLibgit2: true)
        XCTAssertEqual(deferred?.workTree, eager?.workTree, path, file: file, line: line)
        XCTAssertEqual(deferred?.gitDirectory, eager?.gitDirectory, path, file: file, line: line)
        if let deferred, let eager, eager.workTree != nil {
            XCTAssertEqual(try deferred.headCommit(), try eager.headCommit(), path, file: file, line: line)
        }
    }

    func testAnOrdinaryWorkTreeIsFoundWithoutLibgit2() throws {
        XCTAssertEqual(StandardLayout.find(from: root + "/main/sub"), .init(gitDirectory: root + "/main/.git", workTree: root + "/main"))
        XCTAssertEqual(StandardLayout.find(from: root + "/main"), .init(gitDirectory: root + "/main/.git", workTree: root + "/main"))
        try assertAgrees(from: root + "/main/sub")
        try assertAgrees(from: root + "/main")
        // Through a symlinked folder, as libgit2 resolves it.
        try shell("ln -s main/sub link")
        try assertAgrees(from: root + "/link")
    }

    func testUnusualLayoutsAreLeftToLibgit2() throws {
        try shell("git -C main worktree add -q ../linked && git init -q --separate-git-dir=\(root)/sep.git separate && git init -q --bare bare.git")
        try shell("mkdir moved && git init -q moved-repo && git -C moved-repo config core.worktree \(root)/moved")
        try shell("git init -q flagged && git -C flagged config core.bare true")
        try shell("git init -q included && git -C included config include.path extra")
        // A variable on its section header's line, in upper case, with a tab: Git reads it.
        try shell("git init -q inline && printf '[Core]\\tBARE = yes\\n' >> inline/.git/config")
        try shell("git init -q conditional && printf '[includeIf \"gitdir:/x/\"]\\n\\tpath = extra\\n' >> conditional/.git/config")
        for path in ["linked", "separate", "bare.git", "main/.git", "main/.git/refs", "moved-repo", "flagged", "included", "inline", "conditional"] {
            XCTAssertNil(StandardLayout.find(from: root + "/" + path), path)
            try assertAgrees(from: root + "/" + path)
        }
    }

    func testNoRepositoryIsNoRepository() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("nogit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        XCTAssertNil(StandardLayout.find(from: outside))
        XCTAssertNil(try Repository.discover(from: outside, deferringLibgit2: true))
    }

    /// A work tree moved by the config after discovery is refused at first use, not followed.
    func testLibgit2MustAgreeWhenFinallyOpened() throws {
        let deferred = try XCTUnwrap(try Repository.discover(from: root + "/main", deferringLibgit2: true))
        try shell("mkdir elsewhere && git -C main config core.worktree \(root)/elsewhere")
        XCTAssertThrowsError(try deferred.headCommit()) { error in
            XCTAssertEqual((error as? GitError)?.message, "libgit2 places its work tree at \(root)/elsewhere, not \(root)/main")
        }
        XCTAssertNil(deferred.currentBranch())
    }
}
