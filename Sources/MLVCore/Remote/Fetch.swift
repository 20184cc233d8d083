import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Downloads what the chosen commits reference and the cache lacks (`mlv fetch`). Every
/// object is checked against its id before it enters the cache; a large file is rebuilt from
/// its chunks and rehashed whole.
public func fetch(_ options: TransferOptions, cwd: String, project: Project) throws -> TransferResult {
    let started = Date()
    let (settings, remote) = try openRemote(options.remote, project: project)
    var result = TransferResult(remote: settings.name)
    let catalog = try RemoteCatalog(remote: remote, cacheDirectory: project.mlvDirectory + "/remotes/" + settings.name + "/indexes")
    catalog.warnings.forEach(project.reporter.warning)
    let fetcher = Fetcher(remote: remote, catalog: catalog, store: project.store)
    let lock = try project.lock(command: "fetch")
    defer { withExtendedLifetime(lock) {} }
    // Manifests first: only then is it known which files a directory needs.
    var collector = try collectForTransfer(options, cwd: cwd, project: project)
    let manifests = collector.missingManifests.map(\.id)
    if !manifests.isEmpty {
        try fetcher.fetch(Set(manifests), result: &result)
        collector = try collectForTransfer(options, cwd: cwd, project: project)
    }
    let wanted = Set(collector.usedBy.keys).subtracting(manifests)
    let absent = project.store.missing(from: wanted)
    result.skipped = wanted.count - absent.count
    try fetcher.fetch(absent, result: &result)
    result.requests = remote.requestCount
    result.seconds = Date().timeIntervalSince(started)
    return result
}

/// Fetches, then makes the workspace match (`mlv pull`).
public func pull(_ options: TransferOptions, checkout checkoutOptions: CheckoutOptions, cwd: String, project: Project) throws -> (TransferResult, [CheckedOutPath]) {
    let fetched = try fetch(options, cwd: cwd, project: project)
    let written = try checkout(options.paths, cwd: cwd, options: checkoutOptions, project: project)
    return (fetched, written)
}

/// Reads items out of remote packs with as few requests as possible and stores them verified.
struct Fetcher {
    let remote: RemoteStore
    let catalog: RemoteCatalog
    let store: ObjectStore

    /// Ranges closer than this are read in one request (the gap is read and dropped).
    static let mergeGap: Int64 = 256 << 10
    /// Keeps each request's bytes, held in memory, bounded.
    static let maximumRequest: Int64 = 16 << 20

    func fetch(_ ids: Set<ObjectID>, result: inout TransferResult) throws {
        guard !ids.isEmpty else { return }
        var whole: [RemoteCatalog.Location] = []
        var chunked: [RemoteCatalog.Location] = []
        for id in ids.sorted() {
            guard let location = catalog.locations[id] else { result.missing.append(id); continue }
            if location.entry.kind == .chunkList { chunked.append(location) } else { whole.append(location) }
        }
        let batch = ObjectBatch()
        var committed = false
        defer { if !committed { batch.discard() } }
        var received = 0
        try readMerged(whole, result: &result) { location, bytes in
            guard ObjectID(digest: SHA256.hash(data: bytes)) == location.entry.id else {
                throw RemoteError.corrupted(remote: remote.displayName, key: location.packKey, object: location.entry.id.hex)
            }
            _ = try store.ingest(bytes: Array(bytes), batch: batch)
            received += 1
        }
        result.objects += received
        for location in chunked {
            try rebuild(location, batch: batch, result: &result)
            result.objects += 1
        }
        try batch.commit()
        committed = true
    }

    /// Reads the given items, pack by pack in offset order, merging nearby ranges.
    func readMerged(_ locations: [RemoteCatalog.Location], result: inout TransferResult,
                            _ body: (RemoteCatalog.Location, UnsafeRawBufferPointer) throws -> Void) throws {
        let byPack = Dictionary(grouping: locations, by: \.packKey)
        for key in byPack.keys.sorted() {
            let items = byPack[key]!.sorted { $0.entry.offset < $1.entry.offset }
            var start = 0
            while start < items.count {
                var end = start + 1
                var rangeEnd = items[start].entry.offset + items[start].entry.length
                while end < items.count {
                    let next = items[end].entry
                    let newEnd = max(rangeEnd, next.offset + next.length)
                    guard next.offset - rangeEnd <= Fetcher.mergeGap, newEnd - items[start].entry.offset <= Fetcher.maximumRequest else { break }
                    rangeEnd = newEnd
                    end += 1
                }
                let base = items[start].entry.offset
                let bytes = try remote.get(key, range: base..<rangeEnd)
                result.bytes += Int64(bytes.count)
                try bytes.withUnsafeBytes { raw in
                    for item in items[start..<end] {
                        let from = Int(item.entry.offset - base), to = from + Int(item.entry.length)
                        guard to <= raw.count else {
                            throw RemoteError.corrupted(remote: remote.displayName, key: key, object: item.entry.id.hex)
                        }
                        try body(item, UnsafeRawBufferPointer(rebasing: raw[from..<to]))
                    }
                }
                start = end
            }
        }
    }

    /// Rebuilds a large file from its chunk list into a temporary cache file, checking each
    /// chunk and then the whole file.
    private func rebuild(_ location: RemoteCatalog.Location, batch: ObjectBatch, result: inout TransferResult) throws {
        let id = location.entry.id
        var listBytes: [UInt8] = []
        try readMerged([location], result: &result) { _, bytes in listBytes = Array(bytes) }
        let list: ChunkList
        do { list = try ChunkList.parse(listBytes) } catch {
            throw RemoteError.corrupted(remote: remote.displayName, key: location.packKey, object: id.hex)
        }
        var chunkLocations: [RemoteCatalog.Location] = []
        for chunk in list.chunks {
            guard let found = catalog.locations[chunk.id], found.entry.kind != .chunkList, found.entry.length == chunk.length else {
                throw RemoteError.missingOnRemote(remote: remote.displayName, objects: [chunk.id.hex])
            }
            chunkLocations.append(found)
        }
        let temp = try store.createTemporary()
        var closed = false
        defer { if !closed { close(temp.fd); unlink(temp.path) } }
        var whole = SHA256()
        // Chunks arrive in file order: consecutive chunks in one pack are read together.
        var index = 0
        while index < chunkLocations.count {
            var end = index + 1
            while end < chunkLocations.count,
                  chunkLocations[end].packKey == chunkLocations[index].packKey,
                  chunkLocations[end].entry.offset == chunkLocations[end - 1].entry.offset + chunkLocations[end - 1].entry.length,
                  chunkLocations[end].entry.offset + chunkLocations[end].entry.length - chunkLocations[index].entry.offset <= Fetcher.maximumRequest {
                end += 1
            }
            let first = chunkLocations[index].entry, last = chunkLocations[end - 1].entry
            let key = chunkLocations[index].packKey
            let bytes = try remote.get(key, range: first.offset..<(last.offset + last.length))
            result.bytes += Int64(bytes.count)
            try bytes.withUnsafeBytes { raw in
                var offset = 0
                for item in chunkLocations[index..<end] {
                    let to = offset + Int(item.entry.length)
                    guard to <= raw.count else { throw RemoteError.corrupted(remote: remote.displayName, key: key, object: item.entry.id.hex) }
                    let chunk = UnsafeRawBufferPointer(rebasing: raw[offset..<to])
                    guard ObjectID(digest: SHA256.hash(data: chunk)) == item.entry.id else {
                        throw RemoteError.corrupted(remote: remote.displayName, key: key, object: item.entry.id.hex)
                    }
                    whole.update(bufferPointer: chunk)
                    try FileSystem.writeAll(temp.fd, chunk, path: temp.path)
                    offset = to
                }
            }
            index = end
        }
        guard ObjectID(digest: whole.finalize()) == id else {
            throw RemoteError.corrupted(remote: remote.displayName, key: location.packKey, object: id.hex)
        }
        close(temp.fd)
        closed = true
        batch.stage(temp.path, as: id, final: store.path(for: id), size: list.size)
    }
}
