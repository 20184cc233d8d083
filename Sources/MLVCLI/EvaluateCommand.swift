import ArgumentParser
import Foundation
import MLVCore

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compute standard metrics from a predictions file (streamed), as scikit-learn defines them.",
        discussion: """
        PREDICTIONS is CSV or TSV with a header, or JSON Lines. Tasks: binary and multiclass \
        (accuracy, balanced accuracy, precision/recall/F1 per class and macro/micro/weighted, \
        confusion matrix, Matthews correlation; with --score: ROC-AUC, average precision, log \
        loss, Brier), regression (MAE, MSE, RMSE, R², MAPE, median and max absolute error), text \
        (SQuAD exact match and token F1, output length). Rows with an empty label or prediction \
        (or score) are skipped and counted. The same is available as a stage key, `evaluate:`.
        """)

    @Argument(help: "The predictions file.") var predictions: String
    @Option(help: "binary, multiclass, regression or text.") var task: String
    @Option(help: "The column of true labels (or reference texts).") var label = "label"
    @Option(help: "The column of predictions.") var prediction = "prediction"
    @Option(help: "Score columns: binary, the positive class's probability; multiclass, one per class in class order (repeatable).") var score: [String] = []
    @Option(help: "Also compute the metrics per value of this column (repeatable).") var sliceBy: [String] = []
    @Option(help: "Binary: the positive class (default 1, true, else the last class in order).") var posLabel: String?
    @Option(name: .shortAndLong, help: "Write the metrics to this JSON file.") var output: String?
    @Option(help: "Write plot data (confusion matrix, ROC and PR curves, calibration) into this folder.") var plots: String?
    @Option(help: "Rows of scores or errors ranked in memory before sorted runs go to temporary files (bounds memory).") var bufferRows = 1 << 20
    @Flag(help: "Print the metrics as JSON.") var json = false

    func run() throws {
        try runReportingErrors {
            guard let kind = EvaluationTask(rawValue: task) else { throw EvaluationError.unknownTask(task) }
            var spec = EvaluationSpec(predictions: predictions, task: kind)
            spec.label = label
            spec.prediction = prediction
            spec.scores = score
            spec.sliceBy = sliceBy
            spec.posLabel = posLabel
            spec.output = output
            spec.plots = plots
            spec.bufferRows = bufferRows
            func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : currentDirectory + "/" + path }
            let result = try evaluate(spec, predictionsPath: absolute(predictions), outputPath: output.map(absolute), plotsPath: plots.map(absolute))
            if json {
                print(result.metrics.jsonText() ?? "{}")
                return
            }
            let format = NumberFormat(precision: 6)
            var rows: [[String]] = []
            if case .map(let keys, let values) = result.metrics {
                for key in keys {
                    switch values[key]! {
                    case .map, .list: continue
                    case let value: rows.append([key, format.string(value)])
                    }
                }
            }
            print(Terminal.table([["Metric", "Value"]] + rows))
            if !result.written.isEmpty {
                print("Wrote " + result.written.map { $0.hasPrefix(currentDirectory + "/") ? String($0.dropFirst(currentDirectory.count + 1)) : $0 }.joined(separator: ", "))
            }
        }
    }
}
