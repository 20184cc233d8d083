import Foundation
import Yams

/// A dep as it was when a stage ran: its path and the id of its content (a file's SHA-256, or
/// a directory's manifest id).
public struct LockedDep: Equatable, Sendable {
    public let path: String
    public let id: ObjectID
    public let kind: PointerFile.Kind
}

/// A param value as it was when a stage ran.
public struct LockedParam: Equatable, Sendable {
    public let file: String
    public let key: String
    public let value: StructuredValue
}

/// A metrics file a stage wrote: its id (so the run cache can restore it) and its values.
public struct LockedMetrics: Equatable, Sendable {
    public let path: String
    public let id: ObjectID
    public let values: [String: StructuredValue]
    public let keys: [String]
}

/// A plot data file a stage wrote (Git-tracked, like metrics): its id, so the run cache can
/// restore it. A declared plots folder is recorded file by file.
public struct LockedPlot: Equatable, Sendable {
    public let path: String
    public let id: ObjectID
}

/// When, by which mlv, and from which code state a stage ran.
public struct RunInfo: Equatable, Sendable {
    /// UTC, ISO 8601.
    public let started: String
    public let duration: Double
    public let mlvVersion: String
    /// HEAD when the stage ran; nil on an unborn branch.
    public let commit: String?
    /// Whether the stage's Git-tracked deps had uncommitted changes.
    public let dirty: Bool
}

/// Everything recorded about one stage's last successful run.
public struct LockedStage: Equatable, Sendable {
    public let name: String
    public let cmd: String
    public let wdir: String
    public let deps: [LockedDep]
    public let params: [LockedParam]
    /// Outputs as pointers: tracked exactly like added paths.
    public let outs: [TrackedPath]
    public let metrics: [LockedMetrics]
    /// Plot files, sorted by path (written only when there are some).
    public let plots: [LockedPlot]
    public let run: RunInfo

    /// Params are kept sorted by file and key, the order the lock is written in.
    public init(name: String, cmd: String, wdir: String, deps: [LockedDep], params: [LockedParam], outs: [TrackedPath],
                metrics: [LockedMetrics], plots: [LockedPlot] = [], run: RunInfo) {
        self.plots = plots.sorted { $0.path < $1.path }
        self.name = name
        self.cmd = cmd
        self.wdir = wdir
        self.deps = deps
        self.params = params.sorted { ($0.file, $0.key) < ($1.file, $1.key) }
        self.outs = outs
        self.metrics = metrics
        self.run = run
    }
}

/// `mlv.lock`: the lineage record of every stage, in a stable order so diffs stay small and
/// branches that ran different stages merge cleanly (stages are separated by blank lines).
public struct LockFile: Equatable, Sendable {
    public static let fileName = "mlv.lock"
    public static let schema = 1

    /// Sorted by name.
    public private(set) var stages: [LockedStage]

    public init(stages: [LockedStage] = []) { self.stages = stages.sorted { $0.name < $1.name } }

    public func stage(named name: String) -> LockedStage? { stages.first { $0.name == name } }

    public mutating func record(_ stage: LockedStage) {
        stages.removeAll { $0.name == stage.name }
        stages.append(stage)
        stages.sort { $0.name < $1.name }
    }

    public mutating func remove(stage name: String) { stages.removeAll { $0.name == name } }

    /// Every output of every stage.
    public var outputs: [TrackedPath] { stages.flatMap(\.outs) }

    // MARK: Writing

    public func serialized() -> [UInt8] {
        var text = "# mlv.lock: written by `mlv train`; how each stage's outputs were made. Do not edit.\n"
        text += "schema: \(LockFile.schema)\n"
        text += "stages:\n"
        for stage in stages {
            text += "\n" + LockFile.render(stage)
        }
        return Array(text.utf8)
    }

    static func render(_ stage: LockedStage) -> String {
        let q = StructuredValue.quote
        var text = "  \(stage.name):\n"
        text += "    cmd: \(q(stage.cmd))\n"
        if !stage.wdir.isEmpty { text += "    wdir: \(q(stage.wdir))\n" }
        text += stage.deps.isEmpty ? "    deps: []\n" : "    deps:\n"
        for dep in stage.deps {
            text += "      - path: \(q(dep.path))\n        type: \(dep.kind.rawValue)\n        id: \(dep.id.hex)\n"
        }
        let files = Array(Set(stage.params.map(\.file))).sorted()
        text += files.isEmpty ? "    params: {}\n" : "    params:\n"
        for file in files {
            text += "      \(q(file)):\n"
            for param in stage.params.filter({ $0.file == file }).sorted(by: { $0.key < $1.key }) {
                text += "        \(q(param.key)): \(param.value.canonical)\n"
            }
        }
        text += stage.outs.isEmpty ? "    outs: []\n" : "    outs:\n"
        for out in stage.outs {
            text += "      - path: \(q(out.dataPath))\n        type: \(out.pointer.kind.rawValue)\n"
            text += "        id: \(out.pointer.id.hex)\n        size: \(out.pointer.size)\n"
            if let files = out.pointer.fileCount { text += "        files: \(files)\n" }
        }
        text += stage.metrics.isEmpty ? "    metrics: []\n" : "    metrics:\n"
        for metrics in stage.metrics {
            text += "      - path: \(q(metrics.path))\n        id: \(metrics.id.hex)\n"
            text += metrics.keys.isEmpty ? "        values: {}\n" : "        values:\n"
            for key in metrics.keys { text += "          \(q(key)): \(metrics.values[key]!.canonical)\n" }
        }
        if !stage.plots.isEmpty {
            text += "    plots:\n"
            for plot in stage.plots { text += "      - path: \(q(plot.path))\n        id: \(plot.id.hex)\n" }
        }
        text += "    run:\n"
        text += "      started: \(q(stage.run.started))\n"
        text += "      duration: \(String(format: "%.3f", stage.run.duration))\n"
        text += "      mlv: \(q(stage.run.mlvVersion))\n"
        text += "      commit: \(stage.run.commit.map(q) ?? "null")\n"
        text += "      dirty: \(stage.run.dirty)\n"
        return text
    }

    /// Writes the lock through a temporary file and a rename.
    public func write(root: String) throws {
        try FileSystem.writeAtomically(serialized(), to: root + "/" + LockFile.fileName)
    }

    // MARK: Reading

    /// Reads the work tree's `mlv.lock`; an empty lock when there is none.
    public static func load(root: String) throws -> LockFile {
        let path = root + "/" + fileName
        guard FileSystem.exists(path) else { return LockFile() }
        return try parse(FileSystem.readFile(path, limit: StructuredFile.maximumSize * 4), file: fileName)
    }

    /// Parses lock bytes strictly; errors name the file, revision, line and column.
    public static func parse(_ bytes: [UInt8], file: String = fileName, revision: String? = nil) throws -> LockFile {
        func fail(_ reason: String, _ line: Int?, _ column: Int?) -> StructuredFileError {
            StructuredFileError(file: file, revision: revision, line: line, column: column,
                                reason: reason + (revision == nil ? "; restore it with `git checkout -- \(file)` or rerun `mlv train`" : ""))
        }
        func at(_ node: Node, _ reason: String) -> StructuredFileError { fail(reason, node.mark?.line, node.mark?.column) }
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw fail("is not UTF-8 text", nil, nil) }
        let root: Node?
        // The basic resolver: mlv writes every value in a known form, and implicit tag
        // resolution (regular expressions per scalar) would dominate history walks.
        root = try YAMLSupport.compose(text, resolver: .basic, fail: fail)
        guard let root, root.mapping != nil else { throw fail("is not an mlv lock (expected `schema:` and `stages:`)", nil, nil) }
        var stages: [LockedStage] = []
        var schema: Int?
        for pair in try YAMLSupport.pairs(of: root, fail: fail) {
            switch pair.key {
            case "schema":
                guard let value = YAMLSupport.int(pair.value) else { throw at(pair.value, "`schema` must be a number") }
                guard value == LockFile.schema else {
                    throw at(pair.value, "has schema \(value); this mlv reads schema \(LockFile.schema) — upgrade mlv")
                }
                schema = value
            case "stages":
                if pair.value.scalar?.string == "" || pair.value.null != nil { continue }
                guard pair.value.mapping != nil else { throw at(pair.value, "`stages` must be a mapping") }
                for stage in try YAMLSupport.pairs(of: pair.value, fail: fail) {
                    stages.append(try LockReader(fail: fail).stage(stage.key, stage.value))
                }
            default:
                throw at(pair.keyNode, "has unknown key `\(pair.key)`")
            }
        }
        guard schema != nil else { throw fail("has no `schema`", nil, nil) }
        return LockFile(stages: stages)
    }
}

/// Reads one stage of a lock, strictly.
private struct LockReader {
    let fail: (String, Int?, Int?) -> StructuredFileError

    func at(_ node: Node, _ reason: String) -> StructuredFileError { fail(reason, node.mark?.line, node.mark?.column) }

    func fields(_ node: Node, allowed: [String], required: [String], what: String) throws -> [String: Node] {
        guard node.mapping != nil else { throw at(node, "\(what) must be a mapping") }
        var result: [String: Node] = [:]
        for pair in try YAMLSupport.pairs(of: node, fail: fail) {
            guard allowed.contains(pair.key) else { throw at(pair.keyNode, "\(what) has unknown key `\(pair.key)`") }
            result[pair.key] = pair.value
        }
        for key in required where result[key] == nil { throw at(node, "\(what) has no `\(key)`") }
        return result
    }

    func string(_ node: Node, _ what: String) throws -> String {
        guard let scalar = node.scalar else { throw at(node, "\(what) must be text") }
        return scalar.string
    }

    func id(_ node: Node, _ what: String) throws -> ObjectID {
        guard let text = node.scalar?.string, let id = ObjectID(hex: text) else { throw at(node, "\(what) must be 64 lower-case hex digits") }
        return id
    }

    func list(_ node: Node, _ what: String) throws -> [Node] {
        guard let sequence = node.sequence else { throw at(node, "\(what) must be a list") }
        return Array(sequence)
    }

    func path(_ node: Node, _ what: String) throws -> String {
        let text = try string(node, what)
        if let problem = RelativePath.trackedPathProblem(text) {
            throw at(node, "\(what) `\(text.prefix(100))` \(problem)")
        }
        return text
    }

    func kind(_ node: Node?, _ what: String) throws -> PointerFile.Kind {
        guard let node else { return .file }
        guard let text = node.scalar?.string, let kind = PointerFile.Kind(rawValue: text) else {
            throw at(node, "\(what) must be `file` or `directory`")
        }
        return kind
    }

    func stage(_ name: String, _ node: Node) throws -> LockedStage {
        let what = "stage `\(name)`"
        let f = try fields(node, allowed: ["cmd", "wdir", "deps", "params", "outs", "metrics", "plots", "run"],
                           required: ["cmd", "deps", "outs", "run"], what: what)
        var deps: [LockedDep] = []
        for item in try list(f["deps"]!, "\(what) deps") {
            let d = try fields(item, allowed: ["path", "type", "id"], required: ["path", "id"], what: "a dep of \(what)")
            deps.append(LockedDep(path: try path(d["path"]!, "dep path"), id: try id(d["id"]!, "dep id"), kind: try kind(d["type"], "dep type")))
        }
        var params: [LockedParam] = []
        if let paramsNode = f["params"] {
            guard paramsNode.mapping != nil else { throw at(paramsNode, "\(what) params must be a mapping of files to values") }
            for file in try YAMLSupport.pairs(of: paramsNode, fail: fail) {
                guard file.value.mapping != nil else { throw at(file.value, "\(what) params of \(file.key) must be a mapping") }
                for param in try YAMLSupport.pairs(of: file.value, fail: fail) {
                    params.append(LockedParam(file: file.key, key: param.key, value: try YAMLSupport.value(of: param.value, fail: fail)))
                }
            }
        }
        var outs: [TrackedPath] = []
        for item in try list(f["outs"]!, "\(what) outs") {
            let o = try fields(item, allowed: ["path", "type", "id", "size", "files"], required: ["path", "id", "size"], what: "an output of \(what)")
            let outPath = try path(o["path"]!, "output path")
            let outKind = try kind(o["type"], "output type")
            guard let size = YAMLSupport.int(o["size"]!).map(Int64.init), size >= 0, size <= (1 << 53) else { throw at(o["size"]!, "output size must be a whole number of bytes") }
            var files: Int?
            if outKind == .directory {
                guard let count = YAMLSupport.int(o["files"]), count >= 0 else { throw at(item, "a directory output needs a `files` count") }
                files = count
            }
            let pointer = PointerFile(name: PathName.lastComponent(of: outPath), kind: outKind, id: try id(o["id"]!, "output id"),
                                      size: size, fileCount: files)
            outs.append(TrackedPath(dataPath: outPath, pointer: pointer))
        }
        var metrics: [LockedMetrics] = []
        if let metricsNode = f["metrics"] {
            for item in try list(metricsNode, "\(what) metrics") {
                let m = try fields(item, allowed: ["path", "id", "values"], required: ["path", "id"], what: "a metrics file of \(what)")
                var keys: [String] = [], values: [String: StructuredValue] = [:]
                if let valuesNode = m["values"], valuesNode.mapping != nil {
                    for pair in try YAMLSupport.pairs(of: valuesNode, fail: fail) {
                        keys.append(pair.key)
                        values[pair.key] = try YAMLSupport.value(of: pair.value, fail: fail)
                    }
                }
                metrics.append(LockedMetrics(path: try path(m["path"]!, "metrics path"), id: try id(m["id"]!, "metrics id"), values: values, keys: keys))
            }
        }
        var plots: [LockedPlot] = []
        if let plotsNode = f["plots"] {
            for item in try list(plotsNode, "\(what) plots") {
                let p = try fields(item, allowed: ["path", "id"], required: ["path", "id"], what: "a plot file of \(what)")
                plots.append(LockedPlot(path: try path(p["path"]!, "plot path"), id: try id(p["id"]!, "plot id")))
            }
        }
        let r = try fields(f["run"]!, allowed: ["started", "duration", "mlv", "commit", "dirty"], required: ["started"], what: "\(what) run")
        let run = RunInfo(started: try string(r["started"]!, "run start"),
                          duration: YAMLSupport.double(r["duration"]) ?? 0,
                          mlvVersion: r["mlv"]?.scalar?.string ?? "",
                          commit: r["commit"].flatMap { $0.null != nil ? nil : $0.scalar?.string },
                          dirty: r["dirty"]?.bool ?? false)
        return LockedStage(name: name, cmd: try string(f["cmd"]!, "\(what) cmd"), wdir: f["wdir"].map { $0.scalar?.string ?? "" } ?? "",
                           deps: deps, params: params, outs: outs, metrics: metrics, plots: plots, run: run)
    }
}
