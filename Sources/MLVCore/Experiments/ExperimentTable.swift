import Foundation
import MLVGit

/// What `mlv exp show` lists.
public struct ExperimentShowOptions: Sendable {
    /// Baselines to show (revisions); empty: HEAD.
    public var revisions: [String] = []
    public var allBaselines = false
    /// A column (param, metric, `name`, `created`) and whether to sort descending.
    public var sortBy: String?
    public var descending = false
    /// Drop metric columns whose value is the same in every row (params are always so).
    public var onlyChanged = false
    public var keep: String?
    public var drop: String?
    /// Also evaluate each baseline commit's gates against its first parent (the web app's runs).
    public var gateBaselinesAgainstParent = false
    public init() {}
}

/// One row: a baseline commit or one of its experiments.
public struct ExperimentRow: Sendable {
    public let name: String
    public let isBaseline: Bool
    /// The baseline's id (hex).
    public let baseline: String
    public let commit: String?
    public let created: Date?
    /// `baseline`, or an experiment's state (done, failed, queued, running, interrupted).
    public let state: String
    public let exitCode: Int32?
    public let params: [String: StructuredValue]
    public let metrics: [String: StructuredValue]
    /// `pass`, `fail`, or nil when `mlv.yaml` has no gates (or for a baseline).
    public let gate: String?
}

/// The table of experiments: columns in order, rows grouped by baseline (baseline first), and
/// the best value of each metric with a direction.
public struct ExperimentTable: Sendable {
    public let paramColumns: [String]
    public let metricColumns: [String]
    public let rows: [ExperimentRow]
    /// Metric column -> indexes of the rows holding its best value.
    public let best: [String: Set<Int>]
    public let directions: [String: MetricDirection]
}

/// Builds `exp show`'s table. It reads only the references and commits it shows.
public func experimentTable(_ options: ExperimentShowOptions, project: Project) throws -> ExperimentTable {
    project.loadHistoryIndex()
    var baselines: [(id: GitObjectID, label: String)] = []
    let all = try ExperimentRefs.list(project: project)
    let entries = try ExperimentQueue(project: project).all()
    if options.allBaselines {
        var seen = Set<GitObjectID>()
        let ids = all.map(\.baseline) + entries.compactMap { GitObjectID(hex: $0.baseline) }
        for id in ids where seen.insert(id).inserted { baselines.append((id, id.short)) }
    } else if !options.revisions.isEmpty {
        for revision in options.revisions { baselines.append((try project.resolveCommit(revision), revision)) }
    } else {
        guard let head = try project.git.headCommit() else { throw ExperimentError.noBaseline }
        baselines.append((head, project.git.currentBranch() ?? head.short))
    }
    var rows: [ExperimentRow] = []
    var directions: [String: MetricDirection] = [:]
    let reader = RevisionValues(project: project)
    for (baseline, label) in baselines {
        let baseRevision = Revision.commit(baseline, label: label)
        let baseParams = try reader.params(baseRevision)
        let baseSnapshot = try MetricsSnapshot.read(baseRevision, project: project)
        let info = try project.commitInfo(baseline)
        directions.merge(try baseRevision.pipeline(project: project)?.metricDirections ?? [:]) { a, _ in a }
        var group: [ExperimentRow] = []
        for experiment in all where experiment.baseline == baseline {
            let revision = Revision.commit(experiment.commit, label: experiment.name)
            let snapshot = try MetricsSnapshot.read(revision, project: project)
            group.append(ExperimentRow(
                name: experiment.name, isBaseline: false, baseline: baseline.hex, commit: experiment.commit.hex,
                created: try project.commitInfo(experiment.commit).time, state: "done", exitCode: nil,
                params: try reader.params(revision), metrics: RevisionValues.metrics(snapshot),
                gate: RevisionValues.gate(revision, snapshot: snapshot, baseline: baseSnapshot, project: project)))
        }
        for entry in entries where entry.baseline == baseline.hex && entry.state != .done {
            var params = baseParams
            for assignment in entry.assignments {
                let column = RevisionValues.column(file: assignment.file, key: assignment.key)
                params[column] = try? ParamOverride.scalar(assignment.value) { .badOverride(assignment.display, reason: $0) }
            }
            group.append(ExperimentRow(
                name: entry.name, isBaseline: false, baseline: baseline.hex, commit: nil,
                created: ISO8601DateFormatter().date(from: entry.created), state: entry.state.rawValue, exitCode: entry.exitCode,
                params: params, metrics: [:], gate: nil))
        }
        if let column = options.sortBy {
            group.sort { ExperimentTable.precedes($0, $1, column: column, descending: options.descending) }
        } else {
            // Oldest first; a sweep made in one second keeps the order it was asked for.
            let order = Dictionary(entries.compactMap { entry in entry.commit.map { ($0, entry.id) } } + entries.map { ("id:" + $0.name, $0.id) },
                                   uniquingKeysWith: { a, _ in a })
            func key(_ row: ExperimentRow) -> String {
                let id = row.commit.flatMap { order[$0] } ?? (row.commit == nil ? order["id:" + row.name] : nil)
                return id ?? ((row.created.map(ExperimentQueue.second) ?? "") + "-9999-" + row.name)
            }
            let keys = Dictionary(group.map { ($0.name, key($0)) }, uniquingKeysWith: { a, _ in a })
            group.sort { keys[$0.name]! < keys[$1.name]! }
        }
        var baseGate: String?
        if options.gateBaselinesAgainstParent, let parent = info.parents.first {
            let parentSnapshot = try MetricsSnapshot.read(.commit(parent, label: parent.short), project: project)
            baseGate = RevisionValues.gate(baseRevision, snapshot: baseSnapshot, baseline: parentSnapshot, project: project)
        }
        rows.append(ExperimentRow(name: label, isBaseline: true, baseline: baseline.hex, commit: baseline.hex, created: info.time,
                                  state: "baseline", exitCode: nil, params: baseParams, metrics: RevisionValues.metrics(baseSnapshot), gate: baseGate))
        rows += group
    }
    func differs(_ column: String, _ values: (ExperimentRow) -> StructuredValue?) -> Bool {
        let seen = rows.map { values($0)?.canonical ?? "" }
        return Set(seen).count > 1
    }
    let keep = try options.keep.map { try NSRegularExpression(pattern: $0) }
    let drop = try options.drop.map { try NSRegularExpression(pattern: $0) }
    func wanted(_ column: String) -> Bool {
        let range = NSRange(column.startIndex..., in: column)
        if let keep, keep.firstMatch(in: column, range: range) != nil { return true }
        if let drop, drop.firstMatch(in: column, range: range) != nil { return false }
        return keep == nil
    }
    var paramColumns: [String] = [], metricColumns: [String] = []
    for row in rows {
        for key in row.params.keys.sorted() where !paramColumns.contains(key) { paramColumns.append(key) }
        for key in row.metrics.keys.sorted() where !metricColumns.contains(key) { metricColumns.append(key) }
    }
    paramColumns = paramColumns.filter { column in wanted(column) && differs(column) { $0.params[column] } }
    metricColumns = metricColumns.filter { column in wanted(column) && (!options.onlyChanged || differs(column) { $0.metrics[column] }) }
    var best: [String: Set<Int>] = [:]
    for column in metricColumns {
        guard let direction = directions[column] ?? directions.first(where: { column.hasSuffix(":" + $0.key) })?.value else { continue }
        let numbers = rows.enumerated().compactMap { index, row in row.metrics[column]?.number.map { (index, $0) } }.filter { $0.1.isFinite }
        guard let target = direction == .higherIsBetter ? numbers.map(\.1).max() : numbers.map(\.1).min() else { continue }
        best[column] = Set(numbers.filter { $0.1 == target }.map(\.0))
    }
    return ExperimentTable(paramColumns: paramColumns, metricColumns: metricColumns, rows: rows, best: best, directions: directions)
}

extension ExperimentTable {
    /// Orders experiments by a column: numbers numerically, then text; rows without it last.
    static func precedes(_ a: ExperimentRow, _ b: ExperimentRow, column: String, descending: Bool) -> Bool {
        func value(_ row: ExperimentRow) -> StructuredValue? {
            switch column {
            case "name": return .string(row.name)
            case "created": return row.created.map { .double($0.timeIntervalSince1970) }
            case "state": return .string(row.state)
            default: return row.metrics[column] ?? row.params[column]
            }
        }
        guard let x = value(a) else { return false }
        guard let y = value(b) else { return true }
        if let p = x.number, let q = y.number, p != q { return descending ? p > q : p < q }
        if x.number == nil || y.number == nil, x.display != y.display { return descending ? x.display > y.display : x.display < y.display }
        return a.name < b.name
    }
}

/// Reads params and metrics of revisions, parsing each committed file once.
struct RevisionValues {
    let project: Project

    static func column(file: String, key: String) -> String {
        file == PipelineDefinition.defaultParamsFile ? key : file + ":" + key
    }

    /// Every leaf of the params files the revision's stages read.
    func params(_ revision: Revision) throws -> [String: StructuredValue] {
        guard let pipeline = try? revision.pipeline(project: project) else { return [:] }
        var values: [String: StructuredValue] = [:]
        for file in Set(pipeline.stages.flatMap(\.paramFiles)).sorted() {
            guard let parsed = try? revision.flattenedFile(file, project: project) else { continue }
            for (key, value) in parsed { values[Self.column(file: file, key: key)] = value }
        }
        return values
    }

    /// `pass` or `fail` of the revision's gates against the baseline's metrics; nil without gates.
    static func gate(_ revision: Revision, snapshot: MetricsSnapshot, baseline: MetricsSnapshot, project: Project) -> String? {
        guard let pipeline = try? revision.pipeline(project: project) else { return "fail" }
        guard !pipeline.gates.isEmpty else { return nil }
        let evaluator = GateEvaluator(rules: pipeline.gates, missingBaseline: .skip(reason: "no baseline"))
        guard let results = try? evaluator.evaluate(snapshot, baseline: baseline) else { return "fail" }
        return results.allSatisfy(\.passed) ? "pass" : "fail"
    }

    /// The metrics of a snapshot by key (`file:key` when several files declare metrics).
    static func metrics(_ snapshot: MetricsSnapshot) -> [String: StructuredValue] {
        let files = Set(snapshot.values.map(\.file))
        var values: [String: StructuredValue] = [:]
        for value in snapshot.values { values[files.count > 1 ? value.file + ":" + value.key : value.key] = value.value }
        return values
    }
}
