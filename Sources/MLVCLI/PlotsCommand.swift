import ArgumentParser
import Foundation
import MLVCore

struct PlotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plots", abstract: "Render the plot files stages declare (`plots:`) as one self-contained HTML page.",
        discussion: """
        Confusion matrices are drawn as heatmaps side by side, one per revision; ROC and PR \
        curves, calibration and series (CSV/TSV or JSON rows; x is the step, epoch, iteration \
        or x column) are overlaid with a legend. The page has no script and loads nothing.
        """,
        subcommands: [PlotsShowCommand.self, PlotsDiffCommand.self])
}

/// Writes the page and says what it holds.
func writePlotsPage(_ revisions: [Revision], html: String, project: Project) throws {
    let plots = try readPlots(revisions, project: project)
    let page = PlotsPage.html(title: "mlv plots: " + revisions.map(\.label).joined(separator: " vs "), plots)
    let path = html.hasPrefix("/") ? html : currentDirectory + "/" + html
    try FileSystem.writeAtomically(Array(page.utf8), to: path)
    let files = Set(plots.flatMap { $0.files.map(\.path) })
    print("Wrote \(html): \(files.count) plot file(s) from \(revisions.count) revision(s).")
    for revision in plots { for problem in revision.problems { Terminal.warn("\(revision.revision): \(problem)") } }
}

struct PlotsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Plots of the work tree, or of the given revisions overlaid.")
    @Option(name: .customLong("rev"), help: "A revision or experiment (repeatable); default: the work tree.") var revisions: [String] = []
    @Option(help: "The HTML file to write.") var html = "plots.html"

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            let revs = revisions.isEmpty ? [Revision.workspace] : try revisions.map { try Revision.resolve($0, project: project) }
            try writePlotsPage(revs, html: html, project: project)
        }
    }
}

struct PlotsDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Plots of revision A against B (default: the work tree).")
    @Argument(help: "A revision or experiment.") var a: String
    @Argument(help: "Another one (default: the work tree).") var b: String?
    @Option(help: "The HTML file to write.") var html = "plots.html"

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            try writePlotsPage([try Revision.resolve(a, project: project), try Revision.resolve(b, project: project)], html: html, project: project)
        }
    }
}
