import Foundation

/// The outcome of one gate.
public struct GateResult: Sendable {
    public let rule: String
    public let metric: String
    public let value: Double?
    public let baseline: Double?
    /// The number the value was compared with.
    public let bound: Double?
    public let passed: Bool
    /// Not evaluated, and not held against the revision (a baseline rule on a first push).
    public var skipped: Bool = false
    /// Why it failed, was skipped or could not be evaluated; empty when it passed plainly.
    public let reason: String
}

/// What a rule that needs a baseline does when there is none. The reason or hint is written
/// for the place it is printed (`mlv gate` takes a flag; `git push` takes none).
public enum MissingBaselinePolicy: Sendable, Equatable {
    /// Fails closed; `hint` says how to get past it where the table is shown.
    case fail(hint: String)
    /// Reported as skipped with `reason`, and does not fail the revision.
    case skip(reason: String)
}

/// Evaluates the gates of `mlv.yaml` on a revision against a baseline; anything that cannot be
/// evaluated (missing or non-numeric metric, unreadable file, no baseline) fails closed.
public struct GateEvaluator {
    public let rules: [GateSource]
    public var missingBaseline: MissingBaselinePolicy

    public init(rules: [GateSource], missingBaseline: MissingBaselinePolicy = .fail(hint: "name one with --baseline")) {
        self.rules = rules
        self.missingBaseline = missingBaseline
    }

    /// Parses every rule first, so a typo is reported with its place before anything runs.
    public func parsedRules() throws -> [GateRule] {
        try rules.map { source in
            do {
                return try GateRule.parse(source.text)
            } catch var error as GateSyntaxError {
                error.place = "mlv.yaml" + (source.line.map { ":\($0)" } ?? "") + (source.column.map { ":\($0)" } ?? "")
                throw error
            }
        }
    }

    public func evaluate(_ current: MetricsSnapshot, baseline: MetricsSnapshot?) throws -> [GateResult] {
        try parsedRules().map { rule in evaluate(rule, current: current, baseline: baseline) }
    }

    func evaluate(_ rule: GateRule, current: MetricsSnapshot, baseline: MetricsSnapshot?) -> GateResult {
        func result(_ value: Double?, _ base: Double?, _ bound: Double?, _ passed: Bool, _ reason: String, skipped: Bool = false) -> GateResult {
            GateResult(rule: rule.text, metric: rule.metric, value: value, baseline: base, bound: bound, passed: passed, skipped: skipped, reason: reason)
        }
        let value: Double
        switch number(rule.metric, in: current) {
        case .failure(let why): return result(nil, nil, nil, false, why.description)
        case .success(let found): value = found
        }
        var base: Double?
        if rule.bound.needsBaseline {
            guard let baseline else {
                switch missingBaseline {
                case .skip(let reason): return result(value, nil, nil, true, reason, skipped: true)
                case .fail(let hint): return result(value, nil, nil, false, "no baseline to compare with; \(hint)")
                }
            }
            switch number(rule.metric, in: baseline) {
            // A baseline that exists but lacks the metric is a real problem, not a first push.
            case .failure(let why): return result(value, nil, nil, false, "baseline \(why)")
            case .success(let found): base = found
            }
        }
        let bound = rule.bound.value(baseline: base)!
        let passed = rule.comparison.holds(value, bound)
        return result(value, base, bound, passed, passed ? "" : "\(format(value)) is not \(rule.comparison.rawValue) \(format(bound))")
    }

    private func number(_ metric: String, in snapshot: MetricsSnapshot) -> Result<Double, GateFailure> {
        let found = snapshot.lookup(metric)
        if found.isEmpty {
            let problems = snapshot.problems.values.sorted()
            let detail = problems.isEmpty ? "" : " (" + problems.joined(separator: "; ") + ")"
            return .failure(GateFailure("`\(metric)` is missing at \(snapshot.revision.label)\(detail)"))
        }
        if Set(found.map(\.file)).count > 1 {
            return .failure(GateFailure("`\(metric)` is in several files (\(found.map(\.file).joined(separator: ", "))); write it as FILE:\(metric)"))
        }
        guard let number = found[0].value.number, number.isFinite else {
            return .failure(GateFailure("`\(metric)` at \(snapshot.revision.label) is \(found[0].value.canonical), not a number"))
        }
        return .success(number)
    }
}

struct GateFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

