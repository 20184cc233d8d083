import ArgumentParser
import MLVCore

struct FsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck", abstract: "Rehash cache objects and report missing or corrupted ones.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Check every object in the cache, not only those the work tree needs.") var all = false
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Check this remote instead: download every pack and verify every item.") var remote: String?

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet)
        var problems = false
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            if let remote {
                let check = try checkRemote(remote, cwd: currentDirectory, project: project)
                progress.finish()
                problems = !check.problems.isEmpty
                if json {
                    try Terminal.printJSON(encoding: check)
                    return
                }
                for problem in check.problems {
                    print("\(Terminal.red(problem.kind.rawValue)) \(problem.object.isEmpty ? "-" : problem.object)  \(problem.key.isEmpty ? "" : problem.key + ": ")\(problem.detail)")
                }
                if !global.quiet {
                    print("Checked remote \(check.remote): \(check.packs) pack(s), \(check.entries) item(s), \(Terminal.size(check.bytes)): \(check.problems.isEmpty ? Terminal.green("all good") : Terminal.red("\(check.problems.count) problem(s)")).")
                }
                return
            }
            let result = try fsck(all: all, project: project)
            progress.finish()
            problems = !result.problems.isEmpty
            if json {
                try Terminal.printJSON(encoding: result)
                return
            }
            for problem in result.problems {
                let users = problem.usedBy.isEmpty ? "not used by the work tree" : "used by " + problem.usedBy.prefix(5).joined(separator: ", ") + (problem.usedBy.count > 5 ? ", …" : "")
                print("\(Terminal.red(problem.kind.rawValue)) \(problem.id.hex)  \(users)")
            }
            if !global.quiet {
                print("Checked \(result.checkedObjects) object(s), \(Terminal.size(result.checkedBytes)): \(result.problems.isEmpty ? Terminal.green("all good") : Terminal.red("\(result.problems.count) problem(s)")).")
                if problems { print("Missing objects: `mlv fetch` if a remote has them. Corrupted ones: delete them from the cache and re-add or fetch.") }
            }
        }
        if problems { throw ExitStatus.differences }
    }
}
