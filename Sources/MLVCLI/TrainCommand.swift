import ArgumentParser
import Foundation
import MLVCore

/// Prints one line per stage, flushed before the stage's own output starts.
final class StagePrinter: PipelineObserver {
    let quiet: Bool
    init(quiet: Bool) { self.quiet = quiet }

    private func say(_ text: String) {
        guard !quiet else { return }
        print(text)
        fflush(stdout)
    }

    func stageSkipped(_ name: String, reason: String) { say("Stage \(name): skipped, \(reason)") }
    func stageStarting(_ name: String, command: String, reasons: [String]) {
        say(Terminal.bold("Stage \(name): running") + " because " + reasons.joined(separator: "; ") + "\n> \(command)")
    }
    func stageRestored(_ name: String, reasons: [String], from: String) {
        say("Stage \(name): restored from \(from), not run (" + reasons.joined(separator: "; ") + ")")
    }
    func stageFinished(_ name: String, seconds: Double) { say("Stage \(name): done in \(String(format: "%.2f", seconds)) s") }
    func stageWouldRun(_ name: String, command: String, reasons: [String]) {
        say("Stage \(name): would run because " + reasons.joined(separator: "; ") + "\n> \(command)")
    }
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Run the stale stages of mlv.yaml in dependency order and record them in mlv.lock.",
        discussion: """
        A stage is stale when its command, a dep's content, a param value, an output or a metrics \
        file differs from mlv.lock. Commands run through /bin/sh -c in the repository root (or the \
        stage's wdir). A stage whose inputs match an earlier successful run is restored from the \
        cache instead of running. On failure the stage's previous outputs are put back and mlv.lock \
        is unchanged; mlv exits with the stage's exit code.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var pipeline: PipelineRunArguments

    func run() throws {
        try runStageCommand(pipeline.options, commit: pipeline.commit, message: pipeline.message, global: global)
    }
}

/// What `train` and `eval` both take.
struct PipelineRunArguments: ParsableArguments {
    @Argument(help: "Stages to run (with the stages they read from, for train); all when omitted.")
    var stages: [String] = []

    @Flag(help: "Commit mlv.lock, mlv.yaml, params, metrics, .gitignore changes and the Git-tracked deps of the stages that ran.")
    var commit = false

    @Option(name: .shortAndLong, help: "The commit message (default: the stages that ran and the metric changes).")
    var message: String?

    @Flag(help: "Run the stages even if they are up to date, without the run cache.")
    var force = false

    @Flag(help: "Say what would run and why; change nothing.")
    var dryRun = false

    var options: TrainOptions {
        var options = TrainOptions()
        options.stages = stages
        options.force = force
        options.dryRun = dryRun
        return options
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run the stages that write metrics, using the current model.",
        discussion: "Refuses when a stage they read from is stale, unless --with-upstream.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var pipeline: PipelineRunArguments

    @Flag(help: "Run stale upstream stages first instead of refusing.")
    var withUpstream = false

    func run() throws {
        var options = pipeline.options
        options.evaluationOnly = true
        options.withUpstream = withUpstream
        try runStageCommand(options, commit: pipeline.commit, message: pipeline.message, global: global)
    }
}

/// Runs the pipeline; a failed stage's exit code becomes mlv's.
func runStageCommand(_ options: TrainOptions, commit: Bool, message: String?, global: GlobalOptions) throws {
    var options = options
    options.commit = commit
    options.message = message
    do {
        let project = try Project.open(from: currentDirectory)
        let result = try train(options, project: project, observer: StagePrinter(quiet: global.quiet))
        guard !global.quiet, !options.dryRun else { return }
        if let made = result.commit {
            print("Committed \(made.id.prefix(12)): \(made.message.split(separator: "\n").first ?? "")")
            for line in made.message.split(separator: "\n").dropFirst() { print("  \(line)") }
            print("Files: " + made.files.joined(separator: ", "))
        } else if result.nothingToCommit {
            print("Nothing changed; no commit made.")
        } else if result.lockChanged {
            print("mlv.lock updated; commit it with `git commit`, or run with --commit.")
        }
    } catch PipelineError.stageFailed(let stage, let code) {
        Terminal.error(PipelineError.stageFailed(stage: stage, exitCode: code).description)
        throw ExitCode(code)
    }
}
