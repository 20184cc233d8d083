import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Downloads what the chosen commits reference and the cache lacks (`mlv fetch`). Every
/// object is checked against its id before it enters the cache: small ones go into local
/// packs, a large file is rebuilt from its chunks and rehashed whole.
public func fetch(_ options: TransferOptions, cwd: String, project: Project) throws -> TransferResult {
    try fetch(options, cwd: cwd, project: project, command: "fetch")
}

func fetch(_ options: TransferOptions, cwd: String, project: Project, command: String) throws -> TransferResult {
    let started = Date()
    let (settings, remote, catalog) = try openCatalog(options.remote, project: project)
    var result = TransferResult(remote: settings.name)
    catalog.warnings.forEach(project.reporter.warning)
    var fetcher = Fetcher(remote: remote, catalog: catalog, store: project.store)
    fetcher.jobs = options.jobs(for: settings)
    fetcher.trust = ObjectTrust(file: project.trustPath, store: project.store)
    let lock = try project.lock(command: "fetch")
    defer { withExtendedLifetime(lock) {} }
    // Manifests first: only then is it known which files a directory needs.
    // A tree is fetched a level at a time: each round's nodes name the next round's.
    var collector = try collectForTransfer(options, cwd: cwd, project: project)
    var manifests = Set<ObjectID>()
    while true {
        let round = Set(collector.missingManifests.map(\.id)).subtracting(manifests)
        guard !round.isEmpty else { break }
        try fetcher.fetch(round, result: &result)
        manifests.formUnion(round)
        collector = try collectForTransfer(options, cwd: cwd, project: project)
    }
    // What the pointers and manifests promise bounds what the remote may send for each id.
    fetcher.expectedSizes = collector.objects
    let wanted = Set(collector.objects.keys).subtracting(manifests)
    let absent = project.store.missing(from: wanted)
    result.skipped = wanted.count - absent.count
    result.skippedBytes = wanted.subtracting(absent).reduce(0) { $0 + (project.store.size(of: $1) ?? 0) }
    try DiskSpace.reporting(command, needed: { absent.reduce(0) { $0 + (collector.statedSize(of: $1) ?? 0) } }) {
        try fetcher.fetch(absent, result: &result)
    }
    try fetcher.trust?.save()
    result.requests = remote.requestCount
    result.seconds = Date().timeIntervalSince(started)
    return result
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

    /// Requests in flight at once for whole objects.
    var jobs = 1
    /// Where a large file rebuilt (and so hashed whole) is recorded as verified, so checkout
    /// copies it in the kernel instead of hashing it again.
    var trust: ObjectTrust?
    /// Sizes the pointers and manifests state; a remote item of another size is refused before
    /// its bytes are read or written. Negative: none stated (tree nodes, manifests).
    var expectedSizes: [ObjectID: Int64] = [:]
    /// Objects stored between two commits to the cache (each a local pack), so an interrupted
    /// fetch keeps what it finished and a rerun does not download it again.
    static let commitEvery = 20_000
    static let commitBytes: Int64 = 64 << 20

    func fetch(_ ids: Set<ObjectID>, result: inout TransferResult) throws {
        guard !ids.isEmpty else { return }
        var whole: [RemoteCatalog.Location] = []
        var chunked: [RemoteCatalog.Location] = []
        for id in ids.sorted() {
            guard let location = catalog.location(of: id) else { result.missing.append(id); continue }
            if location.entry.kind != .chunkList, let expected = expectedSizes[id], expected >= 0, expected != location.entry.length {
                throw RemoteError.sizeMismatch(remote: remote.displayName, object: id.hex, stated: expected, actual: location.entry.length)
            }
            if location.entry.kind == .chunkList { chunked.append(location) } else { whole.append(location) }
        }
        whole.sort { ($0.packKey, $0.entry.offset) < ($1.packKey, $1.entry.offset) }
        if let linkable = remote as? LinkableRemote { whole = try adoptPacks(whole, from: linkable, result: &result) }
        var start = 0
        while start < whole.count {
            var end = start, bytes: Int64 = 0
            while end < whole.count && end - start < Fetcher.commitEvery && bytes < Fetcher.commitBytes {
                bytes += whole[end].entry.length
                end += 1
            }
            let group = Array(whole[start..<end])
            let pack = try store.packs.makeBuilder()
            // Each request's items are checked, then written to the pack together.
            try readMergedRequests(group, result: &result, jobs: jobs) { items in
                for (location, bytes) in items where ObjectID(digest: SHA256.hash(data: bytes)) != location.entry.id {
                    throw RemoteError.corrupted(remote: remote.displayName, key: location.packKey, object: location.entry.id.hex)
                }
                try pack.append(items.map { ($0.0.entry.id, $0.1) })
            }
            try pack.commit()
            result.objects += group.count
            start = end
        }
        for location in chunked {
            try storing { batch in try rebuild(location, batch: batch, result: &result) }
            trust?.recordVerified(location.entry.id, hashedAt: Int64.max)
            result.objects += 1
        }
    }

    /// A directory remote's pack that is mostly wanted is hard-linked into the local packs
    /// (verified item by item from the link) instead of copied. Returns the items still to read.
    private func adoptPacks(_ whole: [RemoteCatalog.Location], from remote: LinkableRemote,
                            result: inout TransferResult) throws -> [RemoteCatalog.Location] {
        var rest: [RemoteCatalog.Location] = []
        // `whole` is sorted by pack: each pack's items are one run of it (no grouped copy).
        var start = whole.startIndex
        while start < whole.endIndex {
            let key = whole[start].packKey
            var end = start + 1
            while end < whole.endIndex && whole[end].packKey == key { end += 1 }
            let items = whole[start..<end]
            start = end
            let wanted = items.reduce(Int64(0)) { $0 + $1.entry.length }
            guard let index = catalog.packs[key], wanted * 2 >= index.packSize,
                  try store.packs.adopt(index, wanted: items.map(\.entry), link: { remote.link(key, to: $0) },
                                        damaged: { RemoteError.corrupted(remote: remote.displayName, key: key, object: $0.id.hex) })
            else { rest += items; continue }
            result.objects += items.count
            result.bytes += wanted
        }
        return rest
    }

    /// Runs `body` with a fresh batch and commits it; on failure its temporaries are removed.
    private func storing(_ body: (ObjectBatch) throws -> Void) throws {
        let batch = ObjectBatch()
        do {
            try body(batch)
            try batch.commit()
        } catch {
            batch.discard()
            throw error
        }
    }

    /// Reads the given items, pack by pack in offset order, merging nearby ranges into one
    /// request each. With `jobs` above 1 requests run concurrently and `body` must be
    /// thread-safe.
    func readMerged(_ locations: [RemoteCatalog.Location], result: inout TransferResult, jobs: Int = 1,
                    _ body: (RemoteCatalog.Location, UnsafeRawBufferPointer) throws -> Void) throws {
        try readMergedRequests(locations, result: &result, jobs: jobs) { items in
            for (location, bytes) in items { try body(location, bytes) }
        }
    }

    /// As `readMerged`, with `body` called once per request with all of its items.
    func readMergedRequests(_ locations: [RemoteCatalog.Location], result: inout TransferResult, jobs: Int = 1,
                            _ body: ([(RemoteCatalog.Location, UnsafeRawBufferPointer)]) throws -> Void) throws {
        var requests: [(key: String, range: Range<Int64>, items: ArraySlice<RemoteCatalog.Location>)] = []
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
                requests.append((key, items[start].entry.offset..<rangeEnd, items[start..<end]))
                start = end
            }
        }
        let sizes = try ParallelWork.map(requests.count, workers: jobs) { index -> Int64 in
            let request = requests[index]
            let bytes = try remote.get(request.key, range: request.range)
            try bytes.withUnsafeBytes { raw in
                let items = try request.items.map { item -> (RemoteCatalog.Location, UnsafeRawBufferPointer) in
                    let from = Int(item.entry.offset - request.range.lowerBound), to = from + Int(item.entry.length)
                    guard to <= raw.count else {
                        throw RemoteError.corrupted(remote: remote.displayName, key: request.key, object: item.entry.id.hex)
                    }
                    return (item, UnsafeRawBufferPointer(rebasing: raw[from..<to]))
                }
                try body(items)
            }
            return Int64(bytes.count)
        }
        result.bytes += sizes.reduce(0, +)
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
        // A list that adds up to another size than the pointer states is refused before any
        // chunk is downloaded (a chunk repeated a thousand times would write a gigabyte).
        if let expected = expectedSizes[id], expected >= 0, expected != list.size {
            throw RemoteError.sizeMismatch(remote: remote.displayName, object: id.hex, stated: expected, actual: list.size)
        }
        var chunkLocations: [RemoteCatalog.Location] = []
        for chunk in list.chunks {
            guard let found = catalog.location(of: chunk.id), found.entry.kind != .chunkList, found.entry.length == chunk.length else {
                throw RemoteError.missingOnRemote(remote: remote.displayName, objects: [chunk.id.hex])
            }
            chunkLocations.append(found)
        }
        let temp = try store.createTemporary()
        var closed = false
        defer { if !closed { close(temp.fd); unlink(temp.path) } }
        let whole = WholeFileDigest()
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
            let length = Int(last.offset + last.length - first.offset)
            guard bytes.count >= length else { throw RemoteError.corrupted(remote: remote.displayName, key: key, object: last.id.hex) }
            try bytes.withUnsafeBytes { raw in
                let block = UnsafeRawBufferPointer(rebasing: raw[0..<length])
                // One hash over the whole file proves every chunk (and the list) at once, and
                // runs on a second core beside the write; only a mismatch pays for finding
                // which chunk was damaged.
                _ = try ParallelWork.map(2, workers: 2) { part in
                    if part == 1 { whole.update(block) } else { try FileSystem.writeAll(temp.fd, block, path: temp.path) }
                }
            }
            index = end
        }
        guard whole.finalize() == id else {
            throw damagedChunk(chunkLocations, in: temp) ?? RemoteError.corrupted(remote: remote.displayName, key: location.packKey, object: id.hex)
        }
        close(temp.fd)
        closed = true
        try store.stage(temp.path, as: id, size: list.size, in: batch)
    }
}

extension Fetcher {
    /// The first chunk whose bytes in a rebuilt file do not match its id, named with the
    /// remote pack it came from; nil when every chunk matches (then the list itself lied).
    func damagedChunk(_ chunks: [RemoteCatalog.Location], in temp: (fd: Int32, path: String)) -> RemoteError? {
        // The temporary was opened for writing only.
        let fd = open(temp.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var offset: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for chunk in chunks {
            let length = Int(chunk.entry.length)
            if buffer.count < length { buffer = [UInt8](repeating: 0, count: length) }
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(offset)) }
            let matches = read == length && buffer.withUnsafeBytes {
                ObjectID(digest: SHA256.hash(data: UnsafeRawBufferPointer(rebasing: $0[0..<length]))) == chunk.entry.id
            }
            if !matches { return RemoteError.corrupted(remote: remote.displayName, key: chunk.packKey, object: chunk.entry.id.hex) }
            offset += chunk.entry.length
        }
        return nil
    }
}

/// A SHA-256 over a file's bytes, fed from another thread than the one that made it.
private final class WholeFileDigest: @unchecked Sendable {
    private var hash = SHA256()

    func update(_ bytes: UnsafeRawBufferPointer) { hash.update(bufferPointer: bytes) }

    func finalize() -> ObjectID { ObjectID(digest: hash.finalize()) }
}
