import Foundation

/// ROC and precision-recall curves of scores against binary truth, computed as scikit-learn
/// does: one threshold per distinct score (ties share it), highest score first. Built from a
/// stream of score groups, so it holds the areas and at most ~1,000 plot points, never a point
/// per row.
struct RankingCurves {
    let positives: Double
    let negatives: Double
    private var truePositives = 0.0, falsePositives = 0.0
    private var area = 0.0, precisionSum = 0.0
    private var previousFPR = 0.0, previousTPR = 0.0, previousRecall = 0.0
    private(set) var roc: [(x: Double, y: Double, threshold: Double)] = []
    private(set) var precisionRecall: [(x: Double, y: Double, threshold: Double)] = []
    private var nextPlotted = 0.0
    static let plotPoints = 1000.0

    init(positives: Double, negatives: Double) {
        self.positives = positives
        self.negatives = negatives
        if positives > 0 && negatives > 0 { roc.append((0, 0, .infinity)) }
    }

    /// The rows whose score is `score` (the next lower score than any before).
    mutating func add(score: Double, negatives groupNegatives: Double, positives groupPositives: Double) {
        truePositives += groupPositives
        falsePositives += groupNegatives
        if positives > 0 && negatives > 0 {
            let fpr = falsePositives / negatives, tpr = truePositives / positives
            area += (fpr - previousFPR) * (tpr + previousTPR) / 2
            previousFPR = fpr
            previousTPR = tpr
        }
        if positives > 0 {
            let recall = truePositives / positives
            precisionSum += (recall - previousRecall) * (truePositives / (truePositives + falsePositives))
            previousRecall = recall
        }
        // A plot point each time another thousandth of the rows has passed, and the last.
        let done = (truePositives + falsePositives) / (positives + negatives)
        if done >= nextPlotted || done >= 1 {
            nextPlotted = (done * Self.plotPoints).rounded(.down) / Self.plotPoints + 1 / Self.plotPoints
            if positives > 0 && negatives > 0 { roc.append((falsePositives / negatives, truePositives / positives, score)) }
            if positives > 0 { precisionRecall.append((truePositives / positives, truePositives / (truePositives + falsePositives), score)) }
        }
    }

    /// Area under the ROC curve (trapezoids from (0, 0)); nil when one class is absent, where
    /// scikit-learn raises.
    var rocAUC: Double? { positives > 0 && negatives > 0 ? area : nil }

    /// Average precision: the sum over thresholds of (recall step) x precision; nil without
    /// positives.
    var averagePrecision: Double? { positives > 0 ? precisionSum : nil }
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

    /// Sorts keys from highest to lowest, moving each row's payload along: a radix sort (six
    /// passes of 11 bits), linear in the rows where a comparison sort is not.
    static func sortDescending(_ keys: inout [UInt64], _ payload: inout [UInt16]) {
        for index in keys.indices { keys[index] = ~keys[index] }
        var otherKeys = [UInt64](repeating: 0, count: keys.count), otherPayload = [UInt16](repeating: 0, count: keys.count)
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
        for index in keys.indices { keys[index] = ~keys[index] }
    }
}

/// The scores of a binary evaluation as counts per distinct score and true class while there
/// are few distinct scores (model outputs are often rounded), and beyond that as rows ranked
/// through `SpillingRanking`: a file of 10 million rows with rounded scores needs kilobytes.
struct ScoreRanking {
    private var counts = KeyCounts()
    private var overflow: SpillingRanking
    static let maximumDistinct = 1 << 17
    private(set) var rows = 0

    private let distinctLimit: Int

    init(bufferRows: Int) {
        overflow = SpillingRanking(bufferRows: bufferRows)
        distinctLimit = min(Self.maximumDistinct, max(16, bufferRows))
    }

    /// A row's score and whether its true class is the second class seen.
    mutating func add(_ score: Double, second: Bool) throws {
        rows += 1
        let key = RankingCurves.key(of: score)
        if !counts.add(key, second: second, insert: counts.count < distinctLimit) {
            try overflow.add(key: key, truth: second ? 1 : 0)
        }
    }

    /// Curves with `positiveIsSecond` choosing the positive class.
    func curves(positiveIsSecond: Bool) throws -> RankingCurves {
        let counted = counts.entries.sorted { $0.key > $1.key }
        var seconds = 0, firsts = 0
        for entry in counted { seconds += entry.second; firsts += entry.first }
        let overflowSeconds = overflow.count(of: 1)
        seconds += overflowSeconds
        firsts += overflow.rows - overflowSeconds
        var curves = RankingCurves(positives: Double(positiveIsSecond ? seconds : firsts), negatives: Double(positiveIsSecond ? firsts : seconds))
        // Both streams run from the highest score down and never share a score.
        var index = 0
        func emit(_ key: UInt64, first: Int, second: Int) {
            curves.add(score: RankingCurves.score(of: key), negatives: Double(positiveIsSecond ? first : second),
                       positives: Double(positiveIsSecond ? second : first))
        }
        try overflow.forEachGroup(classes: 2) { key, truths in
            while index < counted.count && counted[index].key > key { emit(counted[index].key, first: counted[index].first, second: counted[index].second); index += 1 }
            emit(key, first: truths[0], second: truths[1])
        }
        while index < counted.count { emit(counted[index].key, first: counted[index].first, second: counted[index].second); index += 1 }
        return curves
    }
}

/// Rows of (score key, true class) to be ranked: kept in memory up to `bufferRows`, then
/// sorted and written to a temporary run file, and merged back in score order at the end, so
/// ranking any number of distinct scores needs a bounded buffer (runs are removed when the
/// ranking is released).
final class SpillingRanking {
    private var keys: [UInt64] = []
    private var truths: [UInt16] = []
    private var runs: [String] = []
    private var perClass: [Int] = []
    let bufferRows: Int
    private(set) var rows = 0
    static let recordSize = 10

    init(bufferRows: Int) { self.bufferRows = max(16, bufferRows) }

    deinit { for run in runs { unlink(run) } }

    func count(of truth: UInt16) -> Int { Int(truth) < perClass.count ? perClass[Int(truth)] : 0 }

    func add(key: UInt64, truth: UInt16) throws {
        keys.append(key)
        truths.append(truth)
        rows += 1
        while perClass.count <= Int(truth) { perClass.append(0) }
        perClass[Int(truth)] += 1
        if keys.count >= bufferRows { try spill() }
    }

    private func spill() throws {
        RankingCurves.sortDescending(&keys, &truths)
        let path = NSTemporaryDirectory() + "mlv-ranking-\(getpid())-\(UUID().uuidString)"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: path, operation: "create", errno: errno) }
        runs.append(path)
        defer { close(fd) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(keys.count * Self.recordSize)
        for (key, truth) in zip(keys, truths) {
            withUnsafeBytes(of: key.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: truth.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try FileSystem.writeAll(fd, bytes, path: path)
        keys.removeAll(keepingCapacity: true)
        truths.removeAll(keepingCapacity: true)
    }

    /// Each distinct score from the highest down, with how many rows of each class hold it.
    func forEachGroup(classes: Int, _ body: (UInt64, [Int]) throws -> Void) throws {
        var counts = [Int](repeating: 0, count: max(classes, perClass.count))
        var current: UInt64?
        func take(_ key: UInt64, _ truth: UInt16) throws {
            if key != current {
                if let current { try body(current, counts) }
                for index in counts.indices { counts[index] = 0 }
                current = key
            }
            counts[Int(truth)] += 1
        }
        if runs.isEmpty {
            var sortedKeys = keys, sortedTruths = truths
            RankingCurves.sortDescending(&sortedKeys, &sortedTruths)
            for (key, truth) in zip(sortedKeys, sortedTruths) { try take(key, truth) }
        } else {
            if !keys.isEmpty { try spill() }
            let readers = try runs.map { try RunReader(path: $0) }
            // Few runs (rows / buffer): the highest head is found by a scan.
            while true {
                var best = -1
                for (index, reader) in readers.enumerated() where reader.head != nil {
                    if best < 0 || reader.head!.key > readers[best].head!.key { best = index }
                }
                guard best >= 0 else { break }
                let (key, truth) = readers[best].head!
                try readers[best].advance()
                try take(key, truth)
            }
        }
        if let current { try body(current, counts) }
    }
}

/// Reads a run file's records through a 64 KiB buffer.
final class RunReader {
    private let fd: Int32
    private let path: String
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private var filled = 0, position = 0
    private(set) var head: (key: UInt64, truth: UInt16)?

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        try advance()
    }

    deinit { close(fd) }

    func advance() throws {
        if filled - position < SpillingRanking.recordSize {
            let rest = filled - position
            if rest > 0 { for index in 0..<rest { buffer[index] = buffer[position + index] } }
            let count = try buffer.withUnsafeMutableBytes { raw in
                try FileSystem.readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[rest...]), path: path)
            }
            filled = rest + count
            position = 0
            guard filled >= SpillingRanking.recordSize else { head = nil; return }
        }
        var key: UInt64 = 0, truth: UInt16 = 0
        withUnsafeMutableBytes(of: &key) { $0.copyBytes(from: buffer[position..<position + 8]) }
        withUnsafeMutableBytes(of: &truth) { $0.copyBytes(from: buffer[position + 8..<position + 10]) }
        head = (UInt64(littleEndian: key), UInt16(littleEndian: truth))
        position += SpillingRanking.recordSize
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
