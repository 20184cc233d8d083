import Foundation
import XCTest

/// add, pull, checkout and train on a small tmpfs that fills up: a clear error naming the
/// filesystem, nothing half-written left, earlier data intact, and a rerun that works once
/// space is freed. Needs root (to mount); skipped otherwise.
final class DiskFullEndToEndTests: XCTestCase {
    var mount = ""

    override func setUpWithError() throws {
        mount = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-tmpfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try TestRepository.run("/bin/mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mount], in: "/")
        guard mounted.code == 0 else {
            try? FileManager.default.removeItem(atPath: mount)
            throw XCTSkip("cannot mount a tmpfs here (\(mounted.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
    }

    override func tearDownWithError() throws {
        _ = try TestRepository.run("/bin/umount", ["-l", mount], in: "/")
        try? FileManager.default.removeItem(atPath: mount)
    }

    func run(_ arguments: [String], in directory: String) throws -> TestRepository.Result {
        try TestRepository.run(TestRepository.binary, arguments, in: directory)
    }

    func git(_ arguments: [String], in directory: String) throws {
        let result = try TestRepository.run("/usr/bin/env", ["git"] + arguments, in: directory)
        XCTAssertEqual(result.code, 0, result.stderr)
    }

    /// A repository on the tmpfs with mlv initialized.
    func repository(_ name: String) throws -> String {
        let root = mount + "/" + name
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try git(["init", "-q", "-b", "main", "."], in: root)
        XCTAssertEqual(try run(["init"], in: root).code, 0)
        return root
    }

    /// Fills the filesystem, leaving about `leave` bytes.
    func fill(leaving leave: Int) throws {
        try? FileManager.default.removeItem(atPath: mount + "/filler")
        let free = try FileManager.default.attributesOfFileSystem(forPath: mount)[.systemFreeSize] as! Int
        // Written in place (not atomically, which would need the room twice).
        let result = try TestRepository.run("/usr/bin/fallocate", ["-l", String(max(4096, free - leave)), mount + "/filler"], in: "/")
        XCTAssertEqual(result.code, 0, result.stderr)
    }

    func freeSpace() throws { try FileManager.default.removeItem(atPath: mount + "/filler") }

    func assertNoSpaceError(_ result: TestRepository.Result, command: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.code, 2, result.stdout + result.stderr, file: file, line: line)
        let normalized = result.stderr.replacingOccurrences(of: #"\(writing [^)]*\)"#, with: "(writing PATH)", options: .regularExpression)
            .replacingOccurrences(of: #"[0-9.]+ (B|KiB|MiB)"#, with: "N", options: .regularExpression)
            .replacingOccurrences(of: mount, with: "MOUNT")
        XCTAssertEqual(normalized, "mlv: error: no space left on the filesystem mounted at MOUNT (writing PATH): `mlv \(command)` needs up to N there, N is free. Nothing half-written was kept and earlier data is intact; free some space, then run `mlv \(command)` again.\n", file: file, line: line)
    }

    func leftovers(_ root: String) -> [String] {
        (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.contains(".mlv-tmp-") || $0.contains(".tmp-obj-") }
    }

    func testAddAndCheckoutOnAFullDisk() throws {
        let root = try repository("repo")
        let first = TestRepository.bytes(2 << 20, seed: 1)
        try first.write(to: URL(fileURLWithPath: root + "/first.bin"))
        XCTAssertEqual(try run(["add", "first.bin"], in: root).code, 0)
        let second = TestRepository.bytes(3 << 20, seed: 2)
        try second.write(to: URL(fileURLWithPath: root + "/second.bin"))
        try fill(leaving: 1 << 20)

        assertNoSpaceError(try run(["add", "second.bin"], in: root), command: "add")
        XCTAssertEqual(leftovers(root), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/second.bin.mlv"))
        XCTAssertEqual(try run(["fsck"], in: root).code, 0, "earlier data intact")

        // Checkout of a removed file on the full disk: refused the same way, nothing partial.
        try FileManager.default.removeItem(atPath: root + "/first.bin")
        try fill(leaving: 0)
        assertNoSpaceError(try run(["checkout", "first.bin"], in: root), command: "checkout")
        XCTAssertEqual(leftovers(root), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/first.bin"))

        try freeSpace()
        XCTAssertEqual(try run(["checkout", "first.bin"], in: root).code, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/first.bin")), first)
        XCTAssertEqual(try run(["add", "second.bin"], in: root).code, 0)
        XCTAssertEqual(try run(["fsck"], in: root).code, 0)
    }

    func testPullOnAFullDisk() throws {
        let source = try TestRepository()
        try source.write("model.bin", TestRepository.bytes(3 << 20, seed: 3))
        try source.write("data/a.txt", "a")
        XCTAssertEqual(try source.mlv("add", "model.bin", "data").code, 0)
        let store = source.root + "-store"
        defer { _ = try? TestRepository.run("/bin/chmod", ["-R", "u+w", store], in: "/"); try? FileManager.default.removeItem(atPath: store) }
        XCTAssertEqual(try source.mlv("remote", "add", "store", store).code, 0)
        try source.git("commit", "-q", "-m", "v1")
        XCTAssertEqual(try source.mlv("push").code, 0)
        let clone = mount + "/clone"
        XCTAssertEqual(try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", source.root, clone], in: "/").code, 0)
        try fill(leaving: 1 << 20)
        assertNoSpaceError(try run(["pull"], in: clone), command: "pull")
        XCTAssertEqual(leftovers(clone), [])
        try freeSpace()
        let pull = try run(["pull"], in: clone)
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: clone + "/model.bin")), try source.read("model.bin"))
        XCTAssertEqual(try run(["fsck"], in: clone).code, 0)
    }

    func testTrainOnAFullDiskKeepsThePreviousOutputs() throws {
        let root = try repository("pipeline")
        try Data("stages:\n  make:\n    cmd: python3 make.py\n    deps: [make.py]\n    outs: [out.bin]\n".utf8).write(to: URL(fileURLWithPath: root + "/mlv.yaml"))
        try Data("open('out.bin', 'wb').write(bytes(range(256)) * 4096 * 2)\n".utf8).write(to: URL(fileURLWithPath: root + "/make.py"))
        XCTAssertEqual(try run(["train"], in: root).code, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: root + "/out.bin"))
        let lock = try Data(contentsOf: URL(fileURLWithPath: root + "/mlv.lock"))
        try Data("open('out.bin', 'wb').write(bytes(range(255, -1, -1)) * 4096 * 2)\n".utf8).write(to: URL(fileURLWithPath: root + "/make.py"))
        // Room for the stage's output, not for its copy in the cache.
        try fill(leaving: 1 << 20)
        assertNoSpaceError(try run(["train"], in: root), command: "train")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/out.bin")), before, "the previous output was put back")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/mlv.lock")), lock)
        XCTAssertEqual(leftovers(root), [])
        try freeSpace()
        XCTAssertEqual(try run(["train"], in: root).code, 0)
        XCTAssertEqual(try run(["status", "--exit-code"], in: root).code, 0)
    }

    /// A read-only filesystem: the error names the path and errno's reason, nothing changes.
    func testReadOnlyFilesystemIsSaidPlainly() throws {
        let root = try repository("readonly")
        try Data("data".utf8).write(to: URL(fileURLWithPath: root + "/d.txt"))
        XCTAssertEqual(try TestRepository.run("/bin/mount", ["-o", "remount,ro", mount], in: "/").code, 0)
        let add = try run(["add", "d.txt"], in: root)
        XCTAssertEqual(add.code, 2)
        XCTAssertTrue(add.stderr.hasPrefix("mlv: error: ") && add.stderr.hasSuffix("failed: Read-only file system.\n")
                      && add.stderr.split(separator: "\n").count == 1, add.stderr)
        XCTAssertEqual(try TestRepository.run("/bin/mount", ["-o", "remount,rw", mount], in: "/").code, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/d.txt.mlv"))
        XCTAssertEqual(try run(["add", "d.txt"], in: root).code, 0)
    }
}
