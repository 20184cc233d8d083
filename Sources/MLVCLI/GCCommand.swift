import ArgumentParser
import MLVCore

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete cache objects that nothing in the chosen scope references.",
        discussion: "A scope is required. The work tree's pointers and HEAD are always kept, and so are experiments (refs/mlv/exps) and queued experiments unless --drop-experiments.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Keep only what the work tree and HEAD need.") var workspace = false
    @Flag(help: "Also keep what every branch tip needs.") var allBranches = false
    @Flag(help: "Also keep what every tag needs.") var allTags = false
    @Flag(help: "Also keep what every commit in the history needs.") var allCommits = false
    @Flag(help: "Do not keep what experiments (refs/mlv/exps) and queued experiments need; by default they are kept until `mlv exp rm`.") var dropExperiments = false
    @Flag(help: "Report what would be deleted without deleting.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Collect garbage on a remote instead of the local cache. Dangerous when several repositories share the remote: data only they use is deleted. Run with --dry-run first.") var cloud = false
    @Option(name: .shortAndLong, help: "The remote for --cloud (default: the default remote).") var remote: String?

    func validate() throws {
        let count = [workspace, allBranches, allTags, allCommits].filter { $0 }.count
        if count == 0 { throw ValidationError("choose a scope: --workspace, --all-branches, --all-tags or --all-commits (gc never guesses which data you still need)") }
        if count > 1 { throw ValidationError("choose one scope") }
    }

    func run() throws {
        let scope: GCScope = workspace ? .workspace : allBranches ? .allBranches : allTags ? .allTags : .allCommits
        let progress = ProgressBar(quiet: global.quiet)
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            if cloud {
                let result = try collectRemoteGarbage(remote, scope: scope, dryRun: dryRun, keepExperiments: !dropExperiments, project: project)
                if json {
                    try Terminal.printJSON(encoding: result)
                } else if !global.quiet {
                    let verb = dryRun ? "Would delete" : "Deleted"
                    print("\(verb) \(result.packsDeleted) pack(s) and rewrite \(result.packsRewritten) on \(result.remote): \(result.entriesDropped) item(s), \(Terminal.size(result.bytesFreed)) freed.")
                }
                return
            }
            let result = try collectGarbage(scope: scope, dryRun: dryRun, keepExperiments: !dropExperiments, project: project)
            if json {
                try Terminal.printJSON(encoding: result)
            } else if !global.quiet {
                let verb = dryRun ? "Would remove" : "Removed"
                print("\(verb) \(result.removedObjects) object(s), \(Terminal.size(result.removedBytes)); kept \(result.keptObjects) (\(Terminal.size(result.keptBytes))).")
                if result.packsMerged > 0 { print("Merged \(result.packsMerged) local pack(s) into \(result.packsWritten).") }
            }
        }
    }
}
