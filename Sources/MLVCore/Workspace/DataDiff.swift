import MLVGit

/// One side of a data diff: a commit (any revision expression) or the workspace as it is.
public enum DiffSide: Sendable, Equatable {
    case revision(String)
    case workspace

    public var label: String {
        switch self {
        case .revision(let rev): return rev
        case .workspace: return "workspace"
        }
    }
}

/// How one tracked path differs between two sides.
public struct PathDiff: Sendable, Equatable {
    public enum Change: String, Sendable { case added, deleted, modified }
    /// A file inside the tracked path ("" for a tracked file) and its sizes on each side.
    public struct FileChange: Sendable, Equatable {
        public let path: String
        public let oldSize: Int64?
        public let newSize: Int64?
    }

    public let dataPath: String
    public let change: Change
    public let added: [FileChange]
    public let deleted: [FileChange]
    public let modified: [FileChange]
    public let oldSize: Int64?
    public let newSize: Int64?
}

/// What changed in the tracked data from `from` to `to` (`mlv diff`). Reads pointers at
/// commits through libgit2 and manifests from the cache; nothing is checked out.
public func diff(from: DiffSide, to: DiffSide, project: Project) throws -> [PathDiff] {
    let state = project.openStateCache()
    let reader = DataSideReader(project: project, version: WorkspaceVersion(project: project, state: state))
    // Two commits whose directories are trees: compare node ids, reading changed folders only.
    var fromTrees: [String: PathDiff] = [:]
    if case .revision(let a) = from, case .revision(let b) = to {
        let old = Dictionary(try reader.pointers(at: try project.resolveCommit(a), label: a).map { ($0.dataPath, $0.pointer) }, uniquingKeysWith: { x, _ in x })
        for tracked in try reader.pointers(at: try project.resolveCommit(b), label: b) {
            guard let before = old[tracked.dataPath], before.kind == .directory, tracked.pointer.kind == .directory,
                  let changes = try? TreeChanges.between(before, tracked.pointer, project: project) else { continue }
            fromTrees[tracked.dataPath] = PathDiff(
                dataPath: tracked.dataPath, change: .modified,
                // In the order the flat comparison gives.
                added: changes.added.map { .init(path: $0.path, oldSize: nil, newSize: $0.size) }.sorted { $0.path < $1.path },
                deleted: changes.deleted.map { .init(path: $0.path, oldSize: $0.size, newSize: nil) }.sorted { $0.path < $1.path },
                modified: changes.modified.map { .init(path: $0.new.path, oldSize: $0.old.size, newSize: $0.new.size) }.sorted { $0.path < $1.path },
                oldSize: before.size, newSize: tracked.pointer.size)
        }
    }
    let old = try reader.read(from, skipping: Set(fromTrees.keys))
    let new = try reader.read(to, skipping: Set(fromTrees.keys))
    try? state.save()
    var result: [PathDiff] = []
    for path in Set(old.keys).union(new.keys).union(fromTrees.keys).sorted() {
        if let tree = fromTrees[path] {
            if !(tree.added.isEmpty && tree.deleted.isEmpty && tree.modified.isEmpty) { result.append(tree) }
            continue
        }
        let a = old[path], b = new[path]
        if a == b { continue }
        var added: [PathDiff.FileChange] = [], deleted: [PathDiff.FileChange] = [], modified: [PathDiff.FileChange] = []
        for file in Set((a ?? [:]).keys).union((b ?? [:]).keys).sorted() {
            let x = a?[file], y = b?[file]
            switch (x, y) {
            case (nil, let y?): added.append(.init(path: file, oldSize: nil, newSize: y.size))
            case (let x?, nil): deleted.append(.init(path: file, oldSize: x.size, newSize: nil))
            case (let x?, let y?) where x != y: modified.append(.init(path: file, oldSize: x.size, newSize: y.size))
            default: break
            }
        }
        let change: PathDiff.Change = a == nil ? .added : (b == nil ? .deleted : .modified)
        result.append(PathDiff(dataPath: path, change: change, added: added, deleted: deleted, modified: modified,
                               oldSize: a.map { $0.values.reduce(0) { $0 + $1.size } },
                               newSize: b.map { $0.values.reduce(0) { $0 + $1.size } }))
    }
    return result
}

/// A file's identity on one side of a diff.
struct FileVersion: Equatable {
    let id: ObjectID?
    let size: Int64
}

/// Reads every tracked path's files on one side of a diff.
struct DataSideReader {
    let project: Project
    let version: WorkspaceVersion

    func read(_ side: DiffSide, skipping: Set<String> = []) throws -> [String: [String: FileVersion]] {
        switch side {
        case .revision(let revision):
            let commit = try project.resolveCommit(revision)
            var result: [String: [String: FileVersion]] = [:]
            for tracked in try pointers(at: commit, label: revision) where !skipping.contains(tracked.dataPath) {
                result[tracked.dataPath] = try files(of: tracked.pointer, dataPath: tracked.dataPath, at: revision)
            }
            return result
        case .workspace:
            var result: [String: [String: FileVersion]] = [:]
            for tracked in try project.workspacePointers() {
                if let actual = try version.files(at: tracked.dataPath, kind: tracked.pointer.kind) {
                    result[tracked.dataPath] = actual.mapValues { FileVersion(id: $0.id, size: $0.stat.size) }
                } else {
                    result[tracked.dataPath] = [:]
                }
            }
            return result
        }
    }

    /// Every pointer committed in `commit`'s tree.
    func pointers(at commit: GitObjectID, label: String) throws -> [TrackedPath] {
        try project.committedTrackedPaths(at: commit, revision: label)
    }

    private func files(of pointer: PointerFile, dataPath: String, at label: String) throws -> [String: FileVersion] {
        do {
            var result: [String: FileVersion] = [:]
            for entry in try project.expectedFiles(of: pointer) { result[entry.path] = FileVersion(id: entry.id, size: entry.size) }
            return result
        } catch StoreError.missing(let id) {
            throw DiffError.manifestMissing(path: dataPath, revision: label, id: id)
        }
    }
}

/// Problems specific to `diff`.
public enum DiffError: UserFacingError, Equatable {
    case manifestMissing(path: String, revision: String, id: ObjectID)

    public var description: String {
        switch self {
        case .manifestMissing(let path, let revision, let id):
            return "the manifest of \(path) at \(revision) (object \(id.short)) is not in the cache; run `mlv fetch --rev \(revision)` to get it."
        }
    }
}
