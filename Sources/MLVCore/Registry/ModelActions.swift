import Foundation
import MLVGit

/// What `mlv model register` is asked to record.
public struct ModelRegistration: Sendable {
    public var name: String
    public var version: String
    public var path: String?
    public var message: String?
    /// The commit to tag (default HEAD).
    public var revision: String?
    public init(name: String, version: String) { self.name = name; self.version = version }
}

/// The file a model version stands for at its commit.
public struct ModelFile: Sendable, Equatable, Encodable {
    public let path: String
    /// The mlv object id, or the Git blob id for a file kept in Git.
    public let id: String
    public let size: Int64?
    public let kind: String
}

/// The registry's writes: each is one new annotated tag, checked against the registry read
/// just before; a tag someone created meanwhile makes the command fail, not overwrite.
public enum ModelActions {
    @discardableResult
    public static func register(_ request: ModelRegistration, project: Project) throws -> (tag: String, commit: GitObjectID, path: String) {
        if let problem = RegistryName.problem(request.name) { throw RegistryError.badName(request.name, what: "model", problem: problem) }
        guard let version = SemanticVersion(request.version) else { throw RegistryError.badVersion(request.version) }
        let commit = try project.resolveCommit(request.revision ?? "HEAD")
        let registry = try ModelRegistry.read(project.git, model: request.name)
        if let model = registry.models[request.name] {
            if model.deprecated { throw RegistryError.modelDeprecated(request.name) }
            if model.version(version) != nil || model.events.contains(where: { $0.version == version }) {
                throw RegistryError.versionTaken(model: request.name, version: version.text)
            }
        }
        let path: String
        if let given = request.path {
            guard let normalized = ModelPath.normalize(given) else { throw RegistryError.badSpecifier(given) }
            path = normalized
        } else if let declared = try declaredPath(request.name, commit: commit, project: project) {
            path = declared
        } else {
            throw RegistryError.noPath(model: request.name)
        }
        guard try modelFile(path, commit: commit, project: project) != nil else { throw RegistryError.pathNotInCommit(path: path, commit: commit.short) }
        let tag = RegistryTag.register(model: request.name, version: version)
        let subject = request.message ?? "Register \(request.name) \(version.text)"
        try create(tag, on: commit, message: "\(subject)\n\nmlv-model: \(request.name)\nmlv-version: \(version.text)\nmlv-path: \(path)\n", project: project)
        return (tag.name, commit, path)
    }

    @discardableResult
    public static func promote(_ name: String, version text: String, stage: String, message: String? = nil, project: Project) throws -> String {
        if let problem = RegistryName.problem(stage) { throw RegistryError.badName(stage, what: "stage", problem: problem) }
        guard let version = SemanticVersion(text) else { throw RegistryError.badVersion(text) }
        let registry = try ModelRegistry.read(project.git, model: name)
        guard let model = registry.models[name], !model.versions.isEmpty else { throw RegistryError.unknownModel(name) }
        if model.deprecated { throw RegistryError.modelDeprecated(name) }
        guard let found = model.version(version) else { throw RegistryError.unknownVersion(model: name, version: version.text) }
        if found.deprecated { throw RegistryError.versionDeprecated(model: name, version: version.text) }
        if model.stages[stage] == version { throw RegistryError.alreadyInStage(model: name, version: version.text, stage: stage) }
        let tag = RegistryTag.promote(model: name, stage: stage, number: (model.lastNumber[stage] ?? 0) + 1)
        let subject = message ?? "Promote \(name) \(version.text) to \(stage)"
        try create(tag, on: found.commit, message: "\(subject)\n\nmlv-model: \(name)\nmlv-version: \(version.text)\nmlv-stage: \(stage)\n", project: project)
        return tag.name
    }

    @discardableResult
    public static func demote(_ name: String, stage: String, message: String? = nil, project: Project) throws -> String {
        let registry = try ModelRegistry.read(project.git, model: name)
        guard let model = registry.models[name], !model.versions.isEmpty else { throw RegistryError.unknownModel(name) }
        guard let current = model.stages[stage], let found = model.version(current) else { throw RegistryError.stageEmpty(model: name, stage: stage) }
        let tag = RegistryTag.demote(model: name, stage: stage, number: (model.lastNumber[stage] ?? 0) + 1)
        let subject = message ?? "Demote \(name) \(current.text) from \(stage)"
        try create(tag, on: found.commit, message: "\(subject)\n\nmlv-model: \(name)\nmlv-version: \(current.text)\nmlv-stage: \(stage)\n", project: project)
        return tag.name
    }

    /// Deprecates one version, or with no version the whole model.
    @discardableResult
    public static func deprecate(_ name: String, version text: String?, message: String? = nil, project: Project) throws -> String {
        let registry = try ModelRegistry.read(project.git, model: name)
        guard let model = registry.models[name], !model.versions.isEmpty else { throw RegistryError.unknownModel(name) }
        guard let text else {
            if model.deprecated { throw RegistryError.modelDeprecated(name) }
            let tag = RegistryTag.deprecateModel(model: name)
            try create(tag, on: model.versions.last!.commit, message: "\(message ?? "Deprecate \(name)")\n\nmlv-model: \(name)\n", project: project)
            return tag.name
        }
        guard let version = SemanticVersion(text) else { throw RegistryError.badVersion(text) }
        guard let found = model.version(version) else { throw RegistryError.unknownVersion(model: name, version: version.text) }
        if found.deprecated { throw RegistryError.versionDeprecated(model: name, version: version.text) }
        let tag = RegistryTag.deprecateVersion(model: name, version: version)
        try create(tag, on: found.commit, message: "\(message ?? "Deprecate \(name) \(version.text)")\n\nmlv-model: \(name)\nmlv-version: \(version.text)\n", project: project)
        return tag.name
    }

    static func create(_ tag: RegistryTag, on commit: GitObjectID, message: String, project: Project) throws {
        do {
            try project.git.createAnnotatedTag(tag.name, on: commit, message: message)
        } catch let error as GitError where error.isExists {
            throw RegistryError.raced(tag: tag.name)
        }
    }

    /// The path `models:` in mlv.yaml gives the model at `commit`.
    static func declaredPath(_ name: String, commit: GitObjectID, project: Project) throws -> String? {
        try Revision.commit(commit, label: commit.short).pipeline(project: project)?.models.first { $0.name == name }?.path
    }

    /// The model version's path: as registered, else as `models:` declares it at its commit.
    public static func path(of version: ModelRegistry.Version, project: Project) throws -> String {
        if let recorded = version.path.flatMap(ModelPath.normalize) { return recorded }
        guard let declared = try declaredPath(version.model, commit: version.commit, project: project) else { throw RegistryError.noPath(model: version.model) }
        return declared
    }

    /// What stands at `path` in `commit`: data mlv tracks (a pointer or a stage output, or a
    /// file inside a tracked directory), or a file kept in Git; nil when neither.
    public static func modelFile(_ path: String, commit: GitObjectID, project: Project) throws -> ModelFile? {
        let tracked = try project.committedTrackedPaths(at: commit, revision: commit.short)
        if let exact = tracked.first(where: { $0.dataPath == path }) {
            return ModelFile(path: path, id: exact.pointer.id.hex, size: exact.pointer.size, kind: exact.pointer.kind.rawValue)
        }
        if let parent = tracked.first(where: { path.hasPrefix($0.dataPath + "/") && $0.pointer.kind == .directory }) {
            return ModelFile(path: path, id: parent.pointer.id.hex, size: nil, kind: "in " + parent.dataPath)
        }
        if let blob = try project.git.blobID(path, at: commit) {
            return ModelFile(path: path, id: blob.hex, size: Int64(try project.git.readBlob(id: blob).count), kind: "git")
        }
        return nil
    }
}
