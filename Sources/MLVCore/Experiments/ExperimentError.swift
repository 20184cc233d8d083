/// Problems with experiments: bad names and overrides, unknown experiments, refused actions.
public enum ExperimentError: UserFacingError, Equatable {
    case invalidName(String, reason: String)
    case nameTaken(String, baseline: String)
    case badOverride(String, reason: String)
    case unknownParam(file: String, key: String, fileMissing: Bool)
    case paramsFileNotWritable(String)
    case paramsNotRepresentable(file: String)
    case sweepTooLarge(Int, limit: Int)
    case noBaseline
    case notFound(String)
    case ambiguous(String, baselines: [String])
    case dataMissing(paths: [String])
    case notFinished(String, state: String)
    case branchExists(String)
    case invalidBranch(String)
    case nothingToSave
    case gitFailed(String)
    case unreadableEntry(String, reason: String)
    case unsavedChanges([String])
    case unsafePath(String, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let name, let reason):
            return "`\(name)` cannot be an experiment name: \(reason). Use letters, digits, `.`, `_` and `-`."
        case .nameTaken(let name, let baseline):
            return "an experiment named `\(name)` already exists for baseline \(baseline); choose another name with -n, or remove it with `mlv exp rm \(name)`."
        case .badOverride(let text, let reason):
            return "-S \(text): \(reason)."
        case .unknownParam(let file, let key, let fileMissing):
            if fileMissing { return "-S \(key): params file `\(file)` does not exist; write `+\(key)=VALUE` to create it with this key." }
            return "-S \(key): `\(file)` has no param `\(key)`; write `+\(key)=VALUE` to add a new one."
        case .paramsFileNotWritable(let file):
            return "params file `\(file)` is not YAML, JSON or TOML, so mlv cannot change it."
        case .paramsNotRepresentable(let file):
            return "the overridden values cannot be written to `\(file)` in its format (a null in TOML, a NaN in JSON)."
        case .sweepTooLarge(let count, let limit):
            return "the sweep makes \(count) experiments; at most \(limit) at once."
        case .noBaseline:
            return "the repository has no commit yet; an experiment needs a baseline commit. Commit mlv.yaml and its inputs first."
        case .notFound(let name):
            return "no experiment named `\(name)`; `mlv exp show --all-baselines` lists them."
        case .ambiguous(let name, let baselines):
            return "`\(name)` names experiments on several baselines (\(baselines.joined(separator: ", "))); write exp:BASELINE/\(name)."
        case .dataMissing(let paths):
            return "the cache lacks data the experiment needs: \(paths.prefix(5).joined(separator: ", "))\(paths.count > 5 ? " and \(paths.count - 5) more" : ""); run `mlv pull` first. Nothing was queued or run."
        case .notFinished(let name, let state):
            return "experiment `\(name)` is \(state), so it has no commit yet."
        case .branchExists(let branch):
            return "branch `\(branch)` already exists; choose another name."
        case .invalidBranch(let branch):
            return "`\(branch)` is not a valid branch name."
        case .nothingToSave:
            return "the work tree has no pipeline run to save (mlv.lock is missing)."
        case .gitFailed(let message):
            return message
        case .unsavedChanges(let paths):
            let shown = paths.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            return "applying would overwrite \(paths.count) file(s) with changes that are not HEAD's, the baseline's or the experiment's, or data not saved in the cache:\n\(shown)\nNothing was changed. Commit or `mlv add` them first, or pass --force to discard them."
        case .unsafePath(let path, let reason):
            return "the experiment holds the path `\(path)`, which \(reason); nothing was applied."
        case .unreadableEntry(let file, let reason):
            return "experiment record \(file) cannot be read: \(reason); remove it with `mlv exp queue remove` or delete the file."
        }
    }
}
