import Foundation

/// Truth and predictions of a regression, and scikit-learn's metrics over them: MAE, MSE,
/// RMSE, R² (1 when truth and predictions are both constant and equal, 0 when only truth is
/// constant, as `force_finite` gives), MAPE, median and max absolute error.
final class RegressionAccumulator {
    /// Absolute errors, ranked for the median through a bounded buffer and sorted runs.
    private let errors: SpillingRanking
    private var absolute = PreciseSum(), squared = PreciseSum(), percentage = PreciseSum()
    private var maximum = 0.0
    /// The labels' mean and sum of squared deviations, by Welford's update (one pass, stable).
    private var mean = 0.0, spread = 0.0
    /// A sample of (truth, prediction) for the plot, every `sampleStep`-th row.
    private var sample: [(Double, Double)] = []
    private var sampleStep = 1
    var rows: Int { errors.rows }

    init(bufferRows: Int) { errors = SpillingRanking(bufferRows: bufferRows) }

    func add(_ y: Double, _ prediction: Double) throws {
        let error = abs(y - prediction)
        try errors.add(key: RankingCurves.key(of: error), truth: 0)
        absolute.add(error)
        squared.add((y - prediction) * (y - prediction))
        percentage.add(error / max(abs(y), Double.ulpOfOne))
        maximum = max(maximum, error)
        let delta = y - mean
        mean += delta / Double(errors.rows)
        spread += delta * (y - mean)
        if (errors.rows - 1) % sampleStep == 0 {
            sample.append((y, prediction))
            if sample.count >= 4000 {
                sample = stride(from: 0, to: sample.count, by: 2).map { sample[$0] }
                sampleStep *= 2
            }
        }
    }

    func metrics() throws -> [(String, StructuredValue)] {
        let n = Double(errors.rows)
        let r2: Double = spread == 0 ? (squared.value == 0 ? 1 : 0) : 1 - squared.value / spread
        // The errors from the largest down: the median is at ranks (n-1)/2 and n/2.
        let low = (errors.rows - 1) / 2, high = errors.rows / 2
        var seen = 0
        var atLow = 0.0, atHigh = 0.0
        try errors.forEachGroup(classes: 1) { key, counts in
            let count = counts[0]
            let value = RankingCurves.score(of: key)
            if seen <= low && low < seen + count { atLow = value }
            if seen <= high && high < seen + count { atHigh = value }
            seen += count
        }
        let median = (atLow + atHigh) / 2
        return [
            ("rows", .int(errors.rows)), ("mae", .double(absolute.value / n)), ("mse", .double(squared.value / n)),
            ("rmse", .double((squared.value / n).squareRoot())), ("r2", .double(r2)), ("mape", .double(percentage.value / n)),
            ("median_absolute_error", .double(median)), ("max_error", .double(maximum)),
        ]
    }

    /// Plot data: predicted against true values (an even sample of at most 4,000 rows).
    func plots() -> [(name: String, value: StructuredValue)] {
        [("residuals.json", .map(keys: ["kind", "truth", "predicted"], values: [
            "kind": .string("scatter"), "truth": .list(sample.map { .double($0.0) }),
            "predicted": .list(sample.map { .double($0.1) }),
        ]))]
    }
}

/// Generated text against references, as SQuAD scores answers: exact match and token F1 after
/// normalizing (lower case, ASCII punctuation removed, the articles a/an/the removed, spaces
/// collapsed; an empty answer scores 1 only against an empty reference), plus the length of
/// the outputs in whitespace-separated tokens.
final class TextAccumulator {
    private var exact = PreciseSum()
    private var f1 = PreciseSum()
    /// Outputs per length in tokens: a histogram, so rows cost nothing.
    private var lengths: [Int: Int] = [:]
    private(set) var rows = 0
    private static let articles = try! NSRegularExpression(pattern: #"\b(a|an|the)\b"#)
    private static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)

    static func normalize(_ text: String) -> [String] {
        var lowered = String(String.UnicodeScalarView(text.lowercased().unicodeScalars.filter { !punctuation.contains($0) }))
        lowered = articles.stringByReplacingMatches(in: lowered, range: NSRange(lowered.startIndex..., in: lowered), withTemplate: " ")
        return lowered.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }

    func add(reference: String, output: String) {
        let truth = Self.normalize(reference), guess = Self.normalize(output)
        exact.add(truth == guess ? 1 : 0)
        if truth.isEmpty || guess.isEmpty {
            f1.add(truth == guess ? 1 : 0)
        } else {
            var counts: [String: Int] = [:]
            for token in truth { counts[token, default: 0] += 1 }
            var common = 0
            for token in guess where counts[token, default: 0] > 0 {
                counts[token]! -= 1
                common += 1
            }
            if common > 0 {
                let precision = Double(common) / Double(guess.count), recall = Double(common) / Double(truth.count)
                f1.add(2 * precision * recall / (precision + recall))
            } else {
                f1.add(0)
            }
        }
        lengths[output.split(whereSeparator: { $0.isWhitespace }).count, default: 0] += 1
        rows += 1
    }

    func metrics() -> [(String, StructuredValue)] {
        let n = Double(rows)
        let keys = lengths.keys.sorted()
        /// The length at a 0-based rank in sorted order.
        func length(at rank: Int) -> Double {
            var seen = 0
            for key in keys {
                seen += lengths[key]!
                if rank < seen { return Double(key) }
            }
            return Double(keys.last ?? 0)
        }
        func percentile(_ q: Double) -> Double {
            // Linear interpolation between closest ranks, as numpy's default.
            let position = q * Double(rows - 1)
            let low = Int(position.rounded(.down)), high = min(rows - 1, low + 1)
            return length(at: low) + (length(at: high) - length(at: low)) * (position - Double(low))
        }
        let total = lengths.reduce(0) { $0 + $1.key * $1.value }
        let length: StructuredValue = .map(keys: ["mean", "min", "p50", "p90", "max"], values: [
            "mean": .double(Double(total) / n), "min": .int(keys.first ?? 0), "p50": .double(percentile(0.5)),
            "p90": .double(percentile(0.9)), "max": .int(keys.last ?? 0),
        ])
        return [("rows", .int(rows)), ("exact_match", .double(exact.value / n)), ("f1", .double(f1.value / n)), ("output_tokens", length)]
    }

    /// Plot data: how many outputs have each length.
    func plots() -> [(name: String, value: StructuredValue)] {
        let counts = lengths
        let keys = counts.keys.sorted()
        return [("output_length.json", .map(keys: ["kind", "x", "y", "x_label", "y_label"], values: [
            "kind": .string("bars"), "x": .list(keys.map(StructuredValue.int)), "y": .list(keys.map { .int(counts[$0]!) }),
            "x_label": .string("output tokens"), "y_label": .string("outputs"),
        ]))]
    }
}
