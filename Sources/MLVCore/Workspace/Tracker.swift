import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Options for `add`.
public struct AddOptions: Sendable {
    /// Stage the pointer and `.gitignore` in Git's index (the default).
    public var stage = true
    public init(stage: Bool = true) { self.stage = stage }
}

/// What `add` did for one path.
public struct AddedPath: Sendable, Equatable {
    public let dataPath: String
    public let pointer: PointerFile
    /// Files read and hashed (the rest were known from the state cache).
    public let hashedFiles: Int
    /// Objects that were new to the cache, and their bytes.
    public let newObjects: Int
    public let newBytes: Int64
    /// Whether the pointer changed (false when re-adding unchanged data).
    public let changed: Bool
}

/// Adds files and directories to the cache and writes their pointers (`mlv add`).
public func add(_ paths: [String], cwd: String, options: AddOptions = AddOptions(), project: Project) throws -> [AddedPath] {
    let lock = try project.lock(command: "add")
    defer { withExtendedLifetime(lock) {} }
    let tracker = Tracker(project: project)
    project.store.removeAbandonedTemporaries()
    // Resolve and check every path before writing anything.
    var relatives: [String] = []
    for path in paths {
        let relative = try project.relativePath(forUserPath: path, cwd: cwd)
        try tracker.checkAddable(relative)
        if !relatives.contains(relative) { relatives.append(relative) }
    }
    for (index, a) in relatives.enumerated() {
        for b in relatives[(index + 1)...] where a.hasPrefix(b + "/") || b.hasPrefix(a + "/") {
            throw WorkspaceError.insideTrackedDirectory(path: a.count > b.count ? a : b, pointer: (a.count > b.count ? b : a) + ".mlv")
        }
    }
    let state = project.openStateCache()
    var results: [AddedPath] = []
    try DiskSpace.reporting("add", needed: { DiskSpace.size(of: relatives.map(project.absolute)) }) {
        for relative in relatives {
            results.append(try tracker.add(relative, state: state, options: options))
        }
        try state.save()
    }
    // Last, so that the writes into the cache above have had a moment to settle: a folder
    // changed within the racy window gives no generation, and only a short wait is spent on it.
    let stored = results.filter { $0.pointer.kind == .directory }.map(\.pointer.id)
    if !stored.isEmpty {
        let presence = PresenceProofs(file: project.presencePath, generation: CacheGeneration(store: project.store).current(waitingAtMost: 25_000_000))
        for id in stored { presence.record(id) }
        try? presence.save()
    }
    return results
}

/// The work behind `add`: checks, hashing into the cache, pointers, ignore files, staging.
struct Tracker {
    let project: Project

    func checkAddable(_ relative: String) throws {
        guard let st = FileSystem.lstatFile(project.absolute(relative)) else { throw WorkspaceError.noSuchPath(relative) }
        switch st.kind {
        case .symlink: throw WorkspaceError.symlinkRefused(relative)
        case .other: throw WorkspaceError.unsupportedFileType(relative)
        case .file, .directory: break
        }
        if relative.hasSuffix(PointerFile.suffix) {
            throw WorkspaceError.unsafePathName(relative + " (pointer files are written by mlv, not added)")
        }
        if RelativePath.problem(with: relative) != nil { throw WorkspaceError.unsafePathName(relative) }
        var ancestor = PathName.parent(of: relative)
        while !ancestor.isEmpty {
            if FileSystem.lstatFile(project.absolute(ancestor + PointerFile.suffix))?.kind == .file {
                throw WorkspaceError.insideTrackedDirectory(path: relative, pointer: ancestor + PointerFile.suffix)
            }
            ancestor = PathName.parent(of: ancestor)
        }
        if try project.git.isTracked(relative) { throw WorkspaceError.trackedByGit(relative) }
        // A malformed mlv.yaml is `train`'s to report; it does not block adding data.
        if let pipeline = (try? PipelineDefinition.load(root: project.root)) ?? nil,
           let stage = pipeline.stages.first(where: { $0.writes.contains { PipelineGraph.overlaps($0, relative) } }) {
            throw PipelineError.addingOutput(path: relative, stage: stage.name)
        }
    }

    func add(_ relative: String, state: StateCache, options: AddOptions) throws -> AddedPath {
        let stored = try store(relative, state: state)
        let pointer = stored.pointer
        let pointerPath = relative + PointerFile.suffix
        let previous = try? project.readPointer(for: relative)
        if previous != pointer {
            try FileSystem.writeAtomically(pointer.serialized(), to: project.absolute(pointerPath))
        }
        let ignorePath = try ignore(relative)
        if options.stage {
            try project.git.stage([pointerPath, ignorePath])
        }
        return AddedPath(dataPath: relative, pointer: pointer, hashedFiles: stored.hashedFiles,
                         newObjects: stored.newObjects, newBytes: stored.newBytes, changed: previous != pointer)
    }

    /// Adds `relative`'s name to the `.gitignore` beside it; returns that file's path.
    @discardableResult
    func ignore(_ relative: String) throws -> String {
        let parent = PathName.parent(of: relative)
        let ignorePath = parent.isEmpty ? ".gitignore" : parent + "/.gitignore"
        try IgnoreFile.ensure([IgnoreFile.anchored(PathName.lastComponent(of: relative))], in: project.absolute(ignorePath))
        return ignorePath
    }

    /// What storing a path in the cache made.
    struct StoredPath {
        let pointer: PointerFile
        let hashedFiles: Int
        let newObjects: Int
        let newBytes: Int64
    }

    /// Hashes a file or directory into the cache and returns the pointer that names it,
    /// without writing the pointer (stage outputs are recorded in `mlv.lock` instead).
    func store(_ relative: String, state: StateCache) throws -> StoredPath {
        let absolute = project.absolute(relative)
        let isDirectory = FileSystem.lstatFile(absolute)?.kind == .directory
        let scannedAt = StateCache.now()
        var files: [ScannedFile]
        if isDirectory {
            files = try WorkspaceScanner.scan(absolute, displayPath: relative, cacheRoot: project.store.root, foreignLinks: .refuse)
            let nested = files.filter { $0.path.hasSuffix(PointerFile.suffix) }.map { relative + "/" + $0.path }
            if !nested.isEmpty { throw WorkspaceError.containsPointers(path: relative, pointers: Array(nested.prefix(5))) }
        } else {
            files = [ScannedFile(path: "", stat: FileSystem.lstatFile(absolute)!, linkedObject: nil)]
        }
        let store = project.store
        // Folders an earlier status or add proved unchanged keep their nodes, unread: their
        // files are neither looked up nor checked in the cache, whose generation still
        // proves it holds the tree they belong to.
        let clean = isDirectory ? CleanFolders(file: project.cleanFoldersPath) : nil
        if let problem = clean?.problem { project.reporter.warning(problem) }
        // A symlink into the cache (symlink link mode) stands for its object, of the object's size.
        func size(_ file: ScannedFile) -> Int64 { file.linkedObject.flatMap(store.size(of:)) ?? file.stat.size }
        let seals = isDirectory ? FolderSeals(files, sealedAt: scannedAt, size: size) : nil
        let unchanged = seals.map { unchangedFolders(relative, seals: $0, clean: clean!) } ?? [:]
        if let whole = unchanged[""], let seals {
            let pointer = PointerFile(name: PathName.lastComponent(of: relative), kind: .directory, id: whole.proof.node,
                                      size: seals.sizes[""] ?? 0, fileCount: files.count)
            return StoredPath(pointer: pointer, hashedFiles: 0, newObjects: 0, newBytes: 0)
        }
        var targets = seals.map { unchanged.isEmpty ? files : $0.files(of: files, outside: Array(unchanged.keys)) } ?? files
        // Many files: their small objects go into one pack, not a cache file each.
        let batch = targets.count >= ObjectBatch.packingThreshold ? try ObjectBatch(packingInto: store.packs) : ObjectBatch()
        var committed = false
        defer { if !committed { batch.discard() } }
        let hashedAt = StateCache.now()
        let total = Int64(targets.count)
        // The hashing returns the manifest's entries themselves: no array of results beside
        // them. How many files were read is counted on the side.
        let hashed = Atomic<Int>(0)
        let entries = try ParallelWork.mapHashing(targets.count, progress: { done in
            project.reporter.progress(phase: "add \(relative)", done: done, total: total)
        }) { index, hasher -> DirectoryManifest.Entry in
            let file = targets[index]
            // A symlink's own mode (777) says nothing of the file; its object is read-only.
            let executable = file.linkedObject == nil && file.stat.isExecutable
            let statePath = file.path.isEmpty ? relative : relative + "/" + file.path
            if let id = file.linkedObject ?? state.id(for: statePath, stat: file.stat), store.contains(id) {
                return DirectoryManifest.Entry(path: file.path, id: id, size: size(file), executable: executable)
            }
            let (id, size) = try store.ingest(file: file.path.isEmpty ? absolute : absolute + "/" + file.path, hasher: hasher, batch: batch)
            // The file changed while being read: its id would not match what is on disk.
            guard let after = FileSystem.lstatFile(file.path.isEmpty ? absolute : absolute + "/" + file.path),
                  after.size == size, after.mtimeNanoseconds == file.stat.mtimeNanoseconds else {
                throw AddError.changedWhileReading(statePath)
            }
            state.record(statePath, stat: file.stat, id: id, hashedAt: hashedAt)
            hashed.add(1, ordering: .relaxed)
            return DirectoryManifest.Entry(path: file.path, id: id, size: size, executable: executable)
        }
        let pointer: PointerFile
        var built: [(folder: String, id: ObjectID)] = []
        let fileCount = files.count
        if isDirectory {
            // The entries hold all the tree needs (their paths are the scan's strings): the scan
            // goes before the nodes are built, 107 MB at a million files.
            files = []; targets = []
            // A tree of nodes (format 2): an unchanged folder's node is already in the cache.
            // Each node sorts its own children, so the entries need no sorted copy; each node's
            // bytes are dropped once stored (a million files make about 90 MB of them).
            try ManifestTree.forEachNode(of: entries, unchanged: unchanged.mapValues { ($0.proof.node, $0.size) }) { folder, id, bytes in
                _ = try store.ingest(bytes: bytes, batch: batch)
                built.append((folder, id))
            }
            pointer = PointerFile(name: PathName.lastComponent(of: relative), kind: .directory, id: built.last!.id,
                                  size: entries.reduce(0) { $0 + $1.size } + unchanged.values.reduce(0) { $0 + $1.size }, fileCount: fileCount)
        } else {
            pointer = PointerFile(name: PathName.lastComponent(of: relative), kind: .file, id: entries[0].id,
                                  size: entries[0].size, fileCount: nil)
        }
        let newObjects = batch.count
        let newBytes = try batch.commitMeasured()
        committed = true
        // Objects just written from bytes mlv hashed need no rehash on checkout.
        let trust = ObjectTrust(file: project.trustPath, store: store)
        for object in batch.committedObjects where object.size >= ObjectTrust.threshold {
            trust.recordVerified(object.id, hashedAt: Int64.max)
        }
        try trust.save()
        if let clean, let seals {
            try? recordProofs(relative, pointer: pointer, built: built, unchanged: unchanged, seals: seals, clean: clean)
        }
        return StoredPath(pointer: pointer, hashedFiles: hashed.load(ordering: .relaxed), newObjects: newObjects, newBytes: newBytes)
    }

    /// The topmost folders whose seals match what `clean` proved, when the cache's generation
    /// still proves it holds the tree those proofs are about (else none).
    private func unchangedFolders(_ relative: String, seals: FolderSeals, clean: CleanFolders) -> [String: (proof: CleanFolders.Proof, size: Int64)] {
        guard let record = clean.record(for: relative), record.isTree else { return [:] }
        let presence = PresenceProofs(file: project.presencePath, generation: CacheGeneration(store: project.store).current())
        guard presence.isProven(record.top) else { return [:] }
        var matching: [String: (proof: CleanFolders.Proof, size: Int64)] = [:]
        for (folder, proof) in record.folders where seals.seals[folder] == proof.seal {
            matching[folder] = (proof, seals.sizes[folder] ?? 0)
        }
        return matching.filter { folder, _ in
            var above = folder
            while !above.isEmpty {
                above = PathName.parent(of: above)
                if matching[above] != nil { return false }
            }
            return true
        }
    }

    /// Records what this add proves: the new tree's folders, as sealed when scanned, and that
    /// the cache holds all of it (at the generation after its writes; the repository lock
    /// keeps gc out meanwhile), so the next status and add need not read them.
    private func recordProofs(_ relative: String, pointer: PointerFile, built: [(folder: String, id: ObjectID)],
                              unchanged: [String: (proof: CleanFolders.Proof, size: Int64)], seals: FolderSeals, clean: CleanFolders) throws {
        var folders: [String: CleanFolders.Proof] = [:]
        if let previous = clean.record(for: relative) {
            for (folder, proof) in previous.folders where unchanged.keys.contains(where: { folder == $0 || folder.hasPrefix($0 + "/") }) {
                folders[folder] = proof
            }
        }
        for node in built { if let seal = seals.seals[node.folder] { folders[node.folder] = CleanFolders.Proof(node: node.id, seal: seal) } }
        clean.replace(relative, top: pointer.id, isTree: true, with: folders)
        try clean.save()
    }

}

extension ObjectBatch {
    /// Commits the batch and returns the bytes it added.
    func commitMeasured() throws -> Int64 {
        let bytes = stagedBytes()
        try commit()
        return bytes
    }
}

/// Problems specific to `add`.
public enum AddError: UserFacingError, Equatable {
    case changedWhileReading(String)

    public var description: String {
        switch self {
        case .changedWhileReading(let path):
            return "\(path) changed while mlv was reading it; nothing was recorded for it. Run `mlv add` again when it is no longer being written."
        }
    }
}
