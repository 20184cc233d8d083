import Foundation
import MLVGit

/// A commit made by `train --commit` or `eval --commit`.
public struct PipelineCommit: Sendable {
    public let id: String
    public let message: String
    /// The paths it changed.
    public let files: [String]
}

/// Stages what a pipeline run changed (mlv.lock, mlv.yaml, params and metrics files,
/// `.gitignore` entries for outputs, the Git-tracked deps of the stages that ran) and commits.
public func commitPipelineRun(_ result: TrainResult, message: String?, project: Project) throws -> PipelineCommit {
    let lock = try project.lock(command: "commit")
    defer { withExtendedLifetime(lock) {} }
    guard let definition = try PipelineDefinition.load(root: project.root) else { throw PipelineError.noPipeline }
    let graph = try PipelineGraph(definition)
    var paths = [LockFile.fileName, PipelineDefinition.fileName]
    for stage in definition.stages {
        paths += stage.paramFiles + stage.metrics.map(\.path) + stage.plots.map(\.path)
        for out in stage.outs {
            let parent = PathName.parent(of: out.path)
            paths.append(parent.isEmpty ? ".gitignore" : parent + "/.gitignore")
        }
    }
    for name in result.changedStages {
        for dep in definition.stage(named: name)!.deps where graph.producer(of: dep.path) == nil
            && !FileSystem.exists(project.absolute(dep.path + PointerFile.suffix)) {
            paths.append(dep.path)
        }
    }
    var unique: [String] = []
    for path in paths where !unique.contains(path) { unique.append(path) }
    let present = unique.filter { FileSystem.exists(project.absolute($0)) || (try? project.git.isTracked($0)) == true }
    try project.git.stageAll(present)
    let staged = try project.git.stagedPaths()
    guard !staged.isEmpty else { throw PipelineError.nothingToCommit }
    let text = try message ?? generatedMessage(result, project: project)
    let id = try project.git.commitIndex(message: text)
    return PipelineCommit(id: id.hex, message: text, files: staged)
}

/// "train: ran prepare, train" and a line per metric that changed against HEAD's lock.
func generatedMessage(_ result: TrainResult, project: Project) throws -> String {
    let changed = result.changedStages
    var text = changed.isEmpty ? "mlv: record pipeline state" : "mlv train: " + changed.joined(separator: ", ")
    let now = try LockFile.load(root: project.root)
    var before = LockFile()
    if let head = try project.git.headCommit(), let bytes = try project.git.readFile(LockFile.fileName, at: head) {
        before = (try? LockFile.parse(Array(bytes), revision: head.short)) ?? LockFile()
    }
    var lines: [String] = []
    for stage in now.stages {
        for metrics in stage.metrics {
            let old = before.stage(named: stage.name)?.metrics.first { $0.path == metrics.path }
            for key in metrics.keys {
                guard let value = metrics.values[key]?.number else { continue }
                if let previous = old?.values[key]?.number {
                    guard previous != value else { continue }
                    let delta = value - previous
                    lines.append("\(key): \(format(previous)) -> \(format(value)) (\(delta >= 0 ? "+" : "")\(format(delta)))")
                } else {
                    lines.append("\(key): \(format(value))")
                }
            }
        }
    }
    if !lines.isEmpty { text += "\n\n" + lines.joined(separator: "\n") }
    return text + "\n"
}

func format(_ value: Double) -> String {
    if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
    return String(format: "%.6g", value)
}
