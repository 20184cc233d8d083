import Foundation

/// What a remote holds, learned from its pack indexes. Indexes are immutable (named by their
/// pack's id), so each is downloaded once and kept in `.mlv/remotes/NAME/indexes`.
final class RemoteCatalog {
    /// Where an item's bytes are on the remote.
    struct Location {
        let packKey: String
        let entry: PackIndex.Entry
    }

    static let packPrefix = "packs/"
    static let markerKey = "mlv-remote"
    static let marker = Array("mlv-remote 1\n".utf8)
    /// Present on the remote while a `gc --cloud` removes packs (and after one that was cut
    /// off, until the next completes): pushes then check every object, not just the nodes.
    static let collectionKey = "packs/gc-underway"

    /// Every pack with an index, by key.
    private(set) var packs: [String: PackIndex] = [:]
    /// The same packs in the order they were read, numbered for `slots`.
    private var numbered: [(key: String, index: PackIndex)] = []
    /// Where each item is: its pack's number (high 32 bits) and its entry's position in that
    /// pack's index. Eight bytes per item, where a `Location` per item cost ten times that at
    /// a million files.
    private var slots: [ObjectID: UInt64] = [:]
    /// Packs on the remote without an index (an interrupted push): invisible to readers.
    private(set) var orphanPacks: [RemoteObject] = []
    private(set) var warnings: [String] = []
    /// Whether a `gc --cloud` is removing packs or was cut off (`collectionKey`).
    private(set) var collectionUnderway = false

    /// Lists the remote's packs and reads every index not cached yet.
    /// Where indexes are cached (`.mlv/remotes/NAME/indexes`).
    let cacheDirectory: String

    init(remote: RemoteStore, cacheDirectory: String) throws {
        self.cacheDirectory = cacheDirectory
        // Listed without the trailing slash: some S3 servers (moto) mis-sign an encoded `/`
        // in a query; the slash is checked here instead.
        let listing = try remote.list(prefix: String(RemoteCatalog.packPrefix.dropLast())).filter { $0.key.hasPrefix(RemoteCatalog.packPrefix) }
        let keys = Set(listing.map(\.key))
        // An index's stated pack size must be the pack's real size: it bounds every range read.
        let packSizes = Dictionary(listing.map { ($0.key, $0.size) }, uniquingKeysWith: { first, _ in first })
        try FileSystem.createDirectory(cacheDirectory)
        var valid: [(key: String, index: PackIndex)] = []
        for object in listing where object.key.hasSuffix(".idx") {
            let name = PathName.lastComponent(of: object.key)
            // The name becomes a local file name: only `<64 hex>.idx` is an index.
            guard name.utf8.count == 68, ObjectID(hex: String(name.dropLast(4))) != nil else {
                warnings.append(RemoteError.malformedIndex(remote: remote.displayName, key: object.key, reason: "its name is not <id>.idx").description)
                continue
            }
            guard object.size >= 0, object.size <= PackIndex.maximumBytes else {
                warnings.append(RemoteError.malformedIndex(remote: remote.displayName, key: object.key, reason: "it is \(object.size) bytes, more than an index can be").description)
                continue
            }
            let cached = cacheDirectory + "/" + name
            var bytes: [UInt8]
            if let local = try? FileSystem.readFile(cached, limit: Int(PackIndex.maximumBytes)), local.count == Int(object.size) {
                bytes = local
            } else {
                bytes = try remote.get(object.key, range: 0..<object.size)
            }
            let index: PackIndex
            do {
                index = try PackIndex.parse(bytes)
            } catch let problem as PackIndex.IndexProblem {
                warnings.append(RemoteError.malformedIndex(remote: remote.displayName, key: object.key, reason: problem.reason).description)
                continue
            }
            let packKey = String(object.key.dropLast(4)) + ".pack"
            guard name == index.pack.hex + ".idx", keys.contains(packKey), packSizes[packKey] == index.packSize else {
                warnings.append(RemoteError.malformedIndex(remote: remote.displayName, key: object.key, reason: "its pack \(packKey) is missing, misnamed or not the size the index states").description)
                continue
            }
            if !FileSystem.exists(cached) { try? FileSystem.writeAtomically(bytes, to: cached) }
            valid.append((packKey, index))
        }
        // Sized once: growing a million-item table by doubling holds two copies at its peak.
        slots.reserveCapacity(valid.reduce(0) { $0 + $1.index.entries.count })
        for (key, index) in valid { insert(index, key: key) }
        orphanPacks = listing.filter { $0.key.hasSuffix(".pack") && packs[$0.key] == nil }
        collectionUnderway = keys.contains(RemoteCatalog.collectionKey)
    }

    /// Whether the remote can supply these bytes: as a whole object, a chunk (the same bytes
    /// under the same id), or a chunk list for a large file.
    func has(_ id: ObjectID) -> Bool { slots[id] != nil }

    /// Where the remote holds `id`, when it does (the first pack read that lists it).
    func location(of id: ObjectID) -> Location? {
        guard let slot = slots[id] else { return nil }
        let pack = numbered[Int(slot >> 32)]
        return Location(packKey: pack.key, entry: pack.index.entries[Int(slot & 0xffff_ffff)])
    }

    private func insert(_ index: PackIndex, key: String) {
        packs[key] = index
        let number = UInt64(numbered.count) << 32
        numbered.append((key, index))
        for (position, entry) in index.entries.enumerated() where slots[entry.id] == nil {
            slots[entry.id] = number | UInt64(position)
        }
    }

    /// Caches the index of a pack this process uploaded, so the next command (and the
    /// pre-push hook's offline check) knows the remote has its items without asking.
    func remember(_ indexBytes: [UInt8], name: String) {
        try? FileSystem.writeAtomically(indexBytes, to: cacheDirectory + "/" + name)
    }

    /// Records a pack this process uploaded, so later lookups in the same run see it.
    func add(_ index: PackIndex, key: String) { insert(index, key: key) }
}

extension RemoteCatalog {
    /// What the locally cached indexes say the remote holds, without asking the remote (packs
    /// are immutable; only `gc --cloud` removes them).
    static func cachedIDs(in cacheDirectory: String) -> Set<ObjectID> {
        var ids = Set<ObjectID>()
        for name in (try? FileSystem.listDirectory(cacheDirectory)) ?? [] where name.hasSuffix(".idx") {
            guard let bytes = try? FileSystem.readFile(cacheDirectory + "/" + name, limit: Int(PackIndex.maximumBytes)),
                  let index = try? PackIndex.parse(bytes) else { continue }
            for entry in index.entries { ids.insert(entry.id) }
        }
        return ids
    }
}
