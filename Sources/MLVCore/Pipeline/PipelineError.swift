/// Problems running a pipeline, each with what to do next.
public enum PipelineError: UserFacingError, Equatable {
    case noPipeline
    case unknownStage(String, known: [String])
    case noEvaluationStage
    case paramMissing(stage: String, file: String, key: String)
    case depMissing(stage: String, dep: String, line: Int?, column: Int?)
    case outputTrackedByPointer(stage: String, path: String, tracked: String)
    case outputTrackedByGit(stage: String, path: String)
    case stageFailed(stage: String, exitCode: Int32)
    case outputNotWritten(stage: String, path: String)
    case symlinkInPath(String)
    case upstreamStale(stage: String, upstream: [String])
    case addingOutput(path: String, stage: String)
    case nothingToCommit
    case outputStillBeingWritten(stage: String, path: String)

    public var description: String {
        switch self {
        case .noPipeline:
            return "there is no mlv.yaml in the repository root; describe your stages there (see `mlv train --help`)."
        case .unknownStage(let name, let known):
            return "mlv.yaml has no stage `\(name)`; its stages are: \(known.joined(separator: ", "))."
        case .noEvaluationStage:
            return "no stage in mlv.yaml writes metrics, so there is nothing to evaluate; list metrics files under a stage's `metrics:`."
        case .paramMissing(let stage, let file, let key):
            return "stage `\(stage)` reads param `\(key)`, but \(file) has no such key; add it or fix the name in mlv.yaml."
        case .depMissing(let stage, let dep, let line, let column):
            let place = line.map { "mlv.yaml:\($0)" + (column.map { ":\($0)" } ?? "") + ": " } ?? ""
            return "\(place)stage `\(stage)` depends on `\(dep)`, which does not exist and which no stage makes."
        case .outputTrackedByPointer(let stage, let path, let tracked):
            let place = path == tracked ? "`\(path)`" : "`\(path)` inside `\(tracked)`"
            return "stage `\(stage)` outputs \(place), which `mlv add` already tracks (\(tracked).mlv); remove that pointer (`git rm \(tracked).mlv`) or choose another output path."
        case .outputTrackedByGit(let stage, let path):
            return "stage `\(stage)` outputs `\(path)`, which Git tracks; run `git rm -r --cached \(path)` so mlv can store it."
        case .stageFailed(let stage, let code):
            let how = code > 128 ? "was killed by signal \(code - 128)" : "exited with code \(code)"
            return "stage `\(stage)` \(how); its previous outputs were put back, and mlv.lock and the cache are unchanged."
        case .outputNotWritten(let stage, let path):
            return "stage `\(stage)` finished but did not write its declared output `\(path)`; its previous outputs were put back and mlv.lock is unchanged."
        case .symlinkInPath(let path):
            return "\(path) is a symbolic link; mlv records contents, so deps and outputs cannot hold links."
        case .upstreamStale(let stage, let upstream):
            return "stage `\(stage)` reads from stale stage(s) \(upstream.joined(separator: ", ")); run `mlv train` first, or `mlv eval --with-upstream`."
        case .addingOutput(let path, let stage):
            return "\(path) is an output of stage `\(stage)` in mlv.yaml; `mlv train` stores it, so it cannot also be added by hand."
        case .outputStillBeingWritten(let stage, let path):
            return "output `\(path)` of stage `\(stage)` changed while mlv was storing it (a process the stage started may still be writing it); nothing was recorded. Wait until nothing writes it, then run `mlv train` again."
        case .nothingToCommit:
            return "nothing changed, so there is nothing to commit."
        }
    }
}
