import Foundation
import MLVGit

/// One line of `mlv model list`.
public struct ModelListing: Encodable, Sendable, Equatable {
    public let name: String
    public let latest: String?
    /// Stage -> version.
    public let stages: [String: String]
    public let deprecated: Bool
    public let description: String?
    public let labels: [String]
}

/// One version in `mlv model show`.
public struct ModelVersionView: Encodable, Sendable {
    public let version: String
    public let commit: String
    public let date: String?
    public let taggedBy: String?
    public let path: String?
    public let file: ModelFile?
    public let metrics: [String: StructuredValue]
    public let stages: [String]
    public let deprecated: Bool

    enum Key: String, CodingKey { case version, commit, date, taggedBy = "tagged_by", path, file, metrics, stages, deprecated }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(version, forKey: .version)
        try c.encode(commit, forKey: .commit)
        try c.encode(date, forKey: .date)
        try c.encode(taggedBy, forKey: .taggedBy)
        try c.encode(path, forKey: .path)
        try c.encode(file, forKey: .file)
        try c.encode(metrics.mapValues(ShownValue.init), forKey: .metrics)
        try c.encode(stages, forKey: .stages)
        try c.encode(deprecated, forKey: .deprecated)
    }
}

/// One event of `mlv model history`.
public struct ModelEventView: Encodable, Sendable, Equatable {
    public let date: String?
    public let event: String
    public let version: String?
    public let stage: String?
    public let taggedBy: String?
    public let tag: String
    public let commit: String

    enum CodingKeys: String, CodingKey { case date, event, version, stage, taggedBy = "tagged_by", tag, commit }
}



/// The registry's read side, shaped for the commands.
public enum RegistryViews {
    public static func list(project: Project) throws -> [ModelListing] {
        let registry = try ModelRegistry.read(project.git)
        let declared = (try? PipelineDefinition.load(root: project.root))??.models ?? []
        var names = Set(registry.models.keys)
        for model in declared { names.insert(model.name) }
        return names.sorted().map { name in
            let model = registry.models[name]
            let declaration = declared.first { $0.name == name }
            return ModelListing(name: name, latest: model?.latest?.version.text,
                                stages: (model?.stages ?? [:]).mapValues(\.text), deprecated: model?.deprecated ?? false,
                                description: declaration?.description, labels: declaration?.labels ?? [])
        }
    }

    public static func show(_ name: String, project: Project) throws -> [ModelVersionView] {
        let registry = try ModelRegistry.read(project.git, model: name)
        guard let model = registry.models[name], !model.versions.isEmpty else { throw RegistryError.unknownModel(name) }
        return try model.versions.map { version in
            let path = try? ModelActions.path(of: version, project: project)
            let file = try path.flatMap { try ModelActions.modelFile($0, commit: version.commit, project: project) }
            let snapshot = try? MetricsSnapshot.read(.commit(version.commit, label: version.commit.short), project: project)
            var metrics: [String: StructuredValue] = [:]
            let files = Set(snapshot?.values.map(\.file) ?? [])
            for value in snapshot?.values ?? [] { metrics[files.count > 1 ? value.file + ":" + value.key : value.key] = value.value }
            return ModelVersionView(version: version.version.text, commit: version.commit.hex, date: version.tag.time.map(UTCTimestamp.string),
                                    taggedBy: tagger(version.tag), path: path, file: file, metrics: metrics, stages: version.stages,
                                    deprecated: version.deprecated)
        }
    }

    public static func history(_ name: String, project: Project) throws -> [ModelEventView] {
        let registry = try ModelRegistry.read(project.git, model: name)
        guard let model = registry.models[name] else { throw RegistryError.unknownModel(name) }
        return model.events.map { event in
            ModelEventView(date: event.tag.time.map(UTCTimestamp.string), event: event.kind.rawValue, version: event.version?.text,
                           stage: event.stage, taggedBy: tagger(event.tag), tag: event.tag.name, commit: event.tag.commit.hex)
        }
    }

    /// The commit and path of a version named by `NAME`, `NAME@vX.Y.Z` or `NAME#STAGE`.
    public static func locate(_ text: String, project: Project) throws -> (version: ModelRegistry.Version, path: String) {
        guard let specifier = ModelSpecifier(text) else { throw RegistryError.badSpecifier(text) }
        let version = try specifier.resolve(in: try ModelRegistry.read(project.git, model: specifier.model))
        return (version, try ModelActions.path(of: version, project: project))
    }

    static func tagger(_ tag: TagRecord) -> String? {
        guard let name = tag.taggerName else { return nil }
        return name + (tag.taggerEmail.map { " <\($0)>" } ?? "")
    }
}
