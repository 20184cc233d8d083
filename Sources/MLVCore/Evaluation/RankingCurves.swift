/// ROC and precision-recall curves of scores against binary truth, computed as scikit-learn
/// does: one point per distinct score (ties share a threshold), highest score first.
struct RankingCurves {
    /// Cumulative false and true positives at each distinct score, and that score.
    let falsePositives: [Double]
    let truePositives: [Double]
    let thresholds: [Double]

    init(scores: [Double], positive: [Bool]) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var fps: [Double] = [], tps: [Double] = [], thresholds: [Double] = []
        var tp = 0.0, fp = 0.0
        for (position, index) in order.enumerated() {
            if positive[index] { tp += 1 } else { fp += 1 }
            // A threshold closes where the next score differs (or at the end).
            if position + 1 == order.count || scores[order[position + 1]] != scores[index] {
                fps.append(fp)
                tps.append(tp)
                thresholds.append(scores[index])
            }
        }
        falsePositives = fps
        truePositives = tps
        self.thresholds = thresholds
    }

    var positives: Double { truePositives.last ?? 0 }
    var negatives: Double { falsePositives.last ?? 0 }

    /// Area under the ROC curve (trapezoids from (0, 0)); nil when one class is absent, where
    /// scikit-learn raises.
    var rocAUC: Double? {
        guard positives > 0, negatives > 0 else { return nil }
        var area = 0.0, previousFPR = 0.0, previousTPR = 0.0
        for (fp, tp) in zip(falsePositives, truePositives) {
            let fpr = fp / negatives, tpr = tp / positives
            area += (fpr - previousFPR) * (tpr + previousTPR) / 2
            previousFPR = fpr
            previousTPR = tpr
        }
        return area
    }

    /// Average precision: the sum over thresholds of (recall step) x precision; nil without
    /// positives.
    var averagePrecision: Double? {
        guard positives > 0 else { return nil }
        var sum = 0.0, previousRecall = 0.0
        for (fp, tp) in zip(falsePositives, truePositives) {
            let recall = tp / positives
            let precision = tp / (tp + fp)
            sum += (recall - previousRecall) * precision
            previousRecall = recall
        }
        return sum
    }

    /// ROC points (starting at (0, 0)), thinned to at most `limit` for plotting.
    func rocPoints(limit: Int = 1000) -> [(x: Double, y: Double, threshold: Double)] {
        guard positives > 0, negatives > 0 else { return [] }
        let points = [(0.0, 0.0, Double.infinity)] + zip(zip(falsePositives, truePositives), thresholds).map { ($0.0 / negatives, $0.1 / positives, $1) }
        return Self.thin(points, limit: limit)
    }

    /// Precision-recall points, highest threshold first, thinned for plotting.
    func precisionRecallPoints(limit: Int = 1000) -> [(x: Double, y: Double, threshold: Double)] {
        guard positives > 0 else { return [] }
        let points = zip(zip(falsePositives, truePositives), thresholds).map { pair, threshold in
            (pair.1 / positives, pair.1 / (pair.0 + pair.1), threshold)
        }
        return Self.thin(points, limit: limit)
    }

    static func thin(_ points: [(Double, Double, Double)], limit: Int) -> [(x: Double, y: Double, threshold: Double)] {
        guard points.count > limit, limit > 2 else { return points.map { ($0.0, $0.1, $0.2) } }
        let step = Double(points.count - 1) / Double(limit - 1)
        return (0..<limit).map { index in
            let point = points[min(points.count - 1, Int((Double(index) * step).rounded()))]
            return (point.0, point.1, point.2)
        }
    }
}

/// A sum kept with Neumaier's compensation, so a mean of millions of values stays exact to
/// the last digits (as numpy's pairwise summation roughly does).
struct PreciseSum {
    private(set) var sum = 0.0
    private var compensation = 0.0

    mutating func add(_ value: Double) {
        let total = sum + value
        if abs(sum) >= abs(value) { compensation += (sum - total) + value } else { compensation += (value - total) + sum }
        sum = total
    }

    var value: Double { sum + compensation }
}
