import Foundation

/// What kind of predictions a file holds.
public enum EvaluationTask: String, Sendable, CaseIterable {
    case binary, multiclass, regression, text
}

/// An evaluation: the predictions file, its columns, and where the results go (`mlv evaluate`
/// or a stage's `evaluate:` key).
public struct EvaluationSpec: Equatable, Sendable {
    public var predictions: String
    public var task: EvaluationTask
    public var label = "label"
    public var prediction = "prediction"
    /// Binary: the positive class's probability (or any score). Multiclass: one column per
    /// class, in class order.
    public var scores: [String] = []
    /// Columns whose values each get the metrics of their rows too.
    public var sliceBy: [String] = []
    /// Binary: the positive class (default `1`, `true`, else the last class in order).
    public var posLabel: String?
    /// The metrics JSON file to write; the plots folder.
    public var output: String?
    public var plots: String?
    /// Rows of scores (or regression errors) ranked in memory before sorted runs go to
    /// temporary files: what bounds the memory a ranking needs.
    public var bufferRows = 1 << 20

    public init(predictions: String, task: EvaluationTask) {
        self.predictions = predictions
        self.task = task
    }

    /// The equivalent command line (what a stage with this `evaluate:` key records as its cmd).
    public var commandLine: String {
        var words = ["mlv", "evaluate", predictions, "--task", task.rawValue, "--label", label, "--prediction", prediction]
        for score in scores { words += ["--score", score] }
        for column in sliceBy { words += ["--slice-by", column] }
        if let posLabel { words += ["--pos-label", posLabel] }
        if let output { words += ["-o", output] }
        if let plots { words += ["--plots", plots] }
        return words.map { word in
            word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=".contains($0) }) && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

/// What an evaluation computed and wrote.
public struct EvaluationResult: Sendable {
    /// The metrics as written to the metrics file (`slices` included).
    public let metrics: StructuredValue
    public let rows: Int
    public let skipped: Int
    /// Files written (absolute paths).
    public let written: [String]
}

/// Reads predictions once, streaming, and computes the task's metrics overall and per slice;
/// writes the metrics JSON and the plot data atomically (nothing is written when anything fails).
public func evaluate(_ spec: EvaluationSpec, predictionsPath: String, outputPath: String?, plotsPath: String?) throws -> EvaluationResult {
    var columns = [spec.label, spec.prediction] + spec.scores + spec.sliceBy
    var seen = Set<String>()
    columns = columns.filter { seen.insert($0).inserted }
    let position = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($0.element, $0.offset) })
    var reader = try PredictionsReader(path: predictionsPath, display: spec.predictions, columns: columns)
    defer { reader.close() }
    let file = spec.predictions
    func number(_ text: String, column: String) throws -> Double? {
        if let value = FastNumber.parse(text), value.isFinite { return value }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.lowercased() == "nan" || trimmed.lowercased() == "null" { return nil }
        guard let value = Double(trimmed), value.isFinite else { throw EvaluationError.notNumber(file: file, row: reader.line, column: column, value: text) }
        return value
    }
    let overall = Evaluation(task: spec.task, scoreColumns: spec.scores.count, bufferRows: spec.bufferRows)
    var slices: [String: Evaluation] = [:]
    var sliceOrder: [String] = []
    var skipped = 0
    let scorePositions = spec.scores.map { position[$0]! }
    let labelPosition = position[spec.label]!, predictionPosition = position[spec.prediction]!
    let slicePositions = spec.sliceBy.map { ($0, position[$0]!) }
    var scoreBuffer: [Double] = []
    var targets: [Evaluation] = []
    while let row = try reader.next() {
        // An empty text is an answer (SQuAD scores empty answers); elsewhere it is a missing value.
        guard let label = row[labelPosition], let prediction = row[predictionPosition],
              spec.task == .text || (!label.isEmpty && !prediction.isEmpty) else { skipped += 1; continue }
        var scores: [Double]?
        if !spec.scores.isEmpty {
            scoreBuffer.removeAll(keepingCapacity: true)
            for index in scorePositions {
                guard let text = row[index], let value = try number(text, column: columns[index]) else { break }
                scoreBuffer.append(value)
            }
            guard scoreBuffer.count == spec.scores.count else { skipped += 1; continue }
            scores = scoreBuffer
        }
        targets.removeAll(keepingCapacity: true)
        targets.append(overall)
        for (column, index) in slicePositions {
            let key = column + "=" + (row[index] ?? "")
            if slices[key] == nil { slices[key] = Evaluation(task: spec.task, scoreColumns: spec.scores.count, bufferRows: spec.bufferRows); sliceOrder.append(key) }
            targets.append(slices[key]!)
        }
        switch spec.task {
        case .binary, .multiclass:
            for target in targets {
                if let extra = try target.classification!.add(label: label, prediction: prediction, scores: scores) {
                    throw EvaluationError.tooManyClasses(file: file, row: reader.line, column: extra == label ? spec.label : spec.prediction,
                                                         value: extra, classes: target.classification!.sortedClasses)
                }
            }
        case .regression:
            guard let y = try number(label, column: spec.label), let p = try number(prediction, column: spec.prediction) else { skipped += 1; continue }
            for target in targets { try target.regression!.add(y, p) }
        case .text:
            for target in targets { target.text!.add(reference: label, output: prediction) }
        }
    }
    guard overall.rows > 0 else { throw EvaluationError.noRows(file) }
    if spec.task == .multiclass, !spec.scores.isEmpty, overall.classification!.classes.count != spec.scores.count {
        throw EvaluationError.scoreColumns(expected: overall.classification!.classes.count, found: spec.scores.count,
                                           classes: overall.classification!.sortedClasses)
    }
    let positive = spec.task == .binary ? overall.classification!.positiveClass(spec.posLabel) : nil
    var keys = ["task"], values: [String: StructuredValue] = ["task": .string(spec.task.rawValue)]
    for (key, value) in try overall.metrics(posLabel: positive) { keys.append(key); values[key] = value }
    keys.append("rows_skipped")
    values["rows_skipped"] = .int(skipped)
    if !sliceOrder.isEmpty {
        var sliceValues: [String: StructuredValue] = [:]
        for key in sliceOrder {
            let metrics = try slices[key]!.metrics(posLabel: positive)
            sliceValues[key] = .map(keys: metrics.map(\.0), values: Dictionary(uniqueKeysWithValues: metrics))
        }
        keys.append("slices")
        values["slices"] = .map(keys: sliceOrder, values: sliceValues)
    }
    let metrics = StructuredValue.map(keys: keys, values: values)
    var written: [String] = []
    // Everything is rendered before anything is written.
    var files: [(String, [UInt8])] = []
    if let outputPath {
        guard let text = metrics.jsonText() else { throw EvaluationError.badSpec("the metrics of \(file) are not finite numbers") }
        files.append((outputPath, Array((text + "\n").utf8)))
    }
    if let plotsPath {
        for (name, value) in try overall.plots(posLabel: positive) {
            guard let text = value.jsonText() else { continue }
            files.append((plotsPath + "/" + name, Array((text + "\n").utf8)))
        }
    }
    for (path, bytes) in files {
        try FileSystem.createDirectory(PathName.parent(of: path))
        try FileSystem.writeAtomically(bytes, to: path)
        written.append(path)
    }
    return EvaluationResult(metrics: metrics, rows: overall.rows, skipped: skipped, written: written)
}

/// One set of accumulators (the whole file, or one slice).
final class Evaluation {
    let classification: ClassificationAccumulator?
    let regression: RegressionAccumulator?
    let text: TextAccumulator?
    let scoreColumns: Int

    init(task: EvaluationTask, scoreColumns: Int, bufferRows: Int) {
        self.scoreColumns = scoreColumns
        classification = task == .binary || task == .multiclass
            ? ClassificationAccumulator(binary: task == .binary, scoreColumns: scoreColumns, bufferRows: bufferRows) : nil
        regression = task == .regression ? RegressionAccumulator(bufferRows: bufferRows) : nil
        text = task == .text ? TextAccumulator() : nil
    }

    var rows: Int { classification?.rows ?? regression?.rows ?? text?.rows ?? 0 }

    func metrics(posLabel: String?) throws -> [(String, StructuredValue)] {
        if let classification { return try classification.metrics(posLabel: posLabel) }
        if let regression { return try regression.metrics() }
        return text!.metrics()
    }

    func plots(posLabel: String?) throws -> [(name: String, value: StructuredValue)] {
        try classification?.plots(posLabel: posLabel) ?? regression?.plots() ?? text!.plots()
    }
}
