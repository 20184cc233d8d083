import XCTest

/// Bad input, refused paths, corrupted objects, interrupted and concurrent commands.
final class SafetyEndToEndTests: XCTestCase {
    func testAddRefusesPathsItMustNotTrack() throws {
        let repo = try TestRepository()
        try repo.write("code.py", "print(1)\n")
        try repo.git("add", "code.py")
        try repo.write("data/a.txt", "a")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data("secret".utf8).write(to: outside.appendingPathComponent("s.txt"))
        try FileManager.default.createSymbolicLink(atPath: repo.path("escape"), withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: repo.path("link.txt"), withDestinationPath: "code.py")

        let cases: [(String, String)] = [
            ("/etc/hostname", "outside the repository"),
            ("../x", "outside the repository"),
            (".git/config", "inside .git or .mlv"),
            (".mlv/state", "inside .git or .mlv"),
            ("code.py", "git rm -r --cached code.py"),
            ("data/a.txt", "inside a directory mlv already tracks (data.mlv)"),
            ("link.txt", "symbolic link"),
            ("escape/s.txt", "leads out of the repository"),
            ("nothing-here", "does not exist"),
        ]
        for (path, message) in cases {
            let result = try repo.mlv("add", path)
            XCTAssertEqual(result.code, 2, path)
            XCTAssertTrue(result.stderr.contains(message), "\(path): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
        }
        try repo.write("withlink/a.txt", "a")
        try FileManager.default.createSymbolicLink(atPath: repo.path("withlink/l"), withDestinationPath: "a.txt")
        let linked = try repo.mlv("add", "withlink")
        XCTAssertEqual(linked.code, 2)
        XCTAssertTrue(linked.stderr.contains("withlink/l is a symbolic link"), linked.stderr)
        XCTAssertFalse(repo.exists("withlink.mlv"))
    }

    func testHostilePointersAreRefusedAndNothingIsWritten() throws {
        let repo = try TestRepository()
        try repo.write("keep.txt", "keep")
        XCTAssertEqual(try repo.mlv("add", "keep.txt").code, 0)
        let good = TestRepository.sha256(Data("keep".utf8))
        let cases: [(String, String)] = [
            ("version: 2\npath: x\ntype: file\nid: \(good)\nsize: 4\n", "version 2"),
            ("version: 1\npath: x\ntype: file\nid: XYZ\nsize: 4\n", "not 64 lower-case hex"),
            ("version: 1\npath: /etc/passwd\ntype: file\nid: \(good)\nsize: 4\n", "absolute path"),
            ("version: 1\npath: ../x\ntype: file\nid: \(good)\nsize: 4\n", "`..` path"),
            ("version: 1\npath: x\ntype: file\nid: \(good)\n", "size"),
            ("version: 1\npath: x\ntype: file\nid: \(good)\nsize: 4\nevil: 1\n", "unknown key `evil`"),
            ("version: 1\npath: x\ntype: blob\nid: \(good)\nsize: 4\n", "expected `file` or `directory`"),
            ("version: 1\npath: x\ntype: file\nid: \(good)\nsize: -4\n", "whole number"),
            ("version: 1\npath: x\npath: x\n", "appears twice"),
            (String(repeating: "# padding\n", count: 1000), "larger than 4096"),
            ("version: 1\npath: x\ntype: file\nid: \(String(good.prefix(40)))\nsize: 4\n", "not 64"),
        ]
        for (text, message) in cases {
            try repo.write("x.mlv", text)
            let result = try repo.mlv("checkout")
            XCTAssertEqual(result.code, 2, text)
            XCTAssertTrue(result.stderr.contains("x.mlv") && result.stderr.contains(message), "\(message): \(result.stderr)")
            XCTAssertFalse(repo.exists("x"), "nothing materialized for \(message)")
        }
        // A manifest entry that escapes its directory is refused when the manifest is read.
        let manifest = "mlv-manifest 1\n\(good) 4 644 ../../escaped\n"
        let manifestID = TestRepository.sha256(Data(manifest.utf8))
        try repo.write(".mlv/cache/\(manifestID.prefix(2))/\(manifestID.dropFirst(2))", manifest)
        try repo.write("x.mlv", "version: 1\npath: x\ntype: directory\nid: \(manifestID)\nsize: 4\nfiles: 1\n")
        let escaping = try repo.mlv("checkout")
        XCTAssertEqual(escaping.code, 2)
        XCTAssertTrue(escaping.stderr.contains("escapes its directory"), escaping.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.path("../escaped")))
        // A pointer behind a symlinked folder that leaves the repository.
        try FileManager.default.removeItem(atPath: repo.path("x.mlv"))
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data("version: 1\npath: y\ntype: file\nid: \(good)\nsize: 4\n".utf8).write(to: outside.appendingPathComponent("y.mlv"))
        try FileManager.default.createSymbolicLink(atPath: repo.path("out"), withDestinationPath: outside.path)
        let linked = try repo.mlv("checkout", "out/y")
        XCTAssertEqual(linked.code, 2)
        XCTAssertTrue(linked.stderr.contains("leads out of the repository"), linked.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.appendingPathComponent("y").path))
    }

    func testCheckoutNeverOverwritesUnsavedChangesWithoutForce() throws {
        let repo = try TestRepository()
        try repo.write("data/a.txt", "v1 a")
        try repo.write("data/b.txt", "v1 b")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        try repo.write("data/a.txt", "v2 a")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-m", "v2")
        try repo.git("checkout", "-q", "HEAD~1")
        try repo.write("data/b.txt", "unsaved edit")
        try repo.write("data/c.txt", "unsaved new file")
        let refused = try repo.mlv("checkout")
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.stderr.contains("data/b.txt") && refused.stderr.contains("data/c.txt"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("data/a.txt"), "a.txt's v2 content is in the cache: safe to replace")
        XCTAssertEqual(String(decoding: try repo.read("data/a.txt"), as: UTF8.self), "v2 a", "nothing changed")
        XCTAssertEqual(String(decoding: try repo.read("data/b.txt"), as: UTF8.self), "unsaved edit")
        let forced = try repo.mlv("checkout", "--force")
        XCTAssertEqual(forced.code, 0, forced.stderr)
        XCTAssertEqual(String(decoding: try repo.read("data/a.txt"), as: UTF8.self), "v1 a")
        XCTAssertEqual(String(decoding: try repo.read("data/b.txt"), as: UTF8.self), "v1 b")
        XCTAssertFalse(repo.exists("data/c.txt"))
    }

    func testCorruptedObjectIsFoundByFsckAndNeverMaterialized() throws {
        let repo = try TestRepository()
        try repo.write("data/good.txt", "good")
        try repo.write("data/bad.txt", "will be corrupted")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
        let id = TestRepository.sha256(Data("will be corrupted".utf8))
        let objectPath = repo.path(".mlv/cache/\(id.prefix(2))/\(id.dropFirst(2))")
        chmod(objectPath, 0o644)
        try Data("will be CORRUPTED".utf8).write(to: URL(fileURLWithPath: objectPath))
        let fsck = try repo.mlv("fsck")
        XCTAssertEqual(fsck.code, 1)
        XCTAssertTrue(fsck.stdout.contains("corrupted \(id)") && fsck.stdout.contains("data/bad.txt"), fsck.stdout)
        let json = try repo.mlv("fsck", "--all", "--json")
        XCTAssertTrue(json.stdout.contains("\"problem\" : \"corrupted\""), json.stdout)

        try FileManager.default.removeItem(atPath: repo.path("data/bad.txt"))
        try FileManager.default.removeItem(atPath: repo.path("data/good.txt"))
        let checkout = try repo.mlv("checkout")
        XCTAssertEqual(checkout.code, 1)
        XCTAssertTrue(checkout.stderr.contains("corrupted"), checkout.stderr)
        XCTAssertFalse(repo.exists("data/bad.txt"), "corrupted bytes are never written to the workspace")
        XCTAssertEqual(String(decoding: try repo.read("data/good.txt"), as: UTF8.self), "good")
    }

    func testLargeObjectsAreRecheckedWhenChangedAndAfterFsckFindsDamage() throws {
        let repo = try TestRepository()
        let bytes = TestRepository.bytes(6 << 20, seed: 3)
        try repo.write("model.bin", bytes)
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        let id = TestRepository.sha256(bytes)
        let objectPath = repo.path(".mlv/cache/\(id.prefix(2))/\(id.dropFirst(2))")
        // An edit through a normal write changes the object's mtime: checkout rehashes and refuses it.
        let original = try FileManager.default.attributesOfItem(atPath: objectPath)[.modificationDate] as! Date
        chmod(objectPath, 0o644)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: objectPath))
        try handle.seek(toOffset: 1000)
        handle.write(Data([0xde, 0xad]))
        try handle.close()
        try FileManager.default.removeItem(atPath: repo.path("model.bin"))
        let changed = try repo.mlv("checkout")
        XCTAssertEqual(changed.code, 1)
        XCTAssertTrue(changed.stderr.contains("corrupted"), changed.stderr)
        XCTAssertFalse(repo.exists("model.bin"))
        // Damage that keeps the mtime (bit rot) is fsck's to find; after that checkout refuses too.
        try FileManager.default.setAttributes([.modificationDate: original], ofItemAtPath: objectPath)
        XCTAssertEqual(try repo.mlv("fsck").code, 1)
        let afterFsck = try repo.mlv("checkout")
        XCTAssertEqual(afterFsck.code, 1)
        XCTAssertFalse(repo.exists("model.bin"))
    }

    func testAddKilledMidwayLeavesNoPartialObjectAndRerunCompletes() throws {
        let repo = try TestRepository()
        try repo.write("big.bin", TestRepository.bytes(48 << 20, seed: 7))
        let process = try repo.startMLV(["add", "big.bin"])
        // Killed while the object is being written to its temporary file.
        repo.kill(process, when: { repo.hasFile(under: ".mlv/cache", containing: ".tmp-obj-") })
        try repo.assertCacheObjectsWhole()
        let rerun = try repo.mlv("add", "big.bin")
        XCTAssertEqual(rerun.code, 0, rerun.stderr)
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
        let leftovers = FileManager.default.enumerator(atPath: repo.path(".mlv/cache"))!.compactMap { $0 as? String }
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-obj-") }
        XCTAssertEqual(leftovers, [], "temporaries of the killed run are cleaned up")
    }

    func testCheckoutKilledMidwayLeavesNoHalfWrittenFile() throws {
        let repo = try TestRepository()
        let v1 = TestRepository.bytes(48 << 20, seed: 1)
        try repo.write("big.bin", v1)
        XCTAssertEqual(try repo.mlv("add", "big.bin").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        var v2 = v1
        v2[0] ^= 0xff
        try repo.write("big.bin", v2)
        XCTAssertEqual(try repo.mlv("add", "big.bin").code, 0)
        try repo.git("commit", "-q", "-m", "v2")
        try repo.git("checkout", "-q", "HEAD~1")
        let process = try repo.startMLV(["checkout"])
        // Killed while the new version is being written beside the old one (only the top
        // folder is listed: a walk of the whole repository between looks can miss the write).
        repo.kill(process, when: {
            ((try? FileManager.default.contentsOfDirectory(atPath: repo.path("."))) ?? []).contains { $0.contains(".big.bin.mlv-tmp-") }
        })
        let now = try repo.read("big.bin")
        XCTAssertTrue(now == v1 || now == v2, "the file is either the old or the new version, never a mix")
        let rerun = try repo.mlv("checkout")
        XCTAssertEqual(rerun.code, 0, rerun.stderr)
        XCTAssertEqual(try repo.read("big.bin"), v1)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        let porcelain = try repo.git("status", "--porcelain").stdout
        XCTAssertFalse(porcelain.contains("mlv-tmp"), "a killed checkout's temporary file is ignored by Git: \(porcelain)")
    }

    func testConcurrentAddsWaitForEachOtherAndStayConsistent() throws {
        let repo = try TestRepository()
        for i in 0..<200 { try repo.write("data/f\(i).bin", TestRepository.bytes(20_000, seed: UInt64(i))) }
        try repo.write("data/big.bin", TestRepository.bytes(16 << 20, seed: 99))
        let first = try repo.startMLV(["add", "data"])
        let second = try repo.startMLV(["add", "data"])
        first.waitUntilExit()
        second.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(second.terminationStatus, 0)
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try repo.cacheObjects().count, 202, "201 files and one manifest, each stored once")
    }

    func testLockTimeoutNamesTheHolder() throws {
        let repo = try TestRepository()
        try repo.write("a.txt", "a")
        let fd = open(repo.path(".mlv/lock"), O_RDWR | O_CREAT, 0o644)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        _ = "pid 4242 (mlv add) since now".withCString { write(fd, $0, strlen($0)) }
        defer { close(fd) }
        let result = try repo.mlv("add", "a.txt", environment: ["MLV_LOCK_TIMEOUT": "0.5"])
        XCTAssertEqual(result.code, 2)
        XCTAssertTrue(result.stderr.contains("pid 4242 (mlv add)"), result.stderr)
        XCTAssertFalse(repo.exists("a.txt.mlv"))
    }
}
