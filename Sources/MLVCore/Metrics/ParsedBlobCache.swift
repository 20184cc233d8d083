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
    private let lock = NSLock()
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
        }
    }

    func store(file: [(key: String, value: StructuredValue)], for blob: GitObjectID) {
        lock.withLock {
            if files.count >= capacity { files.removeAll(keepingCapacity: true) }
            files[blob] = file
        }
    }
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
