/// ROC and precision-recall curves of scores against binary truth, computed as scikit-learn
/// does: one point per distinct score (ties share a threshold), highest score first.
struct RankingCurves {
    /// Cumulative false and true positives at each distinct score, and that score.
    let falsePositives: [Double]
    let truePositives: [Double]
    let thresholds: [Double]

    init(scores: [Double], positive: [Bool]) {
        let (keys, flags) = Self.sortedDescending(scores, positive)
        var fps: [Double] = [], tps: [Double] = [], thresholds: [Double] = []
        var tp = 0.0, fp = 0.0
        for position in keys.indices {
            if flags[position] { tp += 1 } else { fp += 1 }
            // A threshold closes where the next score differs (or at the end).
            if position + 1 == keys.count || keys[position + 1] != keys[position] {
                fps.append(fp)
                tps.append(tp)
                thresholds.append(Self.score(of: keys[position]))
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

extension RankingCurves {
    /// A key whose unsigned order is the scores' order (-0 taken as 0; NaN never gets here).
    static func key(of score: Double) -> UInt64 {
        let bits = (score + 0.0).bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    static func score(of key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }

    /// The scores' keys from highest to lowest, with each row's flag: a radix sort (six passes
    /// of 11 bits), linear in the rows where a comparison sort is not.
    static func sortedDescending(_ scores: [Double], _ flags: [Bool]) -> (keys: [UInt64], flags: [Bool]) {
        var keys = scores.map { ~key(of: $0) }
        var payload = flags
        var otherKeys = [UInt64](repeating: 0, count: keys.count), otherPayload = [Bool](repeating: false, count: keys.count)
        var counts = [Int](repeating: 0, count: 2048)
        for pass in 0..<6 {
            let shift = UInt64(pass * 11)
            for index in counts.indices { counts[index] = 0 }
            for key in keys { counts[Int((key >> shift) & 2047)] += 1 }
            var total = 0
            for index in counts.indices { let count = counts[index]; counts[index] = total; total += count }
            for index in keys.indices {
                let digit = Int((keys[index] >> shift) & 2047)
                otherKeys[counts[digit]] = keys[index]
                otherPayload[counts[digit]] = payload[index]
                counts[digit] += 1
            }
            swap(&keys, &otherKeys)
            swap(&payload, &otherPayload)
        }
        return (keys.map { ~$0 }, payload)
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
