import ArgumentParser
import Foundation
import MLVCore

/// Options push, fetch and pull share.
struct TransferArguments: ParsableArguments {
    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("-j must be at least 1") }
    }

    @Option(name: .shortAndLong, help: "Remote name (default: the default remote).") var remote: String?
    @Option(name: .long, help: "Commits whose data to transfer (repeatable); default: the work tree and HEAD.") var rev: [String] = []
    @Flag(help: "Also every branch tip.") var allBranches = false
    @Flag(help: "Also every commit in the history.") var allCommits = false
    @Option(name: .shortAndLong, help: "Uploads at once (default: the remote's jobs setting, else 4 per core up to 8).") var jobs: Int?
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "Tracked paths, folders, or files inside a tracked directory (default: all).") var paths: [String] = []

    var options: TransferOptions {
        TransferOptions(remote: remote, paths: paths, revisions: rev, allBranches: allBranches, allCommits: allCommits, jobs: jobs)
    }
}

/// Renders a transfer summary; returns whether anything was missing.
func render(_ result: TransferResult, verb: String, json: Bool, quiet: Bool) throws -> Bool {
    if json {
        try Terminal.printJSON(encoding: result)
    } else if !quiet {
        var line = "\(verb) \(result.objects) object(s), \(Terminal.size(result.bytes)); \(result.skipped) already there (\(Terminal.size(result.skippedBytes)))"
        if result.chunksSent + result.chunksReused > 0 { line += "; chunks: \(result.chunksSent) sent, \(result.chunksReused) reused" }
        line += "; \(result.requests) request(s) in \(String(format: "%.2f", result.seconds)) s (\(result.remote))"
        print(line)
    }
    for id in result.missing.prefix(20) {
        Terminal.error("object \(id.short) is missing \(verb == "Pushed" ? "from the local cache" : "on remote \(result.remote)")")
    }
    return !result.missing.isEmpty
}

/// Runs push or fetch and prints its summary; exits 1 when objects were missing.
func runTransfer(_ global: GlobalOptions, _ transfer: TransferArguments, verb: String,
                 _ operation: (TransferOptions, String, Project) throws -> TransferResult) throws {
    let progress = ProgressBar(quiet: global.quiet)
    var missing = false
    try runReportingErrors(progress) {
        let result = try operation(transfer.options, currentDirectory, try openProject(progress))
        progress.finish()
        missing = try render(result, verb: verb, json: transfer.json, quiet: global.quiet)
    }
    if missing { throw ExitStatus.differences }
}

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Upload data the chosen commits need and the remote lacks.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var transfer: TransferArguments

    func run() throws {
        try runTransfer(global, transfer, verb: "Pushed", push)
    }
}

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Download data the chosen commits need into the cache.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var transfer: TransferArguments

    func run() throws { try runTransfer(global, transfer, verb: "Fetched", fetch) }
}

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Fetch, then check out: the workspace gets the data of the current commit.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var transfer: TransferArguments
    @Flag(help: "Overwrite or delete files whose content is not in the cache.") var force = false

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet)
        var failed = false
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            let (fetched, written) = try pull(transfer.options, checkout: CheckoutOptions(force: force), cwd: currentDirectory,
                                              project: project)
            progress.finish()
            failed = try render(fetched, verb: "Fetched", json: transfer.json, quiet: global.quiet) || written.contains(where: \.failed)
            if !global.quiet && !transfer.json {
                for item in written where item.written > 0 || item.deleted > 0 {
                    print("\(item.dataPath): \(item.written) file(s) written (\(Terminal.size(item.bytesWritten))), \(item.deleted) deleted")
                }
            }
        }
        if failed { throw ExitStatus.differences }
    }
}
