import Foundation
import MLVGit

/// The model registry as the repository's tags say it is, built from one read of the tags.
public struct ModelRegistry: Sendable {
    /// One registered version of a model.
    public struct Version: Sendable, Equatable {
        public let model: String
        public let version: SemanticVersion
        public let commit: GitObjectID
        /// The model file's path, as the registration recorded it (nil: see `models:`).
        public let path: String?
        public let tag: TagRecord
        public internal(set) var deprecated = false
        /// Stages whose current version this is.
        public internal(set) var stages: [String] = []
    }

    /// One registration, promotion, demotion or deprecation, for the audit trail.
    public struct Event: Sendable, Equatable {
        public enum Kind: String, Sendable { case registered, promoted, demoted, deprecated }
        public let kind: Kind
        public let model: String
        public let version: SemanticVersion?
        public let stage: String?
        public let tag: TagRecord
    }

    /// Everything known about one model.
    public struct Model: Sendable {
        public let name: String
        /// Oldest first by version order.
        public internal(set) var versions: [Version] = []
        /// Stage -> its current version.
        public internal(set) var stages: [String: SemanticVersion] = [:]
        public internal(set) var deprecated = false
        /// In time order (tags without a time first, by name).
        public internal(set) var events: [Event] = []
        /// The highest stage event number per stage (the next event takes one more).
        public internal(set) var lastNumber: [String: Int] = [:]

        /// The newest version not deprecated.
        public var latest: Version? { versions.last { !$0.deprecated } }

        public func version(_ version: SemanticVersion) -> Version? { versions.first { $0.version == version } }
    }

    public let models: [String: Model]

    public init(tags: [TagRecord]) {
        var models: [String: Model] = [:]
        var stageEvents: [(RegistryTag, TagRecord)] = []
        for tag in tags {
            guard let meaning = RegistryTag(name: tag.name) else { continue }
            var model = models[meaning.model] ?? Model(name: meaning.model)
            switch meaning {
            case .register(_, let version):
                let trailers = Self.trailers(tag.message)
                model.versions.append(Version(model: model.name, version: version, commit: tag.commit, path: trailers["mlv-path"], tag: tag))
                model.events.append(Event(kind: .registered, model: model.name, version: version, stage: nil, tag: tag))
            case .deprecateVersion(_, let version):
                model.events.append(Event(kind: .deprecated, model: model.name, version: version, stage: nil, tag: tag))
            case .deprecateModel:
                model.deprecated = true
                model.events.append(Event(kind: .deprecated, model: model.name, version: nil, stage: nil, tag: tag))
            case .promote(_, let stage, let number), .demote(_, let stage, let number):
                model.lastNumber[stage] = max(model.lastNumber[stage] ?? 0, number)
                stageEvents.append((meaning, tag))
            }
            models[meaning.model] = model
        }
        for name in models.keys {
            models[name]!.versions.sort { $0.version < $1.version }
            let deprecated = Set(models[name]!.events.filter { $0.kind == .deprecated }.compactMap(\.version))
            for index in models[name]!.versions.indices where deprecated.contains(models[name]!.versions[index].version) {
                models[name]!.versions[index].deprecated = true
            }
        }
        // Stage events in their numbered order: the latest promotion holds the stage, a
        // demotion of the version holding it empties it.
        stageEvents.sort { a, b in
            let (x, y) = (Self.stageNumber(a.0), Self.stageNumber(b.0))
            return (a.0.model, x.0, x.1) < (b.0.model, y.0, y.1)
        }
        for (meaning, tag) in stageEvents {
            guard var model = models[meaning.model] else { continue }
            let (stage, _) = Self.stageNumber(meaning)
            let version = Self.versionOf(tag, in: model)
            if case .promote = meaning {
                if let version { model.stages[stage] = version }
                model.events.append(Event(kind: .promoted, model: model.name, version: version, stage: stage, tag: tag))
            } else {
                if let current = model.stages[stage], version == nil || version == current { model.stages[stage] = nil }
                model.events.append(Event(kind: .demoted, model: model.name, version: version, stage: stage, tag: tag))
            }
            models[meaning.model] = model
        }
        for name in models.keys {
            for (stage, version) in models[name]!.stages {
                if let index = models[name]!.versions.firstIndex(where: { $0.version == version }) { models[name]!.versions[index].stages.append(stage) }
            }
            for index in models[name]!.versions.indices { models[name]!.versions[index].stages.sort() }
            models[name]!.events.sort(by: Self.happenedBefore)
        }
        self.models = models
    }

    /// Time order; tags record whole seconds, so within one second registrations come first
    /// (by version), then stage events (by their number), then deprecations.
    static func happenedBefore(_ a: Event, _ b: Event) -> Bool {
        switch (a.tag.time, b.tag.time) {
        case let (x?, y?) where x != y: return x < y
        case (nil, .some): return true
        case (.some, nil): return false
        default: break
        }
        func rank(_ event: Event) -> Int {
            switch event.kind { case .registered: return 0; case .promoted, .demoted: return 1; case .deprecated: return 2 }
        }
        if rank(a) != rank(b) { return rank(a) < rank(b) }
        let numbers = (RegistryTag(name: a.tag.name).map(stageNumber)?.1 ?? 0, RegistryTag(name: b.tag.name).map(stageNumber)?.1 ?? 0)
        if numbers.0 != numbers.1 { return numbers.0 < numbers.1 }
        if let x = a.version, let y = b.version, x != y { return x < y }
        return a.tag.name < b.tag.name
    }

    static func stageNumber(_ tag: RegistryTag) -> (String, Int) {
        switch tag {
        case .promote(_, let stage, let number), .demote(_, let stage, let number): return (stage, number)
        default: return ("", 0)
        }
    }

    /// The version a stage tag means: the one its message names (mlv writes it), else the
    /// highest version registered on its commit.
    static func versionOf(_ tag: TagRecord, in model: Model) -> SemanticVersion? {
        if let named = trailers(tag.message)["mlv-version"].flatMap(SemanticVersion.init), model.version(named) != nil { return named }
        return model.versions.last { $0.commit == tag.commit }?.version
    }

    /// `key: value` lines of a tag message (mlv's own, lower-case keys starting `mlv-`); bounded.
    /// Read byte-wise: a registry of 10,000 tags reads 10,000 messages.
    static func trailers(_ message: String?) -> [String: String] {
        guard let message else { return [:] }
        var result: [String: String] = [:]
        let prefix = Array("mlv-".utf8)
        for line in message.utf8.split(separator: UInt8(ascii: "\n"), maxSplits: 64).prefix(64) where line.count <= 4096 && line.starts(with: prefix) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            var value = line[line.index(after: colon)...]
            while value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            while value.last == UInt8(ascii: " ") || value.last == UInt8(ascii: "\r") { value = value.dropLast() }
            result[String(decoding: line[..<colon], as: UTF8.self)] = String(decoding: value, as: UTF8.self)
        }
        return result
    }

    /// Reads the registry from a repository's tags: all of them, or with `model` only that
    /// model's (`NAME@…` and `NAME#…`), so a lookup does not read every other model's tags.
    public static func read(_ git: Repository, model: String? = nil) throws -> ModelRegistry {
        guard let model, RegistryName.problem(model) == nil else { return ModelRegistry(tags: try git.tags()) }
        return ModelRegistry(tags: try git.tags(prefix: model + "@") + git.tags(prefix: model + "#"))
    }
}
