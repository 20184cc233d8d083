import Foundation

/// Counts of a classification (binary or multiclass) as rows arrive, and the metrics
/// scikit-learn defines over them (`zero_division=0`): accuracy, balanced accuracy, precision,
/// recall and F1 per class and macro/micro/weighted, the confusion matrix, Matthews
/// correlation, and with scores ROC-AUC, average precision, log loss and Brier score.
final class ClassificationAccumulator {
    let binary: Bool
    private(set) var classes: [String] = []
    private var classIndex: [String: Int] = [:]
    private var pairs: [Int: Int] = [:]
    private(set) var rows = 0
    /// Per scored row: the true class (index into `classes`) and the score columns.
    private var scoredTruth: [Int32] = []
    private var scores: [[Double]] = []

    init(binary: Bool, scoreColumns: Int) {
        self.binary = binary
        scores = Array(repeating: [], count: scoreColumns)
    }

    /// The class's index, adding it; nil when a binary task would get a third class.
    private func index(of label: String) -> Int? {
        if let index = classIndex[label] { return index }
        if binary && classes.count == 2 { return nil }
        classIndex[label] = classes.count
        classes.append(label)
        return classes.count - 1
    }

    /// Adds a row; returns the label that would be a third class of a binary task, if any.
    func add(label: String, prediction: String, scores rowScores: [Double]?) -> String? {
        guard let truth = index(of: label) else { return label }
        guard let predicted = index(of: prediction) else { return prediction }
        pairs[truth << 20 | predicted, default: 0] += 1
        rows += 1
        if let rowScores {
            scoredTruth.append(Int32(truth))
            for (column, value) in rowScores.enumerated() { scores[column].append(value) }
        }
        return nil
    }

    /// Classes in scikit-learn's order: numerically when every label is a number, else by
    /// code point (as `np.unique` sorts).
    var sortedClasses: [String] {
        let numbers = classes.map { Double($0.trimmingCharacters(in: .whitespaces)) }
        if numbers.allSatisfy({ $0 != nil && $0!.isFinite }) {
            return zip(classes, numbers).sorted { $0.1! < $1.1! }.map(\.0)
        }
        return classes.sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
    }

    /// The positive class of a binary task: `posLabel`, else `1`, `true` or `True` when
    /// present, else the last class in order.
    func positiveClass(_ posLabel: String?) -> String? {
        if let posLabel { return posLabel }
        let order = sortedClasses
        return ["1", "true", "True", "1.0"].first(where: order.contains) ?? order.last
    }

    /// The confusion matrix in `sortedClasses` order (rows: truth, columns: prediction).
    var confusion: [[Int]] {
        let order = sortedClasses
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { (classIndex[$0.element]!, $0.offset) })
        var matrix = Array(repeating: Array(repeating: 0, count: order.count), count: order.count)
        for (key, count) in pairs { matrix[position[key >> 20]!][position[key & 0xFFFFF]!] += count }
        return matrix
    }

    func metrics(posLabel: String?, scoreColumns: Int) -> [(String, StructuredValue)] {
        let order = sortedClasses
        let matrix = confusion
        let k = order.count
        let total = Double(rows)
        var tp = [Double](repeating: 0, count: k), predicted = tp, actual = tp
        for i in 0..<k {
            for j in 0..<k {
                let count = Double(matrix[i][j])
                predicted[j] += count
                actual[i] += count
            }
            tp[i] = Double(matrix[i][i])
        }
        func divide(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
        let precision = (0..<k).map { divide(tp[$0], predicted[$0]) }
        let recall = (0..<k).map { divide(tp[$0], actual[$0]) }
        let f1 = (0..<k).map { divide(2 * tp[$0], 2 * tp[$0] + (predicted[$0] - tp[$0]) + (actual[$0] - tp[$0])) }
        let correct = tp.reduce(0, +)
        var out: [(String, StructuredValue)] = [("rows", .int(rows)), ("accuracy", .double(divide(correct, total)))]
        let present = (0..<k).filter { actual[$0] > 0 }
        out.append(("balanced_accuracy", .double(present.isEmpty ? 0 : present.map { recall[$0] }.reduce(0, +) / Double(present.count))))
        let positive = binary ? positiveClass(posLabel) : nil
        if let positive {
            out.append(("pos_label", .string(positive)))
            if let p = order.firstIndex(of: positive) {
                out += [("precision", .double(precision[p])), ("recall", .double(recall[p])), ("f1", .double(f1[p]))]
            } else {
                out += [("precision", .double(0)), ("recall", .double(0)), ("f1", .double(0))]
            }
        }
        // Matthews correlation, multiclass form (equal to the binary one for two classes).
        let covariance = correct * total - zip(actual, predicted).map(*).reduce(0, +)
        let predictedSpread = total * total - predicted.map { $0 * $0 }.reduce(0, +)
        let actualSpread = total * total - actual.map { $0 * $0 }.reduce(0, +)
        out.append(("mcc", .double(predictedSpread * actualSpread == 0 ? 0 : covariance / (predictedSpread * actualSpread).squareRoot())))
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        func weighted(_ values: [Double]) -> Double { divide(zip(values, actual).map(*).reduce(0, +), actual.reduce(0, +)) }
        func triple(_ p: Double, _ r: Double, _ f: Double) -> StructuredValue {
            .map(keys: ["precision", "recall", "f1"], values: ["precision": .double(p), "recall": .double(r), "f1": .double(f)])
        }
        let fp = predicted.reduce(0, +) - correct, fn = actual.reduce(0, +) - correct
        out.append(("macro", triple(mean(precision), mean(recall), mean(f1))))
        out.append(("micro", triple(divide(correct, predicted.reduce(0, +)), divide(correct, actual.reduce(0, +)), divide(2 * correct, 2 * correct + fp + fn))))
        out.append(("weighted", triple(weighted(precision), weighted(recall), weighted(f1))))
        var perClass: [String: StructuredValue] = [:]
        for (i, name) in order.enumerated() {
            perClass[name] = .map(keys: ["precision", "recall", "f1", "support"], values: [
                "precision": .double(precision[i]), "recall": .double(recall[i]), "f1": .double(f1[i]), "support": .int(Int(actual[i])),
            ])
        }
        out.append(("per_class", .map(keys: order, values: perClass)))
        if scoreColumns > 0 { out += scoreMetrics(order: order, positive: positive) }
        return out
    }

    /// Metrics of the score columns: one column, the positive class's probability (binary); or
    /// one column per class in order (multiclass, one-vs-rest macro averages).
    private func scoreMetrics(order: [String], positive: String?) -> [(String, StructuredValue)] {
        let truthNames = scoredTruth.map { classes[Int($0)] }
        func value(_ number: Double?) -> StructuredValue { number.map(StructuredValue.double) ?? .null }
        let epsilon = Double.ulpOfOne
        if binary {
            let column = scores[0]
            let isPositive = truthNames.map { $0 == positive }
            let curves = RankingCurves(scores: column, positive: isPositive)
            let probabilities = column.allSatisfy { $0 >= 0 && $0 <= 1 }
            var logLoss = PreciseSum(), brier = PreciseSum()
            for (p, truth) in zip(column, isPositive) {
                let p1 = min(max(p, epsilon), 1 - epsilon), p0 = min(max(1 - p, epsilon), 1 - epsilon)
                logLoss.add(-Foundation.log((truth ? p1 : p0) / (p0 + p1)))
                brier.add((p - (truth ? 1 : 0)) * (p - (truth ? 1 : 0)))
            }
            let n = Double(column.count)
            return [("roc_auc", value(curves.rocAUC)), ("average_precision", value(curves.averagePrecision)),
                    ("log_loss", probabilities && n > 0 ? .double(logLoss.value / n) : .null),
                    ("brier", probabilities && n > 0 ? .double(brier.value / n) : .null)]
        }
        var aucs: [Double] = [], precisions: [Double] = []
        var complete = true
        for (column, name) in zip(scores, order) {
            let curves = RankingCurves(scores: column, positive: truthNames.map { $0 == name })
            if let auc = curves.rocAUC, let ap = curves.averagePrecision { aucs.append(auc); precisions.append(ap) } else { complete = false }
        }
        var logLoss = PreciseSum()
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element, $0.offset) })
        let truthColumn = truthNames.map { position[$0]! }
        for row in 0..<scoredTruth.count {
            var sum = 0.0
            for column in scores.indices { sum += min(max(scores[column][row], epsilon), 1 - epsilon) }
            logLoss.add(-Foundation.log(min(max(scores[truthColumn[row]][row], epsilon), 1 - epsilon) / sum))
        }
        let n = Double(scoredTruth.count)
        return [("roc_auc", complete ? .double(aucs.reduce(0, +) / Double(aucs.count)) : .null),
                ("average_precision", complete ? .double(precisions.reduce(0, +) / Double(precisions.count)) : .null),
                ("log_loss", n > 0 ? .double(logLoss.value / n) : .null)]
    }

    /// Plot data: the confusion matrix, ROC and PR curves, calibration bins.
    func plots(posLabel: String?) -> [(name: String, value: StructuredValue)] {
        let order = sortedClasses
        var out: [(String, StructuredValue)] = [("confusion.json", .map(keys: ["kind", "labels", "matrix"], values: [
            "kind": .string("confusion"), "labels": .list(order.map(StructuredValue.string)),
            "matrix": .list(confusion.map { .list($0.map(StructuredValue.int)) }),
        ]))]
        guard !scores.isEmpty, !scoredTruth.isEmpty else { return out }
        let truthNames = scoredTruth.map { classes[Int($0)] }
        var roc: [StructuredValue] = [], pr: [StructuredValue] = []
        let named: [(String, [Double])] = binary ? [(positiveClass(posLabel) ?? "1", scores[0])] : Array(zip(order, scores))
        func curve(_ name: String, _ points: [(x: Double, y: Double, threshold: Double)], _ x: String, _ y: String) -> StructuredValue {
            .map(keys: ["name", x, y, "threshold"], values: [
                "name": .string(name), x: .list(points.map { .double($0.x) }), y: .list(points.map { .double($0.y) }),
                "threshold": .list(points.map { $0.threshold.isFinite ? .double($0.threshold) : .null }),
            ])
        }
        for (name, column) in named {
            let curves = RankingCurves(scores: column, positive: truthNames.map { $0 == name })
            roc.append(curve(name, curves.rocPoints(), "fpr", "tpr"))
            pr.append(curve(name, curves.precisionRecallPoints(), "recall", "precision"))
        }
        out.append(("roc.json", .map(keys: ["kind", "curves"], values: ["kind": .string("roc"), "curves": .list(roc)])))
        out.append(("pr.json", .map(keys: ["kind", "curves"], values: ["kind": .string("pr"), "curves": .list(pr)])))
        if binary, scores[0].allSatisfy({ $0 >= 0 && $0 <= 1 }), let positive = positiveClass(posLabel) {
            var sums = [Double](repeating: 0, count: 10), hits = sums, counts = [Int](repeating: 0, count: 10)
            for (p, truth) in zip(scores[0], truthNames) {
                let bin = min(9, Int(p * 10))
                sums[bin] += p
                hits[bin] += truth == positive ? 1 : 0
                counts[bin] += 1
            }
            let bins: [StructuredValue] = (0..<10).filter { counts[$0] > 0 }.map { bin in
                .map(keys: ["mean_predicted", "fraction_positive", "count"], values: [
                    "mean_predicted": .double(sums[bin] / Double(counts[bin])), "fraction_positive": .double(hits[bin] / Double(counts[bin])),
                    "count": .int(counts[bin]),
                ])
            }
            out.append(("calibration.json", .map(keys: ["kind", "bins"], values: ["kind": .string("calibration"), "bins": .list(bins)])))
        }
        return out
    }
}
