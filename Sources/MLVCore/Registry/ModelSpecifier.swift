import Foundation

/// `NAME`, `NAME@vX.Y.Z` or `NAME#STAGE`: which version of a model.
public enum ModelSpecifier: Equatable, Sendable {
    case latest(String)
    case version(String, SemanticVersion)
    case stage(String, String)

    public init?(_ text: String) {
        if let at = text.firstIndex(of: "@") {
            guard let version = SemanticVersion(String(text[text.index(after: at)...])), RegistryName.problem(String(text[..<at])) == nil else { return nil }
            self = .version(String(text[..<at]), version)
        } else if let hash = text.firstIndex(of: "#") {
            let model = String(text[..<hash]), stage = String(text[text.index(after: hash)...])
            guard RegistryName.problem(model) == nil, RegistryName.problem(stage) == nil else { return nil }
            self = .stage(model, stage)
        } else {
            guard RegistryName.problem(text) == nil else { return nil }
            self = .latest(text)
        }
    }

    public var model: String {
        switch self { case .latest(let m), .version(let m, _), .stage(let m, _): return m }
    }

    /// Whether `text` looks like a registry specifier rather than a Git revision.
    public static func looksLike(_ text: String) -> Bool { text.contains("@v") || text.contains("#") }

    public func resolve(in registry: ModelRegistry) throws -> ModelRegistry.Version {
        guard let model = registry.models[self.model], !model.versions.isEmpty else { throw RegistryError.unknownModel(self.model) }
        switch self {
        case .latest:
            guard let latest = model.latest else { throw RegistryError.unknownModel(self.model) }
            return latest
        case .version(_, let version):
            guard let found = model.version(version) else { throw RegistryError.unknownVersion(model: model.name, version: version.text) }
            return found
        case .stage(_, let stage):
            guard let version = model.stages[stage], let found = model.version(version) else { throw RegistryError.stageEmpty(model: model.name, stage: stage) }
            return found
        }
    }
}
