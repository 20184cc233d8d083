import XCTest

/// gc scopes, link modes and the command line's own conventions.
final class MaintenanceEndToEndTests: XCTestCase {
    /// Three commits on main and one on a branch, each with its own model version.
    private func repositoryWithHistory() throws -> TestRepository {
        let repo = try TestRepository()
        for version in 1...3 {
            try repo.write("model.bin", "model v\(version)")
            XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
            try repo.git("commit", "-q", "-m", "v\(version)")
            if version == 1 { try repo.git("tag", "v1") }
        }
        try repo.git("checkout", "-q", "-b", "experiment")
        try repo.write("model.bin", "model experiment")
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        try repo.git("commit", "-q", "-m", "experiment")
        try repo.git("checkout", "-q", "main")
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        return repo
    }

    private func cached(_ repo: TestRepository, _ text: String) -> Bool {
        let id = TestRepository.sha256(Data(text.utf8))
        return repo.exists(".mlv/cache/\(id.prefix(2))/\(id.dropFirst(2))")
    }

    func testGCRequiresAScope() throws {
        let repo = try TestRepository()
        let result = try repo.mlv("gc")
        XCTAssertEqual(result.code, 64)
        XCTAssertTrue(result.stderr.contains("choose a scope"), result.stderr)
    }

    func testGCScopesKeepWhatTheyName() throws {
        let repo = try repositoryWithHistory()
        let dry = try repo.mlv("gc", "--workspace", "--dry-run", "--json")
        let parsed = try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(parsed["removed_objects"] as? Int, 3)
        XCTAssertTrue(cached(repo, "model v1"), "dry run deletes nothing")

        XCTAssertEqual(try repo.mlv("gc", "--all-commits").code, 0)
        XCTAssertTrue(["model v1", "model v2", "model v3", "model experiment"].allSatisfy { cached(repo, $0) })
        XCTAssertEqual(try repo.mlv("gc", "--all-tags").code, 0)
        XCTAssertTrue(cached(repo, "model v1") && cached(repo, "model v3"))
        XCTAssertFalse(cached(repo, "model v2") || cached(repo, "model experiment"))
        let last = try repo.mlv("gc", "--workspace")
        XCTAssertTrue(last.stdout.contains("Removed 1 object(s)"), last.stdout)
        XCTAssertTrue(cached(repo, "model v3"))
        XCTAssertFalse(cached(repo, "model v1"))
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
    }

    func testGCAllBranchesKeepsBranchTips() throws {
        let repo = try repositoryWithHistory()
        XCTAssertEqual(try repo.mlv("gc", "--all-branches").code, 0)
        XCTAssertTrue(cached(repo, "model v3") && cached(repo, "model experiment"))
        XCTAssertFalse(cached(repo, "model v2"))
    }

    func testGCFailsClosedWhenAManifestIsMissing() throws {
        let repo = try TestRepository()
        try repo.write("data/a.txt", "a")
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        let pointer = String(decoding: try repo.read("data.mlv"), as: UTF8.self)
        let id = pointer.split(separator: "\n").first { $0.hasPrefix("id: ") }!.dropFirst(4)
        try FileManager.default.removeItem(atPath: repo.path(".mlv/cache/\(id.prefix(2))/\(id.dropFirst(2))"))
        let result = try repo.mlv("gc", "--workspace")
        XCTAssertEqual(result.code, 2)
        XCTAssertTrue(result.stderr.contains("nothing was deleted"), result.stderr)
        XCTAssertTrue(cached(repo, "a"))
    }

    /// Eight adds of 1,000 files (the fewest an add packs) make eight small packs, 64 MiB of
    /// 8 KiB files that do not repeat; gc merges them into one. Killed once the merged pack
    /// holds about 40% of the bytes.
    func testAGCKilledWhileRepackingLosesNothingAndARerunCompletesIt() throws {
        let repo = try TestRepository()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for folder in 0..<8 {
            for file in 0..<1_000 {
                var bytes = [UInt8](repeating: 0, count: 8 << 10)
                bytes.withUnsafeMutableBytes { raw in
                    for word in raw.bindMemory(to: UInt64.self).indices {
                        state ^= state << 13; state ^= state >> 7; state ^= state << 17
                        raw.bindMemory(to: UInt64.self)[word] = state
                    }
                }
                try repo.write("data\(folder)/f\(file).bin", Data(bytes))
            }
            XCTAssertEqual(try repo.mlv("add", "data\(folder)").code, 0)
        }
        try repo.git("add", ".")
        try repo.git("commit", "-q", "-m", "eight folders")
        let folders = (0..<8).map { "data\($0)" }
        let expected = try folders.map { try repo.fingerprint($0) }
        func packs(_ suffix: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: repo.path(".mlv/cache/packs"))) ?? [])
                .filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.sorted()
        }
        let before = packs(".idx")
        XCTAssertEqual(before.count, 8, "one pack per add")

        let gc = try repo.startMLV(["gc", "--workspace"])
        repo.kill(gc) {
            let tmp = repo.path(".mlv/cache/tmp")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []
            return names.contains { name in
                name.hasPrefix(".tmp-obj-") && ((try? FileManager.default.attributesOfItem(atPath: tmp + "/" + name)[.size] as? Int) ?? 0) > (64 << 20) * 2 / 5
            }
        }
        // Every pack being merged still counts (a kill landing after the merged pack was
        // installed would add it beside them, which loses nothing either).
        XCTAssertTrue(Set(packs(".idx")).isSuperset(of: before), "the packs being merged are all still there: \(packs(".idx"))")
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)

        let rerun = try repo.mlv("gc", "--workspace", "--json")
        XCTAssertEqual(rerun.code, 0, rerun.stderr)
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(result["packs_merged"] as? Int ?? 0, 8)
        XCTAssertEqual(result["packs_written"] as? Int, 1)
        XCTAssertEqual(result["removed_objects"] as? Int, 0)
        XCTAssertEqual(packs(".idx").count, 1)
        XCTAssertEqual(packs(".pack").count, 1, "no pack is left without its index")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo.path(".mlv/cache/tmp")), [],
                       "the killed merge's half-written pack is gone")
        XCTAssertEqual(try repo.mlv("fsck").code, 0)
        for folder in folders { try FileManager.default.removeItem(atPath: repo.path(folder)) }
        let checkout = try repo.mlv("checkout")
        XCTAssertEqual(checkout.code, 0, checkout.stderr)
        XCTAssertEqual(try folders.map { try repo.fingerprint($0) }, expected)
    }

    func testHardlinkAndSymlinkModesLinkToReadOnlyCache() throws {
        for mode in ["hardlink", "symlink"] {
            let repo = try TestRepository()
            try repo.write(".mlv/config", "[core]\n\tlinkMode = \(mode)\n")
            try repo.write("data/a.txt", "alpha")
            try repo.write("model.bin", "weights")
            XCTAssertEqual(try repo.mlv("add", "data", "model.bin").code, 0)
            try FileManager.default.removeItem(atPath: repo.path("data"))
            try FileManager.default.removeItem(atPath: repo.path("model.bin"))
            let result = try repo.mlv("checkout")
            XCTAssertEqual(result.code, 0, result.stderr)
            XCTAssertEqual(String(decoding: try repo.read("data/a.txt"), as: UTF8.self), "alpha")
            let attributes = try FileManager.default.attributesOfItem(atPath: repo.path("model.bin"))
            if mode == "symlink" {
                XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSymbolicLink)
            } else {
                XCTAssertEqual((attributes[.referenceCount] as? NSNumber)?.intValue, 2)
            }
            let id = TestRepository.sha256(Data("weights".utf8))
            let objectAttributes = try FileManager.default.attributesOfItem(atPath: repo.path(".mlv/cache/\(id.prefix(2))/\(id.dropFirst(2))"))
            XCTAssertEqual((objectAttributes[.posixPermissions] as? NSNumber)?.intValue, 0o444, "cache objects are read-only")
            let status = try repo.mlv("status", "--exit-code")
            XCTAssertEqual(status.code, 0, "\(mode): \(status.stdout)")
        }
    }

    func testReflinkModeClonesOrSaysWhy() throws {
        let repo = try TestRepository()
        try repo.write(".mlv/config", "[core]\n\tlinkMode = reflink\n")
        try repo.write("model.bin", "weights")
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        try FileManager.default.removeItem(atPath: repo.path("model.bin"))
        let result = try repo.mlv("checkout")
        if result.code == 2 && result.stderr.contains("cannot clone") {
            throw XCTSkip("this filesystem has no reflinks (ext4); the clone path runs on btrfs or XFS")
        }
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(String(decoding: try repo.read("model.bin"), as: UTF8.self), "weights")
    }

    func testAutoModeFallsBackToCopy() throws {
        let repo = try TestRepository()
        try repo.write("model.bin", "weights")
        XCTAssertEqual(try repo.mlv("add", "model.bin").code, 0)
        try FileManager.default.removeItem(atPath: repo.path("model.bin"))
        XCTAssertEqual(try repo.mlv("checkout").code, 0)
        try repo.write("model.bin", "edited in place")
        let id = TestRepository.sha256(Data("weights".utf8))
        XCTAssertEqual(String(decoding: try repo.read(".mlv/cache/\(id.prefix(2))/\(id.dropFirst(2))"), as: UTF8.self), "weights",
                       "editing the workspace copy never touches the cache")
    }

    func testBadConfigIsAClearError() throws {
        let repo = try TestRepository()
        try repo.write(".mlv/config", "[core]\n\tlinkMode = teleport\n")
        let result = try repo.mlv("status")
        XCTAssertEqual(result.code, 2)
        XCTAssertTrue(result.stderr.contains("core.linkMode is `teleport`"), result.stderr)
    }

    func testVersionCompletionAndUsageErrors() throws {
        let repo = try TestRepository()
        let version = try repo.mlv("--version")
        XCTAssertEqual(version.code, 0)
        XCTAssertTrue(version.stdout.hasPrefix("0."), version.stdout)
        let completion = try repo.mlv("completion", "bash")
        XCTAssertEqual(completion.code, 0)
        XCTAssertTrue(completion.stdout.contains("checkout"), "completion lists subcommands")
        XCTAssertEqual(try repo.mlv("add").code, 64)
        XCTAssertEqual(try repo.mlv("diff", "a", "b", "c").code, 64)
        let notInit = try TestRepository(initMLV: false)
        let result = try notInit.mlv("status")
        XCTAssertEqual(result.code, 2)
        XCTAssertTrue(result.stderr.contains("mlv init"), result.stderr)
        let badRev = try repo.mlv("diff", "no-such-branch")
        XCTAssertEqual(badRev.code, 2)
        XCTAssertTrue(badRev.stderr.contains("no-such-branch"), badRev.stderr)
    }
}
