import Foundation
import MLVGit

/// One metric or param compared between two revisions.
public struct ValueChange: Sendable {
    public enum Verdict: String, Sendable {
        case improved, regressed, unchanged
        /// Changed, with no direction declared (or not a number).
        case changed
        case added, removed
    }

    public let file: String
    public let key: String
    public let old: StructuredValue?
    public let new: StructuredValue?
    public let oldSource: MetricValue.Source?
    public let newSource: MetricValue.Source?
    /// new - old, for numbers.
    public let change: Double?
    /// change / |old| × 100, when old is a non-zero number.
    public let percent: Double?
    public let verdict: Verdict
}

/// Compares values keyed by file and key; `directions` turns numeric changes into
/// improvements and regressions.
func compare(_ old: [MetricValue], _ new: [MetricValue], directions: [String: MetricDirection]) -> [ValueChange] {
    var order: [String] = []
    var before: [String: MetricValue] = [:], after: [String: MetricValue] = [:]
    for value in old { let id = value.file + "\u{0}" + value.key; if before[id] == nil { order.append(id) }; before[id] = value }
    for value in new { let id = value.file + "\u{0}" + value.key; if before[id] == nil && after[id] == nil { order.append(id) }; after[id] = value }
    return order.map { id in
        let a = before[id], b = after[id]
        let file = (a ?? b)!.file, key = (a ?? b)!.key
        var change: Double?, percent: Double?
        let verdict: ValueChange.Verdict
        if a == nil {
            verdict = .added
        } else if b == nil {
            verdict = .removed
        } else if let x = a!.value.number, let y = b!.value.number {
            change = y - x
            percent = x != 0 ? (y - x) / abs(x) * 100 : nil
            if y == x {
                verdict = .unchanged
            } else if let direction = directions[file + ":" + key] ?? directions[key] {
                verdict = (direction == .higherIsBetter) == (y > x) ? .improved : .regressed
            } else {
                verdict = .changed
            }
        } else {
            verdict = a!.value.canonical == b!.value.canonical ? .unchanged : .changed
        }
        return ValueChange(file: file, key: key, old: a?.value, new: b?.value, oldSource: a?.source, newSource: b?.source,
                           change: change, percent: percent, verdict: verdict)
    }
}

/// `mlv metrics diff`: every metric of the two revisions compared.
public func metricsDiff(_ a: Revision, _ b: Revision, extraFiles: [String] = [], project: Project) throws -> [ValueChange] {
    let old = try MetricsSnapshot.read(a, extraFiles: extraFiles, project: project)
    let new = try MetricsSnapshot.read(b, extraFiles: extraFiles, project: project)
    // A file missing on one side is a change, not an error; a malformed one is an error.
    for snapshot in [old, new] {
        for (file, message) in snapshot.problems.sorted(by: { $0.key < $1.key }) where !snapshot.absentFiles.contains(file) {
            throw MetricsError.unreadable(message)
        }
    }
    let directions = old.directions.merging(new.directions) { _, newer in newer }
    return compare(old.values, new.values, directions: directions)
}

/// `mlv params diff`: the params files the stages of either revision read, compared key by key.
public func paramsDiff(_ a: Revision, _ b: Revision, project: Project) throws -> [ValueChange] {
    var files: [String] = []
    for revision in [a, b] {
        for file in (try revision.pipeline(project: project))?.stages.flatMap(\.paramFiles) ?? [] where !files.contains(file) {
            files.append(file)
        }
    }
    func values(_ revision: Revision) throws -> [MetricValue] {
        var result: [MetricValue] = []
        for file in files.sorted() {
            guard let bytes = try revision.read(file, project: project) else { continue }
            let parsed = try StructuredFile.parse(bytes, file: file, revision: revision.commit == nil ? nil : revision.label)
            result += parsed.flattened().map { MetricValue(file: file, key: $0.key, value: $0.value, source: .file) }
        }
        return result
    }
    return compare(try values(a), try values(b), directions: [:])
}

/// A metric's value at one commit of a history.
public struct HistoryPoint: Sendable {
    public let commit: CommitSummary
    public let value: Double?
    public let source: MetricValue.Source?
}

/// `mlv metrics history`: a metric along first-parent history, oldest first. `range` is
/// `A..B` (commits after A up to B), a single revision (its history), or nil (HEAD's).
public func metricHistory(_ metric: String, range: String?, extraFiles: [String] = [], limit: Int = 1000, project: Project) throws -> [HistoryPoint] {
    var stop: GitObjectID?
    var tipText = "HEAD"
    if let range {
        let parts = range.components(separatedBy: "..")
        guard parts.count <= 2, !parts.contains(where: { $0.contains(".") && $0.hasPrefix(".") }) else { throw MetricsError.badRange(range) }
        if parts.count == 2 {
            if !parts[0].isEmpty { stop = try project.resolveCommit(parts[0]) }
            tipText = parts[1].isEmpty ? "HEAD" : parts[1]
        } else {
            tipText = range
        }
    }
    guard let tip = tipText == "HEAD" ? try project.git.headCommit() : try project.resolveCommit(tipText) else { return [] }
    project.loadHistoryIndex()
    var points: [HistoryPoint] = []
    for commit in try project.firstParentHistory(from: tip, limit: limit, stop: stop) {
        let snapshot = try MetricsSnapshot.read(.commit(commit, label: commit.short), extraFiles: extraFiles, project: project)
        let found = snapshot.lookup(metric).first
        points.append(HistoryPoint(commit: CommitSummary(try project.commitInfo(commit)), value: found?.value.number, source: found?.source))
    }
    return points.reversed()
}
