import ArgumentParser
import Foundation
import MLVCore

/// A gate table (the pre-push hook writes it to stderr, where Git shows it).
func renderGates(_ report: GateReport, precision: Int = 5) -> String {
    let format = NumberFormat(precision: precision)
    let rows = report.results.map { result in
        [result.metric, result.value.map(format.string) ?? "-", result.baseline.map(format.string) ?? "-", result.rule,
         result.skipped ? Terminal.yellow("skipped") : result.passed ? Terminal.green("pass") : Terminal.red("FAIL"), result.reason]
    }
    var text = "Gates for \(report.revision)" + (report.baseline.map { " against \($0)" } ?? " (no baseline)") + ":\n"
    text += Terminal.table([["Metric", "Value", "Baseline", "Rule", "Result", "Why"]] + rows)
    return text
}

struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Check the gates of mlv.yaml on a revision against a baseline; exit 1 when one fails.",
        discussion: """
        Rules (under `gates:` in mlv.yaml): `METRIC OP NUMBER` or `METRIC OP baseline [+|-|* NUMBER]`, \
        with OP one of >= <= > < == !=. The baseline is the metric at --baseline (default: the \
        branch's upstream, else HEAD for the work tree, else REV's parent). A gate that cannot be \
        evaluated (missing metric, malformed file, no baseline) fails; --allow-missing-baseline skips \
        rules that need a baseline when there is none.
        """)

    @Argument(help: "The revision to check (default: the work tree).") var revision: String?
    @Option(help: "The revision to compare with.") var baseline: String?
    @Flag(help: "Let rules that need a baseline pass when there is none (a first push).") var allowMissingBaseline = false
    @Option(help: "Decimal places.") var precision = 5
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        var passed = true
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            let report = try gate(revision, baseline: baseline, allowMissingBaseline: allowMissingBaseline, project: project)
            passed = report.passed
            if json {
                try Terminal.printJSON(encoding: report)
                return
            }
            guard !report.results.isEmpty else { print("No gates in mlv.yaml; nothing to check."); return }
            print(renderGates(report, precision: precision))
        }
        if !passed { throw ExitStatus.differences }
    }
}
