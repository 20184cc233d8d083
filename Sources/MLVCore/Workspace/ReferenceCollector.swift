import MLVGit

/// Which commits' data `gc` keeps, besides the work tree and HEAD (always kept).
public enum GCScope: String, Sendable, CaseIterable {
    case workspace
    case allBranches = "all-branches"
    case allTags = "all-tags"
    case allCommits = "all-commits"
}

/// Finds every object that the pointers of a set of commits (and the work tree) need,
/// remembering which path uses each.
struct ReferenceCollector {
    let project: Project
    private(set) var usedBy: [ObjectID: Set<String>] = [:]
    /// Sizes the pointers and manifests state for file objects (not for manifests).
    private(set) var sizes: [ObjectID: Int64] = [:]
    /// Manifests that are referenced but not in the cache (their files are unknown).
    private(set) var missingManifests: [(id: ObjectID, usedBy: String)] = []
    /// Directory manifests among the objects (transfers send them after the files they list).
    private(set) var manifests: Set<ObjectID> = []
    /// Manifests and tree nodes in the order to send them: a node after every node beneath it.
    private(set) var manifestOrder: [ObjectID: Int] = [:]
    private var seenManifests: Set<ObjectID> = []
    /// Repository-relative paths to restrict to (a tracked path, a folder holding some, or a
    /// file inside a tracked directory); nil for everything.
    let selection: [String]?

    init(project: Project, selection: [String]? = nil) {
        self.project = project
        self.selection = selection
    }

    mutating func addWorkspace() throws {
        for tracked in try project.workspacePointers() { try add(tracked.pointer, path: tracked.dataPath, dataPath: tracked.dataPath) }
    }

    /// The commits named by revision expressions.
    mutating func addRevisions(_ revisions: [String]) throws {
        try addCommits(try revisions.map { try project.resolveCommit($0) })
    }

    private func selects(_ path: String) -> Bool {
        guard let selection else { return true }
        return selection.contains { $0.isEmpty || path == $0 || path.hasPrefix($0 + "/") || $0.hasPrefix(path + "/") }
    }

    mutating func addCommits(_ commits: [GitObjectID]) throws {
        // Pointer blobs repeat across commits; parse each once.
        var seenBlobs: Set<GitObjectID> = []
        for commit in commits {
            for tracked in try project.committedTrackedPaths(at: commit, revision: commit.short, seen: &seenBlobs) {
                try add(tracked.pointer, path: "\(tracked.dataPath) (\(commit.short))", dataPath: tracked.dataPath)
            }
        }
    }

    /// The scope's commits, plus (unless `keepExperiments` is false) every experiment and the
    /// work-tree snapshot of every queued one: experiments are kept until `exp rm` or a gc
    /// that names `--drop-experiments`.
    mutating func addScope(_ scope: GCScope, keepExperiments: Bool = true) throws {
        try addWorkspace()
        if let head = try project.git.headCommit() { try addCommits([head]) }
        if keepExperiments {
            try addCommits(try project.git.references(matching: "refs/mlv/exps/*").map(\.commit)
                + project.git.references(matching: "refs/mlv/queue/*").map(\.commit))
        }
        switch scope {
        case .workspace: break
        case .allBranches: try addCommits(try project.git.references(matching: "refs/heads/*").map(\.commit))
        case .allTags: try addCommits(try project.git.references(matching: "refs/tags/*").map(\.commit))
        case .allCommits: try addCommits(try project.git.allCommits())
        }
    }

    private mutating func add(_ pointer: PointerFile, path: String, dataPath: String) throws {
        guard selects(dataPath) else { return }
        usedBy[pointer.id, default: []].insert(path)
        guard pointer.kind == .directory else { sizes[pointer.id] = pointer.size; return }
        guard seenManifests.insert(pointer.id).inserted else { return }
        // Only the folders of a tree that hold selected paths are read (a pull of one folder
        // fetches the nodes on its way and beneath it).
        let walk = try project.manifestWalk(pointer.id, fileCount: pointer.fileCount, allowMissing: true) { folder, _ in selects(dataPath + "/" + folder) }
        for node in walk.nodes {
            usedBy[node, default: []].insert(path)
            if manifests.insert(node).inserted { manifestOrder[node] = manifestOrder.count }
        }
        for (id, folder) in walk.missing {
            missingManifests.append((id, folder.isEmpty ? path : path + "/" + folder))
            usedBy[id, default: []].insert(path)
            if manifests.insert(id).inserted { manifestOrder[id] = manifestOrder.count }
        }
        for entry in walk.entries where selects(dataPath + "/" + entry.path) {
            usedBy[entry.id, default: []].insert(path + "/" + entry.path)
            sizes[entry.id] = entry.size
        }
    }
}
