import Foundation

/// Counts of a classification (binary or multiclass) as rows arrive, and the metrics
/// scikit-learn defines over them (`zero_division=0`): accuracy, balanced accuracy, precision,
/// recall and F1 per class and macro/micro/weighted, the confusion matrix, Matthews
/// correlation, and with scores ROC-AUC, average precision, log loss and Brier score.
final class ClassificationAccumulator {
    let binary: Bool
    private(set) var classes: [String] = []
    private var classIndex: [String: Int] = [:]
    /// Counts by (true, predicted) class index, `stride` wide; grown when a class appears.
    private var pairs: [Int] = []
    private var stride = 0
    private(set) var rows = 0
    let scoreColumns: Int
    /// Multiclass: each score column's rows ranked (with their true class), and the log loss
    /// summed per (true class, column), since which column is a row's class is known only when
    /// all classes are (columns follow the sorted classes).
    private var columnRankings: [SpillingRanking] = []
    private var classLogLoss: [[PreciseSum]] = []
    private var scoredRows = 0
    /// Binary scores are kept as counts and sums, never per row: the positive class is known
    /// only at the end, so each sum is kept for either class being the positive one.
    private var ranking: ScoreRanking
    /// Curves already merged from the rankings (a merge reads every run on disk once).
    private var curvesCache: [RankingCurves]?
    private var binaryCacheSecond: Bool?
    private var logLoss = [PreciseSum(), PreciseSum()]
    private var brier = [PreciseSum(), PreciseSum()]
    private var probabilities = true
    /// Calibration bins: sum of scores, rows, rows whose truth is the second class.
    private var binSums = [Double](repeating: 0, count: 10), binRows = [Int](repeating: 0, count: 10), binSeconds = [Int](repeating: 0, count: 10)

    init(binary: Bool, scoreColumns: Int, bufferRows: Int) {
        self.binary = binary
        self.scoreColumns = scoreColumns
        ranking = ScoreRanking(bufferRows: bufferRows)
        if !binary { columnRankings = (0..<scoreColumns).map { _ in SpillingRanking(bufferRows: bufferRows) } }
    }

    /// The class's index, adding it; nil when a binary task would get a third class.
    private func index(of label: String) -> Int? {
        // Few classes: comparing small strings beats hashing them.
        if classes.count <= 8 {
            for (index, known) in classes.enumerated() where known == label { return index }
        } else if let index = classIndex[label] {
            return index
        }
        if binary && classes.count == 2 { return nil }
        classIndex[label] = classes.count
        classes.append(label)
        if classes.count > stride {
            let wider = max(4, stride * 2)
            var grown = [Int](repeating: 0, count: wider * wider)
            for i in 0..<stride { for j in 0..<stride { grown[i * wider + j] = pairs[i * stride + j] } }
            pairs = grown
            stride = wider
        }
        return classes.count - 1
    }

    /// Adds a row; returns the label that would be a third class of a binary task, if any.
    func add(label: String, prediction: String, scores rowScores: [Double]?) throws -> String? {
        guard let truth = index(of: label) else { return label }
        guard let predicted = index(of: prediction) else { return prediction }
        pairs[truth * stride + predicted] += 1
        rows += 1
        if let rowScores, binary {
            let p = rowScores[0], second = truth == 1
            try ranking.add(p, second: second)
            if p < 0 || p > 1 { probabilities = false }
            let epsilon = Double.ulpOfOne
            let p1 = min(max(p, epsilon), 1 - epsilon), p0 = min(max(1 - p, epsilon), 1 - epsilon)
            for positive in 0..<2 {
                let isPositive = (truth == positive)
                logLoss[positive].add(-Foundation.log((isPositive ? p1 : p0) / (p0 + p1)))
                brier[positive].add((p - (isPositive ? 1 : 0)) * (p - (isPositive ? 1 : 0)))
            }
            if p >= 0 && p <= 1 {
                let bin = min(9, Int(p * 10))
                binSums[bin] += p
                binRows[bin] += 1
                binSeconds[bin] += second ? 1 : 0
            }
        } else if let rowScores {
            scoredRows += 1
            guard truth < Int(UInt16.max) else { return nil }
            for (column, value) in rowScores.enumerated() { try columnRankings[column].add(key: RankingCurves.key(of: value), truth: UInt16(truth)) }
            while classLogLoss.count <= truth { classLogLoss.append(Array(repeating: PreciseSum(), count: scoreColumns)) }
            let epsilon = Double.ulpOfOne
            var sum = 0.0
            for value in rowScores { sum += min(max(value, epsilon), 1 - epsilon) }
            for (column, value) in rowScores.enumerated() {
                classLogLoss[truth][column].add(-Foundation.log(min(max(value, epsilon), 1 - epsilon) / sum))
            }
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
        for i in 0..<classes.count { for j in 0..<classes.count { matrix[position[i]!][position[j]!] += pairs[i * stride + j] } }
        return matrix
    }

    func metrics(posLabel: String?) throws -> [(String, StructuredValue)] {
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
        if scoreColumns > 0 { out += try scoreMetrics(order: order, positive: positive) }
        return out
    }

    /// Metrics of the score columns: one column, the positive class's probability (binary); or
    /// one column per class in order (multiclass, one-vs-rest macro averages).
    private func scoreMetrics(order: [String], positive: String?) throws -> [(String, StructuredValue)] {
        func value(_ number: Double?) -> StructuredValue { number.map(StructuredValue.double) ?? .null }
        if binary {
            // Index of the positive class among the classes as they were first seen.
            let second = positive.flatMap { classIndex[$0] } == 1
            let curves = try binaryCurves(positiveIsSecond: second)
            let n = Double(ranking.rows)
            let choice = second ? 1 : 0
            return [("roc_auc", value(curves.rocAUC)), ("average_precision", value(curves.averagePrecision)),
                    ("log_loss", probabilities && n > 0 ? .double(logLoss[choice].value / n) : .null),
                    ("brier", probabilities && n > 0 ? .double(brier[choice].value / n) : .null)]
        }
        var aucs: [Double] = [], precisions: [Double] = []
        var complete = true
        for curves in try columnCurves(order: order) {
            if let auc = curves.rocAUC, let ap = curves.averagePrecision { aucs.append(auc); precisions.append(ap) } else { complete = false }
        }
        var logLoss = PreciseSum()
        let column = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element, $0.offset) })
        for (truth, sums) in classLogLoss.enumerated() where truth < classes.count { logLoss.add(sums[column[classes[truth]]!].value) }
        let n = Double(scoredRows)
        return [("roc_auc", complete ? .double(aucs.reduce(0, +) / Double(aucs.count)) : .null),
                ("average_precision", complete ? .double(precisions.reduce(0, +) / Double(precisions.count)) : .null),
                ("log_loss", n > 0 ? .double(logLoss.value / n) : .null)]
    }

    /// Multiclass: each score column's curves, the column's class (in sorted order) positive.
    /// The binary curves, merged once (metrics and plots both read them).
    private func binaryCurves(positiveIsSecond: Bool) throws -> RankingCurves {
        if let cached = curvesCache?.first, binaryCacheSecond == positiveIsSecond { return cached }
        let curves = try ranking.curves(positiveIsSecond: positiveIsSecond)
        curvesCache = [curves]
        binaryCacheSecond = positiveIsSecond
        return curves
    }

    private func columnCurves(order: [String]) throws -> [RankingCurves] {
        if let cached = curvesCache { return cached }
        let curves = try zip(order, columnRankings).map { name, ranking in
            let wanted = classIndex[name] ?? -1
            let positives = wanted >= 0 ? ranking.count(of: UInt16(wanted)) : 0
            var curves = RankingCurves(positives: Double(positives), negatives: Double(ranking.rows - positives))
            try ranking.forEachGroup(classes: classes.count) { key, counts in
                let hits = wanted >= 0 && wanted < counts.count ? counts[wanted] : 0
                curves.add(score: RankingCurves.score(of: key), negatives: Double(counts.reduce(0, +) - hits), positives: Double(hits))
            }
            return curves
        }
        curvesCache = curves
        return curves
    }

    /// Plot data: the confusion matrix, ROC and PR curves, calibration bins.
    func plots(posLabel: String?) throws -> [(name: String, value: StructuredValue)] {
        let order = sortedClasses
        var out: [(String, StructuredValue)] = [("confusion.json", .map(keys: ["kind", "labels", "matrix"], values: [
            "kind": .string("confusion"), "labels": .list(order.map(StructuredValue.string)),
            "matrix": .list(confusion.map { .list($0.map(StructuredValue.int)) }),
        ]))]
        guard scoreColumns > 0, binary ? ranking.rows > 0 : scoredRows > 0 else { return out }
        var roc: [StructuredValue] = [], pr: [StructuredValue] = []
        func curve(_ name: String, _ points: [(x: Double, y: Double, threshold: Double)], _ x: String, _ y: String) -> StructuredValue {
            .map(keys: ["name", x, y, "threshold"], values: [
                "name": .string(name), x: .list(points.map { .double($0.x) }), y: .list(points.map { .double($0.y) }),
                "threshold": .list(points.map { $0.threshold.isFinite ? .double($0.threshold) : .null }),
            ])
        }
        let positiveName = positiveClass(posLabel) ?? "1"
        let second = classIndex[positiveName] == 1
        let named: [(String, RankingCurves)] = binary ? [(positiveName, try binaryCurves(positiveIsSecond: second))]
            : Array(zip(order, try columnCurves(order: order)))
        for (name, curves) in named {
            roc.append(curve(name, curves.roc, "fpr", "tpr"))
            pr.append(curve(name, curves.precisionRecall, "recall", "precision"))
        }
        out.append(("roc.json", .map(keys: ["kind", "curves"], values: ["kind": .string("roc"), "curves": .list(roc)])))
        out.append(("pr.json", .map(keys: ["kind", "curves"], values: ["kind": .string("pr"), "curves": .list(pr)])))
        if binary, probabilities {
            let sums = binSums, counts = binRows
            let hits = (0..<10).map { Double(second ? binSeconds[$0] : binRows[$0] - binSeconds[$0]) }
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
