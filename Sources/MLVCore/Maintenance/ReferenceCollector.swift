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
    /// Manifests that are referenced but not in the cache (their files are unknown).
    private(set) var missingManifests: [(id: ObjectID, usedBy: String)] = []
    private var seenManifests: Set<ObjectID> = []

    init(project: Project) { self.project = project }

    mutating func addWorkspace() throws {
        for tracked in try project.workspacePointers() { try add(tracked.pointer, path: tracked.dataPath) }
    }

    mutating func addCommits(_ commits: [GitObjectID]) throws {
        // Pointer blobs repeat across commits; parse each once.
        var seenBlobs: Set<GitObjectID> = []
        for commit in commits {
            let files = try project.git.listFiles(at: commit, where: { $0.hasSuffix(PointerFile.suffix) && !$0.hasPrefix(".mlv/") })
            for file in files where seenBlobs.insert(file.blob).inserted {
                let bytes = try project.git.readBlob(id: file.blob)
                let pointer = try PointerFile.parse(Array(bytes.prefix(PointerFile.maximumSize + 1)), file: file.path, revision: commit.short)
                try add(pointer, path: "\(file.path.dropLast(PointerFile.suffix.count)) (\(commit.short))")
            }
        }
    }

    mutating func addScope(_ scope: GCScope) throws {
        try addWorkspace()
        if let head = try project.git.headCommit() { try addCommits([head]) }
        switch scope {
        case .workspace: break
        case .allBranches: try addCommits(try project.git.references(matching: "refs/heads/*").map(\.commit))
        case .allTags: try addCommits(try project.git.references(matching: "refs/tags/*").map(\.commit))
        case .allCommits: try addCommits(try project.git.allCommits())
        }
    }

    private mutating func add(_ pointer: PointerFile, path: String) throws {
        usedBy[pointer.id, default: []].insert(path)
        guard pointer.kind == .directory, seenManifests.insert(pointer.id).inserted else { return }
        do {
            for entry in try project.manifest(pointer.id).entries {
                usedBy[entry.id, default: []].insert(path + "/" + entry.path)
            }
        } catch StoreError.missing(let id) {
            missingManifests.append((id, path))
        }
    }
}
