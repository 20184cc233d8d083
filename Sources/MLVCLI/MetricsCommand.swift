import ArgumentParser
import Foundation
import MLVCore

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Show, compare and chart metrics at any commit, without checking anything out.",
        discussion: """
        Metrics files are those the stages of mlv.yaml declare (plus --file): JSON, YAML, or \
        CSV/TSV (header and rows; the last row counts). Nested keys are flattened with dots. \
        Where a value comes from a note under refs/notes/mlv (recorded when a commit was \
        evaluated after it was made) rather than the committed file, it is marked (note).
        """,
        subcommands: [MetricsShowCommand.self, MetricsDiffCommand.self, MetricsHistoryCommand.self])
}

struct MetricsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Metrics at the work tree or the given revisions.")

    @Option(name: .customLong("rev"), help: "A revision to read (repeatable); default: the work tree.")
    var revisions: [String] = []
    @Flag(help: "Every local branch.")
    var allBranches = false
    @Option(help: "Another metrics file to read (repeatable).")
    var file: [String] = []
    @Option(help: "Decimal places.")
    var precision = 5
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print a Markdown table.") var md = false
    @Flag(help: "Print CSV.") var csv = false

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            var revs: [Revision] = try revisions.map { try Revision.resolve($0, project: project) }
            if allBranches { revs += try Revision.branches(project: project) }
            if revs.isEmpty { revs = [.workspace] }
            let format = NumberFormat(precision: precision)
            var rows: [[String]] = []
            var listing: [MetricsListing] = []
            for revision in revs {
                let snapshot = try MetricsSnapshot.read(revision, extraFiles: file, project: project).checked()
                for value in snapshot.values {
                    rows.append([revision.label, value.file, value.key, format.string(value.value) + (value.source == .note ? " (note)" : "")])
                    listing.append(MetricsListing(revision: revision.label, value: value))
                }
            }
            if json { try Terminal.printJSON(encoding: listing); return }
            guard !rows.isEmpty else { throw MetricsError.noMetrics(revs.map(\.label).joined(separator: ", ")) }
            print(TableFormat.pick(markdown: md, csv: csv).render(["Revision", "Path", "Metric", "Value"], rows))
        }
    }
}

/// Renders metric or param changes; shared by `metrics diff` and `params diff`.
func renderChanges(_ changes: [ValueChange], a: String, b: String, all: Bool, precision: Int, json: Bool, markdown: Bool, what: String) throws {
    let format = NumberFormat(precision: precision)
    let shown = all ? changes : changes.filter { $0.verdict != .unchanged }
    if json {
        try Terminal.printJSON(encoding: ChangeReport(a: a, b: b, what: what, changes: shown))
        return
    }
    guard !shown.isEmpty else {
        print("No \(what) changed between \(a) and \(b).")
        return
    }
    let rows = shown.map { change -> [String] in
        let marker: String
        switch change.verdict {
        case .improved: marker = Terminal.green("improved")
        case .regressed: marker = Terminal.red("regressed")
        case .added: marker = "added"
        case .removed: marker = "removed"
        case .unchanged, .changed: marker = ""
        }
        return [
            change.file, change.key,
            format.string(change.old) + (change.oldSource == .note ? " (note)" : ""),
            format.string(change.new) + (change.newSource == .note ? " (note)" : ""),
            change.change.map(format.signed) ?? "-",
            change.percent.map { format.signed(($0 * 100).rounded() / 100) + "%" } ?? "-",
            marker,
        ]
    }
    let header = ["Path", what == "metric" ? "Metric" : "Param", a, b, "Change", "Change %", ""]
    print(TableFormat.pick(markdown: markdown).render(header, rows))
}

struct MetricsDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Compare metrics between two revisions (default: HEAD and the work tree).",
        discussion: "Directions declared under `metrics:` in mlv.yaml mark changes as improved or regressed.")

    @Argument(help: "The old revision (default HEAD).") var a: String?
    @Argument(help: "The new revision (default: the work tree).") var b: String?
    @Flag(help: "Include metrics that did not change.") var all = false
    @Option(help: "Decimal places.") var precision = 5
    @Option(help: "Another metrics file to read (repeatable).") var file: [String] = []
    @Flag(help: "Exit 1 when a metric with a declared direction got worse.") var failOnRegression = false
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print a Markdown table.") var md = false

    func run() throws {
        var regressed = false
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            let old = try Revision.resolve(a ?? "HEAD", project: project)
            let new = try Revision.resolve(b, project: project)
            let changes = try metricsDiff(old, new, extraFiles: file, project: project)
            try renderChanges(changes, a: old.label, b: new.label, all: all, precision: precision, json: json, markdown: md, what: "metric")
            regressed = changes.contains { $0.verdict == .regressed }
        }
        if failOnRegression && regressed {
            Terminal.error("a metric regressed (see the table).")
            throw ExitStatus.differences
        }
    }
}

struct MetricsHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "A metric at each commit along first-parent history, with a sparkline or an HTML chart.")

    @Argument(help: "The metric (`accuracy`, or `metrics.json:accuracy`); several separated by commas for --html.") var metric: String
    @Argument(help: "A revision range A..B, or a revision (default: HEAD's history).") var range: String?
    @Option(help: "Another metrics file to read (repeatable).") var file: [String] = []
    @Option(help: "At most this many commits.") var limit = 1000
    @Option(help: "Write a self-contained HTML file with an SVG chart per metric.") var html: String?
    @Option(help: "Decimal places.") var precision = 5
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let progress = ProgressBar(quiet: false)
        try runReportingErrors(progress) {
            // With a reporter: a damaged `.mlv/state/history` is named on stderr.
            let project = try openProject(progress)
            let names = metric.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let series = try names.map { ($0, try metricHistory($0, range: range, extraFiles: file, limit: limit, project: project)) }
            project.saveHistoryIndex()
            if let html {
                try Data(HistoryChart.html(series).utf8).write(to: URL(fileURLWithPath: html, relativeTo: URL(fileURLWithPath: currentDirectory)))
                print("Wrote \(html): \(series.count) chart(s), \(series.first?.1.count ?? 0) commit(s).")
                return
            }
            let format = NumberFormat(precision: precision)
            if json {
                try Terminal.printJSON(encoding: series.map { MetricSeries(metric: $0.0, points: $0.1) })
                return
            }
            for (name, points) in series {
                let values = points.compactMap(\.value)
                print("\(name): \(HistoryChart.sparkline(points.map(\.value)))" + (values.isEmpty ? "" : "  min \(format.string(values.min()!)), max \(format.string(values.max()!)), last \(format.string(values.last!))"))
                let dateFormat = DateFormatter()
                dateFormat.dateFormat = "yyyy-MM-dd"
                let rows = points.map { point in
                    [point.commit.short, dateFormat.string(from: point.commit.time),
                     point.value.map(format.string).map { $0 + (point.source == .note ? " (note)" : "") } ?? "-", point.commit.summary]
                }
                print(Terminal.table([["Commit", "Date", "Value", "Subject"]] + rows))
            }
        }
    }
}

struct ParamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "params", abstract: "Compare params between revisions.",
                                                    subcommands: [ParamsDiffCommand.self])
}

struct ParamsDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Compare the params files the stages read between two revisions (default: HEAD and the work tree).")

    @Argument(help: "The old revision (default HEAD).") var a: String?
    @Argument(help: "The new revision (default: the work tree).") var b: String?
    @Flag(help: "Include params that did not change.") var all = false
    @Option(help: "Decimal places.") var precision = 5
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print a Markdown table.") var md = false

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            let old = try Revision.resolve(a ?? "HEAD", project: project)
            let new = try Revision.resolve(b, project: project)
            let changes = try paramsDiff(old, new, project: project)
            try renderChanges(changes, a: old.label, b: new.label, all: all, precision: precision, json: json, markdown: md, what: "param")
        }
    }
}
