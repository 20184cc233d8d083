@testable import MLVCore
import XCTest

/// Small fetched objects kept in local packs: visible only after commit, read back verified,
/// collected by gc without losing the live ones.
final class LocalPacksTests: XCTestCase {
    var dir = ""
    var store: ObjectStore!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("packs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Packs `contents` as one local pack and returns their ids.
    func pack(_ contents: [String], in store: ObjectStore? = nil) throws -> [ObjectID] {
        let store = store ?? self.store!
        let builder = try store.packs.makeBuilder()
        var ids: [ObjectID] = []
        for text in contents {
            let bytes = Array(text.utf8)
            ids.append(ObjectID.of(bytes))
            try bytes.withUnsafeBytes { try builder.append([(ObjectID.of(bytes), $0)]) }
        }
        XCTAssertFalse(store.contains(ids[0]), "not visible before commit")
        try builder.commit()
        return ids
    }

    /// Overwrites one byte of a (read-only) pack with `X`.
    func damage(_ packPath: String, at offset: UInt64) throws {
        chmod(packPath, 0o644)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: packPath))
        try handle.seek(toOffset: offset)
        handle.write(Data("X".utf8))
        try handle.close()
    }

    func packFiles() throws -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: dir + "/cache/packs"))?.sorted() ?? []
    }

    /// A packing batch starts a new pack past its object limit (an add of a million files
    /// once wrote one pack whose 90 MB index readers then refused); all of them count.
    func testAPackingBatchSpreadsItsObjectsOverSeveralPacks() throws {
        let batch = try ObjectBatch(packingInto: store.packs, objectsPerPack: 10)
        var ids: [ObjectID] = []
        for i in 0..<25 { ids.append(try store.ingest(bytes: Array("object \(i)".utf8), batch: batch)) }
        XCTAssertEqual(try store.ingest(bytes: Array("object 3".utf8), batch: batch), ids[3], "a repeat is packed once")
        XCTAssertFalse(store.contains(ids[0]), "nothing counts before commit")
        try batch.commit()
        XCTAssertEqual(try packFiles().filter { $0.hasSuffix(".idx") }.count, 3, "10 + 10 + 5")
        let reopened = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        XCTAssertEqual(Set(try reopened.allObjects().map(\.id)), Set(ids))
        XCTAssertEqual(try reopened.readVerified(ids[24]), Array("object 24".utf8))
    }

    /// A push reads objects in the order they lie in the cache: each pack's from its start,
    /// packs in turn, loose ones after; the absent ones are named apart.
    func testStorageOrderFollowsPacksAndOffsetsThenLooseObjects() throws {
        let first = try pack((0..<40).map { "first \($0)" }), second = try pack((0..<40).map { "second \($0)" })
        let batch = ObjectBatch()
        let loose = try store.ingest(bytes: Array("loose".utf8), batch: batch)
        try batch.commit()
        let absent = ObjectID.of(Array("absent".utf8))
        let found = store.storageOrder((first + second + [loose, absent]).shuffled())
        // Packs are taken in the order this store knows them, which for two packs is either.
        XCTAssertTrue([first + second + [loose], second + first + [loose]].contains(found.ordered), "\(found.ordered)")
        XCTAssertEqual(found.missing, [absent])
    }

    /// Many ids are located by one walk beside each pack's sorted ids; the answer is the one a
    /// search per id gives (an object held by two packs may be found in either).
    func testLocatingManyIdsAtOnceAgreesWithOneSearchEach() throws {
        let first = try pack((0..<3_000).map { "first \($0)" } + ["in both"])
        let second = try pack((0..<3_000).map { "second \($0)" } + ["in both"])
        let absent = (0..<200).map { ObjectID.of(Array("absent \($0)".utf8)) }
        let query = (first + second + absent + [first[7]]).shuffled()
        let many = store.packs.locations(of: query)
        XCTAssertEqual(many.compactMap { $0 }.count, query.count - absent.count)
        let both = ObjectID.of(Array("in both".utf8))
        for (id, found) in zip(query, many) {
            if id == both { XCTAssertEqual(found?.length, 7); continue }
            let one = store.packs.location(of: id)
            XCTAssertEqual(found.map { [Int64($0.pack), $0.offset, $0.length] }, one.map { [Int64($0.pack), $0.offset, $0.length] }, "\(id)")
        }
        XCTAssertEqual(Set(many.compactMap { $0?.pack }).count, 2)
    }

    /// Lookups go through `<pack>.ids`, the pack's objects sorted by id; it is derived from the
    /// index and made again whenever it is missing, damaged or older than the index.
    func testEachPackHasASortedLookupRebuiltWhenMissingDamagedOrStale() throws {
        let ids = try pack(["one", "two", "three", "four"])
        let name = try XCTUnwrap(try packFiles().first { $0.hasSuffix(".pack") }).dropLast(5)
        let lookupFile = dir + "/cache/packs/\(name).ids", indexFile = dir + "/cache/packs/\(name).idx"
        func lookup() throws -> PackLookup { try PackLookup.decode(Array(try Data(contentsOf: URL(fileURLWithPath: lookupFile)))) }
        XCTAssertEqual(try lookup().ids, ids.sorted())
        func reopenedFindsAll(_ label: String) {
            let reopened = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
            for (id, text) in zip(ids, ["one", "two", "three", "four"]) { XCTAssertEqual(try reopened.readVerified(id), Array(text.utf8), label) }
            XCTAssertFalse(reopened.contains(ObjectID.of(Array("five".utf8))), label)
        }
        reopenedFindsAll("as written")

        try FileManager.default.removeItem(atPath: lookupFile)
        reopenedFindsAll("made again from the index")
        XCTAssertEqual(try lookup().ids, ids.sorted(), "and written back")

        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: lookupFile)))
        bytes[70] ^= 1
        chmod(lookupFile, 0o644)
        try Data(bytes).write(to: URL(fileURLWithPath: lookupFile))
        XCTAssertThrowsError(try lookup())
        reopenedFindsAll("a damaged lookup is ignored")
        XCTAssertEqual(try lookup().ids, ids.sorted(), "and replaced")

        // An index rewritten since (another inode) makes the lookup stale: it is made again.
        let stale = try lookup()
        let indexBytes = try Data(contentsOf: URL(fileURLWithPath: indexFile))
        try FileManager.default.removeItem(atPath: indexFile)
        try indexBytes.write(to: URL(fileURLWithPath: indexFile))
        XCTAssertFalse(stale.matches(index: try XCTUnwrap(FileSystem.lstatFile(indexFile))))
        reopenedFindsAll("a stale lookup is not used")
        XCTAssertTrue(try lookup().matches(index: try XCTUnwrap(FileSystem.lstatFile(indexFile))))

        // gc takes a lookup whose pack is gone.
        try FileManager.default.removeItem(atPath: indexFile)
        try store.remove(Set<ObjectID>())
        XCTAssertEqual(try packFiles(), [])
    }

    /// A lookup file is read strictly, so a binary search over it is sound.
    func testALookupFileOutOfOrderOrPointingOutsideItsPackIsRefused() throws {
        let a = ObjectID.of(Array("a".utf8)), b = ObjectID.of(Array("b".utf8))
        func file(_ records: [(ObjectID, UInt64, UInt64)], packSize: UInt64 = 100) -> [UInt8] {
            BinaryWriter.sealed(magic: PackLookup.magic, version: PackLookup.version) { out in
                out.put(packSize); out.put(UInt64(0)); out.put(UInt64(0)); out.put(UInt64(0))
                out.put(UInt32(records.count))
                for (id, offset, length) in records { out.put(raw: id.bytes); out.put(offset); out.put(length) }
            }
        }
        let (low, high) = a < b ? (a, b) : (b, a)
        let good = try PackLookup.decode(file([(low, 0, 1), (high, 1, 1)]))
        XCTAssertEqual(good.find(high)?.offset, 1)
        XCTAssertNil(good.find(ObjectID.of(Array("c".utf8))))
        func reason(_ bytes: [UInt8]) -> String? {
            do { _ = try PackLookup.decode(bytes); return nil } catch { return (error as? BinaryReader.Damaged)?.reason }
        }
        XCTAssertEqual(reason(file([(high, 0, 1), (low, 1, 1)])), "is damaged (its ids are out of order)")
        XCTAssertEqual(reason(file([(low, 0, 1), (low, 1, 1)])), "is damaged (its ids are out of order)")
        XCTAssertEqual(reason(file([(low, 99, 2)])), "is damaged (an object lies outside its pack)")
        XCTAssertEqual(reason(file([(low, 0, UInt64.max)])), "is damaged (an object lies outside its pack)")
        let claimsMore = BinaryWriter.sealed(magic: PackLookup.magic, version: PackLookup.version) { out in
            for _ in 0..<4 { out.put(UInt64(0)) }
            out.put(UInt32(1_000_000))
        }
        XCTAssertEqual(reason(claimsMore), "counts more records than it holds")
    }

    /// The fanout grows with the pack (about one id per slot): every id is found at its own
    /// record, none that is absent is, at either end of the id space too.
    func testALargeLookupFindsEveryIdItHoldsAndNoOther() throws {
        let edges = [String(repeating: "0", count: 64), String(repeating: "f", count: 64),
                     "0000" + String(repeating: "f", count: 60), "ffff" + String(repeating: "0", count: 60)]
        for count in [1, 255, 256, 5_000, 70_000] {
            var held = (0..<count).map { ObjectID.of(Array("held \($0)".utf8)) }
            held.replaceSubrange(0..<min(2, count), with: edges.prefix(min(2, count)).map { ObjectID(hex: $0)! })
            let records = held.sorted().enumerated().map { ($0.element, UInt64($0.offset), UInt64(1)) }
            let bytes = BinaryWriter.sealed(magic: PackLookup.magic, version: PackLookup.version) { out in
                out.put(UInt64(count)); out.put(UInt64(0)); out.put(UInt64(0)); out.put(UInt64(0))
                out.put(UInt32(records.count))
                for (id, offset, length) in records { out.put(raw: id.bytes); out.put(offset); out.put(length) }
            }
            let lookup = try PackLookup.decode(bytes)
            for (id, offset, _) in records { XCTAssertEqual(lookup.find(id)?.offset, Int64(offset), "\(count) ids") }
            let absent = (0..<2_000).map { ObjectID.of(Array("absent \($0)".utf8)) } + edges.suffix(2).map { ObjectID(hex: $0)! }
            XCTAssertEqual(absent.filter { lookup.find($0) != nil }, [], "\(count) ids")
        }
    }

    func testPackedObjectsAreReadBackVerifiedAndSeenByEveryQuery() throws {
        let ids = try pack(["alpha", "beta", "gamma"])
        // A fresh store (another process) finds them from the index on disk.
        let reopened = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        for s in [store!, reopened] {
            XCTAssertTrue(ids.allSatisfy(s.contains))
            XCTAssertEqual(try s.readVerified(ids[1]), Array("beta".utf8))
            XCTAssertEqual(s.size(of: ids[2]), 5)
            XCTAssertEqual(s.missing(from: Set(ids + [ObjectID.of(Array("delta".utf8))])), [ObjectID.of(Array("delta".utf8))])
            XCTAssertEqual(Set(try s.allObjects().map(\.id)), Set(ids))
        }
        XCTAssertEqual(try packFiles().count, 3, "one pack, its index and its lookup")
        XCTAssertTrue(try packFiles().allSatisfy { $0.hasSuffix(".pack") || $0.hasSuffix(".idx") || $0.hasSuffix(".ids") })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/tmp"), [], "no temporary left")
    }

    /// Objects are gathered in blocks before they are written: every object must land at the
    /// offset its index gives, whether it fills a block, spans past one, is larger than one,
    /// comes from another thread or follows a flush.
    func testObjectsWrittenInBlocksAreAllReadBackFromTheirOffsets() throws {
        let block = 64 << 10
        let builder = try store.packs.makeBuilder(blockSize: block)
        var generator = SystemRandomNumberGenerator()
        func object(_ size: Int) -> [UInt8] { (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        var objects = [object(block - 100), object(200), object(block + 12_345), object(7)]
        objects += (0..<600).map { _ in object(Int.random(in: 1...(block / 3))) }
        objects[300] = object(3 * block)
        let first = objects.prefix(4).map { $0 }, rest = Array(objects.dropFirst(4))
        for bytes in first { try bytes.withUnsafeBytes { try builder.append([(ObjectID.of(bytes), $0)]) } }
        try builder.flush()
        let failures = NSLock()
        var failed: [Error] = []
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for bytes in rest[(worker * 150)..<((worker + 1) * 150)] {
                do { try bytes.withUnsafeBytes { try builder.append([(ObjectID.of(bytes), $0)]) } } catch {
                    failures.withLock { failed.append(error) }
                }
            }
        }
        XCTAssertTrue(failed.isEmpty, "\(failed)")
        XCTAssertEqual(builder.count, objects.count)
        XCTAssertEqual(builder.bytes, Int64(objects.reduce(0) { $0 + $1.count }))
        try builder.commit()
        let reopened = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        for bytes in objects { XCTAssertEqual(try reopened.readVerified(ObjectID.of(bytes)), bytes) }
        let pack = try XCTUnwrap(packFiles().first { $0.hasSuffix(".pack") })
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/cache/packs/" + pack)[.size] as? Int
        XCTAssertEqual(size, objects.reduce(0) { $0 + $1.count }, "no gap and nothing past the last object")
    }

    func testADamagedPackedObjectIsReportedAndNeverReturned() throws {
        let ids = try pack(["payload-one", "payload-two"])
        let packPath = dir + "/cache/packs/" + (try packFiles().first { $0.hasSuffix(".pack") })!
        try damage(packPath, at: 2)
        let fresh = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        XCTAssertThrowsError(try fresh.readVerified(ids[0])) { XCTAssertEqual($0 as? StoreError, .corrupted(ids[0], path: packPath)) }
        XCTAssertEqual(try fresh.readVerified(ids[1]), Array("payload-two".utf8))
        let hasher = FileHasher()
        defer { hasher.release() }
        XCTAssertFalse(try fresh.verify(ids[0], hasher: hasher))
        XCTAssertEqual(fresh.location(of: ids[0]), packPath)
        // gc leaves a pack with a damaged live object alone rather than drop it.
        try fresh.remove(Set([ids[1]]))
        XCTAssertTrue(FileManager.default.fileExists(atPath: packPath))
    }

    func testGCRewritesAPackKeepingItsLiveObjects() throws {
        let ids = try pack(["keep-1", "drop-1", "keep-2"])
        let other = try pack(["drop-2", "drop-3"])
        let before = try packFiles()
        try store.remove(Set([ids[1]] + other))
        XCTAssertEqual(try store.readVerified(ids[0]), Array("keep-1".utf8))
        XCTAssertEqual(try store.readVerified(ids[2]), Array("keep-2".utf8))
        XCTAssertFalse(store.contains(ids[1]))
        XCTAssertFalse(other.contains(where: store.contains))
        XCTAssertEqual(try packFiles().count, 3, "one rewritten pack, its index and its lookup")
        XCTAssertTrue(Set(try packFiles()).isDisjoint(with: before), "both old packs are gone")
        let reopened = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        XCTAssertEqual(Set(try reopened.allObjects().map(\.id)), [ids[0], ids[2]])
    }

    func testAPackWithoutItsIndexDoesNotCountAndGCRemovesIt() throws {
        let ids = try pack(["lonely"])
        let index = try XCTUnwrap(try packFiles().first { $0.hasSuffix(".idx") })
        try FileManager.default.removeItem(atPath: dir + "/cache/packs/" + index)
        let fresh = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        XCTAssertFalse(fresh.contains(ids[0]))
        XCTAssertThrowsError(try fresh.readVerified(ids[0])) { XCTAssertEqual($0 as? StoreError, .missing(ids[0])) }
        // An index temporary of a process that no longer runs goes too.
        let leftover = dir + "/cache/packs/.\(ids[0].hex).idx.mlv-tmp-999999999-1"
        try Data("half an index".utf8).write(to: URL(fileURLWithPath: leftover))
        try fresh.remove(Set<ObjectID>())
        XCTAssertEqual(try packFiles(), [])
    }

    func testAnUncommittedPackLeavesNothingBehind() throws {
        do {
            let builder = try store.packs.makeBuilder()
            try Array("half".utf8).withUnsafeBytes { try builder.append([(ObjectID.of(Array("half".utf8)), $0)]) }
        }
        XCTAssertFalse(store.contains(ObjectID.of(Array("half".utf8))))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/tmp"), [])
        XCTAssertEqual(try packFiles(), [])
    }

    func testSmallPacksAreMergedIntoOneThatHoldsEveryObjectVerified() throws {
        var ids: [ObjectID] = []
        for round in 0..<5 { ids += try pack(["object \(round)-a", "object \(round)-b", "shared"]) }
        XCTAssertEqual(store.packs.count(), 5)
        let (merged, written) = try store.packs.consolidate()
        XCTAssertEqual(merged, 5)
        XCTAssertEqual(written, 1)
        XCTAssertEqual(try packFiles().count, 3, "one pack, its index and its lookup")
        let reopened = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        XCTAssertEqual(reopened.packs.count(), 1)
        XCTAssertEqual(Set(try reopened.allObjects().map(\.id)), Set(ids))
        XCTAssertEqual(try reopened.allObjects().count, 11, "the object held by every pack is kept once")
        for id in Set(ids) { XCTAssertEqual(ObjectID.of(try reopened.readVerified(id)), id) }
        // One pack left: nothing more to merge.
        XCTAssertEqual(try reopened.packs.consolidate().merged, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/cache/tmp"), [])
    }

    func testAMergeLeavesADamagedPackAloneForFsck() throws {
        let good = try pack(["good-1", "good-2"]) + (try pack(["good-3"]))
        let bad = try pack(["bad-1", "bad-2"])
        let badPack = try XCTUnwrap(store.location(of: bad[0]))
        try damage(badPack, at: 1)
        let fresh = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        XCTAssertEqual(try fresh.packs.consolidate().merged, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: badPack), "the damaged pack is not merged or deleted")
        XCTAssertEqual(fresh.location(of: bad[1]), badPack)
        for id in good { XCTAssertNotNil(try fresh.readVerified(id)) }
        XCTAssertEqual(fresh.packs.count(), 2)
    }

    func testAMergeInterruptedAfterItsNewPackLosesNothing() throws {
        // What a merge killed after installing its pack leaves: the old packs and the new one
        // holding the same objects. Everything reads; the next merge ends with one pack.
        let first = try pack(["one", "two"])
        let second = try pack(["three"])
        let builder = try store.packs.makeBuilder()
        for text in ["one", "two", "three"] { try Array(text.utf8).withUnsafeBytes { try builder.append([(ObjectID.of(Array(text.utf8)), $0)]) } }
        try builder.commit()
        // And a pack whose index was already deleted (killed between the two unlinks).
        let orphan = try pack(["orphan"])
        let orphanPack = try XCTUnwrap(store.location(of: orphan[0]))
        try FileManager.default.removeItem(atPath: String(orphanPack.dropLast(".pack".count)) + ".idx")
        let fresh = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        XCTAssertEqual(fresh.packs.count(), 3, "a pack without its index is not counted")
        for id in first + second { XCTAssertNotNil(try fresh.readVerified(id)) }
        try fresh.remove(Set<ObjectID>())
        XCTAssertEqual(try fresh.packs.consolidate().merged, 3)
        let after = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        XCTAssertEqual(after.packs.count(), 1)
        XCTAssertEqual(try packFiles().count, 3, "the orphan's lookup went with it")
        XCTAssertEqual(Set(try after.allObjects().map(\.id)), Set(first + second))
    }
}
