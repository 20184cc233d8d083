import MLVGit

/// Which commits' data `gc` keeps, besides the work tree and HEAD (always kept).
public enum GCScope: String, Sendable, CaseIterable {
    case workspace
    case allBranches = "all-branches"
    case allTags = "all-tags"
    case allCommits = "all-commits"
}

/// Finds every object that the pointers of a set of commits (and the work tree) need, and,
/// when asked, which paths use each.
struct ReferenceCollector {
    let project: Project
    /// Every object needed, with the size its pointer or manifest states; -1 for manifests and
    /// tree nodes, whose size nothing states. One table: at a million files, a table of paths
    /// or a second one of sizes would cost hundreds of MiB that push and pull never read.
    private(set) var objects: [ObjectID: Int64] = [:]
    /// The paths that use each object; kept only with `recordingPaths` (fsck's reports).
    private(set) var paths: [ObjectID: Set<String>] = [:]
    let recordingPaths: Bool
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
    /// Says a directory manifest or tree node is already held whole where the objects are
    /// going (a push's remote): it is not read, and nothing beneath it is collected.
    let heldWhole: ((ObjectID) -> Bool)?
    /// The manifests and tree nodes `heldWhole` accepted, with the bytes stated beneath each.
    private(set) var held: [(id: ObjectID, size: Int64)] = []
    private var seenHeld: Set<ObjectID> = []

    init(project: Project, selection: [String]? = nil, recordingPaths: Bool = false, heldWhole: ((ObjectID) -> Bool)? = nil) {
        self.project = project
        self.selection = selection
        self.recordingPaths = recordingPaths
        self.heldWhole = heldWhole
    }

    /// The bytes stated beneath the held manifests and nodes. Their sizes come from committed
    /// pointers and nodes, so the sum stops at the bound a tree walk accepts for a directory
    /// (2^60) rather than trapping on a forged huge size, leaving room for the sizes a push
    /// adds to it.
    var heldBytes: Int64 {
        held.reduce(Int64(0)) { total, item in min(1 << 60, total + min(1 << 60, max(0, item.size))) }
    }

    private mutating func noteHeld(_ id: ObjectID, size: Int64) {
        if seenHeld.insert(id).inserted { held.append((id, size)) }
    }

    /// The size the pointers or manifests state for a file object.
    func statedSize(of id: ObjectID) -> Int64? {
        guard let size = objects[id], size >= 0 else { return nil }
        return size
    }

    /// The paths using `id`, sorted (empty unless `recordingPaths`).
    func users(of id: ObjectID) -> [String] { (paths[id] ?? []).sorted() }

    private mutating func note(_ id: ObjectID, size: Int64 = -1, path: @autoclosure () -> String) {
        if size >= 0 { objects[id] = size } else if objects[id] == nil { objects[id] = -1 }
        if recordingPaths { paths[id, default: []].insert(path()) }
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
        guard pointer.kind == .directory else { note(pointer.id, size: pointer.size, path: path); return }
        if let heldWhole, heldWhole(pointer.id) { noteHeld(pointer.id, size: pointer.size); return }
        note(pointer.id, path: path)
        guard seenManifests.insert(pointer.id).inserted else { return }
        // Only the folders of a tree that hold selected paths are read (a pull of one folder
        // fetches the nodes on its way and beneath it).
        let walk = try project.manifestWalk(pointer.id, fileCount: pointer.fileCount, allowMissing: true,
                                            descend: { folder, _ in selects(dataPath + "/" + folder) }, held: heldWhole)
        for folder in walk.held { noteHeld(folder.id, size: folder.size) }
        // Grown once: doubling a million-entry table holds both copies at its peak.
        objects.reserveCapacity(objects.count + walk.entries.count + walk.nodes.count + walk.missing.count)
        for node in walk.nodes {
            note(node, path: path)
            if manifests.insert(node).inserted { manifestOrder[node] = manifestOrder.count }
        }
        for (id, folder) in walk.missing {
            missingManifests.append((id, folder.isEmpty ? path : path + "/" + folder))
            note(id, path: path)
            if manifests.insert(id).inserted { manifestOrder[id] = manifestOrder.count }
        }
        for entry in walk.entries where selection == nil || selects(dataPath + "/" + entry.path) {
            note(entry.id, size: entry.size, path: path + "/" + entry.path)
        }
    }
}
