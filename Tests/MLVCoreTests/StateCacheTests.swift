@testable import MLVCore
import XCTest

final class StateCacheTests: XCTestCase {
    func testRemembersByStatAndSkipsRacyEntries() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        let st = try XCTUnwrap(FileSystem.lstatFile(dir + "/f"))
        let id = ObjectID.of(Array("x".utf8))
        let cache = StateCache(file: dir + "/state")
        cache.record("f", stat: st, id: id, hashedAt: st.mtimeNanoseconds + 1)
        XCTAssertNil(cache.id(for: "f", stat: st), "a file hashed in the same instant it was written is not trusted")
        cache.record("f", stat: st, id: id, hashedAt: st.mtimeNanoseconds + 5_000_000_000)
        XCTAssertEqual(cache.id(for: "f", stat: st), id)
        try cache.save()
        let reloaded = StateCache(file: dir + "/state")
        XCTAssertEqual(reloaded.id(for: "f", stat: st), id)
        try Data("xy".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        XCTAssertNil(reloaded.id(for: "f", stat: try XCTUnwrap(FileSystem.lstatFile(dir + "/f"))), "a changed size invalidates")
    }

    func testCorruptStateFileIsIgnoredNotFatal() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("garbage line\n1 2 3\n".utf8).write(to: URL(fileURLWithPath: dir + "/state"))
        let cache = StateCache(file: dir + "/state")
        XCTAssertNil(cache.id(for: "garbage", stat: try XCTUnwrap(FileSystem.lstatFile(dir + "/state"))))
    }

    /// A saved index with two entries, and its bytes.
    private func savedIndex(in dir: String) throws -> (FileStat, ObjectID, [UInt8]) {
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        let st = try XCTUnwrap(FileSystem.lstatFile(dir + "/f"))
        let id = ObjectID.of(Array("x".utf8))
        let cache = StateCache(file: dir + "/state")
        cache.record("f", stat: st, id: id, hashedAt: Int64.max)
        cache.record("dir/é g", stat: st, id: id, hashedAt: Int64.max)
        try cache.save()
        return (st, id, Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/state"))))
    }

    /// `DIR/f` holding "x": its stat and id.
    private func fileX(in dir: String) throws -> (FileStat, ObjectID) {
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        return (try XCTUnwrap(FileSystem.lstatFile(dir + "/f")), ObjectID.of(Array("x".utf8)))
    }

    private func temporaryFolder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func testTheIndexIsBinaryAndReadsBackExactly() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (st, id, bytes) = try savedIndex(in: dir)
        XCTAssertEqual(Array(bytes.prefix(8)), Array("MLVSTATE".utf8))
        // Header 16; a table of two folders ("" and "dir": 42 bytes each plus the name) and its
        // seal; then the two blocks: a 58-byte record each plus the name in its folder.
        XCTAssertEqual(bytes.count, 16 + 42 + (42 + 3) + 32 + (58 + 1) + (58 + 4))
        let reloaded = StateCache(file: dir + "/state")
        XCTAssertNil(reloaded.problem)
        XCTAssertEqual(reloaded.id(for: "f", stat: st), id)
        XCTAssertEqual(reloaded.id(for: "dir/é g", stat: st), id)
    }

    func testATruncatedAlteredOrNewerIndexIsNeverTrusted() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (st, _, bytes) = try savedIndex(in: dir)
        var altered = bytes
        altered[30] ^= 1
        var newer = bytes
        newer[8] = 4
        var overCounting = bytes
        overCounting[12] = 200
        let cases: [([UInt8], String)] = [
            (Array(bytes.dropLast(5)), "is damaged (truncated or altered: its length does not match)"),
            (bytes + [0], "is damaged (truncated or altered: its length does not match)"),
            (Array(bytes.prefix(20)), "is truncated"),
            (Array(bytes.prefix(110)), "is truncated"),
            (altered, "is damaged (truncated or altered: its checksum does not match)"),
            (overCounting, "is damaged (it claims 200 folders)"),
            (newer, "was written by a newer mlv (format 4)"),
        ]
        for (content, reason) in cases {
            try Data(content).write(to: URL(fileURLWithPath: dir + "/state"))
            let cache = StateCache(file: dir + "/state")
            XCTAssertEqual(cache.problem, "\(dir)/state \(reason); it was ignored and is rebuilt from scratch (files are hashed again)")
            XCTAssertNil(cache.id(for: "f", stat: st))
            try cache.save()
            let rebuilt = StateCache(file: dir + "/state")
            XCTAssertNil(rebuilt.problem, "the save rewrote it whole")
        }
    }

    func testADamagedFolderBlockLosesOnlyThatFoldersRecords() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (st, id, bytes) = try savedIndex(in: dir)
        var altered = bytes
        altered[altered.count - 2] ^= 1 // inside the last block, the one of folder "dir"
        try Data(altered).write(to: URL(fileURLWithPath: dir + "/state"))
        let heard = Heard()
        let cache = StateCache(file: dir + "/state") { heard.add($0) }
        XCTAssertEqual(cache.id(for: "f", stat: st), id, "the other folder's block still counts")
        XCTAssertNil(cache.problem)
        XCTAssertEqual(heard.messages, [])
        XCTAssertNil(cache.id(for: "dir/é g", stat: st))
        XCTAssertEqual(heard.messages, ["\(dir)/state is damaged (the records of folder 'dir' do not match their checksum); they were ignored and are rebuilt (those files are hashed again)"])
        cache.record("dir/é g", stat: st, id: id, hashedAt: Int64.max)
        try cache.save()
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/state"))), bytes, "rebuilt to the same bytes")
    }

    func testASaveCopiesTheFoldersItDidNotReadAndRewritesTheOnesItChanged() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (st, id, _) = try savedIndex(in: dir)
        let other = ObjectID.of(Array("y".utf8))
        let cache = StateCache(file: dir + "/state")
        cache.record("new/file", stat: st, id: other, hashedAt: Int64.max)
        cache.forget("f")
        try cache.save()
        let reloaded = StateCache(file: dir + "/state")
        XCTAssertEqual(reloaded.id(for: "dir/é g", stat: st), id, "copied without being read")
        XCTAssertEqual(reloaded.id(for: "new/file", stat: st), other)
        XCTAssertNil(reloaded.id(for: "f", stat: st))
        XCTAssertNil(reloaded.problem)
    }

    func testTheFlatFormatTwoIsReadAndRewrittenByFolder() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (st, id) = try fileX(in: dir)
        var flat = Array("MLVSTATE".utf8)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { flat.append(contentsOf: $0) } }
        put(UInt32(2)); put(UInt32(1))
        put(st.inode); put(st.size); put(st.mtimeNanoseconds)
        flat += id.bytes
        put(UInt16(5)); flat += Array("a/b/f".utf8)
        flat += ObjectID.of(flat).bytes
        try Data(flat).write(to: URL(fileURLWithPath: dir + "/state"))
        let old = StateCache(file: dir + "/state")
        XCTAssertEqual(old.id(for: "a/b/f", stat: st), id)
        XCTAssertNil(old.problem)
        try old.save()
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/state")))
        XCTAssertEqual(Array(bytes[8..<12]), [3, 0, 0, 0], "written back as format 3")
        XCTAssertEqual(StateCache(file: dir + "/state").id(for: "a/b/f", stat: st), id)
    }

    func testTheTextFormOfEarlierVersionsIsReadAndRewritten() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (st, id) = try fileX(in: dir)
        try Data("\(st.inode) \(st.size) \(st.mtimeNanoseconds) \(id.hex) f\n".utf8).write(to: URL(fileURLWithPath: dir + "/state"))
        let old = StateCache(file: dir + "/state")
        XCTAssertEqual(old.id(for: "f", stat: st), id)
        try old.save()
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/state")).prefix(8)), Array("MLVSTATE".utf8))
        XCTAssertEqual(StateCache(file: dir + "/state").id(for: "f", stat: st), id)
    }

    func testPresenceProofsHoldOnlyForTheirGeneration() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = ObjectStore(root: dir + "/cache", temporaryDirectory: dir + "/cache/tmp")
        let batch = ObjectBatch()
        let id = try store.ingest(bytes: Array("kept".utf8), batch: batch)
        try batch.commit()
        let generation = CacheGeneration(store: store)
        XCTAssertNil(generation.current(), "a folder changed within the racy window proves nothing")
        usleep(50_000)
        let first = try XCTUnwrap(generation.current())
        XCTAssertEqual(generation.current(), first, "stable while nothing is deleted")
        let proofs = PresenceProofs(file: dir + "/present", generation: first)
        proofs.record(id)
        try proofs.save()
        XCTAssertTrue(PresenceProofs(file: dir + "/present", generation: generation.current()).isProven(id))
        // A gc deletion moves the generation first: every proof is void.
        try store.remove(Set([ObjectID.of(Array("other".utf8))]))
        let second = try XCTUnwrap(generation.current())
        XCTAssertNotEqual(second, first)
        XCTAssertFalse(PresenceProofs(file: dir + "/present", generation: second).isProven(id))
        // So does an object deleted by hand: its folder's time moves.
        let again = PresenceProofs(file: dir + "/present", generation: second)
        again.record(id)
        try again.save()
        XCTAssertTrue(PresenceProofs(file: dir + "/present", generation: generation.current()).isProven(id))
        unlink(store.path(for: id))
        usleep(50_000)
        XCTAssertNotEqual(generation.current(), second)
        XCTAssertFalse(PresenceProofs(file: dir + "/present", generation: generation.current()).isProven(id))
        // A cache folder deleted and made again gets a new token, so an old proof never matches.
        try FileManager.default.removeItem(atPath: dir + "/cache")
        let fresh = try XCTUnwrap(generation.current())
        XCTAssertNotEqual(fresh.split(separator: " ")[0], first.split(separator: " ")[0])
    }
}

/// Collects the warnings a cache gives.
private final class Heard: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ message: String) { lock.withLock { list.append(message) } }
    var messages: [String] { lock.withLock { list } }
}
