import Foundation
import MLVGit

/// Where one version of a file or directory came from.
public struct LineageNode: Sendable {
    public enum Origin: Sendable {
        /// Made by a stage (its record in `mlv.lock`).
        case stage(LockedStage)
        /// Added by hand with `mlv add` (its pointer file).
        case added(pointer: String)
        /// A file kept in Git (code, small data).
        case git
        /// Neither made by a stage nor tracked: only the id recorded by the stage that read it.
        case untracked
    }

    public let path: String
    public let id: ObjectID?
    public let kind: PointerFile.Kind
    public let size: Int64?
    public let origin: Origin
    /// The oldest commit along first-parent history whose lock records this same output, when
    /// the output is committed.
    public let recordedIn: CommitSummary?
    /// The stage's deps, as positions in the graph's `nodes` (a version read by several
    /// stages is one node, reached from each).
    public let inputs: [Int]
}

/// The lineage upstream of one path: every version met once, with the start at `root`.
public struct LineageGraph: Sendable {
    public let nodes: [LineageNode]
    public let root: Int
    public var rootNode: LineageNode { nodes[root] }
}

/// One output found downstream of a data version.
public struct DownstreamOutput: Sendable {
    public let path: String
    public let id: ObjectID
    public let stage: String
    /// The path and id it was made from (a dep of the stage).
    public let madeFrom: String
    /// The oldest commit that records it (nil: only in the work tree's uncommitted lock).
    public let commit: CommitSummary?
    /// How many stages lie between the starting data and this output (1: made directly from it).
    public let depth: Int
}

/// Lineage queries over `mlv.lock` in the work tree and in history (`mlv lineage`).
public struct LineageQuery {
    let project: Project
    /// Parsed locks by blob id: history repeats the same lock across many commits.
    private var parsed: [GitObjectID: LockFile] = [:]

    public init(project: Project) { self.project = project }

    mutating func lock(at commit: GitObjectID) throws -> LockFile? {
        guard let blob = try project.blobID(LockFile.fileName, at: commit) else { return nil }
        return try lock(blob: blob, commit: commit)
    }

    mutating func lock(blob: GitObjectID, commit: GitObjectID) throws -> LockFile {
        if let cached = parsed[blob] { return cached }
        let lock = try LockFile.parse(Array(try project.git.readBlob(id: blob)), revision: commit.short)
        parsed[blob] = lock
        return lock
    }

    // MARK: Upstream

    /// The graph upstream of `userPath` at `revision` (nil: the work tree). Each version is
    /// visited once (a DAG where every stage reads two outputs of the one before costs its
    /// size, not 2^depth), and the walk keeps its own stack, so a chain of thousands of stages
    /// does not exhaust the thread's.
    public mutating func upstream(of userPath: String, cwd: String, revision: String?) throws -> LineageGraph {
        let path = try project.relativePath(forUserPath: userPath, cwd: cwd)
        let commit = try revision.map { try project.resolveCommit($0) }
        let lock: LockFile
        let tracked: [TrackedPath]
        if let commit {
            lock = try self.lock(at: commit) ?? LockFile()
            tracked = try project.committedTrackedPaths(at: commit, revision: revision!)
        } else {
            lock = try LockFile.load(root: project.root)
            tracked = try project.workspacePointers()
        }
        let history = try commit ?? project.git.headCommit()
        let context = Context(lock: lock, tracked: tracked, history: history, workspace: commit == nil)

        /// A stage node whose deps are still being visited.
        struct Frame {
            let key: String
            let path: String
            let stage: LockedStage
            let output: (path: String, id: ObjectID, kind: PointerFile.Kind, size: Int64?)
            var next = 0
            var inputs: [Int] = []
        }
        var nodes: [LineageNode] = []
        var done: [String: Int] = [:]
        var stack: [Frame] = []
        var onStack: Set<String> = []
        func key(_ path: String, _ id: ObjectID?) -> String { path + "\u{0}" + (id?.hex ?? "") }

        /// Adds the node for a path: a leaf at once, or a frame for a stage's output.
        func visit(_ path: String, recordedID: ObjectID?, kind: PointerFile.Kind?) throws -> Int? {
            let nodeKey = key(path, recordedID)
            if let index = done[nodeKey] { return index }
            if !onStack.contains(nodeKey), let (stage, output) = producer(of: path, in: context.lock) {
                stack.append(Frame(key: nodeKey, path: path, stage: stage, output: output))
                onStack.insert(nodeKey)
                return nil
            }
            // A leaf (or, in a lock whose stages form a cycle, the version met again).
            guard let leaf = try leafNode(for: path, context: context, recordedID: recordedID, kind: kind) else { return -1 }
            nodes.append(leaf)
            done[nodeKey] = nodes.count - 1
            return nodes.count - 1
        }

        if let index = try visit(path, recordedID: nil, kind: nil) {
            guard index >= 0 else { throw LineageError.unknownPath(path, revision: revision) }
            return LineageGraph(nodes: nodes, root: index)
        }
        var root = -1
        while var frame = stack.popLast() {
            if frame.next < frame.stage.deps.count {
                let dep = frame.stage.deps[frame.next]
                frame.next += 1
                stack.append(frame)
                if let index = try visit(dep.path, recordedID: dep.id, kind: dep.kind), index >= 0 {
                    stack[stack.count - 1].inputs.append(index)
                }
                continue
            }
            let recorded = try context.history.flatMap {
                try firstRecorded(stage: frame.stage.name, output: frame.output.path, id: frame.output.id, from: $0, workspace: context.workspace)
            }
            nodes.append(LineageNode(path: frame.path, id: frame.output.id, kind: frame.output.kind, size: frame.output.size,
                                     origin: .stage(frame.stage), recordedIn: recorded, inputs: frame.inputs))
            let index = nodes.count - 1
            done[frame.key] = index
            onStack.remove(frame.key)
            if stack.isEmpty { root = index } else { stack[stack.count - 1].inputs.append(index) }
        }
        return LineageGraph(nodes: nodes, root: root)
    }

    /// What one upstream walk reads from.
    private struct Context {
        let lock: LockFile
        let tracked: [TrackedPath]
        let history: GitObjectID?
        let workspace: Bool
    }

    /// A version no stage of the lock made: added by hand, kept in Git, or only recorded by
    /// the stage that read it; nil when it is none of these.
    private func leafNode(for path: String, context: Context, recordedID: ObjectID?, kind: PointerFile.Kind?) throws -> LineageNode? {
        if let pointer = context.tracked.first(where: { $0.dataPath == path || path.hasPrefix($0.dataPath + "/") }) {
            let whole = pointer.dataPath == path
            return LineageNode(path: path, id: whole ? pointer.pointer.id : recordedID, kind: whole ? pointer.pointer.kind : (kind ?? .file),
                               size: whole ? pointer.pointer.size : nil, origin: .added(pointer: pointer.pointerPath), recordedIn: nil, inputs: [])
        }
        let inGit = try project.git.isTracked(path) || !(try project.git.indexedPaths(under: path + "/").isEmpty)
        if !inGit && recordedID == nil { return nil }
        return LineageNode(path: path, id: recordedID, kind: kind ?? .file, size: nil, origin: inGit ? .git : .untracked,
                           recordedIn: nil, inputs: [])
    }

    /// The stage that wrote `path` (an output, something inside one, or a metrics file).
    func producer(of path: String, in lock: LockFile) -> (LockedStage, (path: String, id: ObjectID, kind: PointerFile.Kind, size: Int64?))? {
        for stage in lock.stages {
            for out in stage.outs where out.dataPath == path || path.hasPrefix(out.dataPath + "/") {
                return (stage, (out.dataPath, out.pointer.id, out.pointer.kind, out.pointer.size))
            }
            for metrics in stage.metrics where metrics.path == path {
                return (stage, (metrics.path, metrics.id, .file, nil))
            }
        }
        return nil
    }

    /// Walks first-parent history from `start` to the newest commit whose lock records this
    /// output id, then on while it stays recorded; the last such commit is where this version
    /// was first recorded.
    private mutating func firstRecorded(stage: String, output: String, id: ObjectID, from start: GitObjectID, workspace: Bool) throws -> CommitSummary? {
        var found: GitObjectID?
        for commit in try project.git.history(from: start, firstParent: true) {
            let records = try lock(at: commit)?.stage(named: stage).map { locked in
                locked.outs.contains { $0.dataPath == output && $0.pointer.id == id } || locked.metrics.contains { $0.path == output && $0.id == id }
            } ?? false
            if records { found = commit } else if found != nil { break }
        }
        return try found.map { CommitSummary(try project.commitInfo($0)) }
    }

    // MARK: Downstream

    /// Every output made (directly or through other stages) from the data version `target`
    /// (a path, read at `revision` or in the work tree, or an object id), across the history
    /// of HEAD or, with `allCommits`, of every ref.
    public mutating func downstream(of target: String, cwd: String, revision: String?, allCommits: Bool) throws -> (start: [ObjectID], outputs: [DownstreamOutput]) {
        let start = try resolveTarget(target, cwd: cwd, revision: revision)
        // Every distinct stage record, with the oldest commit that holds it.
        struct Record { let stage: LockedStage; var commit: GitObjectID? }
        var records: [String: Record] = [:]
        func key(_ stage: LockedStage) -> String {
            stage.name + "\u{0}" + stage.deps.map { $0.id.hex }.joined() + "\u{0}" + stage.outs.map { $0.pointer.id.hex }.joined()
                + stage.metrics.map { $0.id.hex }.joined()
        }
        let commits: [GitObjectID]
        if allCommits {
            commits = try project.git.allCommits()
        } else if let head = try project.git.headCommit() {
            commits = try project.git.history(from: head)
        } else {
            commits = []
        }
        // Newest first, so the last commit seen for a record is the oldest.
        for stage in try LockFile.load(root: project.root).stages { records[key(stage)] = Record(stage: stage, commit: nil) }
        for commit in commits {
            guard let blob = try project.blobID(LockFile.fileName, at: commit) else { continue }
            for stage in try lock(blob: blob, commit: commit).stages {
                records[key(stage), default: Record(stage: stage, commit: nil)].commit = commit
            }
        }
        // Breadth first from the starting ids over dep -> output edges.
        var frontier = Set(start)
        var reached = Set(start)
        var outputs: [DownstreamOutput] = []
        var depth = 1
        var infos: [GitObjectID: CommitSummary] = [:]
        while !frontier.isEmpty {
            var next: Set<ObjectID> = []
            for record in records.values.sorted(by: { $0.stage.name < $1.stage.name }) {
                guard let dep = record.stage.deps.first(where: { frontier.contains($0.id) }) else { continue }
                let made = record.stage.outs.map { ($0.dataPath, $0.pointer.id) } + record.stage.metrics.map { ($0.path, $0.id) }
                for (path, id) in made where reached.insert(id).inserted {
                    next.insert(id)
                    var info: CommitSummary?
                    if let commit = record.commit {
                        if infos[commit] == nil { infos[commit] = CommitSummary(try project.commitInfo(commit)) }
                        info = infos[commit]
                    }
                    outputs.append(DownstreamOutput(path: path, id: id, stage: record.stage.name, madeFrom: dep.path,
                                                    commit: info, depth: depth))
                }
            }
            frontier = next
            depth += 1
        }
        return (start, outputs.sorted { ($0.depth, $0.path, $0.commit?.time ?? .distantFuture) < ($1.depth, $1.path, $1.commit?.time ?? .distantFuture) })
    }

    /// An object id given whole (64 hex digits), or the content id of a path: its tracked
    /// version at `revision` (or in the work tree), else the file's own bytes.
    private mutating func resolveTarget(_ target: String, cwd: String, revision: String?) throws -> [ObjectID] {
        if let id = ObjectID(hex: target) { return [id] }
        let path = try project.relativePath(forUserPath: target, cwd: cwd)
        if let revision {
            let commit = try project.resolveCommit(revision)
            if let found = try project.committedTrackedPaths(at: commit, revision: revision).first(where: { $0.dataPath == path }) {
                return [found.pointer.id]
            }
            if let lock = try lock(at: commit), let (_, output) = producer(of: path, in: lock), output.path == path { return [output.id] }
            if let bytes = try project.git.readFile(path, at: commit) { return [ObjectID.of(Array(bytes))] }
            throw LineageError.unknownPath(path, revision: revision)
        }
        if let found = try project.workspacePointers().first(where: { $0.dataPath == path }) { return [found.pointer.id] }
        let state = project.openStateCache()
        defer { try? state.save() }
        guard let content = try ContentReader(version: WorkspaceVersion(project: project, state: state)).id(of: path) else {
            throw LineageError.unknownPath(path, revision: nil)
        }
        return [content.id] + (content.formerID.map { [$0] } ?? [])
    }
}

/// Problems with a lineage query.
public enum LineageError: UserFacingError, Equatable {
    case unknownPath(String, revision: String?)

    public var description: String {
        switch self {
        case .unknownPath(let path, let revision):
            return "\(path) is not made by any stage, tracked by mlv, or kept in Git\(revision.map { " at \($0)" } ?? ""); nothing to trace."
        }
    }
}
