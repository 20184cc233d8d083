/// How a tracked path compares with its pointer.
public struct PathStatus: Sendable, Equatable {
    public enum Workspace: String, Sendable {
        case upToDate = "up-to-date"
        case modified
        case missing = "missing-from-workspace"
    }

    public let dataPath: String
    public let kind: PointerFile.Kind
    public let workspace: Workspace
    /// For directories: files in the workspace that the pointer does not list, and so on.
    public let added: [String]
    public let modified: [String]
    public let deleted: [String]
    /// Objects the pointer needs that the cache lacks (0 when it has them all).
    public let missingObjects: Int
    /// Set when the directory's manifest itself is missing, so files could not be compared.
    public let manifestMissing: Bool

    public var isClean: Bool { workspace == .upToDate && missingObjects == 0 }
}

/// Compares tracked paths with their pointers (`mlv status`).
public func status(_ paths: [String], cwd: String, project: Project) throws -> [PathStatus] {
    try status(try project.selectPointers(paths, cwd: cwd), project: project)
}

/// Compares the given tracked paths (from `Project.selectPointers`) with their pointers.
public func status(_ tracked: [TrackedPath], project: Project) throws -> [PathStatus] {
    let state = project.openStateCache()
    let version = WorkspaceVersion(project: project, state: state)
    // Read before any object is looked at, so a gc running meanwhile voids what is recorded.
    let proofs = PresenceProofs(file: project.presencePath, generation: CacheGeneration(store: project.store).current())
    let clean = CleanFolders(file: project.cleanFoldersPath)
    if let problem = clean.problem { project.reporter.warning(problem) }
    var result: [PathStatus] = []
    for item in tracked {
        result.append(try pathStatus(item, version: version, proofs: proofs, clean: clean))
    }
    try? state.save()
    try? proofs.save()
    try? clean.save()
    return result
}

/// Compares one tracked path with its pointer. With `clean`, a directory's folders whose seals
/// match what an earlier status proved are taken as they were, unread, when `proofs` shows the
/// cache still holds the pointer's objects (else every file is checked, to count what is missing).
func pathStatus(_ item: TrackedPath, version: WorkspaceVersion, proofs: PresenceProofs? = nil,
                clean: CleanFolders? = nil) throws -> PathStatus {
    let project = version.project
    let pointer = item.pointer
    // Proofs cover a whole pointer; a path inside a directory is checked each time.
    let whole = item.subpaths.isEmpty
    let present = whole && proofs?.isProven(pointer.id) == true
    let sealedAt = StateCache.now()
    let scan = try version.scan(at: item.dataPath, kind: pointer.kind)
    var seals: FolderSeals?
    var known: [String: CleanFolders.Proof] = [:]
    if let clean, whole, pointer.kind == .directory, case .files(let scanned)? = scan {
        seals = FolderSeals(scanned, sealedAt: sealedAt)
        known = clean.record(for: item.dataPath)?.folders ?? [:]
    }
    func proven(_ folder: String, _ node: ObjectID) -> Bool { seals?.holds(folder, node: node, proofs: known) == true }
    if present && proven("", pointer.id) {
        return PathStatus(dataPath: item.dataPath, kind: pointer.kind, workspace: .upToDate,
                          added: [], modified: [], deleted: [], missingObjects: 0, manifestMissing: false)
    }
    // Folders proven unchanged are not read: their files are neither expected nor compared.
    var skipped: [String] = []
    let walk: ManifestWalk
    do {
        switch pointer.kind {
        case .file:
            var single = ManifestWalk()
            single.entries = [DirectoryManifest.Entry(path: "", id: pointer.id, size: pointer.size, executable: false)]
            walk = single
        case .directory:
            walk = try project.manifestWalk(pointer.id, fileCount: pointer.fileCount) { folder, node in
                if present && proven(folder, node) { skipped.append(folder); return false }
                return item.reaches(folder)
            }
        }
    } catch StoreError.missing {
        return PathStatus(dataPath: item.dataPath, kind: pointer.kind, workspace: scan == nil ? .missing : .modified,
                          added: [], modified: [], deleted: [], missingObjects: 1, manifestMissing: true)
    }
    let inScope = whole ? walk.entries : walk.entries.filter { item.includes($0.path) }
    let missingObjects: Int
    if present {
        missingObjects = 0
    } else {
        missingObjects = project.store.missing(from: Set(inScope.map(\.id))).count
        if whole && missingObjects == 0 { proofs?.record(pointer.id) }
    }
    let actual: [String: WorkspaceFile]
    switch scan {
    case nil:
        return PathStatus(dataPath: item.dataPath, kind: pointer.kind, workspace: .missing,
                          added: [], modified: [], deleted: [], missingObjects: missingObjects, manifestMissing: false)
    case .mismatched(let st)?:
        actual = whole ? ["": WorkspaceFile(path: "", stat: st, id: nil)] : [:]
    case .files(let scanned)?:
        if let seals, !skipped.isEmpty {
            actual = try version.identify(seals.files(of: scanned, outside: skipped), at: item.dataPath)
        } else {
            actual = try version.identify(scanned, at: item.dataPath).filter { item.includes($0.key) }
        }
    }
    var added: [String] = [], modified: [String] = [], deleted: [String] = []
    var expectedPaths = Set<String>()
    for entry in inScope {
        expectedPaths.insert(entry.path)
        guard let file = actual[entry.path] else { deleted.append(entry.path); continue }
        if file.id != entry.id || (pointer.kind == .directory && file.stat.kind == .file && file.stat.isExecutable != entry.executable) {
            modified.append(entry.path)
        }
    }
    for path in actual.keys where !expectedPaths.contains(path) { added.append(path) }
    added.sort()
    if let clean, let seals {
        clean.replace(item.dataPath, top: pointer.id, isTree: walk.isTree, with: provenFolders(walk: walk, top: pointer.id, seals: seals, known: known, skipped: skipped,
                                                         changed: added + modified + deleted))
    }
    let isClean = added.isEmpty && modified.isEmpty && deleted.isEmpty
    return PathStatus(dataPath: item.dataPath, kind: pointer.kind, workspace: isClean ? .upToDate : .modified,
                      added: added, modified: modified, deleted: deleted, missingObjects: missingObjects, manifestMissing: false)
}

/// What this status proved: every folder it read whose files all matched (nothing changed in
/// it or beneath it) and that has a seal, plus the earlier proofs of the folders it skipped
/// and of everything beneath them.
private func provenFolders(walk: ManifestWalk, top: ObjectID, seals: FolderSeals, known: [String: CleanFolders.Proof],
                           skipped: [String], changed: [String]) -> [String: CleanFolders.Proof] {
    var dirty = Set<String>()
    for path in changed {
        var folder = path
        repeat {
            folder = PathName.parent(of: folder)
            guard dirty.insert(folder).inserted else { break }
        } while !folder.isEmpty
    }
    var result: [String: CleanFolders.Proof] = [:]
    for (folder, proof) in known where skipped.contains(where: { folder == $0 || folder.hasPrefix($0 + "/") }) {
        result[folder] = proof
    }
    for (folder, node) in walk.folders + [("", top)] where !dirty.contains(folder) {
        if let seal = seals.seals[folder] { result[folder] = CleanFolders.Proof(node: node, seal: seal) }
    }
    return result
}
