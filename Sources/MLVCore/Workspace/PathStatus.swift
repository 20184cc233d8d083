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
    let tracked = try project.selectPointers(paths, cwd: cwd)
    let state = project.openStateCache()
    let version = WorkspaceVersion(project: project, state: state)
    // Read before any object is looked at, so a gc running meanwhile voids what is recorded.
    let proofs = PresenceProofs(file: project.presencePath, generation: CacheGeneration(store: project.store).current())
    var result: [PathStatus] = []
    for item in tracked {
        result.append(try pathStatus(item, version: version, proofs: proofs))
    }
    try? state.save()
    try? proofs.save()
    return result
}

func pathStatus(_ item: TrackedPath, version: WorkspaceVersion, proofs: PresenceProofs? = nil) throws -> PathStatus {
    let project = version.project
    let pointer = item.pointer
    let expected: [DirectoryManifest.Entry]
    do {
        expected = try project.expectedFiles(of: item)
    } catch StoreError.missing {
        let present = FileSystem.exists(project.absolute(item.dataPath))
        return PathStatus(dataPath: item.dataPath, kind: pointer.kind, workspace: present ? .modified : .missing,
                          added: [], modified: [], deleted: [], missingObjects: 1, manifestMissing: true)
    }
    let inScope = expected.filter { item.includes($0.path) }
    // Proofs cover a whole pointer; a path inside a directory is checked each time.
    let whole = item.subpaths.isEmpty
    let missingObjects: Int
    if whole, let proofs, proofs.isProven(pointer.id) {
        missingObjects = 0
    } else {
        missingObjects = project.store.missing(from: Set(inScope.map(\.id))).count
        if whole && missingObjects == 0 { proofs?.record(pointer.id) }
    }
    guard let actual = try version.files(at: item.dataPath, kind: pointer.kind)?.filter({ item.includes($0.key) }) else {
        return PathStatus(dataPath: item.dataPath, kind: pointer.kind, workspace: .missing,
                          added: [], modified: [], deleted: [], missingObjects: missingObjects, manifestMissing: false)
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
    let clean = added.isEmpty && modified.isEmpty && deleted.isEmpty
    return PathStatus(dataPath: item.dataPath, kind: pointer.kind, workspace: clean ? .upToDate : .modified,
                      added: added, modified: modified, deleted: deleted, missingObjects: missingObjects, manifestMissing: false)
}
