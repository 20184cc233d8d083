import Foundation
import MLVGit

/// Pipelines and params or metrics files already parsed, by Git blob: the commits of a history
/// or of many experiments mostly share the same `mlv.yaml` and params files, so each distinct
/// blob is parsed once. A blob id names its bytes, so an entry never goes stale, and a
/// long-lived process (`mlv ui`) can share one cache across requests. Only successes are kept
/// (an error names the revision it was read at). Bounded: past `capacity` entries it starts
/// over rather than grow without end.
public final class ParsedBlobCache: @unchecked Sendable {
    private var pipelines: [GitObjectID: PipelineDefinition] = [:]
    private var files: [GitObjectID: [(key: String, value: StructuredValue)]] = [:]
    /// Metrics snapshots of commits, by `SnapshotKey`: a commit's files never change, and the
    /// key holds the notes commit the snapshot was read with, so a new note misses.
    private var snapshots: [SnapshotKey: MetricsSnapshot] = [:]
    /// Commits read (subject, author, time, parents): a commit id names its bytes too, so a
    /// history walked once is walked again without libgit2.
    private var commits: [GitObjectID: CommitInfo] = [:]
    /// The blob a path names in a tree (nil: none), so a commit's files are found without
    /// reading its trees again.
    private var paths: [TreePath: GitObjectID?] = [:]
    /// Set when a commit, path or file is learned that `.mlv/state/history` does not hold yet.
    private var learned = false
    /// Whether `.mlv/state/history` was read into this cache (once, whichever project asks).
    private var loadedIndex = false
    private let lock = NSLock()
    /// Held while the history index is written.
    let saving = NSLock()
    let capacity: Int

    public init(capacity: Int = 200_000) { self.capacity = capacity }

    func pipeline(_ blob: GitObjectID) -> PipelineDefinition? { lock.withLock { pipelines[blob] } }

    func file(_ blob: GitObjectID) -> [(key: String, value: StructuredValue)]? { lock.withLock { files[blob] } }

    func store(pipeline: PipelineDefinition, for blob: GitObjectID) {
        lock.withLock {
            if pipelines.count >= capacity { pipelines.removeAll(keepingCapacity: true) }
            pipelines[blob] = pipeline
        }
    }

    func snapshot(_ key: SnapshotKey) -> MetricsSnapshot? { lock.withLock { snapshots[key] } }

    func store(snapshot: MetricsSnapshot, for key: SnapshotKey) {
        lock.withLock {
            if snapshots.count >= capacity { snapshots.removeAll(keepingCapacity: true) }
            snapshots[key] = snapshot
        }
    }

    func commit(_ id: GitObjectID) -> CommitInfo? { lock.withLock { commits[id] } }

    func store(commit: CommitInfo) {
        lock.withLock {
            if commits.count >= capacity { commits.removeAll(keepingCapacity: true) }
            commits[commit.id] = commit
            learned = true
        }
    }

    func store(file: [(key: String, value: StructuredValue)], for blob: GitObjectID) {
        lock.withLock {
            if files.count >= capacity { files.removeAll(keepingCapacity: true) }
            files[blob] = file
            learned = true
        }
    }

    /// `.some(nil)` when the tree is known to have no blob at the path; nil when not known.
    func blob(_ path: String, inTree tree: GitObjectID) -> GitObjectID?? { lock.withLock { paths[TreePath(tree: tree, path: path)] } }

    func store(blob: GitObjectID?, path: String, inTree tree: GitObjectID) {
        lock.withLock {
            if paths.count >= capacity { paths.removeAll(keepingCapacity: true) }
            paths[TreePath(tree: tree, path: path)] = .some(blob)
            learned = true
        }
    }

    // MARK: Kept between processes

    /// What `.mlv/state/history` holds: the entries keyed by Git ids alone.
    var durable: HistoryIndex.Contents {
        lock.withLock { HistoryIndex.Contents(commits: commits, paths: paths, files: files) }
    }

    /// Whether anything was learned since the last `absorb` or `markSaved`.
    public var hasLearned: Bool { lock.withLock { learned } }

    func markSaved() { lock.withLock { learned = false } }

    /// Makes the next save write the file (after a damaged one was ignored).
    func markLearned() { lock.withLock { learned = true } }

    /// True for the first caller only: that one reads the history index.
    func claimIndexLoad() -> Bool {
        lock.withLock {
            defer { loadedIndex = true }
            return !loadedIndex
        }
    }

    /// Takes in entries read from `.mlv/state/history` (what is already known stays).
    func absorb(_ contents: HistoryIndex.Contents) {
        lock.withLock {
            guard commits.count + contents.commits.count <= capacity, paths.count + contents.paths.count <= capacity,
                  files.count + contents.files.count <= capacity else { return }
            // A new process starts empty: take the tables as they are rather than merge.
            if commits.isEmpty { commits = contents.commits } else { commits.merge(contents.commits) { known, _ in known } }
            if paths.isEmpty { paths = contents.paths } else { paths.merge(contents.paths) { known, _ in known } }
            if files.isEmpty { files = contents.files } else { files.merge(contents.files) { known, _ in known } }
        }
    }
}

/// A path inside a tree: which blob it names never changes.
struct TreePath: Hashable {
    let tree: GitObjectID
    let path: String
}

/// What a commit's metrics snapshot depends on besides the commit: the label it is shown
/// with (messages name it), the notes commit, and the extra files asked for.
struct SnapshotKey: Hashable {
    let commit: GitObjectID
    let label: String
    let notes: GitObjectID?
    let extraFiles: [String]
}

extension Revision {
    /// A structured file's leaves at this revision, or nil when it has no such file.
    func flattenedFile(_ path: String, project: Project) throws -> [(key: String, value: StructuredValue)]? {
        guard case .commit(let id, let label) = self else {
            guard let bytes = try read(path, project: project) else { return nil }
            return try StructuredFile.parse(bytes, file: path).flattened()
        }
        guard let blob = try project.blobID(path, at: id) else { return nil }
        if let cached = project.parsedBlobs.file(blob) { return cached }
        let parsed = try StructuredFile.parse(Array(try project.git.readBlob(id: blob)), file: path, revision: label).flattened()
        project.parsedBlobs.store(file: parsed, for: blob)
        return parsed
    }
}
