/// What a Git tag means to the model registry. The names follow the convention DVC's GTO uses,
/// so a team's existing registry history reads the same:
///
///     churn@v1.3.0        version v1.3.0 registered (on the tagged commit)
///     churn@v1.3.0!       version v1.3.0 deprecated
///     churn#prod#4        the 4th stage event of churn in prod: the version on that commit is promoted
///     churn#prod!#5       the 5th: prod's version is demoted
///     churn@deprecated    the whole model deprecated
public enum RegistryTag: Equatable, Sendable {
    case register(model: String, version: SemanticVersion)
    case deprecateVersion(model: String, version: SemanticVersion)
    case promote(model: String, stage: String, number: Int)
    case demote(model: String, stage: String, number: Int)
    case deprecateModel(model: String)

    public var model: String {
        switch self {
        case .register(let model, _), .deprecateVersion(let model, _), .promote(let model, _, _), .demote(let model, _, _),
             .deprecateModel(let model): return model
        }
    }

    /// Parses a tag name (without `refs/tags/`); nil for tags that are not the registry's.
    public init?(name: String) {
        if let at = name.firstIndex(of: "@") {
            let model = String(name[..<at]), rest = String(name[name.index(after: at)...])
            guard RegistryName.problem(model) == nil else { return nil }
            if rest == "deprecated" { self = .deprecateModel(model: model); return }
            if rest.hasSuffix("!"), let version = SemanticVersion(String(rest.dropLast())) {
                self = .deprecateVersion(model: model, version: version)
                return
            }
            guard let version = SemanticVersion(rest) else { return nil }
            self = .register(model: model, version: version)
            return
        }
        let parts = name.split(separator: "#", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, RegistryName.problem(parts[0]) == nil, parts[2].count <= 9, parts[2].allSatisfy(\.isASCII),
              let number = Int(parts[2]), number > 0, String(number) == parts[2] else { return nil }
        if parts[1].hasSuffix("!") {
            let stage = String(parts[1].dropLast())
            guard RegistryName.problem(stage) == nil else { return nil }
            self = .demote(model: parts[0], stage: stage, number: number)
        } else {
            guard RegistryName.problem(parts[1]) == nil else { return nil }
            self = .promote(model: parts[0], stage: parts[1], number: number)
        }
    }

    public var name: String {
        switch self {
        case .register(let model, let version): return "\(model)@\(version.text)"
        case .deprecateVersion(let model, let version): return "\(model)@\(version.text)!"
        case .promote(let model, let stage, let number): return "\(model)#\(stage)#\(number)"
        case .demote(let model, let stage, let number): return "\(model)#\(stage)!#\(number)"
        case .deprecateModel(let model): return "\(model)@deprecated"
        }
    }
}

/// Rules for model and stage names: they become parts of Git tag names.
public enum RegistryName {
    /// Why `name` cannot name a model or stage, or nil.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty || name.utf8.count > 100 { return "must be 1 to 100 characters" }
        guard name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) else {
            return "may hold only ASCII letters, digits, `-` and `_`"
        }
        if name.hasPrefix("-") { return "may not start with `-`" }
        return nil
    }
}
