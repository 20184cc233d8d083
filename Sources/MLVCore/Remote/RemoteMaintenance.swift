import Crypto
import Foundation

/// One problem `mlv fsck --remote` found.
public struct RemoteProblem: Sendable, Equatable {
    public enum Kind: String, Sendable { case corrupted, missing, malformed }
    public let kind: Kind
    /// The remote key it concerns (a pack or an index), empty for objects the remote lacks.
    public let key: String
    public let object: String
    public let detail: String
}

/// The outcome of checking a remote.
public struct RemoteCheck: Sendable, Equatable {
    public var remote = ""
    public var packs = 0
    public var entries = 0
    public var bytes: Int64 = 0
    public var problems: [RemoteProblem] = []
}

/// Downloads every pack of a remote and checks each item against its id, each chunk list
/// against its chunks, and that the remote has what the work tree and HEAD need
/// (`mlv fsck --remote NAME`).
public func checkRemote(_ name: String?, cwd: String, project: Project) throws -> RemoteCheck {
    let (settings, remote, catalog) = try openCatalog(name, project: project)
    var check = RemoteCheck(remote: settings.name)
    for warning in catalog.warnings { check.problems.append(RemoteProblem(kind: .malformed, key: "", object: "", detail: warning)) }
    let fetcher = Fetcher(remote: remote, catalog: catalog, store: project.store)
    var transfer = TransferResult()
    for key in catalog.packs.keys.sorted() {
        let index = catalog.packs[key]!
        check.packs += 1
        var problems: [RemoteProblem] = []
        var lists: [(ObjectID, [UInt8])] = []
        let locations = index.entries.map { RemoteCatalog.Location(packKey: key, entry: $0) }
        do {
            try fetcher.readMerged(locations, result: &transfer) { location, bytes in
                check.entries += 1
                if location.entry.kind == .chunkList {
                    lists.append((location.entry.id, Array(bytes)))
                } else if ObjectID(digest: SHA256.hash(data: bytes)) != location.entry.id {
                    problems.append(RemoteProblem(kind: .corrupted, key: key, object: location.entry.id.hex, detail: "bytes do not match the id"))
                }
            }
        } catch let error as RemoteError {
            problems.append(RemoteProblem(kind: .corrupted, key: key, object: "", detail: error.description))
        }
        for (id, bytes) in lists {
            guard let list = try? ChunkList.parse(bytes) else {
                problems.append(RemoteProblem(kind: .corrupted, key: key, object: id.hex, detail: "chunk list is malformed"))
                continue
            }
            for chunk in list.chunks where !catalog.has(chunk.id) {
                problems.append(RemoteProblem(kind: .missing, key: key, object: chunk.id.hex, detail: "chunk of \(id.short) is on no pack"))
            }
        }
        check.problems += problems
    }
    check.bytes = transfer.bytes
    let collector = try collectForTransfer(TransferOptions(), cwd: cwd, project: project, recordingPaths: true)
    for id in collector.objects.keys.sorted() where !catalog.has(id) {
        check.problems.append(RemoteProblem(kind: .missing, key: "", object: id.hex,
                                            detail: "needed by \(collector.users(of: id).first ?? "the work tree"); run `mlv push`"))
    }
    return check
}

/// What `mlv gc --cloud` removed or would remove.
public struct RemoteGCResult: Sendable, Equatable {
    public var remote = ""
    public var packsDeleted = 0
    public var packsRewritten = 0
    public var bytesFreed: Int64 = 0
    public var entriesDropped = 0
    public var dryRun = false
}

/// Removes remote data nothing in `scope` references (`mlv gc --cloud`). Packs with no live
/// item are deleted; packs that are mostly dead are rewritten with their live items, the new
/// pack uploaded before the old one is removed. Dangerous when several repositories share the
/// remote: what only another repository uses is deleted too.
public func collectRemoteGarbage(_ name: String?, scope: GCScope, dryRun: Bool, keepExperiments: Bool = true, project: Project) throws -> RemoteGCResult {
    let (settings, remote, catalog) = try openCatalog(name, project: project)
    var collector = ReferenceCollector(project: project)
    try collector.addScope(scope, keepExperiments: keepExperiments)
    if let missing = collector.missingManifests.first { throw GCError.manifestMissing(path: missing.usedBy, id: missing.id) }
    var live = Set(collector.objects.keys)
    let fetcher = Fetcher(remote: remote, catalog: catalog, store: project.store)
    var transfer = TransferResult()
    // A chunk list must never outlive its chunks: the chunks of every list that stays on the
    // remote are live, whether the list is (a pack kept whole keeps its dead lists too). Keeping
    // chunks can keep more packs whole, so this runs until nothing changes.
    var listsRead = Set<ObjectID>()
    func keepChunks(of lists: [RemoteCatalog.Location]) throws {
        let fresh = lists.filter { listsRead.insert($0.entry.id).inserted }
        try fetcher.readMerged(fresh, result: &transfer) { location, bytes in
            guard let list = try? ChunkList.parse(Array(bytes)) else {
                throw RemoteError.corrupted(remote: remote.displayName, key: location.packKey, object: location.entry.id.hex)
            }
            live.formUnion(list.chunks.map(\.id))
        }
    }
    try keepChunks(of: live.compactMap { catalog.location(of: $0) }.filter { $0.entry.kind == .chunkList })
    while true {
        var surviving: [RemoteCatalog.Location] = []
        for (key, index) in catalog.packs {
            let keptWhole = PackFate(index, live: live).action == .keep
            for entry in index.entries where entry.kind == .chunkList && (keptWhole || live.contains(entry.id)) && !listsRead.contains(entry.id) {
                surviving.append(RemoteCatalog.Location(packKey: key, entry: entry))
            }
        }
        if surviving.isEmpty { break }
        try keepChunks(of: surviving)
    }
    var result = RemoteGCResult(remote: settings.name, dryRun: dryRun)
    if !dryRun, let directory = remote as? LocalRemote { directory.removeAbandonedTemporaries(in: "packs") }
    let writer = PackWriter(remote: remote, catalog: catalog, temporaryDirectory: project.store.temporaryDirectory)
    // Packs go in any order, so a node may briefly outlive the files it lists: pushes must not
    // take a node as proof of what is beneath it until this gc has finished.
    let removes = catalog.packs.values.contains { PackFate($0, live: live).action != .keep }
    if !dryRun && removes { try remote.put(RemoteCatalog.collectionKey, bytes: Array("mlv gc --cloud\n".utf8)) }
    for (key, index) in catalog.packs.sorted(by: { $0.key < $1.key }) {
        let fate = PackFate(index, live: live)
        let keep = fate.live, liveBytes = fate.liveBytes
        let indexKey = String(key.dropLast(5)) + ".idx"
        switch fate.action {
        case .delete:
            result.packsDeleted += 1
        case .rewrite:
            result.packsRewritten += 1
            if !dryRun {
                let locations = keep.map { RemoteCatalog.Location(packKey: key, entry: $0) }
                try fetcher.readMerged(locations, result: &transfer) { location, bytes in
                    guard ObjectID(digest: SHA256.hash(data: bytes)) == location.entry.id || location.entry.kind == .chunkList else {
                        throw RemoteError.corrupted(remote: remote.displayName, key: key, object: location.entry.id.hex)
                    }
                    try writer.appendForRewrite(location.entry.id, kind: location.entry.kind, bytes: bytes)
                }
                try writer.flush()
            }
        case .keep:
            continue
        }
        result.bytesFreed += index.packSize - liveBytes
        result.entriesDropped += index.entries.count - keep.count
        if !dryRun {
            try remote.delete(indexKey)
            try remote.delete(key)
        }
    }
    if !dryRun && (removes || catalog.collectionUnderway) { try remote.delete(RemoteCatalog.collectionKey) }
    return result
}

/// What `gc --cloud` does with one pack, from the items still live in it: delete it (none
/// live), rewrite its live items into a new pack (under half its bytes live), or keep it whole.
/// The chunk-list fixed point and the deletions use this one rule.
struct PackFate {
    enum Action { case delete, rewrite, keep }
    let live: [PackIndex.Entry]
    let liveBytes: Int64
    let action: Action

    init(_ index: PackIndex, live ids: Set<ObjectID>) {
        live = index.entries.filter { ids.contains($0.id) }
        liveBytes = live.reduce(Int64(0)) { $0 + $1.length }
        action = live.isEmpty ? .delete : liveBytes * 2 < index.packSize ? .rewrite : .keep
    }
}
