import Foundation
import Yams

/// A path named in `mlv.yaml`, with where it was written (for errors).
public struct DeclaredPath: Equatable, Sendable {
    public let path: String
    public let line: Int?
    public let column: Int?
}

/// A param a stage reads: a dotted key in a params file.
public struct ParamReference: Equatable, Sendable, Hashable {
    public let file: String
    public let key: String
}

/// Whether a bigger value of a metric is better; used to mark changes and regressions.
public enum MetricDirection: String, Sendable {
    case higherIsBetter = "higher_is_better"
    case lowerIsBetter = "lower_is_better"
}

/// One stage of `mlv.yaml`.
public struct StageDefinition: Equatable, Sendable {
    public let name: String
    public let cmd: String
    /// Where the command runs, relative to the repository root ("" for the root).
    public let wdir: String
    public let deps: [DeclaredPath]
    public let params: [ParamReference]
    public let outs: [DeclaredPath]
    /// Git-tracked metrics files the stage writes.
    public let metrics: [DeclaredPath]
    /// Git-tracked plot data (files or folders) the stage writes.
    public var plots: [DeclaredPath] = []
    /// Set for a stage that runs mlv's evaluator (`evaluate:`) instead of a command.
    public var evaluation: EvaluationSpec?
    public let line: Int?

    /// Every path the stage writes.
    public var writes: [String] { outs.map(\.path) + metrics.map(\.path) + plots.map(\.path) }
    public var paramFiles: [String] { Array(Set(params.map(\.file))).sorted() }
}

/// A gate rule as written in `mlv.yaml`, parsed later by the gate grammar.
public struct GateSource: Equatable, Sendable {
    public let text: String
    public let line: Int?
    public let column: Int?
}

/// `mlv.yaml`: the stages, metric directions and gates, parsed strictly.
public struct PipelineDefinition: Equatable, Sendable {
    public static let fileName = "mlv.yaml"
    public static let defaultParamsFile = "params.yaml"

    /// In file order.
    public let stages: [StageDefinition]
    public let metricDirections: [String: MetricDirection]
    public let gates: [GateSource]
    /// `models:` (the registry's models: path, description, labels), in file order.
    public let models: [ModelDeclaration]
    /// Stage name -> position in `stages` (pipelines of tens of thousands of stages look
    /// stages up by name in loops).
    private let positions: [String: Int]

    init(stages: [StageDefinition], metricDirections: [String: MetricDirection], gates: [GateSource], models: [ModelDeclaration] = []) {
        self.stages = stages
        self.models = models
        self.metricDirections = metricDirections
        self.gates = gates
        positions = Dictionary(stages.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    public func stage(named name: String) -> StageDefinition? { positions[name].map { stages[$0] } }

    /// Reads `mlv.yaml` from the work tree; nil when there is none.
    public static func load(root: String) throws -> PipelineDefinition? {
        let path = root + "/" + fileName
        guard FileSystem.exists(path) else { return nil }
        return try parse(FileSystem.readFile(path, limit: StructuredFile.maximumSize), file: fileName)
    }

    /// Parses `mlv.yaml` bytes; errors carry file, line and column.
    public static func parse(_ bytes: [UInt8], file: String = fileName, revision: String? = nil) throws -> PipelineDefinition {
        func fail(_ reason: String, _ line: Int?, _ column: Int?) -> StructuredFileError {
            StructuredFileError(file: file, revision: revision, line: line, column: column, reason: reason)
        }
        func at(_ node: Node, _ reason: String) -> StructuredFileError { fail(reason, node.mark?.line, node.mark?.column) }
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw fail("is not UTF-8 text", nil, nil) }
        let root: Node?
        root = try YAMLSupport.compose(text, resolver: .default, fail: fail)
        guard let root else { throw fail("is empty; expected `stages:` with at least one stage", nil, nil) }
        guard root.mapping != nil else { throw at(root, "must be a mapping with `stages:`") }
        var stages: [StageDefinition] = []
        var directions: [String: MetricDirection] = [:]
        var gates: [GateSource] = []
        var models: [ModelDeclaration] = []
        var sawStages = false
        for pair in try YAMLSupport.pairs(of: root, fail: fail) {
            switch pair.key {
            case "stages":
                sawStages = true
                guard pair.value.mapping != nil else { throw at(pair.value, "`stages` must map stage names to stages") }
                for stage in try YAMLSupport.pairs(of: pair.value, fail: fail) {
                    stages.append(try parseStage(stage.key, keyNode: stage.keyNode, node: stage.value, at: at, fail: fail))
                }
            case "metrics":
                guard pair.value.mapping != nil else {
                    throw at(pair.value, "`metrics` must map metric names to higher_is_better or lower_is_better")
                }
                for entry in try YAMLSupport.pairs(of: pair.value, fail: fail) {
                    guard let text = entry.value.scalar?.string, let direction = MetricDirection(rawValue: text) else {
                        throw at(entry.value, "metric `\(entry.key)` has direction `\(entry.value.scalar?.string ?? "?")`; expected higher_is_better or lower_is_better")
                    }
                    directions[entry.key] = direction
                }
            case "gates":
                guard let sequence = pair.value.sequence else { throw at(pair.value, "`gates` must be a list of rules such as `accuracy >= 0.85`") }
                for item in sequence {
                    guard let text = item.scalar?.string else { throw at(item, "a gate must be a rule written as text, such as `accuracy >= 0.85`") }
                    gates.append(GateSource(text: text, line: item.mark?.line, column: item.mark?.column))
                }
            case "models":
                guard pair.value.mapping != nil else { throw at(pair.value, "`models` must map model names to their `path` (and optional description and labels)") }
                for entry in try YAMLSupport.pairs(of: pair.value, fail: fail) {
                    models.append(try ModelDeclaration.parse(entry.key, keyNode: entry.keyNode, node: entry.value, at: at, fail: fail))
                }
            default:
                throw at(pair.keyNode, "has unknown key `\(pair.key)`; expected stages, metrics, gates or models")
            }
        }
        guard sawStages || !models.isEmpty else { throw fail("has no `stages:`", nil, nil) }
        let definition = PipelineDefinition(stages: stages, metricDirections: directions, gates: gates, models: models)
        try definition.checkOutputs(fail: fail)
        _ = try PipelineGraph(definition, file: file)
        return definition
    }

    static let stageKeys = ["cmd", "evaluate", "deps", "params", "outs", "metrics", "plots", "wdir", "desc"]

    private static func parseStage(_ name: String, keyNode: Node, node: Node, at: (Node, String) -> StructuredFileError,
                                   fail: @escaping YAMLSupport.Fail) throws -> StageDefinition {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw at(keyNode, "stage name `\(name)` may hold only letters, digits, `_` and `-`")
        }
        guard node.mapping != nil else { throw at(node, "stage `\(name)` must be a mapping with at least `cmd`") }
        var cmd: String?, wdir = ""
        var deps: [DeclaredPath] = [], outs: [DeclaredPath] = [], metrics: [DeclaredPath] = [], plots: [DeclaredPath] = []
        var params: [ParamReference] = []
        var evaluateNode: Node?
        for pair in try YAMLSupport.pairs(of: node, fail: fail) {
            switch pair.key {
            case "cmd":
                guard let text = pair.value.scalar?.string, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw at(pair.value, "stage `\(name)`: `cmd` must be a non-empty command line")
                }
                cmd = text
            case "wdir":
                guard let text = pair.value.scalar?.string else { throw at(pair.value, "stage `\(name)`: `wdir` must be a folder") }
                wdir = try normalize(text, node: pair.value, stage: name, at: at)
            case "desc":
                guard pair.value.scalar != nil else { throw at(pair.value, "stage `\(name)`: `desc` must be text") }
            case "deps": deps = try pathList(pair.value, key: "deps", stage: name, at: at)
            case "outs": outs = try pathList(pair.value, key: "outs", stage: name, at: at)
            case "metrics": metrics = try pathList(pair.value, key: "metrics", stage: name, at: at)
            case "plots": plots = try pathList(pair.value, key: "plots", stage: name, at: at)
            case "evaluate": evaluateNode = pair.value
            case "params": params = try paramList(pair.value, stage: name, at: at, fail: fail)
            default:
                throw at(pair.keyNode, "stage `\(name)` has unknown key `\(pair.key)`; expected \(stageKeys.joined(separator: ", "))")
            }
        }
        var evaluation: EvaluationSpec?
        if let evaluateNode {
            guard cmd == nil else { throw at(evaluateNode, "stage `\(name)` has both `cmd` and `evaluate`; an evaluate stage runs mlv's evaluator, not a command") }
            var spec = try evaluationSpec(evaluateNode, stage: name, at: at, fail: fail)
            guard metrics.count <= 1, plots.count <= 1 else { throw at(evaluateNode, "stage `\(name)`: an evaluate stage writes one metrics file and one plots folder") }
            spec.output = metrics.first?.path
            spec.plots = plots.first?.path
            if !deps.contains(where: { $0.path == spec.predictions }) {
                deps.append(DeclaredPath(path: spec.predictions, line: evaluateNode.mark?.line, column: evaluateNode.mark?.column))
            }
            evaluation = spec
            cmd = spec.commandLine
        }
        guard let cmd else { throw at(keyNode, "stage `\(name)` has no `cmd`; say which command makes its outputs (or `evaluate:` for mlv's evaluator)") }
        for metric in metrics where StructuredFile.format(of: metric.path) == nil || [.toml].contains(StructuredFile.format(of: metric.path)) {
            throw fail("stage `\(name)`: metrics file `\(metric.path)` must end in .json, .yaml, .yml, .csv or .tsv", metric.line, metric.column)
        }
        return StageDefinition(name: name, cmd: cmd, wdir: wdir, deps: deps, params: params, outs: outs,
                               metrics: metrics, plots: plots, evaluation: evaluation, line: keyNode.mark?.line)
    }

    /// An `evaluate:` mapping: predictions, task, label, prediction, score, slice_by, pos_label.
    private static func evaluationSpec(_ node: Node, stage: String, at: (Node, String) -> StructuredFileError,
                                       fail: @escaping YAMLSupport.Fail) throws -> EvaluationSpec {
        guard node.mapping != nil else { throw at(node, "stage `\(stage)`: `evaluate` must be a mapping with `predictions` and `task`") }
        var fields: [String: Node] = [:]
        let allowed = ["predictions", "task", "label", "prediction", "score", "slice_by", "pos_label"]
        for pair in try YAMLSupport.pairs(of: node, fail: fail) {
            guard allowed.contains(pair.key) else { throw at(pair.keyNode, "stage `\(stage)`: `evaluate` has unknown key `\(pair.key)`; expected \(allowed.joined(separator: ", "))") }
            fields[pair.key] = pair.value
        }
        func text(_ key: String) throws -> String? {
            guard let value = fields[key] else { return nil }
            guard let scalar = value.scalar?.string, !scalar.isEmpty else { throw at(value, "stage `\(stage)`: `evaluate.\(key)` must be text") }
            return scalar
        }
        func texts(_ key: String) throws -> [String] {
            guard let value = fields[key] else { return [] }
            if let scalar = value.scalar?.string { return [scalar] }
            guard let sequence = value.sequence else { throw at(value, "stage `\(stage)`: `evaluate.\(key)` must be a column or a list of columns") }
            return try sequence.map { item in
                guard let scalar = item.scalar?.string else { throw at(item, "stage `\(stage)`: `evaluate.\(key)` must list column names") }
                return scalar
            }
        }
        guard let predictionsNode = fields["predictions"], let predictions = predictionsNode.scalar?.string else {
            throw at(node, "stage `\(stage)`: `evaluate` needs `predictions`, the predictions file")
        }
        guard let taskText = try text("task") else { throw at(node, "stage `\(stage)`: `evaluate` needs `task`: binary, multiclass, regression or text") }
        guard let task = EvaluationTask(rawValue: taskText) else { throw at(fields["task"]!, "stage `\(stage)`: `evaluate.task` is `\(taskText)`; expected binary, multiclass, regression or text") }
        var spec = EvaluationSpec(predictions: try normalize(predictions, node: predictionsNode, stage: stage, at: at), task: task)
        spec.label = try text("label") ?? spec.label
        spec.prediction = try text("prediction") ?? spec.prediction
        spec.scores = try texts("score")
        spec.sliceBy = try texts("slice_by")
        spec.posLabel = try text("pos_label")
        return spec
    }

    private static func pathList(_ node: Node, key: String, stage: String, at: (Node, String) -> StructuredFileError) throws -> [DeclaredPath] {
        guard let sequence = node.sequence else { throw at(node, "stage `\(stage)`: `\(key)` must be a list of paths") }
        var result: [DeclaredPath] = []
        for item in sequence {
            guard let text = item.scalar?.string else { throw at(item, "stage `\(stage)`: each entry of `\(key)` must be a path") }
            let path = try normalize(text, node: item, stage: stage, at: at)
            guard !path.isEmpty else { throw at(item, "stage `\(stage)`: `\(key)` cannot name the whole repository") }
            guard !result.contains(where: { $0.path == path }) else { throw at(item, "stage `\(stage)`: `\(path)` is listed twice in `\(key)`") }
            result.append(DeclaredPath(path: path, line: item.mark?.line, column: item.mark?.column))
        }
        return result
    }

    private static func paramList(_ node: Node, stage: String, at: (Node, String) -> StructuredFileError,
                                  fail: @escaping YAMLSupport.Fail) throws -> [ParamReference] {
        guard let sequence = node.sequence else {
            throw at(node, "stage `\(stage)`: `params` must be a list of keys (`train.lr`) or `file.yaml: [keys]`")
        }
        var result: [ParamReference] = []
        func append(_ reference: ParamReference, _ item: Node) throws {
            guard !reference.key.isEmpty else { throw at(item, "stage `\(stage)`: a param key is empty") }
            guard !result.contains(reference) else { throw at(item, "stage `\(stage)`: param `\(reference.key)` of \(reference.file) is listed twice") }
            result.append(reference)
        }
        for item in sequence {
            if let key = item.scalar?.string {
                try append(ParamReference(file: defaultParamsFile, key: key), item)
            } else if item.mapping != nil {
                for pair in try YAMLSupport.pairs(of: item, fail: fail) {
                    let file = try normalize(pair.key, node: pair.keyNode, stage: stage, at: at)
                    guard let format = StructuredFile.format(of: file), [.yaml, .json, .toml].contains(format) else {
                        throw at(pair.keyNode, "stage `\(stage)`: params file `\(file)` must end in .yaml, .yml, .json or .toml")
                    }
                    guard let keys = pair.value.sequence else { throw at(pair.value, "stage `\(stage)`: `\(file)` must list its keys, such as [train.lr]") }
                    for keyNode in keys {
                        guard let key = keyNode.scalar?.string else { throw at(keyNode, "stage `\(stage)`: a param key must be text") }
                        try append(ParamReference(file: file, key: key), keyNode)
                    }
                }
            } else {
                throw at(item, "stage `\(stage)`: a param is a key (`train.lr`) or `file.yaml: [keys]`")
            }
        }
        return result
    }

    /// A repository-relative path without `./`, trailing slashes or `..`.
    static func normalize(_ text: String, node: Node, stage: String, at: (Node, String) -> StructuredFileError) throws -> String {
        if text.hasPrefix("/") { throw at(node, "stage `\(stage)`: `\(text)` must be relative to the repository root") }
        var parts: [Substring] = []
        for part in text.split(separator: "/") where part != "." {
            if part == ".." { throw at(node, "stage `\(stage)`: `\(text)` must not use `..`") }
            parts.append(part)
        }
        let path = parts.joined(separator: "/")
        if let first = parts.first, first == ".git" || first == ".mlv" { throw at(node, "stage `\(stage)`: `\(text)` is inside .git or .mlv") }
        if path.hasSuffix(PointerFile.suffix) { throw at(node, "stage `\(stage)`: `\(text)` is a pointer file; name the data instead") }
        if RelativePath.problem(with: path) != nil && !path.isEmpty { throw at(node, "stage `\(stage)`: `\(text)` has a name mlv cannot store") }
        return path
    }

    /// Outputs belong to one stage, never overlap each other, and never overlap that stage's deps.
    func checkOutputs(fail: (String, Int?, Int?) -> StructuredFileError) throws {
        // Paths seen so far, each with the stage and the declaration that wrote it.
        var owners = PathOwners()
        var declared: [String: (path: DeclaredPath, stage: String)] = [:]
        for stage in stages {
            var deps = PathOwners()
            for dep in stage.deps { deps.add(dep.path, owner: dep.path) }
            for out in stage.outs + stage.metrics + stage.plots {
                if [PipelineDefinition.fileName, LockFile.fileName, ".mlvconfig", ".gitignore"].contains(out.path) {
                    throw fail("stage `\(stage.name)`: `\(out.path)` is mlv's or Git's own file and cannot be an output", out.line, out.column)
                }
                if let otherPath = owners.overlapping(out.path).first, let other = declared[otherPath] {
                    if other.stage == stage.name {
                        throw fail("stage `\(stage.name)`: outputs `\(other.path.path)` and `\(out.path)` overlap", out.line, out.column)
                    }
                    throw fail("`\(out.path)` is an output of both `\(other.stage)` and `\(stage.name)`; an output belongs to one stage", out.line, out.column)
                }
                if let dep = deps.overlapping(out.path).first {
                    throw fail("stage `\(stage.name)`: output `\(out.path)` overlaps its dep `\(dep)`; a stage cannot read what it writes", out.line, out.column)
                }
                // The owner recorded is the path itself, so a match names what it overlaps.
                owners.add(out.path, owner: out.path)
                declared[out.path] = (out, stage.name)
            }
        }
    }
}
