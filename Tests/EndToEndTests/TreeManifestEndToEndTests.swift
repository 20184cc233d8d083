import XCTest

/// Directories kept as trees of nodes (manifest format 2): a change touches only the nodes on
/// its path, a folder pulls alone, format 1 manifests stay readable beside them, and damaged
/// or escaping nodes are refused with the node and the folder that uses it.
final class TreeManifestEndToEndTests: XCTestCase {
    var remoteDirectory = ""

    override func setUpWithError() throws {
        remoteDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-remote-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        _ = try? TestRepository.run("/bin/chmod", ["-R", "u+w", remoteDirectory], in: "/")
        try? FileManager.default.removeItem(atPath: remoteDirectory)
    }

    private func json(_ result: TestRepository.Result) throws -> [String: Any] {
        XCTAssertEqual(result.code, 0, result.stderr)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    }

    private func clone(_ repo: TestRepository) throws -> TestRepository { try repo.gitClone() }

    /// The id a directory pointer names.
    private func pointerID(_ repo: TestRepository, _ pointer: String) throws -> String {
        let text = String(decoding: try repo.read(pointer), as: UTF8.self)
        return String(text.split(separator: "\n").first { $0.hasPrefix("id: ") }!.dropFirst(4))
    }

    private func cacheFile(_ id: String) -> String { ".mlv/cache/\(id.prefix(2))/\(id.dropFirst(2))" }

    func testAChangeWritesAndPushesOnlyTheNodesOnItsPathAndAFolderPullsAlone() throws {
        let repo = try TestRepository()
        for i in 0..<1_200 { try repo.write("data/f\(String(format: "%02d", i % 12))/x\(i).txt", "file \(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        XCTAssertEqual(try repo.cacheObjects().count, 1_200 + 12 + 1, "files, a node per folder and the root")
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory, "--default").code, 0)
        XCTAssertEqual(try json(try repo.mlv("push", "--json"))["objects"] as? Int, 1_213)

        let before = Set(try repo.cacheObjects())
        try repo.write("data/f03/x3.txt", "changed\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertEqual(Set(try repo.cacheObjects()).subtracting(before).count, 3, "the file, the f03 node and the root")
        try repo.git("commit", "-q", "-am", "v2")
        let push = try json(try repo.mlv("push", "--json"))
        XCTAssertEqual(push["objects"] as? Int, 3)
        // The 11 unchanged folders' nodes are on the remote: they stand for their 1,100 files
        // unread. Only f03's other 99 files are looked up.
        XCTAssertEqual(push["skipped"] as? Int, 11 + 99)
        let total = (0..<1_200).reduce(0) { $0 + "file \($1)\n".utf8.count } - "file 3\n".utf8.count + "changed\n".utf8.count
        XCTAssertEqual(push["skipped_bytes"] as? Int, total - "changed\n".utf8.count)
        let diff = try repo.mlv("diff", "HEAD~1", "HEAD")
        XCTAssertEqual(OutputEndToEndTests.normalized(diff.stdout, repo), """
            Tracked data, HEAD~1 -> HEAD:
              modified data  10.6 KiB -> 10.6 KiB
                  M f03/x3.txt  7 B -> 8 B

            """)

        // A clone pulls one folder: the root's node, that folder's node and its files.
        let copy = try clone(repo)
        let one = try json(try copy.mlv("pull", "data/f05", "--json"))
        XCTAssertEqual(one["objects"] as? Int, 1 + 1 + 100)
        XCTAssertEqual(try copy.read("data/f05/x5.txt"), Data("file 5\n".utf8))
        XCTAssertFalse(copy.exists("data/f03"), "only the folder asked for")
        let rest = try json(try copy.mlv("pull", "--json"))
        XCTAssertEqual(rest["objects"] as? Int, 1_100 + 11)
        XCTAssertEqual(try copy.fingerprint("data"), try repo.fingerprint("data"))
        XCTAssertEqual(try copy.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try copy.mlv("fsck").code, 0)
    }

    /// While a `gc --cloud` is under way or was cut off, a node on the remote proves nothing
    /// about its files: a push looks every object up. The next gc that finishes clears that.
    func testAPushChecksEveryObjectAfterAnInterruptedRemoteGC() throws {
        let repo = try TestRepository()
        for i in 0..<40 { try repo.write("data/f\(i % 4)/x\(i).txt", "file \(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory, "--default").code, 0)
        XCTAssertEqual(try json(try repo.mlv("push", "--json"))["objects"] as? Int, 40 + 4 + 1)
        // A gc cut off after it began removing packs leaves its mark on the remote.
        let mark = remoteDirectory + "/packs/gc-underway"
        try Data("mlv gc --cloud\n".utf8).write(to: URL(fileURLWithPath: mark))
        try repo.write("data/f1/x1.txt", "changed\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-am", "v2")
        let checked = try json(try repo.mlv("push", "--json"))
        XCTAssertEqual(checked["objects"] as? Int, 3)
        XCTAssertEqual(checked["skipped"] as? Int, 39 + 3, "every other file and folder node looked up")
        // A gc that removes v1's leftovers finishes and takes the mark away.
        XCTAssertEqual(try repo.mlv("gc", "--cloud", "--workspace").code, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: mark))
        try repo.write("data/f2/x2.txt", "changed again\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-am", "v3")
        let pruned = try json(try repo.mlv("push", "--json"))
        XCTAssertEqual(pruned["objects"] as? Int, 3)
        XCTAssertEqual(pruned["skipped"] as? Int, 3 + 9, "three folder nodes and f2's other files")
        XCTAssertEqual(try repo.mlv("fsck", "--remote", "store").code, 0)
    }

    /// A diff between two trees compares node ids: with an unchanged folder's node gone from
    /// the cache it gives the same answer, because it never reads that node.
    func testDiffOfTwoTreesReadsOnlyTheFoldersThatChanged() throws {
        let repo = try TestRepository()
        for folder in ["a", "b", "c"] {
            for i in 0..<2 { try repo.write("data/\(folder)/f\(i).txt", "\(folder) \(i)\n") }
        }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        try repo.write("data/c/f1.txt", "c changed\n")
        try repo.write("data/c/new.txt", "new\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-am", "v2")
        let diff = try repo.mlv("diff", "HEAD~1", "HEAD")
        XCTAssertEqual(OutputEndToEndTests.normalized(diff.stdout, repo), """
            Tracked data, HEAD~1 -> HEAD:
              modified data (1 added, 1 modified, 0 deleted)  24 B -> 34 B
                  + c/new.txt  4 B
                  M c/f1.txt  4 B -> 10 B

            """)
        let root = String(decoding: try repo.read(cacheFile(try pointerID(repo, "data.mlv"))), as: UTF8.self)
        let b = cacheFile(String(root.split(separator: "\n").first { $0.hasSuffix(" dir b") }!.prefix(64)))
        _ = try TestRepository.run("/bin/chmod", ["u+w", (repo.path(b) as NSString).deletingLastPathComponent], in: "/")
        try FileManager.default.moveItem(atPath: repo.path(b), toPath: repo.path("b-node"))
        XCTAssertEqual(try repo.mlv("diff", "HEAD~1", "HEAD").stdout, diff.stdout)
        let status = try repo.mlv("status", "--exit-code")
        XCTAssertEqual(status.code, 1, "a read of the whole tree does need it")
        XCTAssertEqual(status.stdout, "data  modified, missing from cache (1 object(s))\n")
    }

    /// A history whose first commit has a format 1 manifest (as mlv wrote before trees) and
    /// whose second has a tree: diff, checkout, status, gc, push and pull work across them.
    func testFormatOneAndTreeManifestsInOneHistory() throws {
        let repo = try TestRepository()
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory, "--default").code, 0)
        try repo.write("data/a.txt", "a1\n")
        try repo.write("data/sub/b.txt", "b1\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        let a = TestRepository.sha256(Data("a1\n".utf8)), b = TestRepository.sha256(Data("b1\n".utf8))
        let manifest = "mlv-manifest 1\n\(a) 3 644 a.txt\n\(b) 3 644 sub/b.txt\n"
        let v1 = TestRepository.sha256(Data(manifest.utf8))
        try repo.write(cacheFile(v1), manifest)
        try repo.write("data.mlv", "version: 1\npath: data\ntype: directory\nid: \(v1)\nsize: 6\nfiles: 2\n")
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0, "a format 1 manifest is read as before")
        try repo.git("add", "data.mlv")
        try repo.git("commit", "-q", "-m", "format 1")
        try repo.write("data/sub/b.txt", "b2\n")
        try repo.write("data/c.txt", "c2\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertNotEqual(try pointerID(repo, "data.mlv"), v1)
        XCTAssertTrue(String(decoding: try repo.read(cacheFile(try pointerID(repo, "data.mlv"))), as: UTF8.self).hasPrefix("mlv-tree 2\n"))
        try repo.git("commit", "-q", "-am", "tree")

        let diff = try repo.mlv("diff", "HEAD~1", "HEAD")
        XCTAssertEqual(OutputEndToEndTests.normalized(diff.stdout, repo), """
            Tracked data, HEAD~1 -> HEAD:
              modified data (1 added, 1 modified, 0 deleted)  6 B -> 9 B
                  + c.txt  3 B
                  M sub/b.txt  3 B -> 3 B

            """)
        XCTAssertEqual(try repo.mlv("push", "--all-commits").code, 0)
        // The first add's two nodes lost their pointer when it was rewritten to format 1.
        XCTAssertEqual(try json(try repo.mlv("gc", "--all-commits", "--json"))["removed_objects"] as? Int, 2)
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
        let copy = try clone(repo)

        try repo.git("checkout", "-q", "HEAD~1")
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        XCTAssertEqual(try repo.read("data/sub/b.txt"), Data("b1\n".utf8))
        XCTAssertFalse(repo.exists("data/c.txt"))
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)

        // A clone at the format 1 commit pulls it whole, then moves to the tree.
        try copy.git("checkout", "-q", "HEAD~1")
        let pull = try copy.mlv("pull")
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try copy.fingerprint("data"), try repo.fingerprint("data"))
        try copy.git("checkout", "-q", "-")
        let second = try copy.mlv("pull")
        XCTAssertEqual(second.code, 0, second.stdout + second.stderr)
        XCTAssertEqual(try copy.read("data/c.txt"), Data("c2\n".utf8))
        XCTAssertEqual(try copy.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try copy.mlv("fsck").code, 0)
    }

    /// A node edited by hand in the cache, one truncated, and one (well hashed) that names a
    /// child `..`: each is refused with the node's id and the folder it stands for, and
    /// nothing is written.
    func testDamagedAndEscapingNodesAreRefusedWithTheirIdAndFolder() throws {
        let repo = try TestRepository()
        try repo.write("data/sub/deep/f.txt", "f\n")
        try repo.write("data/g.txt", "g\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        let root = try pointerID(repo, "data.mlv")
        let rootText = String(decoding: try repo.read(cacheFile(root)), as: UTF8.self)
        let sub = String(rootText.split(separator: "\n").first { $0.hasSuffix(" dir sub") }!.prefix(64))
        let subText = String(decoding: try repo.read(cacheFile(sub)), as: UTF8.self)
        let deep = String(subText.split(separator: "\n").first { $0.hasSuffix(" dir deep") }!.prefix(64))
        try FileManager.default.removeItem(atPath: repo.path("data"))
        let deepPath = repo.path(cacheFile(deep))
        _ = try TestRepository.run("/bin/chmod", ["u+w", deepPath, (deepPath as NSString).deletingLastPathComponent], in: "/")

        try repo.write(cacheFile(deep), "mlv-tree 2\n\(TestRepository.sha256(Data("x".utf8))) 1 644 evil\n")
        let edited = try repo.mlv("checkout")
        XCTAssertEqual(edited.code, 2)
        XCTAssertEqual(edited.stderr, "mlv: error: manifest node \(deep.prefix(12)) (folder `sub/deep` of \(root.prefix(12))) is corrupted in the cache (its bytes no longer hash to its id); refusing to use it.\n")
        XCTAssertFalse(repo.exists("data"))

        let original = Data("mlv-tree 2\n\(TestRepository.sha256(Data("f\n".utf8))) 2 644 f.txt\n".utf8)
        try repo.write(cacheFile(deep), original.prefix(original.count - 3))
        XCTAssertEqual(try repo.mlv("checkout").stderr, edited.stderr, "a truncated node is refused the same way")
        let fsck = try repo.mlv("fsck")
        XCTAssertEqual(fsck.code, 2)
        XCTAssertEqual(fsck.stderr, edited.stderr)

        // A node whose bytes match its id but name a child `..`.
        let escaping = "mlv-tree 2\n\(sub) 2 dir ..\n"
        let escapingID = TestRepository.sha256(Data(escaping.utf8))
        try repo.write(cacheFile(escapingID), escaping)
        try repo.write("data.mlv", "version: 1\npath: data\ntype: directory\nid: \(escapingID)\nsize: 2\nfiles: 1\n")
        let escaped = try repo.mlv("checkout")
        XCTAssertEqual(escaped.code, 2)
        XCTAssertEqual(escaped.stderr, "mlv: error: manifest node \(escapingID.prefix(12)) (folder `.` of \(escapingID.prefix(12))) line 2: name `..` escapes its directory with `..`; refusing to use it.\n")
        XCTAssertFalse(repo.exists("data"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.path("../f.txt")))
    }
}
