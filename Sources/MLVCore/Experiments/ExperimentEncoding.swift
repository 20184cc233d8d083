import Foundation

// `--json` forms of the experiment results, with the field names the README documents.

extension ExperimentTable: Encodable {
    enum CodingKeys: String, CodingKey { case params, metrics, experiments }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(paramColumns, forKey: .params)
        try c.encode(metricColumns, forKey: .metrics)
        let shown = rows.enumerated().map { index, row in
            ShownExperiment(row: row, params: paramColumns, metrics: metricColumns,
                            best: metricColumns.filter { best[$0]?.contains(index) == true })
        }
        try c.encode(shown, forKey: .experiments)
    }
}

/// One row of `exp show --json`.
struct ShownExperiment: Encodable {
    let row: ExperimentRow
    let params: [String]
    let metrics: [String]
    let best: [String]

    enum CodingKeys: String, CodingKey {
        case name, isBaseline = "is_baseline", baseline, commit, created, state, exitCode = "exit_code", params, metrics, gate, best
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row.name, forKey: .name)
        try c.encode(row.isBaseline, forKey: .isBaseline)
        try c.encode(row.baseline, forKey: .baseline)
        try c.encode(row.commit, forKey: .commit)
        try c.encode(row.created.map { PipelineRunner.timestamp($0) }, forKey: .created)
        try c.encode(row.state, forKey: .state)
        try c.encode(row.exitCode, forKey: .exitCode)
        var p = c.nestedContainer(keyedBy: NamedKey.self, forKey: .params)
        for key in params { try p.encode(ShownValue(row.params[key]), forKey: NamedKey(key)) }
        var m = c.nestedContainer(keyedBy: NamedKey.self, forKey: .metrics)
        for key in metrics { try m.encode(ShownValue(row.metrics[key]), forKey: NamedKey(key)) }
        try c.encode(row.gate, forKey: .gate)
        try c.encode(best, forKey: .best)
    }
}

/// `exp diff --json`: the params and the metrics changes.
public struct ExperimentDiffReport: Encodable {
    public let params: ChangeReport
    public let metrics: ChangeReport
    public init(params: ChangeReport, metrics: ChangeReport) {
        self.params = params
        self.metrics = metrics
    }
}
