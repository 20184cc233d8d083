import ArgumentParser
import Foundation
import MLVCore

/// `mlv model …`: the model registry, kept in annotated Git tags.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Register, promote and look up model versions (kept in Git tags).",
        discussion: """
        Tags follow the convention DVC's GTO uses: NAME@vX.Y.Z registers a version, NAME#STAGE#N \
        promotes one (the Nth stage event), NAME#STAGE!#N demotes, NAME@vX.Y.Z! deprecates a \
        version and NAME@deprecated the model. Share them with `git push --tags`.
        """,
        subcommands: [ModelRegisterCommand.self, ModelPromoteCommand.self, ModelDemoteCommand.self, ModelDeprecateCommand.self,
                      ModelListCommand.self, ModelShowCommand.self, ModelHistoryCommand.self, ModelPathCommand.self])
}

struct ModelRegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register", abstract: "Register a new version of a model at a commit (default HEAD).")
    @Argument(help: "The model's name.") var name: String
    @Option(help: "The model file or directory (default: its path under `models:` in mlv.yaml).") var path: String?
    @Option(help: "The version, vMAJOR.MINOR.PATCH; never reused.") var version: String
    @Option(name: .shortAndLong, help: "The tag's message.") var message: String?
    @Argument(help: "The commit to register (default HEAD).") var revision: String?

    func run() throws {
        try runReportingErrors {
            var request = ModelRegistration(name: name, version: version)
            request.path = path
            request.message = message
            request.revision = revision
            let result = try ModelActions.register(request, project: try Project.open(from: currentDirectory))
            print("Registered \(result.tag): \(result.path) at \(result.commit.short). Share it with `git push origin \(result.tag)`.")
        }
    }
}

struct ModelPromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Make a version the current one of a stage (prod, staging, …).")
    @Argument(help: "The model's name.") var name: String
    @Argument(help: "The version.") var version: String
    @Argument(help: "The stage.") var stage: String
    @Option(name: .shortAndLong, help: "The tag's message.") var message: String?

    func run() throws {
        try runReportingErrors {
            let tag = try ModelActions.promote(name, version: version, stage: stage, message: message, project: try Project.open(from: currentDirectory))
            print("Promoted \(name) \(version) to \(stage): tag \(tag).")
        }
    }
}

struct ModelDemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demote", abstract: "Take a stage's current version out of it.")
    @Argument(help: "The model's name.") var name: String
    @Argument(help: "The stage.") var stage: String
    @Option(name: .shortAndLong, help: "The tag's message.") var message: String?

    func run() throws {
        try runReportingErrors {
            let tag = try ModelActions.demote(name, stage: stage, message: message, project: try Project.open(from: currentDirectory))
            print("Demoted \(name) from \(stage): tag \(tag).")
        }
    }
}

struct ModelDeprecateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deprecate", abstract: "Deprecate a version, or without one the whole model.")
    @Argument(help: "The model's name.") var name: String
    @Argument(help: "The version.") var version: String?
    @Option(name: .shortAndLong, help: "The tag's message.") var message: String?

    func run() throws {
        try runReportingErrors {
            let tag = try ModelActions.deprecate(name, version: version, message: message, project: try Project.open(from: currentDirectory))
            print("Deprecated \(name)\(version.map { " " + $0 } ?? ""): tag \(tag).")
        }
    }
}

struct ModelListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Models with their latest version and the version in each stage.")
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try runReportingErrors {
            let models = try RegistryViews.list(project: try Project.open(from: currentDirectory))
            if json { return try Terminal.printJSON(encoding: models) }
            guard !models.isEmpty else { return print("No models registered.") }
            let stages = Set(models.flatMap(\.stages.keys)).sorted()
            let rows = models.map { model in
                [model.name + (model.deprecated ? " (deprecated)" : ""), model.latest ?? "-"] + stages.map { model.stages[$0] ?? "-" }
            }
            print(TableFormat.text.render(["Model", "Latest"] + stages, rows))
        }
    }
}

struct ModelShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Every version of a model: commit, date, tagger, file, metrics, stages.")
    @Argument(help: "The model's name.") var name: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try runReportingErrors {
            let versions = try RegistryViews.show(name, project: try Project.open(from: currentDirectory))
            if json { return try Terminal.printJSON(encoding: versions) }
            let metricNames = Set(versions.flatMap(\.metrics.keys)).sorted()
            let format = NumberFormat()
            let rows = versions.map { version in
                [version.version + (version.deprecated ? " (deprecated)" : ""), String(version.commit.prefix(8)), version.date ?? "-",
                 version.taggedBy ?? "-", version.path ?? "-", version.file.map { String($0.id.prefix(8)) } ?? "-",
                 version.file?.size.map { Terminal.size($0) } ?? "-"]
                    + metricNames.map { format.string(version.metrics[$0]) } + [version.stages.joined(separator: ",")]
            }
            print(TableFormat.text.render(["Version", "Commit", "Tagged", "By", "Path", "File", "Size"] + metricNames + ["Stages"], rows))
        }
    }
}

struct ModelHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Every registration, promotion, demotion and deprecation of a model, in time order.")
    @Argument(help: "The model's name.") var name: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try runReportingErrors {
            let events = try RegistryViews.history(name, project: try Project.open(from: currentDirectory))
            if json { return try Terminal.printJSON(encoding: events) }
            let rows = events.map { [$0.date ?? "-", $0.event, $0.version ?? "-", $0.stage ?? "-", $0.taggedBy ?? "-", $0.tag] }
            print(TableFormat.text.render(["Date", "Event", "Version", "Stage", "By", "Tag"], rows))
        }
    }
}

struct ModelPathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "path", abstract: "Print the commit and path of NAME, NAME@vX.Y.Z or NAME#STAGE, for scripts.",
        discussion: "Output: `COMMIT PATH` on one line.")
    @Argument(help: "NAME, NAME@vX.Y.Z or NAME#STAGE.") var specifier: String

    func run() throws {
        try runReportingErrors {
            let found = try RegistryViews.locate(specifier, project: try Project.open(from: currentDirectory))
            print("\(found.version.commit.hex) \(found.path)")
        }
    }
}
