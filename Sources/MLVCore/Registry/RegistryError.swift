/// Why a registry command cannot do what was asked.
public enum RegistryError: UserFacingError, Equatable {
    case badName(String, what: String, problem: String)
    case badVersion(String)
    case unknownModel(String)
    case unknownVersion(model: String, version: String)
    case versionTaken(model: String, version: String)
    case versionDeprecated(model: String, version: String)
    case modelDeprecated(String)
    case noPath(model: String)
    case pathNotInCommit(path: String, commit: String)
    case stageEmpty(model: String, stage: String)
    case alreadyInStage(model: String, version: String, stage: String)
    case badSpecifier(String)
    case raced(tag: String)

    public var description: String {
        func shown(_ text: String) -> String { DisplayText.escaped(String(text.prefix(200))) }
        switch self {
        case .badName(let name, let what, let problem): return "\(what) name `\(shown(name))` \(problem)."
        case .badVersion(let text): return "`\(shown(text))` is not a version; write one as vMAJOR.MINOR.PATCH, such as v1.3.0."
        case .unknownModel(let name): return "no model `\(shown(name))` is registered here (see mlv model list)."
        case .unknownVersion(let model, let version): return "model `\(shown(model))` has no version \(shown(version)) (see mlv model show \(shown(model)))."
        case .versionTaken(let model, let version): return "model `\(shown(model))` already had version \(shown(version)); versions are never reused, register a new one."
        case .versionDeprecated(let model, let version): return "version \(shown(version)) of `\(shown(model))` is deprecated."
        case .modelDeprecated(let model): return "model `\(shown(model))` is deprecated."
        case .noPath(let model): return "model `\(shown(model))` has no path: give --path, or declare it under `models:` in mlv.yaml."
        case .pathNotInCommit(let path, let commit): return "commit \(commit) has no `\(shown(path))` (neither tracked by mlv nor in Git)."
        case .stageEmpty(let model, let stage): return "no version of `\(shown(model))` is in stage `\(shown(stage))`."
        case .alreadyInStage(let model, let version, let stage): return "version \(shown(version)) of `\(shown(model))` is already in `\(shown(stage))`."
        case .badSpecifier(let text): return "`\(shown(text))` names no model version; write NAME, NAME@vX.Y.Z or NAME#STAGE."
        case .raced(let tag): return "tag \(shown(tag)) was created by someone else meanwhile; run the command again."
        }
    }
}
