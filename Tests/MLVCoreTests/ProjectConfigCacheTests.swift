@testable import MLVCore
import MLVGit
import XCTest

/// The remembered parse of `.mlvconfig` and `.mlv/config` is used only for the exact file
/// versions it was made from.
final class ProjectConfigCacheTests: XCTestCase {
    var root = ""
    var record: String { root + "/.mlv/state/config" }
    var local: String { root + "/.mlv/config" }

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("conf-\(UUID().uuidString)").resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        _ = try Repository.create(at: root)
        _ = try initialize(at: root)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Waits out the window in which a just-written file could change without its stamp changing.
    func leaveRacyWindow() { usleep(60_000) }

    func linkMode() throws -> LinkMode { try Project.open(from: root).config.linkMode }

    func testRecordIsWrittenOnceFilesSettleAndFollowsEveryEdit() throws {
        try write("[core]\n\tlinkMode = hardlink\n", to: local)
        XCTAssertEqual(try linkMode(), .hardlink)
        XCTAssertFalse(FileManager.default.fileExists(atPath: record), "a file written just now is racy: no record")
        leaveRacyWindow()
        XCTAssertEqual(try linkMode(), .hardlink)
        let recorded = try XCTUnwrap(FileManager.default.contents(atPath: record))
        XCTAssertEqual(try linkMode(), .hardlink)
        XCTAssertEqual(FileManager.default.contents(atPath: record), recorded, "an unchanged config is read from the record")

        // Same size, mtime set back: the inode or ctime still tell the edit.
        var before = stat()
        stat(local, &before)
        try write("[core]\n\tlinkMode = symlink\n", to: local)
        var times = [before.st_atim, before.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, local, &times, 0), 0)
        XCTAssertEqual(try linkMode(), .symlink)

        // An edit that breaks the file is an error, not the remembered value.
        leaveRacyWindow()
        XCTAssertEqual(try linkMode(), .symlink)
        try write("[core]\n\tlinkMode = sideways\n", to: local)
        XCTAssertThrowsError(try linkMode()) { error in
            XCTAssertEqual((error as? ConfigError)?.reason, "core.linkMode is `sideways`; expected one of auto, reflink, copy, hardlink, symlink")
        }
        try FileManager.default.removeItem(atPath: local)
        XCTAssertEqual(try linkMode(), .auto)
    }

    func testDamagedOrNewerRecordIsParsedAfresh() throws {
        try write("[core]\n\tlinkMode = copy\n", to: local)
        leaveRacyWindow()
        XCTAssertEqual(try linkMode(), .copy)
        let good = try XCTUnwrap(FileManager.default.contents(atPath: record))
        // A record claiming another value for the same stamps, with a valid checksum, is what
        // mlv itself would trust; a flipped byte, a cut, or a newer version is not.
        // The flipped byte says `core.cache` is set (to ""): a record that still decodes, so
        // only its checksum refuses it.
        var flipped = [UInt8](good)
        let hasCache = ProjectConfigCache.magic.count + 4 + 4 + 2 * 32
        XCTAssertEqual(flipped[hasCache], 0)
        flipped[hasCache] = 1
        var newer = [UInt8](good)
        newer[8] = 2
        for damaged in [flipped, Array(good.prefix(20)), newer, []] {
            try Data(damaged).write(to: URL(fileURLWithPath: record))
            XCTAssertEqual(try linkMode(), .copy)
            XCTAssertEqual(FileManager.default.contents(atPath: record), good, "rewritten after a fresh parse")
        }
    }

    func testRecordDecodesOnlyForItsOwnStamps() throws {
        var config = ProjectConfig()
        config.cacheDirectory = "/srv/cache"
        config.linkMode = .reflink
        var stamp = ProjectConfigCache.Stamp()
        stamp.inode = 7; stamp.size = 40; stamp.mtime = 1; stamp.ctime = 2
        let bytes = ProjectConfigCache.encode(config, stamps: [stamp, .init()])
        let decoded = try ProjectConfigCache.decode(bytes, matching: [stamp, .init()])
        XCTAssertEqual(decoded.cacheDirectory, "/srv/cache")
        XCTAssertEqual(decoded.linkMode, .reflink)
        var other = stamp
        other.ctime = 3
        XCTAssertThrowsError(try ProjectConfigCache.decode(bytes, matching: [other, .init()]))
    }
}
