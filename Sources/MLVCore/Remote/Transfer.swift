import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which commits' data a transfer covers. The default is the work tree's pointers and HEAD.
public struct TransferOptions: Sendable {
    public var remote: String?
    /// Paths to limit to (tracked paths, folders, or files inside a tracked directory).
    public var paths: [String] = []
    public var revisions: [String] = []
    public var allBranches = false
    public var allCommits = false
    /// Transfers at once; default: the remote's `jobs` setting, else 4 per core up to 8.
    public var jobs: Int?

    public init(remote: String? = nil, paths: [String] = [], revisions: [String] = [], allBranches: Bool = false,
                allCommits: Bool = false, jobs: Int? = nil) {
        self.jobs = jobs
        self.remote = remote
        self.paths = paths
        self.revisions = revisions
        self.allBranches = allBranches
        self.allCommits = allCommits
    }
}

/// What a push or fetch did, for the summary line and `--json`.
public struct TransferResult: Sendable, Equatable {
    public var remote = ""
    /// Objects (files and manifests) sent or received.
    public var objects = 0
    /// Objects the other side already had, and their bytes (as far as this side knows them).
    public var skipped = 0
    public var skippedBytes: Int64 = 0
    /// Bytes on the wire: pack bytes pushed, range bytes fetched.
    public var bytes: Int64 = 0
    /// Of a large file's chunks, how many were already on the remote (dedup).
    public var chunksReused = 0
    public var chunksSent = 0
    public var packs = 0
    public var requests = 0
    public var seconds = 0.0
    /// Objects wanted but absent (from the cache on push, from the remote on fetch).
    public var missing: [ObjectID] = []
}

/// Files larger than this are split into content-defined chunks on the remote.
let chunkingThreshold: Int64 = 1 << 20

/// Collects the objects a transfer covers.
func collectForTransfer(_ options: TransferOptions, cwd: String, project: Project, recordingPaths: Bool = false,
                        heldWhole: ((ObjectID) -> Bool)? = nil) throws -> ReferenceCollector {
    let selection = options.paths.isEmpty ? nil : try options.paths.map { path -> String in
        let relative = try project.relativePath(forUserPath: path, cwd: cwd)
        return relative.hasSuffix(PointerFile.suffix) ? String(relative.dropLast(PointerFile.suffix.count)) : relative
    }
    var collector = ReferenceCollector(project: project, selection: selection, recordingPaths: recordingPaths, heldWhole: heldWhole)
    if options.revisions.isEmpty {
        try collector.addWorkspace()
        if let head = try project.git.headCommit() { try collector.addCommits([head]) }
    } else {
        try collector.addRevisions(options.revisions)
    }
    if options.allBranches { try collector.addCommits(try project.git.references(matching: "refs/heads/*").map(\.commit)) }
    if options.allCommits { try collector.addCommits(try project.git.allCommits()) }
    return collector
}

/// Opens the named (or default) remote and reads what it holds from its pack indexes, cached
/// in `.mlv/remotes/NAME/indexes`.
func openCatalog(_ name: String?, project: Project) throws -> (settings: RemoteSettings, remote: RemoteStore, catalog: RemoteCatalog) {
    let (settings, remote) = try openRemote(name, project: project)
    let catalog = try RemoteCatalog(remote: remote, cacheDirectory: project.mlvDirectory + "/remotes/" + settings.name + "/indexes")
    return (settings, remote, catalog)
}

extension TransferOptions {
    /// Transfers at once: `-j`, else the remote's `jobs` setting, else 4 per core up to 8.
    func jobs(for settings: RemoteSettings) -> Int {
        jobs ?? settings.options["jobs"].flatMap(Int.init) ?? min(8, 4 * ParallelWork.workerCount)
    }
}

/// Uploads what the chosen commits reference and the remote lacks, then the metrics notes to
/// the branch's Git remote when they changed (`mlv push`); a notes failure is a warning.
public func push(_ options: TransferOptions, cwd: String, project: Project) throws -> TransferResult {
    let result = try uploadObjects(options, cwd: cwd, project: project)
    // Metrics notes travel with the Git repository, not the data remote.
    if let gitRemote = NotesSync.gitRemote(project: project), let warning = NotesSync.push(to: gitRemote, project: project) {
        project.reporter.warning(warning)
    }
    return result
}

/// The data half of `push` (the pre-push hook pushes notes only once its gates pass).
func uploadObjects(_ options: TransferOptions, cwd: String, project: Project) throws -> TransferResult {
    let started = Date()
    let (settings, remote, catalog) = try openCatalog(options.remote, project: project)
    // A manifest or tree node on the remote stands for everything beneath it: pushes send a
    // node only after what it lists, so a push of 10 changed files among a million reads and
    // sends the folders on their paths only. Not while a `gc --cloud` is running or was cut
    // off: it may have removed a node's files before the node.
    let heldWhole: ((ObjectID) -> Bool)? = catalog.collectionUnderway ? nil : { catalog.has($0) }
    let collector = try collectForTransfer(options, cwd: cwd, project: project, heldWhole: heldWhole)
    var result = TransferResult(remote: settings.name)
    result.skipped = collector.held.count
    result.skippedBytes = collector.heldBytes
    catalog.warnings.forEach(project.reporter.warning)
    project.store.removeAbandonedPackTemporaries()
    let writer = PackWriter(remote: remote, catalog: catalog, temporaryDirectory: project.store.temporaryDirectory,
                            concurrentUploads: options.jobs(for: settings))
    // Files before the manifests that list them: an interrupted push never leaves a
    // manifest on the remote whose files are not there.
    // Tree nodes go after the nodes beneath them, so what is on the remote is whole.
    // Files in the order they lie in the cache's packs, so that they are read through, not
    // sought. Presence from the pack lookups and one listing per cache folder, sizes from
    // the pointers and manifests, rather than a stat per object on this thread.
    let manifests = collector.manifestOrder.sorted { $0.value < $1.value }.map(\.key)
    let files = project.store.storageOrder(collector.objects.keys.filter { collector.manifestOrder[$0] == nil })
    let absent = files.missing.union(project.store.missing(from: Set(manifests)))
    let ids = files.ordered + files.missing.sorted() + manifests
    func size(of id: ObjectID) -> Int64? { collector.statedSize(of: id) ?? project.store.size(of: id) }
    let chunker = Chunker()
    let trust = ObjectTrust(file: project.trustPath, store: project.store)
    var done: Int64 = 0
    var manifestsStarted = false
    // Small objects are read, verified and appended on every core, a batch at a time. Each
    // task gathers a run of objects and writes them to the pack at once, so one worker
    // writes while the others read and hash.
    var pending: [ObjectID] = []
    var pendingBytes: Int64 = 0
    func drain() throws {
        let runs = stride(from: 0, to: pending.count, by: 64).map { $0..<min($0 + 64, pending.count) }
        // A pointer's size decided the route; an object that is larger in the cache than its
        // pointer says is sent chunked after the batch, like any large file.
        let larger = NSLock()
        var largerThanStated: [ObjectID] = []
        // Manifests and tree nodes go in order, one run after another: a node must never land
        // in a pack published before the pack of a node beneath it (see `heldWhole`).
        _ = try ParallelWork.map(runs.count, workers: manifestsStarted ? 1 : nil) { index in
            var gathered: [UInt8] = []
            var items: [(id: ObjectID, kind: PackIndex.Kind, length: Int)] = []
            for id in pending[runs[index]] {
                let bytes: [UInt8]
                do {
                    bytes = try project.store.readVerified(id, limit: Int(chunkingThreshold))
                } catch is FileSystem.FileTooLarge {
                    larger.withLock { largerThanStated.append(id) }
                    continue
                }
                gathered += bytes
                items.append((id, .object, bytes.count))
            }
            try gathered.withUnsafeBytes { try writer.append(items, bytes: $0) }
        }
        result.objects += pending.count - largerThanStated.count
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
        for id in largerThanStated {
            try pushChunked(id, writer: writer, chunker: chunker, trust: trust, project: project, result: &result)
            result.objects += 1
        }
    }
    for id in ids {
        done += 1
        if !manifestsStarted && collector.manifests.contains(id) {
            // Packs upload concurrently: let every file land before any manifest is sent.
            try drain()
            try writer.flush()
            manifestsStarted = true
            writer.publishesInOrder = true
        }
        project.reporter.progress(phase: "push to \(settings.name)", done: done, total: Int64(ids.count))
        if writer.has(id) {
            result.skipped += 1
            result.skippedBytes += size(of: id) ?? 0
            continue
        }
        guard !absent.contains(id), let size = size(of: id) else { result.missing.append(id); continue }
        if size > chunkingThreshold {
            try drain()
            try pushChunked(id, writer: writer, chunker: chunker, trust: trust, project: project, result: &result)
            result.objects += 1
        } else {
            pending.append(id)
            pendingBytes += size
            if pending.count >= 2048 || pendingBytes >= 16 << 20 { try drain() }
        }
    }
    try drain()
    try writer.flush()
    if !(try remote.list(prefix: RemoteCatalog.markerKey)).contains(where: { $0.key == RemoteCatalog.markerKey }) {
        try remote.put(RemoteCatalog.markerKey, bytes: RemoteCatalog.marker)
    }
    result.packs = writer.packsSent
    result.bytes = writer.bytesSent
    result.requests = remote.requestCount
    result.seconds = Date().timeIntervalSince(started)
    return result
}

/// Splits a large cache object into content-defined chunks, appends those the remote lacks,
/// then its chunk list; the object's bytes are checked against its id on the way. Two
/// buffers take turns: while one buffer's new chunks are written to the pack in the
/// background, the next is read, cut and hashed.
private func pushChunked(_ id: ObjectID, writer: PackWriter, chunker: Chunker, trust: ObjectTrust, project: Project,
                         result: inout TransferResult) throws {
    let path = project.store.path(for: id)
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw StoreError.missing(id) }
    defer { close(fd) }
    // An object verified earlier and unchanged since (as checkout trusts it) is not hashed
    // whole again; every other one is, so damaged bytes are never sent.
    var raw = stat()
    let trusted = fstat(fd, &raw) == 0 && trust.isTrusted(id, stat: FileStat(raw))
    let capacity = 8 << 20
    let buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64) }
    let appending = AppendQueue(writer: writer)
    defer {
        appending.waitForAll()
        buffers.forEach { $0.deallocate() }
    }
    var whole = Crypto.SHA256()
    var current = 0
    var filled = 0
    var atEnd = false
    var chunks: [ChunkList.Chunk] = []
    var queued = Set<ObjectID>()
    var total: Int64 = 0
    while true {
        let buffer = buffers[current]
        while !atEnd && filled < capacity {
            let n = try FileSystem.readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), path: path)
            if n == 0 { atEnd = true } else { filled += n }
        }
        // Cut points first, then the chunks of this buffer are hashed on every core. Without
        // the end of the file, a short tail waits for more bytes.
        let base = UnsafeRawBufferPointer(buffer)
        let (cuts, start) = chunker.cuts(in: UnsafeRawBufferPointer(rebasing: base[0..<filled]), atEnd: atEnd)
        // One extra task hashes the whole file (when it must be verified) beside the chunks.
        let hashed = try ParallelWork.map(cuts.count + (trusted ? 0 : 1)) { index -> ObjectID? in
            guard index < cuts.count else {
                if let first = cuts.first, let last = cuts.last {
                    whole.update(bufferPointer: UnsafeRawBufferPointer(rebasing: base[first.lowerBound..<last.upperBound]))
                }
                return nil
            }
            return ObjectID(digest: Crypto.SHA256.hash(data: UnsafeRawBufferPointer(rebasing: base[cuts[index]])))
        }
        var fresh: [(id: ObjectID, bytes: UnsafeRawBufferPointer)] = []
        for (cut, chunkID) in zip(cuts, hashed.prefix(cuts.count).map { $0! }) {
            let chunk = UnsafeRawBufferPointer(rebasing: base[cut])
            if queued.contains(chunkID) || writer.has(chunkID) {
                result.chunksReused += 1
            } else {
                fresh.append((chunkID, chunk))
                queued.insert(chunkID)
                result.chunksSent += 1
            }
            chunks.append(ChunkList.Chunk(id: chunkID, length: Int64(cut.count)))
            total += Int64(cut.count)
        }
        try appending.append(fresh, from: current)
        // The tail moves to the front of the other buffer once that one's writes are done.
        let next = 1 - current
        try appending.waitUntilFree(next)
        if filled > start {
            buffers[next].baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: filled - start)
        }
        filled -= start
        current = next
        if atEnd && filled == 0 { break }
    }
    try appending.waitUntilFree(0)
    try appending.waitUntilFree(1)
    if !trusted {
        guard ObjectID(digest: whole.finalize()) == id else {
            trust.forget(id)
            throw StoreError.corrupted(id, path: path)
        }
    }
    let list = ChunkList(size: total, chunks: chunks).serialized()
    try list.withUnsafeBytes { try writer.append(id, kind: .chunkList, bytes: $0) }
}

/// Writes chunks to the pack on a background thread, one buffer's worth at a time, and says
/// when a buffer may be reused.
private final class AppendQueue: @unchecked Sendable {
    private let writer: PackWriter
    private let queue = DispatchQueue(label: "mlv.push.append")
    private let free = [DispatchSemaphore(value: 1), DispatchSemaphore(value: 1)]
    private let lock = NSLock()
    private var failure: Error?

    init(writer: PackWriter) { self.writer = writer }

    /// Queues the chunks (which live in buffer `slot`) for writing.
    func append(_ chunks: [(id: ObjectID, bytes: UnsafeRawBufferPointer)], from slot: Int) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        free[slot].wait()
        // The pointers stay valid until the slot is signalled free.
        let items = UncheckedSendable(chunks)
        queue.async { [self] in
            defer { free[slot].signal() }
            do {
                for chunk in items.value { try writer.append(chunk.id, kind: .chunk, bytes: chunk.bytes) }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Waits until buffer `slot`'s chunks are written; rethrows a write failure.
    func waitUntilFree(_ slot: Int) throws {
        free[slot].wait()
        free[slot].signal()
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// Waits for every queued write (before the buffers are freed).
    func waitForAll() { queue.sync {} }
}

/// Hands a value the caller keeps valid to another thread.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

import Crypto
