import Foundation
import MLVGit

/// The gates of one revision evaluated against a baseline (`mlv gate`, the pre-push hook).
public struct GateReport: Sendable {
    public let revision: String
    public let baseline: String?
    public let results: [GateResult]
    public var passed: Bool { results.allSatisfy(\.passed) }
}

/// Evaluates the gates declared in `revision`'s `mlv.yaml` (a push can change its own gates;
/// what is enforced is what is pushed). No gates: an empty, passing report.
public func checkGates(_ revision: Revision, baseline: Revision?, missingBaseline: MissingBaselinePolicy, project: Project) throws -> GateReport {
    let pipeline = try revision.pipeline(project: project)
    let evaluator = GateEvaluator(rules: pipeline?.gates ?? [], missingBaseline: missingBaseline)
    _ = try evaluator.parsedRules()
    guard !evaluator.rules.isEmpty else { return GateReport(revision: revision.label, baseline: baseline?.label, results: []) }
    let current = try MetricsSnapshot.read(revision, project: project)
    let base = try baseline.map { try MetricsSnapshot.read($0, project: project) }
    return GateReport(revision: revision.label, baseline: baseline?.label, results: try evaluator.evaluate(current, baseline: base))
}

/// `mlv gate`: the gates of `revision` (nil: the work tree) against `baseline` (nil: the
/// branch's upstream, else HEAD for the work tree, else the revision's parent).
public func gate(_ revision: String?, baseline: String?, allowMissingBaseline: Bool, project: Project) throws -> GateReport {
    let target = try Revision.resolve(revision, project: project)
    let base = try baseline.map { try Revision.resolve($0, project: project) } ?? defaultGateBaseline(for: target, project: project)
    return try checkGates(target, baseline: base, missingBaseline: gateCommandMissingBaseline(allow: allowMissingBaseline), project: project)
}

/// What `mlv gate` does with a baseline rule when there is no baseline.
func gateCommandMissingBaseline(allow: Bool) -> MissingBaselinePolicy {
    allow ? .skip(reason: "no baseline; skipped (--allow-missing-baseline)")
        : .fail(hint: "name one with --baseline REV, or pass --allow-missing-baseline to skip such rules")
}

/// The baseline `mlv gate` uses when none is named: the current branch's upstream, else HEAD
/// (for the work tree) or the revision's first parent; nil when there is none.
func defaultGateBaseline(for revision: Revision, project: Project) throws -> Revision? {
    if let upstream = try? project.git.resolveCommit("@{upstream}") {
        return .commit(upstream, label: "@{upstream}")
    }
    switch revision {
    case .workspace:
        return try project.git.headCommit().map { .commit($0, label: "HEAD") }
    case .commit(let id, let label):
        let parents = try project.commitInfo(id).parents
        return parents.first.map { .commit($0, label: label + "~1") }
    }
}
