import ArgumentParser
import MLVCore

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote", abstract: "Manage where data is shared (settings live in the committed .mlvconfig).",
        subcommands: [Add.self, List.self, Remove.self, Modify.self])

    struct Add: ParsableCommand {
        // Named here: a name derived from the type costs a scan of every conformance at start.
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a remote: a directory path, file://PATH or s3://BUCKET/PREFIX.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the remote.") var name: String
        @Argument(help: "URL of the remote.") var url: String
        @Flag(help: "Make it the default remote.") var `default` = false
        @Option(help: "S3 endpoint for non-AWS servers, e.g. http://127.0.0.1:9000.") var endpoint: String?

        func run() throws {
            try runReportingErrors {
                let project = try openProject(ProgressBar(quiet: true))
                try addRemote(name: name, url: url, makeDefault: `default`,
                              options: endpoint.map { ["endpoint": $0] } ?? [:], project: project)
                if !global.quiet { print("Added remote \(name) -> \(url); staged .mlvconfig.") }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List remotes.")
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try runReportingErrors {
                let remotes = try listRemotes(project: try openProject(ProgressBar(quiet: true)))
                if json {
                    try Terminal.printJSON(encoding: remotes)
                    return
                }
                if remotes.isEmpty { print("No remotes; add one with `mlv remote add NAME URL`."); return }
                print(Terminal.table(remotes.map { r in
                    [r.name + (r.isDefault ? " (default)" : ""), r.url,
                     r.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]
                }))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a remote's settings (its data is left alone).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() throws {
            try runReportingErrors {
                try removeRemote(name: name, project: try openProject(ProgressBar(quiet: true)))
                if !global.quiet { print("Removed remote \(name); staged .mlvconfig.") }
            }
        }
    }

    struct Modify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "modify", abstract: "Change a remote setting: url, endpoint, region, pathstyle, jobs.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Argument var key: String
        @Argument var value: String

        func run() throws {
            try runReportingErrors {
                try modifyRemote(name: name, key: key, value: value, project: try openProject(ProgressBar(quiet: true)))
                if !global.quiet { print("Set \(key) = \(value) on remote \(name); staged .mlvconfig.") }
            }
        }
    }
}
