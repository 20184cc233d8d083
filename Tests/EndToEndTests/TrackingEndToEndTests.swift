import XCTest

/// The main workflow, run as a user would: init, add, commit, change, switch commits, checkout.
final class TrackingEndToEndTests: XCTestCase {
    func testInitOutsideGitSuggestsGitInit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-nogit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try TestRepository.run(TestRepository.binary, ["init"], in: dir.path)
        XCTAssertEqual(result.code, 2)
        XCTAssertTrue(result.stderr.contains("git init"), result.stderr)
    }

    func testInitIsIdempotentAndIgnoresPrivateFolder() throws {
        let repo = try TestRepository()
        let again = try repo.mlv("init")
        XCTAssertEqual(again.code, 0)
        XCTAssertTrue(again.stdout.contains("already initialized"), again.stdout)
        XCTAssertTrue(repo.exists(".mlv/cache"))
        XCTAssertTrue(repo.exists(".mlvconfig"))
        let ignore = String(decoding: try repo.read(".gitignore"), as: UTF8.self)
        XCTAssertEqual(ignore.components(separatedBy: "/.mlv/").count, 2, "one entry, not duplicated")
        let staged = try repo.git("diff", "--cached", "--name-only").stdout
        XCTAssertTrue(staged.contains(".mlvconfig") && staged.contains(".gitignore"), staged)
    }

    func testRoundTripOverThreeCommits() throws {
        let repo = try TestRepository()
        var fingerprints: [(data: [String: String], model: [String: String])] = []
        var commits: [String] = []
        for version in 0..<3 {
            for i in 0..<20 { try repo.write("data/part\(i % 3)/f\(i).bin", TestRepository.bytes(1000 + i, seed: UInt64(i + version * (i % 2)))) }
            if version == 1 { try FileManager.default.removeItem(atPath: repo.path("data/part0/f3.bin")) }
            if version == 2 { try repo.write("data/new/extra.txt", "added in v3\n") }
            try repo.write("models/model.bin", TestRepository.bytes(300_000, seed: UInt64(100 + version)))
            let add = try repo.mlv("add", "data", "models/model.bin")
            XCTAssertEqual(add.code, 0, add.stderr)
            try repo.git("commit", "-q", "-m", "v\(version + 1)")
            commits.append(try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            fingerprints.append((try repo.fingerprint("data"), try repo.fingerprint("models/model.bin")))
        }
        XCTAssertNotEqual(fingerprints[0].data, fingerprints[1].data)
        for (index, revision) in [commits[0], commits[1], "main", commits[0]].enumerated().map({ ($0.offset % 3, $0.element) }) {
            try repo.git("checkout", "-q", revision)
            let result = try repo.mlv("checkout")
            XCTAssertEqual(result.code, 0, result.stderr)
            XCTAssertEqual(try repo.fingerprint("data"), fingerprints[index].data, "data at \(revision)")
            XCTAssertEqual(try repo.fingerprint("models/model.bin"), fingerprints[index].model, "model at \(revision)")
            // The file replaced in place leaves nothing beside it (its old version went away).
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo.path("models")).sorted(), [".gitignore", "model.bin", "model.bin.mlv"])
            let status = try repo.mlv("status", "--exit-code")
            XCTAssertEqual(status.code, 0, status.stdout)
        }
        try repo.assertGitFsckClean()
    }

    func testAddWritesPointerIgnoreAndStagesThem() throws {
        let repo = try TestRepository()
        try repo.write("models/model.bin", TestRepository.bytes(5000, seed: 1))
        let result = try repo.mlv("add", "model.bin", in: "models")
        XCTAssertEqual(result.code, 0, result.stderr)
        let pointer = String(decoding: try repo.read("models/model.bin.mlv"), as: UTF8.self)
        XCTAssertTrue(pointer.contains("id: \(TestRepository.sha256(try repo.read("models/model.bin")))"), "id is the file's SHA-256")
        XCTAssertTrue(pointer.contains("size: 5000"))
        XCTAssertEqual(String(decoding: try repo.read("models/.gitignore"), as: UTF8.self), "/model.bin\n")
        let staged = try repo.git("diff", "--cached", "--name-only").stdout
        XCTAssertTrue(staged.contains("models/model.bin.mlv") && staged.contains("models/.gitignore"), staged)
        XCTAssertFalse(staged.contains("models/model.bin\n"))
        let untracked = try repo.git("status", "--porcelain").stdout
        XCTAssertFalse(untracked.contains("model.bin\n") && untracked.contains("??"), untracked)
    }

    func testAddNoStageLeavesIndexAlone() throws {
        let repo = try TestRepository()
        try repo.git("commit", "-q", "-m", "init")
        try repo.write("d.bin", "x")
        XCTAssertEqual(try repo.mlv("add", "--no-stage", "d.bin").code, 0)
        XCTAssertEqual(try repo.git("diff", "--cached", "--name-only").stdout, "")
    }

    func testStatusReportsEachState() throws {
        let repo = try TestRepository()
        for i in 0..<5 { try repo.write("data/f\(i).txt", "file \(i)\n") }
        try repo.write("model.bin", "weights")
        try repo.write("other.bin", "other")
        XCTAssertEqual(try repo.mlv("add", "data", "model.bin", "other.bin").code, 0)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)

        try repo.write("data/f0.txt", "changed\n")
        try repo.write("data/new.txt", "new\n")
        try FileManager.default.removeItem(atPath: repo.path("data/f1.txt"))
        try FileManager.default.removeItem(atPath: repo.path("model.bin"))
        let objectID = TestRepository.sha256(Data("other".utf8))
        try FileManager.default.removeItem(atPath: repo.path(".mlv/cache/\(objectID.prefix(2))/\(objectID.dropFirst(2))"))

        let text = try repo.mlv("status", "-v", "--exit-code")
        XCTAssertEqual(text.code, 1)
        XCTAssertTrue(text.stdout.contains("modified (1 added, 1 modified, 1 deleted)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("added:    data/new.txt"), text.stdout)
        XCTAssertTrue(text.stdout.contains("missing from workspace"), text.stdout)
        XCTAssertTrue(text.stdout.contains("missing from cache"), text.stdout)

        let json = try repo.mlv("status", "--json")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        let byPath = Dictionary(uniqueKeysWithValues: parsed.map { ($0["path"] as! String, $0) })
        XCTAssertEqual(byPath["data"]?["workspace"] as? String, "modified")
        XCTAssertEqual(byPath["data"]?["modified"] as? [String], ["f0.txt"])
        XCTAssertEqual(byPath["model.bin"]?["workspace"] as? String, "missing-from-workspace")
        XCTAssertEqual(byPath["other.bin"]?["missing_from_cache"] as? Int, 1)
    }

    func testStatusOnUnchangedTreeReadsNoContent() throws {
        let repo = try TestRepository()
        for i in 0..<20 { try repo.write("data/f\(i).txt", "file \(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        // The state cache skips racily-clean files; one status run records the rest.
        sleep(1)
        XCTAssertEqual(try repo.mlv("status").code, 0)
        // Swap one file's bytes for others of the same size, in place, and put its mtime back:
        // a status that read content would call it modified; one that only stats says clean.
        let file = repo.path("data/f3.txt")
        _ = try TestRepository.run("/bin/cp", ["--preserve=timestamps", file, file + ".stamp"], in: repo.root)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        handle.write(Data("FILE 3\n".utf8))
        try handle.close()
        _ = try TestRepository.run("/usr/bin/touch", ["-r", file + ".stamp", file], in: repo.root)
        try FileManager.default.removeItem(atPath: file + ".stamp")
        let result = try repo.mlv("status", "--exit-code")
        XCTAssertEqual(result.code, 0, "status read file content: " + result.stdout + result.stderr)
        // The change is real: a status that must hash (state cache and folder proofs gone) sees it.
        try FileManager.default.removeItem(atPath: repo.path(".mlv/state/hashes"))
        try FileManager.default.removeItem(atPath: repo.path(".mlv/state/clean"))
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 1)
    }

    func testUnchangedStatusTrustsItsPresenceProofAndADamagedIndexIsRebuilt() throws {
        let repo = try TestRepository()
        for i in 0..<20 { try repo.write("data/f\(i).txt", "file \(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        usleep(100_000)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        let proofs = try String(contentsOfFile: repo.path(".mlv/state/present"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(proofs.count, 2, "the generation, then the directory's manifest id")

        // An object removed with its folder's time put back is not looked for: status costs no
        // look into the cache per object while the generation stands.
        let id = TestRepository.sha256(Data("file 3\n".utf8))
        try repo.replaceCacheObjectKeepingGeneration(id)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        // Without the proof the object is looked for and found missing.
        try FileManager.default.removeItem(atPath: repo.path(".mlv/state/present"))
        let checked = try repo.mlv("status", "--exit-code")
        XCTAssertEqual(checked.code, 1)
        XCTAssertEqual(checked.stdout, "data  up to date, missing from cache (1 object(s))\n")

        // A truncated index is never trusted: a warning, every file hashed again, the right answer.
        let index = repo.path(".mlv/state/hashes")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: index))
        let damaged = try repo.mlv("status", "--exit-code")
        XCTAssertEqual(damaged.code, 1)
        XCTAssertEqual(damaged.stderr, "mlv: warning: \(index) is damaged (truncated or altered: its length does not match); it was ignored and is rebuilt from scratch (files are hashed again)\n")
        XCTAssertEqual(try repo.mlv("status", "--exit-code").stderr, "", "rebuilt by the status that warned")
    }

    /// A repository whose `data` (added, past the racy window) holds folder a with f0-f2.txt
    /// ("a 0" ...) and folder b with g0-g2.txt ("b 0" ...).
    private func addedTwoFolders() throws -> TestRepository {
        let repo = try TestRepository()
        for i in 0..<3 {
            try repo.write("data/a/f\(i).txt", "a \(i)\n")
            try repo.write("data/b/g\(i).txt", "b \(i)\n")
        }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        usleep(100_000)
        return repo
    }

    /// The tree node of one of those folders, spelled out as mlv writes it.
    private static func folderNode(_ folder: String, _ prefix: String) -> String {
        "mlv-tree 2\n" + (0..<3).map { "\(TestRepository.sha256(Data("\(folder) \($0)\n".utf8))) 4 644 \(prefix)\($0).txt\n" }.joined()
    }

    func testStatusSkipsTheFoldersItProvedUnchangedAndRechecksWithoutItsProofs() throws {
        let repo = try addedTwoFolders()
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        XCTAssertTrue(repo.exists(".mlv/state/clean"))

        // Hide the tree nodes of the top and of folder b, each shard's time put back so the
        // presence proof stands: a status that read either would fail.
        let nodeB = Self.folderNode("b", "g")
        let nodeA = Self.folderNode("a", "f")
        let root = "mlv-tree 2\n\(TestRepository.sha256(Data(nodeA.utf8))) 12 dir a\n\(TestRepository.sha256(Data(nodeB.utf8))) 12 dir b\n"
        let rootID = TestRepository.sha256(Data(root.utf8))
        XCTAssertTrue(try String(contentsOfFile: repo.path("data.mlv"), encoding: .utf8).contains(rootID), "the tree is as this test spells it")
        let rootBytes = try repo.replaceCacheObjectKeepingGeneration(rootID)
        try repo.replaceCacheObjectKeepingGeneration(TestRepository.sha256(Data(nodeB.utf8)))
        XCTAssertEqual(try repo.mlv("status", "--exit-code").stdout, "data  up to date\n", "nothing read: the top was proven")

        // One file changes in a: the top and a are read, b is not.
        try repo.replaceCacheObjectKeepingGeneration(rootID, with: rootBytes)
        try repo.write("data/a/f0.txt", "changed\n")
        let changed = try repo.mlv("status", "-v", "--exit-code")
        XCTAssertEqual(changed.code, 1)
        XCTAssertEqual(changed.stdout, "data  modified (0 added, 1 modified, 0 deleted)\n  modified: data/a/f0.txt\n")

        // Without its proofs, status reads every node and finds b's missing.
        try FileManager.default.removeItem(atPath: repo.path(".mlv/state/clean"))
        let unproven = try repo.mlv("status", "--exit-code")
        XCTAssertEqual(unproven.code, 1)
        XCTAssertEqual(unproven.stdout, "data  modified, missing from cache (1 object(s))\n")

        // A damaged proofs file is never trusted: a warning, then the answer without it.
        try repo.write(".mlv/state/clean", "MLVCLEAN garbage")
        let damaged = try repo.mlv("status", "--exit-code")
        XCTAssertEqual(damaged.stdout, unproven.stdout)
        XCTAssertEqual(damaged.stderr, "mlv: warning: ignoring \(repo.path(".mlv/state/clean")): it is truncated or not an mlv file; it will be rebuilt\n")
        XCTAssertEqual(try repo.mlv("status").stderr, "", "rewritten by the status that warned")
    }

    func testCheckoutLeavesFoldersProvedToHoldTheTargetUnread() throws {
        let repo = try addedTwoFolders()
        XCTAssertEqual(try repo.git("add", "-A").code, 0)
        XCTAssertEqual(try repo.git("commit", "-qm", "v1").code, 0)
        try repo.write("data/a/f0.txt", "changed\n")
        usleep(100_000)
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertEqual(try repo.git("commit", "-qam", "v2").code, 0)
        usleep(100_000)
        // Folder b is the same node in both versions; it leaves the cache (shard time put
        // back). A checkout that read b's node, or compared b's files, would miss it.
        let idB = TestRepository.sha256(Data(Self.folderNode("b", "g").utf8))
        let bytesB = try repo.replaceCacheObjectKeepingGeneration(idB)
        XCTAssertEqual(try repo.git("checkout", "-q", "HEAD~1").code, 0)
        let back = try repo.mlv("checkout")
        XCTAssertEqual(back.code, 0, back.stderr)
        XCTAssertEqual(back.stdout, "data: 1 file(s) written (4 B), 0 deleted\n")
        XCTAssertEqual(try String(contentsOfFile: repo.path("data/a/f0.txt"), encoding: .utf8), "a 0\n")

        // Without the proofs, the same checkout must read b's node, and finds it missing.
        XCTAssertEqual(try repo.git("checkout", "-q", "main").code, 0)
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        try FileManager.default.removeItem(atPath: repo.path(".mlv/state/clean"))
        XCTAssertEqual(try repo.git("checkout", "-q", "HEAD~1").code, 0)
        let unproven = try repo.mlv("checkout")
        XCTAssertNotEqual(unproven.code, 0)
        XCTAssertEqual(try String(contentsOfFile: repo.path("data/a/f0.txt"), encoding: .utf8), "changed\n", "nothing written")
        try repo.replaceCacheObjectKeepingGeneration(idB, with: bytesB)
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        XCTAssertEqual(try String(contentsOfFile: repo.path("data/a/f0.txt"), encoding: .utf8), "a 0\n")
        XCTAssertEqual(try repo.mlv("status", "--exit-code").stdout, "data  up to date\n")
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
    }

    func testAddReusesTheNodesOfFoldersProvedUnchangedAndGivesTheSameTreeAsAFullAdd() throws {
        let repo = try addedTwoFolders()
        // Folder b's node leaves the cache (its shard's time put back, so the cache still
        // proves it holds the tree): an add that rebuilt b would write it again.
        let nodeB = Self.folderNode("b", "g")
        let idB = TestRepository.sha256(Data(nodeB.utf8))
        let bytesB = try repo.replaceCacheObjectKeepingGeneration(idB)
        try repo.write("data/a/f0.txt", "changed\n")
        usleep(100_000)
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertFalse(repo.exists(".mlv/cache/\(idB.prefix(2))/\(idB.dropFirst(2))"), "b was not rebuilt")
        let nodeA = "mlv-tree 2\n\(TestRepository.sha256(Data("changed\n".utf8))) 8 644 f0.txt\n"
            + (1..<3).map { "\(TestRepository.sha256(Data("a \($0)\n".utf8))) 4 644 f\($0).txt\n" }.joined()
        let root = "mlv-tree 2\n\(TestRepository.sha256(Data(nodeA.utf8))) 16 dir a\n\(idB) 12 dir b\n"
        let pointer = try String(contentsOfFile: repo.path("data.mlv"), encoding: .utf8)
        XCTAssertTrue(pointer.contains("id: \(TestRepository.sha256(Data(root.utf8)))\nsize: 28\nfiles: 6\n"), pointer)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").stdout, "data  up to date\n", "proven by the add: b is not read")

        // With b's node back, an add from scratch (no proofs, no state) gives the same pointer.
        try repo.replaceCacheObjectKeepingGeneration(idB, with: bytesB)
        try FileManager.default.removeItem(atPath: repo.path(".mlv/state/clean"))
        try FileManager.default.removeItem(atPath: repo.path(".mlv/state/hashes"))
        XCTAssertEqual(try repo.mlv("add", "data").stdout, "unchanged data (6 files, 28 B) -> data.mlv\n")
        XCTAssertEqual(try String(contentsOfFile: repo.path("data.mlv"), encoding: .utf8), pointer)
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
    }

    /// In symlink link mode the work tree holds links into the cache: adding it again must
    /// record the objects' sizes and modes, not the links' (84 bytes, 777), or the pointer
    /// would change while the data has not.
    func testReAddingADirectoryCheckedOutAsSymlinksKeepsItsPointer() throws {
        let repo = try TestRepository()
        try repo.write("data/a.txt", "hello\n")
        try repo.write("data/sub/b.txt", "world2\n")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        let pointer = try String(contentsOfFile: repo.path("data.mlv"), encoding: .utf8)
        XCTAssertEqual(try repo.git("config", "-f", ".mlv/config", "core.linkMode", "symlink").code, 0)
        try FileManager.default.removeItem(atPath: repo.path("data"))
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: repo.path("data/sub/b.txt"))[.type] as? FileAttributeType, .typeSymbolicLink)
        usleep(100_000)
        XCTAssertEqual(try repo.mlv("add", "data").stdout, "unchanged data (2 files, 13 B) -> data.mlv\n")
        XCTAssertEqual(try String(contentsOfFile: repo.path("data.mlv"), encoding: .utf8), pointer)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
    }

    func testAnAddOfManyFilesPacksTheirObjectsAndEveryCommandReadsThem() throws {
        let repo = try TestRepository()
        for i in 0..<1_500 { try repo.write("data/d\(i % 30)/f\(i).txt", "file \(i % 1_400)\n") }
        let add = try repo.mlv("add", "--verbose", "data")
        XCTAssertEqual(add.code, 0, add.stderr)
        // Packed objects are counted as new like any other.
        XCTAssertEqual(add.stdout.split(separator: "\n").filter { $0.hasPrefix("  hashed") }
            .map { $0.replacingOccurrences(of: #", [0-9.]+ (B|KiB|MiB) stored$"#, with: ", SIZE stored", options: .regularExpression) },
                       ["  hashed 1500 file(s); 1431 new object(s), SIZE stored"])
        try repo.git("commit", "-q", "-m", "data")
        // 1,400 distinct contents and the tree's 31 nodes (30 folders and the root) in one
        // pack: no object has a file of its own.
        let packs = try FileManager.default.contentsOfDirectory(atPath: repo.path(".mlv/cache/packs")).sorted()
        XCTAssertEqual(packs.count, 3, "one pack, its index and its lookup: \(packs)")
        XCTAssertEqual(try repo.packedObjects().count, 1_431)
        XCTAssertEqual(try repo.cacheObjects().count, 1_431)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
        let expected = try repo.fingerprint("data")
        for mode in ["copy", "hardlink", "symlink"] {
            try repo.write(".mlv/config", "[core]\n\tlinkMode = \(mode)\n")
            try FileManager.default.removeItem(atPath: repo.path("data"))
            let checkout = try repo.mlv("checkout")
            XCTAssertEqual(checkout.code, 0, checkout.stderr)
            XCTAssertEqual(try repo.fingerprint("data"), expected, mode)
        }
        try repo.write(".mlv/config", "")
        XCTAssertEqual(try repo.mlv("remote", "add", "store", repo.path("../remote-\(UUID().uuidString)"), "--default").code, 0)
        XCTAssertEqual(try repo.mlv("push").code, 0)
        let gc = try repo.mlv("gc", "--all-commits", "--json")
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(gc.stdout.utf8)) as? [String: Any])?["removed_objects"] as? Int, 0)
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
    }

    /// Killed once the pack being filled holds about 40% of the 100,000 files' bytes.
    func testAnAddOfAHundredThousandFilesKilledMidwayIsCompletedByARerun() throws {
        let repo = try TestRepository()
        let count = 100_000
        for i in 0..<count { try repo.write("data/d\(i % 1000)/f\(i).txt", "file number \(i)\n") }
        let add = try repo.startMLV(["add", "data"])
        func packs(_ suffix: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: repo.path(".mlv/cache/packs"))) ?? [])
                .filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }
        }
        let total = (0..<count).reduce(0) { $0 + "file number \($1)\n".utf8.count }
        repo.kill(add) {
            let tmp = repo.path(".mlv/cache/tmp")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []
            return names.contains { name in
                name.hasPrefix(".tmp-obj-") && ((try? FileManager.default.attributesOfItem(atPath: tmp + "/" + name)[.size] as? Int) ?? 0) > total * 2 / 5
            }
        }
        XCTAssertFalse(repo.exists("data.mlv"), "no pointer for an add that did not finish")
        XCTAssertEqual(packs(".idx"), [], "nothing counts before the add commits")

        let rerun = try repo.mlv("add", "data")
        XCTAssertEqual(rerun.code, 0, rerun.stderr)
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(packs(".pack").count, packs(".idx").count, "no pack without its index")
        let packed = try repo.packedObjects().map(\.id)
        XCTAssertEqual(Set(packed).count, count + 1000 + 1, "files, folder nodes, root")
        // The killed add's half-written pack goes with the next gc.
        XCTAssertEqual(try repo.mlv("gc", "--workspace").code, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo.path(".mlv/cache/tmp")), [])
        try FileManager.default.removeItem(atPath: repo.path("data"))
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        XCTAssertEqual(try repo.read("data/d307/f12307.txt"), Data("file number 12307\n".utf8))
        XCTAssertEqual(try repo.read("data/d999/f99999.txt"), Data("file number 99999\n".utf8))
    }

    func testDiffBetweenCommitsAndWorkspace() throws {
        let repo = try TestRepository()
        for i in 0..<3 { try repo.write("data/f\(i).txt", "v1 \(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        try repo.write("data/f0.txt", "v2 changed\n")
        try repo.write("data/f3.txt", "new\n")
        try FileManager.default.removeItem(atPath: repo.path("data/f2.txt"))
        try repo.write("model.bin", "weights")
        XCTAssertEqual(try repo.mlv("add", "data", "model.bin").code, 0)
        try repo.git("commit", "-q", "-m", "v2")

        let json = try repo.mlv("diff", "--json", "HEAD~1", "HEAD")
        XCTAssertEqual(json.code, 0, json.stderr)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let paths = parsed["paths"] as! [[String: Any]]
        XCTAssertEqual(paths.map { $0["path"] as! String }, ["data", "model.bin"])
        XCTAssertEqual(paths[0]["change"] as? String, "modified")
        XCTAssertEqual((paths[0]["added"] as! [[String: Any]]).map { $0["path"] as! String }, ["f3.txt"])
        XCTAssertEqual((paths[0]["deleted"] as! [[String: Any]]).map { $0["path"] as! String }, ["f2.txt"])
        let modified = (paths[0]["modified"] as! [[String: Any]])[0]
        XCTAssertEqual(modified["old_size"] as? Int, 5)
        XCTAssertEqual(modified["new_size"] as? Int, 11)
        XCTAssertEqual(paths[1]["change"] as? String, "added")

        XCTAssertTrue(try repo.mlv("diff").stdout.contains("No changes"))
        try repo.write("data/f1.txt", "edited in workspace\n")
        let workspace = try repo.mlv("diff")
        XCTAssertTrue(workspace.stdout.contains("HEAD -> workspace") && workspace.stdout.contains("M f1.txt"), workspace.stdout)
    }
}
