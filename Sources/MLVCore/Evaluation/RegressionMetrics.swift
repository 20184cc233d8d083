import Foundation

/// Truth and predictions of a regression, and scikit-learn's metrics over them: MAE, MSE,
/// RMSE, R² (1 when truth and predictions are both constant and equal, 0 when only truth is
/// constant, as `force_finite` gives), MAPE, median and max absolute error.
final class RegressionAccumulator {
    private var truth: [Double] = []
    private var predicted: [Double] = []
    var rows: Int { truth.count }

    func add(_ y: Double, _ prediction: Double) {
        truth.append(y)
        predicted.append(prediction)
    }

    func metrics() -> [(String, StructuredValue)] {
        let n = Double(truth.count)
        var absolute = PreciseSum(), squared = PreciseSum(), percentage = PreciseSum(), total = PreciseSum()
        var maximum = 0.0
        var errors: [Double] = []
        errors.reserveCapacity(truth.count)
        for (y, p) in zip(truth, predicted) {
            let error = abs(y - p)
            errors.append(error)
            absolute.add(error)
            squared.add((y - p) * (y - p))
            percentage.add(error / max(abs(y), Double.ulpOfOne))
            total.add(y)
            maximum = max(maximum, error)
        }
        let mean = total.value / n
        var spread = PreciseSum()
        for y in truth { spread.add((y - mean) * (y - mean)) }
        let r2: Double = spread.value == 0 ? (squared.value == 0 ? 1 : 0) : 1 - squared.value / spread.value
        errors.sort()
        let middle = errors.count / 2
        let median = errors.count % 2 == 1 ? errors[middle] : (errors[middle - 1] + errors[middle]) / 2
        return [
            ("rows", .int(truth.count)), ("mae", .double(absolute.value / n)), ("mse", .double(squared.value / n)),
            ("rmse", .double((squared.value / n).squareRoot())), ("r2", .double(r2)), ("mape", .double(percentage.value / n)),
            ("median_absolute_error", .double(median)), ("max_error", .double(maximum)),
        ]
    }

    /// Plot data: predicted against true values (a sample of at most 2,000 points).
    func plots() -> [(name: String, value: StructuredValue)] {
        let step = max(1, truth.count / 2000)
        let indexes = stride(from: 0, to: truth.count, by: step)
        return [("residuals.json", .map(keys: ["kind", "truth", "predicted"], values: [
            "kind": .string("scatter"), "truth": .list(indexes.map { .double(truth[$0]) }),
            "predicted": .list(indexes.map { .double(predicted[$0]) }),
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
    private var lengths: [Int] = []
    var rows: Int { lengths.count }
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
        lengths.append(output.split(whereSeparator: { $0.isWhitespace }).count)
    }

    func metrics() -> [(String, StructuredValue)] {
        let n = Double(lengths.count)
        let sorted = lengths.sorted()
        func percentile(_ q: Double) -> Double {
            // Linear interpolation between closest ranks, as numpy's default.
            let position = q * Double(sorted.count - 1)
            let low = Int(position.rounded(.down)), high = min(sorted.count - 1, low + 1)
            return Double(sorted[low]) + (Double(sorted[high]) - Double(sorted[low])) * (position - Double(low))
        }
        let length: StructuredValue = .map(keys: ["mean", "min", "p50", "p90", "max"], values: [
            "mean": .double(Double(lengths.reduce(0, +)) / n), "min": .int(sorted.first ?? 0), "p50": .double(percentile(0.5)),
            "p90": .double(percentile(0.9)), "max": .int(sorted.last ?? 0),
        ])
        return [("rows", .int(lengths.count)), ("exact_match", .double(exact.value / n)), ("f1", .double(f1.value / n)), ("output_tokens", length)]
    }

    /// Plot data: how many outputs have each length.
    func plots() -> [(name: String, value: StructuredValue)] {
        var counts: [Int: Int] = [:]
        for length in lengths { counts[length, default: 0] += 1 }
        let keys = counts.keys.sorted()
        return [("output_length.json", .map(keys: ["kind", "x", "y", "x_label", "y_label"], values: [
            "kind": .string("bars"), "x": .list(keys.map(StructuredValue.int)), "y": .list(keys.map { .int(counts[$0]!) }),
            "x_label": .string("output tokens"), "y_label": .string("outputs"),
        ]))]
    }
}
