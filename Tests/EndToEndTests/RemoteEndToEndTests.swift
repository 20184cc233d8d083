import XCTest

/// Sharing data through a directory remote: push, clone, pull, dedup, packing, faults.
final class RemoteEndToEndTests: XCTestCase {
    var remoteDirectory = ""

    override func setUpWithError() throws {
        remoteDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-remote-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        _ = try? TestRepository.run("/bin/chmod", ["-R", "u+w", remoteDirectory], in: "/")
        try? FileManager.default.removeItem(atPath: remoteDirectory)
    }

    /// A repository with a small dataset and a 3 MiB model, committed and pushed.
    private func pushedRepository() throws -> TestRepository {
        let repo = try TestRepository()
        for i in 0..<30 { try repo.write("data/part\(i % 3)/f\(i).csv", TestRepository.bytes(2000 + i, seed: UInt64(i))) }
        try repo.write("models/model.bin", TestRepository.bytes(3 << 20, seed: 42))
        XCTAssertEqual(try repo.mlv("add", "data", "models/model.bin").code, 0)
        let added = try repo.mlv("remote", "add", "store", remoteDirectory, "--default")
        XCTAssertEqual(added.code, 0, added.stderr)
        try repo.git("commit", "-q", "-m", "v1")
        let push = try repo.mlv("push")
        XCTAssertEqual(push.code, 0, push.stderr)
        return repo
    }

    private func json(_ result: TestRepository.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    }

    private func clone(_ repo: TestRepository) throws -> TestRepository { try repo.gitClone() }

    func testRoundTripThroughCloneAndPull() throws {
        let repo = try pushedRepository()
        let again = try json(try repo.mlv("push", "--json"))
        XCTAssertEqual(again["objects"] as? Int, 0, "the second push sends nothing")
        XCTAssertLessThanOrEqual(again["requests"] as! Int, 5)

        let copy = try clone(repo)
        let pull = try copy.mlv("pull")
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try copy.fingerprint("data"), try repo.fingerprint("data"))
        XCTAssertEqual(try copy.fingerprint("models/model.bin"), try repo.fingerprint("models/model.bin"))
        XCTAssertEqual(try copy.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try copy.mlv("fsck").code, 0)
        try copy.assertGitFsckClean()
    }

    func testPulledSmallFilesLiveInLocalPacksThroughEveryCommand() throws {
        let repo = try pushedRepository()
        let copy = try clone(repo)
        XCTAssertEqual(try copy.mlv("pull").code, 0)
        let packed = try copy.packedObjects()
        XCTAssertEqual(packed.count, 34, "30 small files and the tree's 4 nodes are packed; the 3 MiB model is a file")
        XCTAssertEqual(try copy.cacheObjects().count, 35)
        try copy.assertCacheObjectsWhole()

        // A new version: status and fsck see packed objects; gc drops the old ones only.
        try copy.write("data/part0/f0.csv", "changed")
        XCTAssertEqual(try copy.mlv("add", "data").code, 0)
        try copy.git("commit", "-q", "-am", "v2")
        XCTAssertEqual(try copy.mlv("status", "--exit-code").code, 0)
        XCTAssertEqual(try copy.mlv("fsck", "--all").code, 0)
        let gc = try copy.mlv("gc", "--workspace")
        XCTAssertEqual(gc.code, 0, gc.stderr)
        XCTAssertEqual(try copy.packedObjects().count, 31, "the old root and part0 nodes and the old f0.csv are gone from the pack")
        try copy.assertCacheObjectsWhole()
        XCTAssertEqual(try copy.mlv("checkout", "--force").code, 0)
        XCTAssertEqual(try copy.mlv("status", "--exit-code").code, 0)
        // A folder where a packed file belongs is replaced by the file.
        try FileManager.default.removeItem(atPath: copy.path("data/part1/f4.csv"))
        try FileManager.default.createDirectory(atPath: copy.path("data/part1/f4.csv"), withIntermediateDirectories: false)
        let replaced = try copy.mlv("checkout", "--force")
        XCTAssertEqual(replaced.code, 0, replaced.stderr)
        XCTAssertEqual(try copy.read("data/part1/f4.csv"), try repo.read("data/part1/f4.csv"))
        XCTAssertEqual(try copy.mlv("status", "--exit-code").code, 0)

        // Link modes need a file of their own: it is made from the pack on the way.
        try copy.write(".mlv/config", "[core]\n\tlinkMode = hardlink\n")
        try FileManager.default.removeItem(atPath: copy.path("data/part1"))
        let linked = try copy.mlv("checkout")
        XCTAssertEqual(linked.code, 0, linked.stderr)
        XCTAssertEqual(try copy.read("data/part1/f1.csv"), try repo.read("data/part1/f1.csv"))
        let st = try FileManager.default.attributesOfItem(atPath: copy.path("data/part1/f1.csv"))
        XCTAssertEqual((st[.referenceCount] as? NSNumber)?.intValue, 2, "hard-linked to a cache file")
        try copy.write(".mlv/config", "")

        // A damaged pack: fsck names it, checkout refuses to write the damaged file.
        let damaged = try XCTUnwrap(try copy.packedObjects().first { $0.id == TestRepository.sha256(try repo.read("data/part2/f2.csv")) })
        chmod(damaged.pack, 0o644)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: damaged.pack))
        try handle.seek(toOffset: UInt64(damaged.offset + 5))
        handle.write(Data("!".utf8))
        try handle.close()
        let fsck = try copy.mlv("fsck")
        XCTAssertEqual(fsck.code, 1)
        XCTAssertTrue(fsck.stdout.contains(damaged.id.prefix(12)) && fsck.stdout.contains("data/part2/f2.csv"), fsck.stdout)
        try FileManager.default.removeItem(atPath: copy.path("data/part2/f2.csv"))
        let refused = try copy.mlv("checkout")
        XCTAssertEqual(refused.code, 1)
        XCTAssertFalse(copy.exists("data/part2/f2.csv"))
        XCTAssertTrue(refused.stderr.contains(damaged.id.prefix(12)) && refused.stderr.contains("corrupted"), refused.stderr)
    }

    func testAMostlyWantedPackIsHardLinkedFromADirectoryRemoteAndStillVerified() throws {
        let repo = try TestRepository()
        for i in 0..<200 { try repo.write("data/f\(i).txt", TestRepository.bytes(4000 + i, seed: UInt64(i))) }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory, "--default").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        let remotePacks = try FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs").filter { $0.hasSuffix(".pack") }
        func inode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as! NSNumber).intValue
        }
        let remoteInodes = Set(try remotePacks.map { try inode(remoteDirectory + "/packs/" + $0) })

        let copy = try clone(repo)
        let pull = try copy.mlv("pull")
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try copy.fingerprint("data"), try repo.fingerprint("data"))
        let local = Set(try copy.packedObjects().map(\.pack))
        XCTAssertFalse(local.isEmpty)
        XCTAssertTrue(try local.allSatisfy { remoteInodes.contains(try inode($0)) }, "the cache's packs are the remote's files")
        try copy.assertCacheObjectsWhole()
        XCTAssertEqual(try copy.mlv("fsck").code, 0)

        // A damaged byte in the remote pack: the link is made, checked, and dropped.
        func size(_ name: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: remoteDirectory + "/packs/" + name)[.size] as! NSNumber).intValue
        }
        let largest = try XCTUnwrap(try remotePacks.max { try size($0) < size($1) }, "the files' pack")
        let packPath = remoteDirectory + "/packs/" + largest
        chmod(packPath, 0o644)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: packPath))
        try handle.seek(toOffset: 4000 * 150)
        handle.write(Data("damage".utf8))
        try handle.close()
        let other = try clone(repo)
        let refused = try other.mlv("pull")
        XCTAssertNotEqual(refused.code, 0)
        XCTAssertTrue(refused.stderr.contains("does not match its id") && refused.stderr.contains(largest), refused.stderr)
        XCTAssertFalse(try other.packedObjects().contains { $0.pack.hasSuffix(largest) }, "the damaged pack was not kept")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: other.path(".mlv/cache/tmp")), [])
        try other.assertCacheObjectsWhole()
    }

    func testAPointerUnderstatingItsSizeStillPushesTheWholeObjectChunked() throws {
        let repo = try TestRepository()
        let model = TestRepository.bytes(3 << 20, seed: 5)
        try repo.write("model.bin", model)
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        // A hand-edited pointer says 100 bytes; the cache holds 3 MiB under that id.
        let pointer = try String(contentsOfFile: repo.path("model.bin.mlv"), encoding: .utf8)
        try repo.write("model.bin.mlv", pointer.replacingOccurrences(of: "size: \(3 << 20)", with: "size: 100"))
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory, "--default").code, 0)
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "v1")
        let push = try repo.mlv("push", "--json")
        XCTAssertEqual(push.code, 0, push.stderr)
        XCTAssertGreaterThan(try json(push)["chunks_sent"] as? Int ?? 0, 10, "sent as chunks, not read whole")
        let check = try repo.mlv("fsck", "--remote", "store")
        XCTAssertEqual(check.code, 0, check.stdout + check.stderr)
        // A clone trusts its pointers' sizes as a bound: it downloads nothing larger.
        let copy = try clone(repo)
        let fetch = try copy.mlv("fetch")
        XCTAssertEqual(fetch.code, 2)
        XCTAssertTrue(fetch.stderr.contains("object \(TestRepository.sha256(model)) is \(3 << 20) bytes there, but the pointers here say 100; nothing was downloaded."), fetch.stderr)
        XCTAssertFalse(try copy.cacheObjects().contains(TestRepository.sha256(model)))
    }

    /// Two pulls that each adopt (hard-link) the same remote pack for different items: the
    /// second must keep the first one's items in the pack's local index.
    func testTwoPullsAdoptingOneRemotePackKeepEveryObject() throws {
        let repo = try TestRepository()
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory, "--default").code, 0)
        for i in 0..<4 { try repo.write("data/f\(i).txt", "old \(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-m", "old")
        for i in 0..<2 { try repo.write("data/f\(i).txt", "new \(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        try repo.git("commit", "-q", "-am", "new")
        XCTAssertEqual(try repo.mlv("push", "--all-commits").code, 0)
        let copy = try clone(repo)
        try copy.git("checkout", "-q", "HEAD~1")
        XCTAssertEqual(try copy.mlv("pull").code, 0)
        try copy.git("checkout", "-q", "-")
        let second = try copy.mlv("pull")
        XCTAssertEqual(second.code, 0, second.stdout + second.stderr)
        XCTAssertEqual(try copy.mlv("fsck").code, 0, "the first pull's objects are still in the cache")
        XCTAssertEqual(try copy.fingerprint("data"), try repo.fingerprint("data"))
    }

    func testPartialPullFetchesOnlyThatFile() throws {
        let repo = try pushedRepository()
        let copy = try clone(repo)
        let pull = try copy.mlv("pull", "data/part1/f7.csv")
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try copy.read("data/part1/f7.csv"), try repo.read("data/part1/f7.csv"))
        XCTAssertFalse(copy.exists("data/part0/f0.csv"))
        XCTAssertFalse(copy.exists("models/model.bin"))
        XCTAssertEqual(try copy.cacheObjects().count, 3, "the root node, the part1 node and the one file")
    }

    func testNewVersionOfALargeFileSendsOnlyChangedChunks() throws {
        let repo = try TestRepository()
        var model = TestRepository.bytes(64 << 20, seed: 9)
        try repo.write("model.bin", model)
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory).code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        // 1% of the bytes: ten 64 KiB regions spread over the file.
        for region in 0..<10 {
            let start = region * (6 << 20) + 12345
            for i in start..<(start + (64 << 10)) { model[i] ^= 0x5a }
        }
        try repo.write("model.bin", model)
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        try repo.git("commit", "-q", "-m", "v2")
        let second = try json(try repo.mlv("push", "--json"))
        let sent = second["bytes"] as! Int
        XCTAssertLessThan(sent, (64 << 20) / 10, "v2 uploads under 10% of the file")
        XCTAssertGreaterThan(second["chunks_reused"] as! Int, 0)
        let copy = try clone(repo)
        XCTAssertEqual(try copy.mlv("pull").code, 0)
        XCTAssertEqual(try copy.read("model.bin"), model)
    }

    func testLargeFilePullIsVerifiedWholeAndNamesTheDamagedChunk() throws {
        let repo = try TestRepository()
        let model = TestRepository.bytes(8 << 20, seed: 21)
        try repo.write("model.bin", model)
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory, "--default").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        let fileID = TestRepository.sha256(model)

        // A clean pull rebuilds the file and records it as verified, so checkout copies it
        // without hashing it again.
        let good = try clone(repo)
        let pulled = try good.mlv("pull")
        XCTAssertEqual(pulled.code, 0, pulled.stderr)
        XCTAssertEqual(try good.read("model.bin"), model)
        XCTAssertTrue(try String(decoding: good.read(".mlv/state/objects"), as: UTF8.self).contains(fileID))
        try good.assertCacheObjectsWhole()

        // One flipped byte in the middle of the chunks' pack: the whole-file hash fails, and
        // the error names the chunk that differs and the pack it came from.
        let packs = try FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs").filter { $0.hasSuffix(".pack") }
        let sizes = try packs.map { (try FileManager.default.attributesOfItem(atPath: remoteDirectory + "/packs/" + $0)[.size] as! NSNumber).intValue }
        let largest = packs[sizes.firstIndex(of: sizes.max()!)!]
        let packPath = remoteDirectory + "/packs/" + largest
        chmod(packPath, 0o644)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: packPath))
        try handle.seek(toOffset: 4 << 20)
        let byte = handle.readData(ofLength: 1)
        try handle.seek(toOffset: 4 << 20)
        handle.write(Data([byte[0] ^ 0xff]))
        try handle.close()
        let bad = try clone(repo)
        let refused = try bad.mlv("pull")
        XCTAssertEqual(refused.code, 2)
        let match = try XCTUnwrap(refused.stderr.range(of: "object [0-9a-f]{64} in", options: .regularExpression), refused.stderr)
        let named = refused.stderr[match].dropFirst("object ".count).prefix(64)
        XCTAssertNotEqual(String(named), fileID, "a chunk is named, not the whole file")
        let check = try bad.mlv("fsck", "--remote", "store")
        XCTAssertEqual(check.code, 1)
        XCTAssertTrue(check.stdout.contains(String(named)), "fsck --remote finds the same chunk: \(check.stdout)")
        XCTAssertEqual(refused.stderr, """
        mlv: error: remote store (\(remoteDirectory)): object \(named) in packs/\(largest) does not match its id (corrupted or truncated on the remote); \
        nothing from it was stored. Run `mlv fsck --remote` and push it again from a clone that has it.

        """)
        XCTAssertFalse(bad.exists("model.bin"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: bad.path(".mlv/cache/tmp")), [])
        XCTAssertFalse(try bad.cacheObjects().contains(fileID))
    }

    func testGCMergesLocalPacksAndAKilledMergeLosesNothing() throws {
        // Four commits, each pulled on its own in a clone: four local packs of ~40 MiB.
        let repo = try TestRepository()
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory, "--default").code, 0)
        var commits: [String] = []
        for round in 0..<4 {
            for i in 0..<40 { try repo.write("data/r\(round)/f\(i).bin", TestRepository.bytes(1000 << 10, seed: UInt64(round * 100 + i))) }
            XCTAssertEqual(try repo.mlv("add", "data/r\(round)").code, 0)
            try repo.git("commit", "-q", "-m", "round \(round)")
            XCTAssertEqual(try repo.mlv("push").code, 0)
            commits.append(try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let copy = try clone(repo)
        for commit in commits {
            try copy.git("checkout", "-q", commit)
            let pull = try copy.mlv("pull")
            XCTAssertEqual(pull.code, 0, pull.stderr)
        }
        func packs(_ suffix: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: copy.path(".mlv/cache/packs")).filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }
        }
        XCTAssertGreaterThanOrEqual(try packs(".idx").count, 4)

        // Killed while it writes the merged pack: nothing is lost, and a rerun finishes.
        let gc = try copy.startMLV(["gc", "--all-commits"])
        let deadline = Date().addingTimeInterval(60)
        var sawMerge = false
        while Date() < deadline && gc.isRunning {
            let temporaries = (try? FileManager.default.contentsOfDirectory(atPath: copy.path(".mlv/cache/tmp"))) ?? []
            if temporaries.contains(where: { $0.hasPrefix(".tmp-obj-") }) { sawMerge = true; break }
            usleep(1000)
        }
        XCTAssertTrue(sawMerge, "the merge's pack appeared")
        kill(gc.processIdentifier, SIGKILL)
        gc.waitUntilExit()
        XCTAssertEqual(gc.terminationReason, .uncaughtSignal, "gc was still running when killed")
        XCTAssertEqual(try copy.mlv("fsck").code, 0)

        let rerun = try json(try copy.mlv("gc", "--all-commits", "--json"))
        XCTAssertGreaterThanOrEqual(rerun["packs_merged"] as! Int, 4)
        XCTAssertEqual(rerun["packs_written"] as? Int, 1)
        XCTAssertEqual(rerun["removed_objects"] as? Int, 0)
        XCTAssertEqual(try packs(".idx").count, 1)
        XCTAssertEqual(try packs(".pack").count, 1, "no pack without its index is left")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: copy.path(".mlv/cache/tmp")), [])
        XCTAssertEqual(try copy.mlv("fsck").code, 0)
        try copy.assertCacheObjectsWhole()
        for round in 0..<4 { try FileManager.default.removeItem(atPath: copy.path("data/r\(round)")) }
        XCTAssertEqual(try copy.mlv("checkout").code, 0)
        XCTAssertEqual(try copy.fingerprint("data"), try repo.fingerprint("data"))
    }

    func testTenThousandSmallFilesTravelInAFewPacks() throws {
        let repo = try TestRepository()
        for i in 0..<10_000 { try repo.write("data/d\(i / 100)/f\(i).txt", "file number \(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory).code, 0)
        let push = try json(try repo.mlv("push", "--json"))
        XCTAssertEqual(push["objects"] as? Int, 10_101, "the files, a node for each of 100 folders and the root")
        XCTAssertLessThan(push["requests"] as! Int, 100, "packed: not a request per file")
        let packs = try FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs")
        XCTAssertLessThan(packs.count, 10)
    }

    func testCorruptedPackIsReportedAndNeverMaterialized() throws {
        let repo = try pushedRepository()
        // Files travel in one pack, the directory's manifest after them in another: damage the files'.
        let packs = try FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs").filter { $0.hasSuffix(".pack") }
            .sorted { (try? FileManager.default.attributesOfItem(atPath: remoteDirectory + "/packs/" + $0)[.size] as? Int ?? 0) ?? 0
                > (try? FileManager.default.attributesOfItem(atPath: remoteDirectory + "/packs/" + $1)[.size] as? Int ?? 0) ?? 0 }
        XCTAssertEqual(packs.count, 2)
        let packPath = remoteDirectory + "/packs/" + packs[0]
        chmod(packPath, 0o644)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: packPath))
        try handle.seek(toOffset: 100)
        let byte = handle.readData(ofLength: 1)
        try handle.seek(toOffset: 100)
        handle.write(Data([byte[0] ^ 0xff]))
        try handle.close()

        let copy = try clone(repo)
        let pull = try copy.mlv("pull")
        XCTAssertNotEqual(pull.code, 0)
        XCTAssertTrue(pull.stderr.contains("does not match its id") && pull.stderr.contains(packs[0]), "stderr: \(pull.stderr)")
        XCTAssertEqual(try copy.mlv("fsck").code, 1, "what the pull needed is not all there")
        try copy.assertCacheObjectsWhole()
        XCTAssertFalse(copy.exists("models/model.bin") && (try? copy.read("models/model.bin")) != (try? repo.read("models/model.bin")))
        let check = try copy.mlv("fsck", "--remote", "store")
        XCTAssertEqual(check.code, 1)
        XCTAssertTrue(check.stdout.contains("corrupted") && check.stdout.contains(packs[0]), check.stdout)
    }

    func testUnreachableRemoteAndUnknownNamesAreClear() throws {
        let repo = try pushedRepository()
        _ = try TestRepository.run("/bin/chmod", ["-R", "u+w", remoteDirectory], in: "/")
        try FileManager.default.removeItem(atPath: remoteDirectory)
        let push = try repo.mlv("push")
        XCTAssertEqual(push.code, 2)
        XCTAssertTrue(push.stderr.contains("cannot be reached") && push.stderr.contains("store"), push.stderr)
        let unknown = try repo.mlv("push", "-r", "nope")
        XCTAssertEqual(unknown.code, 2)
        XCTAssertTrue(unknown.stderr.contains("no remote named `nope`") && unknown.stderr.contains("store"), unknown.stderr)
    }

    func testPushKilledMidwayCompletesOnRerunWithoutResending() throws {
        let repo = try TestRepository()
        // 384 MiB: packs close at 128 MiB, so two more are to come when the first is indexed.
        for i in 0..<6 { try repo.write("data/big\(i).bin", TestRepository.bytes(64 << 20, seed: UInt64(i))) }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory).code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        let process = try repo.startMLV(["push", "-j", "1"])
        // Wait until the first pack is indexed, then kill.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs")) ?? []
            if names.contains(where: { $0.hasSuffix(".idx") }) { break }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the push was still running when killed")
        let rerun = try json(try repo.mlv("push", "--json"))
        XCTAssertGreaterThan(rerun["skipped"] as! Int, 0, "what the killed push finished is not sent again")
        XCTAssertGreaterThan(rerun["chunks_reused"] as! Int, 0)
        XCTAssertLessThan(rerun["bytes"] as! Int, 6 * (64 << 20))
        let copy = try clone(repo)
        let pull = try copy.mlv("pull")
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try copy.fingerprint("data"), try repo.fingerprint("data"))
    }

    func testCloudGCDropsWhatNothingInScopeUses() throws {
        let repo = try TestRepository()
        for i in 0..<50 { try repo.write("old/f\(i).bin", TestRepository.bytes(20_000, seed: UInt64(i))) }
        try repo.write("keep.bin", "kept")
        XCTAssertEqual(try repo.mlv("add", "old", "keep.bin").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory).code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        // v2 drops the old dataset: its pack is now mostly dead.
        try repo.git("rm", "-q", "old.mlv")
        try repo.git("commit", "-q", "-m", "v2")
        let dry = try json(try repo.mlv("gc", "--cloud", "--workspace", "--dry-run", "--json"))
        XCTAssertEqual(dry["packs_rewritten"] as? Int, 1)
        XCTAssertEqual(dry["entries_dropped"] as? Int, 51, "50 files and their manifest")
        let before = try FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs").sorted()
        let keptAllCommits = try json(try repo.mlv("gc", "--cloud", "--all-commits", "--json"))
        XCTAssertEqual(keptAllCommits["entries_dropped"] as? Int, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs").sorted(), before)
        let real = try json(try repo.mlv("gc", "--cloud", "--workspace", "--json"))
        XCTAssertEqual(real["entries_dropped"] as? Int, 51)
        XCTAssertNotEqual(try FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs").sorted(), before)
        XCTAssertEqual(try repo.mlv("fsck", "--remote", "store").code, 0)
        let copy = try clone(repo)
        XCTAssertEqual(try copy.mlv("pull").code, 0)
        XCTAssertEqual(String(decoding: try copy.read("keep.bin"), as: UTF8.self), "kept")
    }

    func testPullKilledMidwayLeavesNoPartialObjectAndRerunCompletes() throws {
        let repo = try TestRepository()
        for i in 0..<4 { try repo.write("data/big\(i).bin", TestRepository.bytes(24 << 20, seed: UInt64(i + 10))) }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory).code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        let copy = try clone(repo)
        let process = try copy.startMLV(["pull"])
        // Killed while a large file is being rebuilt from its chunks.
        copy.kill(process, when: { copy.hasFile(under: ".mlv/cache/tmp", containing: ".tmp-obj-") })
        try copy.assertCacheObjectsWhole()
        let rerun = try copy.mlv("pull")
        XCTAssertEqual(rerun.code, 0, rerun.stderr)
        XCTAssertEqual(try copy.fingerprint("data"), try repo.fingerprint("data"))
    }

    func testDamagedCacheObjectIsNeverPushed() throws {
        let repo = try TestRepository()
        let bytes = TestRepository.bytes(6 << 20, seed: 21)
        try repo.write("model.bin", bytes)
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", remoteDirectory).code, 0)
        let id = TestRepository.sha256(bytes)
        let objectPath = repo.path(".mlv/cache/\(id.prefix(2))/\(id.dropFirst(2))")
        chmod(objectPath, 0o644)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: objectPath))
        try handle.seek(toOffset: 3 << 20)
        handle.write(Data([1, 2, 3]))
        try handle.close()
        let push = try repo.mlv("push")
        XCTAssertEqual(push.code, 2)
        XCTAssertTrue(push.stderr.contains("corrupted"), push.stderr)
        let indexes = (try? FileManager.default.contentsOfDirectory(atPath: remoteDirectory + "/packs"))?.filter { $0.hasSuffix(".idx") } ?? []
        for index in indexes {
            let text = try String(contentsOfFile: remoteDirectory + "/packs/" + index, encoding: .utf8)
            XCTAssertFalse(text.contains(id + " "), "the damaged file is not on the remote")
        }
    }

    func testRemoteSettingsLiveInMlvconfig() throws {
        let repo = try TestRepository()
        XCTAssertEqual(try repo.mlv("remote", "add", "a", remoteDirectory).code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "b", "s3://bucket/prefix", "--endpoint", "http://127.0.0.1:9").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "a", "/elsewhere").code, 2)
        XCTAssertEqual(try repo.mlv("remote", "modify", "b", "region", "eu-west-1").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "modify", "b", "colour", "blue").code, 2)
        let list = try JSONSerialization.jsonObject(with: Data(try repo.mlv("remote", "list", "--json").stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(list.map { $0["name"] as! String }, ["a", "b"])
        XCTAssertEqual(list[0]["default"] as? Bool, true)
        XCTAssertEqual((list[1]["options"] as? [String: String])?["region"], "eu-west-1")
        let config = String(decoding: try repo.read(".mlvconfig"), as: UTF8.self)
        XCTAssertTrue(config.contains("[remote \"b\"]") && config.contains("endpoint = http://127.0.0.1:9"), config)
        XCTAssertEqual(try repo.mlv("remote", "remove", "a").code, 0)
        XCTAssertFalse(String(decoding: try repo.read(".mlvconfig"), as: UTF8.self).contains(remoteDirectory))
    }
}
