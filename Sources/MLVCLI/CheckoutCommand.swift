import ArgumentParser
import MLVCore

struct CheckoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Make the workspace match the pointers (after git checkout, switch or reset).")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Overwrite or delete files whose content is not in the cache.")
    var force = false

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "Tracked paths to materialize (default: all).")
    var paths: [String] = []

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet)
        var failed = false
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            let result = try checkout(paths, cwd: currentDirectory, options: CheckoutOptions(force: force), project: project)
            progress.finish()
            failed = result.contains(where: \.failed)
            if json {
                try Terminal.printJSON(encoding: result)
                return
            }
            for item in result {
                if item.written == 0 && item.deleted == 0 && !item.failed {
                    if global.verbose { print("\(item.dataPath): up to date") }
                    continue
                }
                if !global.quiet && (item.written > 0 || item.deleted > 0) {
                    print("\(item.dataPath): \(item.written) file(s) written (\(Terminal.size(item.bytesWritten))), \(item.deleted) deleted")
                }
                for id in item.missing {
                    Terminal.error("\(item.dataPath): object \(id.short) is missing from the cache; run `mlv fetch` or `mlv fsck`.")
                }
                for id in item.corrupted {
                    Terminal.error("\(item.dataPath): object \(id.short) in the cache is corrupted; it was not written. Run `mlv fsck`.")
                }
            }
            if !global.quiet && !failed && result.allSatisfy({ $0.written == 0 && $0.deleted == 0 }) {
                print("Workspace already matches the pointers.")
            }
        }
        if failed { throw ExitStatus.differences }
    }
}
