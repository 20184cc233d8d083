import ArgumentParser
import MLVCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show how tracked data differs from its pointers.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Exit with 1 when anything differs.")
    var exitCode = false

    @Argument(help: "Tracked paths to check (default: all).")
    var paths: [String] = []

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet)
        var dirty = false
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            // Selected once: finding the pointers walks the work tree's folders.
            let tracked = try project.selectPointers(paths, cwd: currentDirectory)
            let result = try status(tracked, project: project)
            progress.finish()
            dirty = result.contains { !$0.isClean }
            if json {
                try Terminal.printJSON(encoding: result)
            } else if !global.quiet {
                render(result)
                // Imports whose source moved on (their repositories are asked for references only).
                for behind in importsBehind(tracked, project: project) {
                    if let current = behind.current {
                        print("Import \(behind.dataPath) is behind: \(behind.revision) is now \(current.prefix(8)), it has \(behind.recorded.prefix(8)); run `mlv update \(behind.dataPath)`.")
                    } else {
                        Terminal.warn("could not ask the source of import \(behind.dataPath) whether it moved: \(behind.problem ?? "")")
                    }
                }
            }
        }
        if exitCode && dirty { throw ExitStatus.differences }
    }

    func render(_ result: [PathStatus]) {
        if result.isEmpty { print("No data tracked yet; `mlv add PATH` starts tracking."); return }
        var rows: [[String]] = []
        for s in result {
            var state: String
            switch s.workspace {
            case .upToDate: state = Terminal.green("up to date")
            case .missing: state = Terminal.red("missing from workspace")
            case .modified:
                if s.kind == .directory && !s.manifestMissing {
                    state = Terminal.yellow("modified") + " (\(s.added.count) added, \(s.modified.count) modified, \(s.deleted.count) deleted)"
                } else {
                    state = Terminal.yellow("modified")
                }
            }
            if s.missingObjects > 0 { state += ", " + Terminal.red("missing from cache") + " (\(s.missingObjects) object(s))" }
            rows.append([s.dataPath, state])
        }
        print(Terminal.table(rows))
        if global.verbose {
            for s in result where s.workspace == .modified {
                for p in s.added { print("  added:    \(s.dataPath)/\(p)") }
                for p in s.modified { print("  modified: \(s.dataPath)\(p.isEmpty ? "" : "/" + p)") }
                for p in s.deleted { print("  deleted:  \(s.dataPath)/\(p)") }
            }
        }
    }
}
