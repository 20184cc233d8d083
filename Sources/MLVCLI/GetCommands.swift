import ArgumentParser
import Foundation
import MLVCore

/// What `get` and `import` take: the repository, the path there, and where it goes.
struct SourceOptions: ParsableArguments {
    @Argument(help: "The Git repository.") var url: String
    @Argument(help: "The tracked path there (or a path inside a tracked directory, or a file kept in Git).") var path: String
    @Option(help: "A branch, tag, commit, NAME@vX.Y.Z or NAME#STAGE (default: the repository's HEAD).") var rev: String?
    @Option(name: .shortAndLong, help: "Where to put it (default: the path's last part, here).") var out: String?
    @Option(name: .shortAndLong, help: "That repository's data remote (default: its default remote).") var remote: String?
    @Flag(help: "Replace what is there.") var force = false

    var request: SourceRequest {
        var request = SourceRequest(url: url, path: path)
        request.revision = rev
        request.output = out
        request.remote = remote
        request.force = force
        return request
    }
}

struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Download data or a model another repository tracks, without cloning it.",
        discussion: """
        URL: a Git repository (a path, file://, or what libgit2 fetches here). Only the needed \
        reference is fetched, into a scratch repository beside the output; the data comes from \
        that repository's mlv remote and is verified. The output appears whole or not at all.
        """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var source: SourceOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet || json)
        try runReportingErrors(progress) {
            let result = try getData(source.request, cwd: currentDirectory)
            progress.finish()
            if json { return try Terminal.printJSON(encoding: result) }
            guard !global.quiet else { return }
            let what = [source.rev ?? result.revision, result.model].compactMap { $0 }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: " = ")
            print("Got \(result.download.path) from \(result.url) at \(what), commit \(result.commit.prefix(12)): \(result.download.objects) object(s), \(Terminal.size(result.download.bytes)) downloaded, written to \(result.download.output).")
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List what another repository tracks at a revision, without downloading data.")
    @Argument(help: "The Git repository.") var url: String
    @Argument(help: "Only paths under this one.") var path: String?
    @Option(help: "A branch, tag, commit, NAME@vX.Y.Z or NAME#STAGE (default: the repository's HEAD).") var rev: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try runReportingErrors {
            let listed = try listSource(url: url, path: path, revision: rev, cwd: currentDirectory)
            if json { return try Terminal.printJSON(encoding: listed.paths) }
            guard !listed.paths.isEmpty else { return print("Nothing tracked at \(listed.commit.prefix(12)).") }
            print(TableFormat.text.render(["Path", "Kind", "Size", "Files", "Id"],
                                          listed.paths.map { [$0.path, $0.kind, Terminal.size($0.size), String($0.files), String($0.id.prefix(12))] }))
        }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Bring data or a model from another repository and track it here, remembering its source.",
        discussion: "As `mlv get`, then tracked as added data (cache, pointer, .gitignore); the pointer records the source's URL, revision, commit and path, so `mlv update` can follow it and `mlv status` says when it is behind.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var source: SourceOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet || json)
        try runReportingErrors(progress) {
            let result = try importData(source.request, cwd: currentDirectory, project: try openProject(progress))
            progress.finish()
            if json { return try Terminal.printJSON(encoding: result) }
            guard !global.quiet else { return }
            print("Imported \(result.dataPath) from \(result.source.url) \(result.source.path) at \(result.source.revision ?? "HEAD") (commit \(result.source.commit.prefix(12))): \(Terminal.size(result.size)). Record it with `git commit`.")
        }
    }
}

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Move imported data to its source's newest matching revision, and show what changed.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Imported paths (default: every import).") var paths: [String] = []
    @Option(help: "Follow this revision from now on instead.") var rev: String?
    @Option(name: .shortAndLong, help: "The source's data remote (default: its default remote).") var remote: String?
    @Flag(help: "Replace imported data changed here.") var force = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet || json)
        try runReportingErrors(progress) {
            let results = try updateImports(paths, revision: rev, remote: remote, force: force, cwd: currentDirectory, project: try openProject(progress))
            progress.finish()
            if json { return try Terminal.printJSON(encoding: results) }
            guard !global.quiet else { return }
            if results.isEmpty { return print("Nothing imported here.") }
            for result in results {
                let revision = result.source.revision ?? "HEAD"
                if !result.changed {
                    print("\(result.dataPath): up to date with \(revision) (commit \(result.source.commit.prefix(8))).")
                } else {
                    print("\(result.dataPath): \(revision) moved from commit \((result.previousCommit ?? "-").prefix(8)) to \(result.source.commit.prefix(8)); data \((result.previousID ?? "-").prefix(8)) -> \(result.id.prefix(8)) (\(Terminal.size(result.size))). Record it with `git commit`.")
                }
            }
        }
    }
}
