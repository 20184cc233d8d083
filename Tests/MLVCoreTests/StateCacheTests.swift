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
}
