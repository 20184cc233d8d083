import ArgumentParser
import Foundation
import MLVCore

struct ExpShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "A table of experiments: params that differ, metrics, state and gates, per baseline.",
        discussion: """
        Rows: the baseline commit (HEAD, or each --rev), then its experiments. Columns: every \
        param that differs between the rows, every metric, and the gates of mlv.yaml against \
        the baseline. The best value of a metric with a direction under `metrics:` is marked \
        (bold on a terminal, * otherwise, ** in Markdown).
        """)

    @Option(name: .customLong("rev"), help: "A baseline revision (repeatable); default HEAD.") var revisions: [String] = []
    @Flag(help: "Every baseline that has experiments.") var allBaselines = false
    @Option(help: "Sort experiments by a column (param, metric, name, created): NAME[:asc|desc].") var sortBy: String?
    @Flag(help: "Only metrics whose value differs between rows.") var onlyChanged = false
    @Option(help: "Keep only columns matching this regular expression.") var keep: String?
    @Option(help: "Drop columns matching this regular expression.") var drop: String?
    @Option(help: "Decimal places.") var precision = 5
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print CSV.") var csv = false
    @Flag(help: "Print a Markdown table.") var md = false

    func run() throws {
        let progress = ProgressBar(quiet: false)
        try runReportingErrors(progress) {
            // With a reporter: a damaged `.mlv/state/history` is named on stderr.
            let project = try openProject(progress)
            var options = ExperimentShowOptions()
            options.revisions = revisions
            options.allBaselines = allBaselines
            if let sortBy {
                let parts = sortBy.split(separator: ":", maxSplits: 1).map(String.init)
                let order = parts.count == 2 ? parts[1].lowercased() : "asc"
                guard order == "asc" || order == "desc", let column = parts.first, !column.isEmpty else {
                    throw ValidationError("--sort-by takes NAME, NAME:asc or NAME:desc")
                }
                options.sortBy = column
                options.descending = order == "desc"
            }
            options.onlyChanged = onlyChanged
            options.keep = keep
            options.drop = drop
            let table: ExperimentTable
            do { table = try experimentTable(options, project: project) } catch let error as NSError where error.domain == "NSCocoaErrorDomain" {
                throw ValidationError("--keep/--drop is not a valid regular expression")
            }
            project.saveHistoryIndex()
            if json { try Terminal.printJSON(encoding: table); return }
            let format = TableFormat.pick(markdown: md, csv: csv)
            print(render(table, format: format))
        }
    }

    func render(_ table: ExperimentTable, format: TableFormat) -> String {
        let number = NumberFormat(precision: precision)
        let dates = DateFormatter()
        dates.locale = Locale(identifier: "en_US_POSIX")
        dates.dateFormat = "yyyy-MM-dd HH:mm"
        var marked = false
        var rows: [[String]] = []
        for (index, row) in table.rows.enumerated() {
            var name = row.name
            if format == .text && !row.isBaseline {
                let last = index + 1 == table.rows.count || table.rows[index + 1].isBaseline
                name = (last ? "└── " : "├── ") + name
            }
            var cells = [name, String(row.baseline.prefix(8)), row.created.map(dates.string) ?? "-", row.state]
            cells += table.paramColumns.map { number.string(row.params[$0]) }
            for column in table.metricColumns {
                let text = number.string(row.metrics[column])
                guard table.best[column]?.contains(index) == true else { cells.append(text); continue }
                marked = true
                switch format {
                case .text: cells.append(Terminal.colorEnabled ? Terminal.bold(text) : text + "*")
                case .markdown: cells.append("**" + text + "**")
                case .csv: cells.append(text)
                }
            }
            cells.append(row.gate ?? "-")
            rows.append(cells)
        }
        let header = ["Experiment", "Baseline", "Created", "State"] + table.paramColumns + table.metricColumns + ["Gate"]
        var text = format.render(header, rows)
        if marked && format == .text && !Terminal.colorEnabled { text += "\n* best value (by the directions under `metrics:` in mlv.yaml)" }
        return text
    }
}

struct ExpDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Params and metrics of experiment A against B (default: A's baseline).")
    @Argument(help: "An experiment (or any revision).") var a: String
    @Argument(help: "Another experiment or revision (default: A's baseline).") var b: String?
    @Flag(help: "Include values that did not change.") var all = false
    @Option(help: "Decimal places.") var precision = 5
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Print Markdown tables.") var md = false

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            let diff = try experimentDiff(a, b, project: project)
            if json {
                try Terminal.printJSON(encoding: ExperimentDiffReport(
                    params: ChangeReport(a: diff.a.label, b: diff.b.label, what: "param", changes: all ? diff.params : diff.params.filter { $0.verdict != .unchanged }),
                    metrics: ChangeReport(a: diff.a.label, b: diff.b.label, what: "metric", changes: all ? diff.metrics : diff.metrics.filter { $0.verdict != .unchanged })))
                return
            }
            try renderChanges(diff.params, a: diff.a.label, b: diff.b.label, all: all, precision: precision, json: false, markdown: md, what: "param")
            print("")
            try renderChanges(diff.metrics, a: diff.a.label, b: diff.b.label, all: all, precision: precision, json: false, markdown: md, what: "metric")
        }
    }
}
