@testable import MLVCore
import XCTest

final class ObjectStoreTests: XCTestCase {
    var dir = ""
    var store: ObjectStore!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        store = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func testIngestSmallAndLargeFilesMatchesSHA256AndIsReadOnly() throws {
        let small = Array("hello".utf8)
        var large = [UInt8](repeating: 0, count: FileHasher.blockSize * 2 + 17)
        for i in large.indices { large[i] = UInt8(truncatingIfNeeded: i &* 31) }
        try Data(small).write(to: URL(fileURLWithPath: dir + "/small"))
        try Data(large).write(to: URL(fileURLWithPath: dir + "/large"))
        let batch = ObjectBatch()
        let hasher = FileHasher()
        defer { hasher.release() }
        let s = try store.ingest(file: dir + "/small", hasher: hasher, batch: batch)
        let l = try store.ingest(file: dir + "/large", hasher: hasher, batch: batch)
        XCTAssertEqual(s.id.hex, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        XCTAssertEqual(l.id, ObjectID.of(large))
        XCTAssertEqual(l.size, Int64(large.count))
        XCTAssertFalse(store.contains(s.id), "not visible before commit")
        try batch.commit()
        XCTAssertTrue(store.contains(s.id) && store.contains(l.id))
        XCTAssertEqual(try store.readVerified(s.id), small)
        let mode = try FileManager.default.attributesOfItem(atPath: store.path(for: l.id))[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o444)
        XCTAssertEqual(Set(try store.allObjects().map(\.id)), [s.id, l.id])
        XCTAssertEqual(temporaries(), [])
    }

    /// A store remembers shard folders it found missing; objects it then stores there, small,
    /// large or fetched, are still seen, by this store and by another.
    func testObjectsStoredWhereAShardWasFoundMissingAreSeen() throws {
        let small = Array("small object".utf8)
        var large = [UInt8](repeating: 0, count: FileHasher.blockSize + 5)
        for i in large.indices { large[i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 9) }
        try Data(large).write(to: URL(fileURLWithPath: dir + "/large"))
        let smallID = ObjectID.of(small), largeID = ObjectID.of(large)
        XCTAssertFalse(store.contains(smallID) || store.contains(largeID), "asked before their folders exist")
        store.removeAbandonedTemporaries()
        let batch = ObjectBatch(), hasher = FileHasher()
        defer { hasher.release() }
        XCTAssertEqual(try store.ingest(bytes: small, batch: batch), smallID)
        XCTAssertEqual(try store.ingest(file: dir + "/large", hasher: hasher, batch: batch).id, largeID)
        try batch.commit()
        for reader in [store!, ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")] {
            XCTAssertTrue(reader.contains(smallID) && reader.contains(largeID))
            XCTAssertEqual(reader.missing(from: [smallID, largeID]), [])
            XCTAssertEqual(try reader.readVerified(smallID), small)
        }
    }

    /// Temporary object files anywhere in the cache.
    func temporaries() -> [String] {
        (FileManager.default.enumerator(atPath: dir + "/cache")?.compactMap { $0 as? String } ?? [])
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(ObjectStore.temporaryPrefix) }
    }

    func testExistingObjectsAreNotWrittenAgainAndDiscardCleansUp() throws {
        try Data("same".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        let hasher = FileHasher()
        defer { hasher.release() }
        let first = ObjectBatch()
        _ = try store.ingest(file: dir + "/f", hasher: hasher, batch: first)
        try first.commit()
        let second = ObjectBatch()
        _ = try store.ingest(file: dir + "/f", hasher: hasher, batch: second)
        XCTAssertEqual(second.count, 0)
        let third = ObjectBatch()
        _ = try store.ingest(bytes: Array("other".utf8), batch: third)
        XCTAssertEqual(third.count, 1)
        XCTAssertEqual(temporaries().count, 1)
        third.discard()
        XCTAssertEqual(temporaries(), [])
    }

    func testCorruptionIsDetected() throws {
        let batch = ObjectBatch()
        let id = try store.ingest(bytes: Array("payload".utf8), batch: batch)
        try batch.commit()
        chmod(store.path(for: id), 0o644)
        try Data("PAYLOAD".utf8).write(to: URL(fileURLWithPath: store.path(for: id)))
        let hasher = FileHasher()
        defer { hasher.release() }
        XCTAssertFalse(try store.verify(id, hasher: hasher))
        XCTAssertThrowsError(try store.readVerified(id)) { XCTAssertEqual($0 as? StoreError, .corrupted(id, path: store.path(for: id))) }
        try store.remove(id)
        XCTAssertThrowsError(try store.readVerified(id)) { XCTAssertEqual($0 as? StoreError, .missing(id)) }
    }
}
