import ArgumentParser
import Foundation
import MLVCore

struct ExpApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Write an experiment's params, lock, metrics, pointers and data into the work tree.",
        discussion: "Then `git commit` records it. Refuses to overwrite changes that are neither the baseline's nor the experiment's, or data not in the cache, unless --force. Data missing from the cache is fetched from the default remote.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The experiment.") var name: String
    @Flag(help: "Overwrite unsaved changes.") var force = false

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet)
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            let result = try applyExperiment(name, force: force, project: project)
            progress.finish()
            guard !global.quiet else { return }
            print("Applied \(result.experiment.name) (\(result.experiment.commit.short)): \(result.files.count) file(s): " + result.files.joined(separator: ", "))
            let written = result.data.reduce(0) { $0 + $1.written }
            print("Data: \(result.data.count) path(s), \(written) file(s) written" + (result.fetched.map { ", \($0.objects) object(s) fetched from \($0.remote)" } ?? "") + ".")
            let failed = result.data.filter(\.failed)
            if !failed.isEmpty {
                Terminal.error("could not materialize " + failed.map(\.dataPath).joined(separator: ", ") + "; run `mlv pull`.")
                throw ExitStatus.differences
            }
            print("Record it with `git commit`.")
        }
    }
}

struct ExpBranchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "branch", abstract: "Make a branch at an experiment's commit.")
    @Argument(help: "The experiment.") var name: String
    @Argument(help: "The new branch.") var branch: String

    func run() throws {
        try runReportingErrors {
            let experiment = try branchExperiment(name, branch: branch, project: try Project.open(from: currentDirectory))
            print("Branch \(branch) is at \(experiment.commit.short) (experiment \(experiment.name)).")
        }
    }
}

struct ExpSaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save", abstract: "Record the work tree's last pipeline run as an experiment of HEAD, without running anything.")
    @Option(name: .shortAndLong, help: "The experiment's name (default: a generated one).") var name: String?
    @Option(name: .shortAndLong, help: "The experiment commit's message.") var message: String?

    func run() throws {
        try runReportingErrors {
            let experiment = try saveExperiment(name: name, message: message, project: try Project.open(from: currentDirectory))
            print("Saved experiment \(experiment.name): commit \(experiment.commit.hex.prefix(12)) on baseline \(experiment.baseline.short).")
        }
    }
}

struct ExpPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push experiments: their references to a Git remote, their data to the mlv remote.",
        discussion: "Without names: the experiments of HEAD.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "[GITREMOTE] [NAME...]") var words: [String] = []
    @Flag(help: "Every experiment.") var all = false

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet)
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            let (remote, names) = splitGitRemote(words, project: project)
            let result = try pushExperiments(names, all: all, gitRemote: remote, project: project)
            progress.finish()
            if !global.quiet {
                print("Pushed \(result.experiments.count) experiment(s) to \(result.remote): " + result.experiments.map(\.name).joined(separator: ", "))
                print("Data: \(result.data.objects) object(s) sent to \(result.data.remote), \(result.data.skipped) already there.")
            }
        }
    }
}

struct ExpPullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull", abstract: "Fetch experiment references from a Git remote (their data comes when applied or with `mlv fetch --rev`).")
    @Argument(help: "[GITREMOTE] [NAME...]") var words: [String] = []

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            let (remote, names) = splitGitRemote(words, project: project)
            let experiments = try pullExperiments(names, gitRemote: remote, project: project)
            print("\(experiments.count) experiment(s) known: " + experiments.map { "\($0.name) (\($0.baseline.short))" }.joined(separator: ", "))
        }
    }
}

struct ExpRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove experiments (references, queue entries and logs).")
    @Argument(help: "Names.") var names: [String] = []
    @Flag(help: "Every experiment and queue entry.") var all = false
    @Flag(help: "Every failed experiment.") var failed = false
    @Flag(help: "Every queued experiment.") var queued = false
    @Flag(help: "Also delete the references on the Git remote.") var remote = false

    func validate() throws {
        if names.isEmpty && !all && !failed && !queued { throw ValidationError("name experiments, or pass --all, --failed or --queued") }
    }

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            var removal = ExperimentRemoval()
            removal.names = names
            removal.all = all
            removal.failed = failed
            removal.queued = queued
            if remote {
                guard let gitRemote = NotesSync.gitRemote(project: project) else { throw ValidationError("--remote: this repository has no Git remote") }
                removal.remote = gitRemote
            }
            let removed = try removeExperiments(removal, project: project)
            print("Removed \(removed.count) experiment(s)" + (removed.isEmpty ? "." : ": " + removed.joined(separator: ", ")))
        }
    }
}
