@testable import MLVCore
import XCTest

/// A directory remote whose pack uploads take longer the earlier the pack was filled, and
/// which records the order in which pack indexes appear (an index makes a pack count).
private final class SlowFirstRemote: RemoteStore, @unchecked Sendable {
    let inner: LocalRemote
    private let lock = NSLock()
    private var packsStarted = 0
    private(set) var indexesPublished: [String] = []

    init(root: String) { inner = LocalRemote(name: "slow", root: root) }

    var displayName: String { inner.displayName }
    var requestCount: Int { inner.requestCount }
    func list(prefix: String) throws -> [RemoteObject] { try inner.list(prefix: prefix) }
    func get(_ key: String, range: Range<Int64>?) throws -> [UInt8] { try inner.get(key, range: range) }
    func delete(_ key: String) throws { try inner.delete(key) }
    func put(_ key: String, fromFile path: String) throws {
        let started = lock.withLock { packsStarted += 1; return packsStarted }
        // The first pack's upload is the slowest: finishing order is the reverse of filling.
        usleep(UInt32(max(0, 6 - started)) * 40_000)
        try inner.put(key, fromFile: path)
    }
    func put(_ key: String, bytes: [UInt8]) throws {
        try inner.put(key, bytes: bytes)
        if key.hasSuffix(".idx") { lock.withLock { indexesPublished.append(key) } }
    }
}

final class PackWriterTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("packwriter-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/remote", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Fills five packs of two items each and returns, per published index, the ids of the
    /// items it lists, in the order the indexes appeared on the remote.
    private func publish(inOrder: Bool) throws -> (published: [[ObjectID]], filled: [[ObjectID]]) {
        let remote = SlowFirstRemote(root: dir + "/remote-\(inOrder)")
        try FileManager.default.createDirectory(atPath: dir + "/remote-\(inOrder)", withIntermediateDirectories: true)
        let catalog = try RemoteCatalog(remote: remote, cacheDirectory: dir + "/catalog-\(inOrder)")
        let writer = PackWriter(remote: remote, catalog: catalog, temporaryDirectory: dir + "/tmp", concurrentUploads: 4, packSize: 1000)
        writer.publishesInOrder = inOrder
        var filled: [[ObjectID]] = []
        for pack in 0..<5 {
            var ids: [ObjectID] = []
            for item in 0..<2 {
                let bytes = [UInt8](repeating: UInt8(pack * 2 + item + (inOrder ? 100 : 0)), count: 600)
                let id = ObjectID.of(bytes)
                try bytes.withUnsafeBytes { try writer.append(id, kind: .object, bytes: $0) }
                ids.append(id)
            }
            filled.append(ids)
        }
        try writer.flush()
        XCTAssertEqual(writer.packsSent, 5)
        let published = try remote.indexesPublished.map { key -> [ObjectID] in
            try PackIndex.parse(try remote.get(key, range: nil)).entries.map(\.id)
        }
        return (published, filled)
    }

    func testNodePacksArePublishedInTheOrderTheyWereFilled() throws {
        let ordered = try publish(inOrder: true)
        XCTAssertEqual(ordered.published, ordered.filled)
        // Without the rule, the slow first upload lets later packs count first: the rule is
        // what makes the order, not the remote.
        let unordered = try publish(inOrder: false)
        XCTAssertEqual(Set(unordered.published.map { Set($0) }), Set(unordered.filled.map { Set($0) }))
        XCTAssertNotEqual(unordered.published, unordered.filled)
    }
}
