import MLVGit

/// A version of the repository to read metrics or params from: the work tree or a commit.
public enum Revision: Sendable, Equatable {
    case workspace
    case commit(GitObjectID, label: String)

    public var label: String {
        switch self {
        case .workspace: return "workspace"
        case .commit(_, let label): return label
        }
    }

    public var commit: GitObjectID? {
        if case .commit(let id, _) = self { return id }
        return nil
    }

    /// `workspace` (or an empty string) for the work tree; anything else is resolved by Git.
    public static func resolve(_ text: String?, project: Project) throws -> Revision {
        guard let text, !text.isEmpty, text != "workspace" else { return .workspace }
        return .commit(try project.resolveCommit(text), label: text)
    }

    /// The tip of every local branch, labelled by its name.
    public static func branches(project: Project) throws -> [Revision] {
        try project.git.references(matching: "refs/heads/*").map { .commit($0.commit, label: String($0.name.dropFirst("refs/heads/".count))) }
    }

    /// A file's bytes at this revision, or nil when it has none.
    func read(_ path: String, project: Project) throws -> [UInt8]? {
        switch self {
        case .workspace:
            let absolute = project.absolute(path)
            guard FileSystem.lstatFile(absolute)?.kind == .file else { return nil }
            return try FileSystem.readFile(absolute, limit: StructuredFile.maximumSize + 1)
        case .commit(let id, _):
            return try project.git.readFile(path, at: id).map { Array($0) }
        }
    }

    /// `mlv.yaml` at this revision, or nil when there is none.
    func pipeline(project: Project) throws -> PipelineDefinition? {
        guard case .commit(let id, _) = self else {
            guard let bytes = try read(PipelineDefinition.fileName, project: project) else { return nil }
            return try PipelineDefinition.parse(bytes, revision: nil)
        }
        guard let blob = try project.blobID(PipelineDefinition.fileName, at: id) else { return nil }
        if let cached = project.parsedBlobs.pipeline(blob) { return cached }
        let parsed = try PipelineDefinition.parse(Array(try project.git.readBlob(id: blob)), revision: label)
        project.parsedBlobs.store(pipeline: parsed, for: blob)
        return parsed
    }
}
