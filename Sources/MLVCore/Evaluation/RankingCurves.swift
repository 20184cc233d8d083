import Foundation

/// ROC and precision-recall curves of scores against binary truth, computed as scikit-learn
/// does: one point per distinct score (ties share a threshold), highest score first.
struct RankingCurves {
    /// Cumulative false and true positives at each distinct score, and that score.
    let falsePositives: [Double]
    let truePositives: [Double]
    let thresholds: [Double]

    init(scores: [Double], positive: [Bool]) {
        let (keys, flags) = Self.sortedDescending(scores.map(Self.key(of:)), positive)
        var groups: [(score: Double, negatives: Double, positives: Double)] = []
        for position in keys.indices {
            if position == 0 || keys[position] != keys[position - 1] { groups.append((Self.score(of: keys[position]), 0, 0)) }
            if flags[position] { groups[groups.count - 1].positives += 1 } else { groups[groups.count - 1].negatives += 1 }
        }
        self.init(groups: groups)
    }

    /// From rows grouped by distinct score, highest first.
    init(groups: [(score: Double, negatives: Double, positives: Double)]) {
        var fps: [Double] = [], tps: [Double] = [], thresholds: [Double] = []
        var tp = 0.0, fp = 0.0
        for group in groups {
            tp += group.positives
            fp += group.negatives
            fps.append(fp)
            tps.append(tp)
            thresholds.append(group.score)
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
    static func sortedDescending(_ keys: [UInt64], _ flags: [Bool]) -> (keys: [UInt64], flags: [Bool]) {
        var keys = keys.map { ~$0 }
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

/// The scores of a binary evaluation as counts per distinct score and true class while there
/// are few distinct scores (model outputs are often rounded), and as raw keys beyond that: a
/// file of 10 million rows with rounded scores needs kilobytes, not the 9 bytes per row of
/// keeping every score.
struct ScoreRanking {
    private var counts = KeyCounts()
    private var keys: [UInt64] = []
    private var seconds: [Bool] = []
    static let maximumDistinct = 1 << 17
    private(set) var rows = 0

    /// A row's score and whether its true class is the second class seen.
    mutating func add(_ score: Double, second: Bool) {
        rows += 1
        let key = RankingCurves.key(of: score)
        if !counts.add(key, second: second, insert: counts.count < Self.maximumDistinct) {
            keys.append(key)
            seconds.append(second)
        }
    }

    /// Curves with `positiveIsSecond` choosing the positive class.
    func curves(positiveIsSecond: Bool) -> RankingCurves {
        var groups: [(score: Double, negatives: Double, positives: Double)] = []
        let (sortedKeys, flags) = RankingCurves.sortedDescending(keys, seconds)
        var overflow: [(key: UInt64, first: Int, second: Int)] = []
        for position in sortedKeys.indices {
            if position == 0 || sortedKeys[position] != sortedKeys[position - 1] { overflow.append((sortedKeys[position], 0, 0)) }
            if flags[position] { overflow[overflow.count - 1].second += 1 } else { overflow[overflow.count - 1].first += 1 }
        }
        let counted = counts.entries.sorted { $0.key > $1.key }
        // Both lists run from the highest score down, and never share a score.
        var i = 0, j = 0
        while i < counted.count || j < overflow.count {
            let next: (key: UInt64, first: Int, second: Int)
            if j >= overflow.count || (i < counted.count && counted[i].key > overflow[j].key) { next = counted[i]; i += 1 } else { next = overflow[j]; j += 1 }
            let positives = Double(positiveIsSecond ? next.second : next.first), negatives = Double(positiveIsSecond ? next.first : next.second)
            groups.append((RankingCurves.score(of: next.key), negatives, positives))
        }
        return RankingCurves(groups: groups)
    }
}

/// Counts per 64-bit key in an open-addressing table with a multiplicative hash: the per-row
/// update of a binary ranking, where a general dictionary's hashing dominated.
struct KeyCounts {
    private struct Slot {
        var key: UInt64 = 0
        var first = 0
        var second = 0
        var used = false
    }

    private var slots: [Slot]
    private(set) var count = 0

    init(capacity: Int = 1024) { slots = [Slot](repeating: Slot(), count: capacity) }

    private func index(_ key: UInt64) -> Int {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
        while slots[index].used && slots[index].key != key { index = (index + 1) & mask }
        return index
    }

    /// Adds one row to `key` if it is already counted, or if `insert`; false when it was not.
    mutating func add(_ key: UInt64, second isSecond: Bool, insert: Bool) -> Bool {
        var position = index(key)
        if !slots[position].used {
            guard insert else { return false }
            if (count + 1) * 2 > slots.count { grow(); position = index(key) }
            slots[position].used = true
            slots[position].key = key
            count += 1
        }
        slots.withUnsafeMutableBufferPointer { buffer in
            if isSecond { buffer[position].second += 1 } else { buffer[position].first += 1 }
        }
        return true
    }

    private mutating func grow() {
        var wider = KeyCounts(capacity: slots.count * 2)
        for slot in slots where slot.used { wider.slots[wider.index(slot.key)] = slot }
        wider.count = count
        self = wider
    }

    /// Every key with its counts.
    var entries: [(key: UInt64, first: Int, second: Int)] {
        slots.filter(\.used).map { ($0.key, $0.first, $0.second) }
    }
}

/// Reads a decimal number (`-12.345`) exactly as `strtod` would when it has at most 15
/// significant digits (the quotient of two exactly representable numbers, rounded once), and
/// leaves everything else to `Double(_:)`.
enum FastNumber {
    static let powers: [Double] = (0...22).map { pow(10, Double($0)) }

    static func parse(_ text: String) -> Double? {
        var utf8 = text.utf8.makeIterator()
        var mantissa: UInt64 = 0, digits = 0, fraction = 0
        var negative = false, seenPoint = false, first = true
        while let byte = utf8.next() {
            if first && byte == UInt8(ascii: "-") { negative = true; first = false; continue }
            first = false
            if byte == UInt8(ascii: ".") && !seenPoint { seenPoint = true; continue }
            guard byte >= 48 && byte <= 57 else { return Double(text) }
            mantissa = mantissa &* 10 &+ UInt64(byte - 48)
            digits += 1
            if seenPoint { fraction += 1 }
            if digits > 15 { return Double(text) }
        }
        guard digits > 0 else { return Double(text) }
        let value = Double(mantissa) / powers[fraction]
        return negative ? -value : value
    }
}
