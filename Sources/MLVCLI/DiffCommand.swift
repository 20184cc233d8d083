import ArgumentParser
import MLVCore

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed in tracked data between two commits, or a commit and the workspace.",
        discussion: "No revision: HEAD against the workspace. One: that revision against the workspace. Two: the first against the second.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "Revisions (commit, branch, tag, HEAD~2, ...).")
    var revisions: [String] = []

    func validate() throws {
        if revisions.count > 2 { throw ValidationError("diff takes at most two revisions") }
    }

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet)
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            let from = DiffSide.revision(revisions.first ?? "HEAD")
            let to = revisions.count == 2 ? DiffSide.revision(revisions[1]) : .workspace
            let result = try diff(from: from, to: to, project: project)
            progress.finish()
            if json {
                try Terminal.printJSON(encoding: DataDiffReport(from: from.label, to: to.label, paths: result))
                return
            }
            guard !global.quiet else { return }
            if result.isEmpty { print("No changes in tracked data between \(from.label) and \(to.label)."); return }
            print("Tracked data, \(from.label) -> \(to.label):")
            for item in result {
                let sizes = "\(item.oldSize.map(Terminal.size) ?? "-") -> \(item.newSize.map(Terminal.size) ?? "-")"
                let counts = item.added.count + item.deleted.count + item.modified.count > 1 || item.dataPath.isEmpty
                    ? " (\(item.added.count) added, \(item.modified.count) modified, \(item.deleted.count) deleted)" : ""
                let label: String
                switch item.change {
                case .added: label = Terminal.green("added")
                case .deleted: label = Terminal.red("deleted")
                case .modified: label = Terminal.yellow("modified")
                }
                print("  \(label) \(item.dataPath)\(counts)  \(sizes)")
                let limit = global.verbose ? Int.max : 10
                var shown = 0
                for (mark, list) in [("+", item.added), ("-", item.deleted), ("M", item.modified)] {
                    for file in list where !file.path.isEmpty {
                        if shown == limit { break }
                        shown += 1
                        let size = mark == "M" ? "\(Terminal.size(file.oldSize ?? 0)) -> \(Terminal.size(file.newSize ?? 0))"
                            : Terminal.size(file.newSize ?? file.oldSize ?? 0)
                        print("      \(mark) \(file.path)  \(size)")
                    }
                }
                let total = item.added.count + item.deleted.count + item.modified.count
                if total > shown && item.dataPath.isEmpty == false && shown == limit { print("      … \(total - shown) more (use -v)") }
            }
        }
    }
}

/// JSON null for `JSONSerialization`.
enum NSNullValue { static let null = NSNull() }
import Foundation
