@testable import MLVCore
import MLVGit
import XCTest

/// diff, gc and fsck called directly on a real repository with two commits.
final class MaintenanceTests: XCTestCase {
    var root = ""
    var project: Project!
    var git: Repository!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("maint-\(UUID().uuidString)").resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        git = try Repository.create(at: root)
        _ = try initialize(at: root)
        project = try Project.open(from: root)
        try write("data/a", "a1")
        try write("data/b", "b1")
        _ = try add(["data"], cwd: root, project: project)
        try git.commitIndex(message: "v1")
        try write("data/a", "a2")
        try FileManager.default.removeItem(atPath: root + "/data/b")
        try write("data/c", "c2")
        _ = try add(["data"], cwd: root, project: project)
        try git.commitIndex(message: "v2")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + path))
    }

    func testDiffBetweenCommitsListsEachFile() throws {
        let changes = try diff(from: .revision("HEAD~1"), to: .revision("HEAD"), project: project)
        XCTAssertEqual(changes.count, 1)
        XCTAssertEqual(changes[0].change, .modified)
        XCTAssertEqual(changes[0].added.map(\.path), ["c"])
        XCTAssertEqual(changes[0].deleted.map(\.path), ["b"])
        XCTAssertEqual(changes[0].modified.map(\.path), ["a"])
        XCTAssertEqual(try diff(from: .revision("HEAD"), to: .workspace, project: project), [])
        let reverse = try diff(from: .revision("HEAD"), to: .revision("HEAD~1"), project: project)
        XCTAssertEqual(reverse[0].added.map(\.path), ["b"])
    }

    func testDiffSaysWhichManifestIsMissing() throws {
        let pointer = try project.readPointer(for: "data")
        try project.store.remove(pointer.id)
        XCTAssertThrowsError(try diff(from: .revision("HEAD~1"), to: .revision("HEAD"), project: project)) { error in
            guard case DiffError.manifestMissing(let path, let revision, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "data")
            XCTAssertEqual(revision, "HEAD")
        }
    }

    func testGCScopes() throws {
        let before = try project.store.allObjects().count
        let dry = try collectGarbage(scope: .workspace, dryRun: true, project: project)
        XCTAssertEqual(dry.removedObjects, 3, "v1's manifest, a1 and b1")
        XCTAssertEqual(try project.store.allObjects().count, before)
        XCTAssertEqual(try collectGarbage(scope: .allCommits, dryRun: false, project: project).removedObjects, 0)
        XCTAssertEqual(try collectGarbage(scope: .workspace, dryRun: false, project: project).removedObjects, 3)
        XCTAssertTrue(try status([], cwd: root, project: project).allSatisfy(\.isClean))
    }

    func testFsckReportsMissingAndCorruptedWithUsers() throws {
        XCTAssertEqual(try fsck(all: true, project: project).problems, [])
        let a2 = ObjectID.of(Array("a2".utf8))
        let c2 = ObjectID.of(Array("c2".utf8))
        try project.store.remove(a2)
        chmod(project.store.path(for: c2), 0o644)
        try write(String(project.store.path(for: c2).dropFirst(root.count + 1)), "XX")
        let result = try fsck(all: false, project: project)
        XCTAssertEqual(result.problems.map(\.kind).sorted { $0.rawValue < $1.rawValue }, [.corrupted, .missing])
        XCTAssertEqual(result.problems.first { $0.id == a2 }?.usedBy, ["data/a"])
        XCTAssertEqual(result.problems.first { $0.id == c2 }?.usedBy, ["data/c"])
    }
}
