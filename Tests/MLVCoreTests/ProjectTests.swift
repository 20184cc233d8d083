@testable import MLVCore
import MLVGit
import XCTest

/// Core entry points called directly (no binary), in a real repository.
final class ProjectTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("proj-\(UUID().uuidString)").resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        _ = try Repository.create(at: root)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testInitAddStatusCheckoutCycle() throws {
        let first = try initialize(at: root)
        XCTAssertTrue(first.created.contains(".mlvconfig"))
        XCTAssertEqual(try initialize(at: root).created, [])
        let project = try Project.open(from: root)
        try FileManager.default.createDirectory(atPath: root + "/data/sub", withIntermediateDirectories: true)
        try Data("a".utf8).write(to: URL(fileURLWithPath: root + "/data/a"))
        try Data("b".utf8).write(to: URL(fileURLWithPath: root + "/data/sub/b"))
        let added = try add(["data"], cwd: root, project: project)
        XCTAssertEqual(added.first?.pointer.fileCount, 2)
        XCTAssertEqual(added.first?.newObjects, 4, "two files and a node for each folder (data, data/sub)")
        XCTAssertTrue(try status([], cwd: root, project: project).allSatisfy(\.isClean))
        try FileManager.default.removeItem(atPath: root + "/data/sub")
        let changed = try status(["."], cwd: root + "/data", project: project)
        XCTAssertEqual(changed.first?.deleted, ["sub/b"])
        let restored = try checkout([], cwd: root, project: project)
        XCTAssertEqual(restored.first?.written, 1)
        XCTAssertEqual(try String(contentsOfFile: root + "/data/sub/b", encoding: .utf8), "b")
        XCTAssertThrowsError(try status(["nothing"], cwd: root, project: project)) {
            XCTAssertEqual($0 as? WorkspaceError, .notTracked("nothing"))
        }
    }

    func testApplyingAnExperimentRefusesPathsIntoMLVsFolder() throws {
        _ = try initialize(at: root)
        let project = try Project.open(from: root)
        let base = try project.git.commitIndex(message: "init")
        // A hostile experiment commit (fetched from someone's remote) that writes .mlv/config.
        let hostile = try project.git.writeCommit(base: base, changes: [".mlv/config": .write(Array("[core]\n\tcache = /tmp/elsewhere\n".utf8), executable: false)],
                                                  parent: base, message: "exp")
        try project.git.createReference("refs/mlv/exps/\(base.hex)/hostile", to: hostile, force: false, message: "test")
        XCTAssertThrowsError(try applyExperiment("hostile", force: true, project: project)) { error in
            XCTAssertEqual(error as? ExperimentError, .unsafePath(".mlv/config", reason: "is inside .mlv, mlv's private folder"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/.mlv/config"))
    }

    func testOpenRequiresInit() throws {
        XCTAssertThrowsError(try Project.open(from: root)) { XCTAssertEqual($0 as? WorkspaceError, .notInitialized(root)) }
    }

    func testIgnoreEntriesAreEscapedAndNotDuplicated() throws {
        let path = root + "/.gitignore"
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertTrue(try IgnoreFile.ensure([IgnoreFile.anchored("a*b")], in: path))
        XCTAssertFalse(try IgnoreFile.ensure([IgnoreFile.anchored("a*b")], in: path))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "keep\n/a\\*b\n")
    }

    func testLockTimesOutWithHolder() throws {
        let path = root + "/lockfile"
        let held = try RepositoryLock(path: path, command: "add", timeout: 1)
        XCTAssertThrowsError(try RepositoryLock(path: path, command: "checkout", timeout: 0.2)) { error in
            XCTAssertTrue("\(error)".contains("(mlv add)"), "\(error)")
        }
        withExtendedLifetime(held) {}
    }
}
