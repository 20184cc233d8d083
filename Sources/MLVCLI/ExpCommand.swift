import ArgumentParser
import Foundation
import MLVCore

struct ExpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exp",
        abstract: "Run pipeline variants without committing, queue and sweep them, compare them, keep the winner.",
        discussion: """
        An experiment runs the pipeline of HEAD plus the work tree's uncommitted changes, with \
        param overrides, in a scratch copy under .mlv/exps (your work tree, index and HEAD are \
        never touched). Its result is a commit whose parent is the baseline, kept at \
        refs/mlv/exps/<baseline>/<name>; every command that takes a revision takes its name \
        (or exp:NAME when a branch has the same name).
        """,
        subcommands: [ExpRunCommand.self, ExpShowCommand.self, ExpDiffCommand.self, ExpApplyCommand.self, ExpBranchCommand.self,
                      ExpSaveCommand.self, ExpPushCommand.self, ExpPullCommand.self, ExpRemoveCommand.self, ExpQueueCommand.self,
                      ExpWorkerCommand.self])
}

struct ExpRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run experiments (a sweep when -S gives several values) or queue them.",
        discussion: """
        -S [FILE:]KEY=VALUE sets a param (FILE defaults to the file a stage reads KEY from, else \
        params.yaml); values are YAML scalars. KEY must exist unless written +KEY. Several values \
        make a sweep: `-S lr=0.1,0.01 -S epochs=10,20` is 4 experiments; also range(START,STOP[,STEP]) \
        (STOP excluded) and choice(A,B,...). Exits with the stage's code when one experiment \
        fails, 1 when some of a sweep fail, 130 when interrupted (the experiment stays queued).
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Stages to run (with the stages they read from); all when omitted.") var stages: [String] = []
    @Option(name: .customShort("S"), help: "A param override [FILE:]KEY=VALUE (repeatable).") var set: [String] = []
    @Option(name: .shortAndLong, help: "The experiment's name (a sweep appends -1, -2, ...); default: a generated one.") var name: String?
    @Option(name: .shortAndLong, help: "The experiment commit's message.") var message: String?
    @Flag(help: "Only queue the experiments; `mlv exp queue start` runs them.") var queue = false
    @OptionGroup var workers: WorkerCount

    func run() throws {
        var outcome: ExperimentBatchOutcome = .finished
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            var request = ExperimentRequest()
            request.stages = stages
            request.overrides = set
            request.name = name
            request.message = message
            request.queue = queue
            let entries = try createExperiments(request, project: project)
            if queue {
                guard !global.quiet else { return }
                for entry in entries { print("Queued \(entry.name)" + describe(entry.assignments)) }
                print("Run them with `mlv exp queue start`.")
                return
            }
            outcome = try runBatch(entries.map(\.id), jobs: min(workers.jobs, entries.count), echo: entries.count == 1, quiet: global.quiet, project: project)
        }
        try outcome.exit()
    }
}

/// `-j N`: experiments at once.
struct WorkerCount: ParsableArguments {
    @Option(name: .shortAndLong, help: "Experiments to run at once (worker processes).") var jobs = 1

    func validate() throws {
        guard jobs >= 1 && jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64") }
    }
}

func describe(_ assignments: [ParamAssignment]) -> String {
    assignments.isEmpty ? "" : " (" + assignments.map(\.display).joined(separator: ", ") + ")"
}

/// How a batch of experiments ended, for the exit code.
enum ExperimentBatchOutcome {
    case finished, interrupted, failed(Int32)

    func exit() throws {
        switch self {
        case .finished: return
        case .interrupted: throw ExitCode(130)
        case .failed(let code): throw ExitCode(code)
        }
    }
}

/// Runs entries: here when one at a time (its output shown when `echo`), else in worker
/// processes; then one line per experiment.
func runBatch(_ ids: [String]?, jobs: Int, echo: Bool, quiet: Bool, project: Project) throws -> ExperimentBatchOutcome {
    let queue = ExperimentQueue(project: project)
    let before = Dictionary(try queue.all().map { ($0.id, $0.state) }, uniquingKeysWith: { a, _ in a })
    var interrupted = false
    if jobs == 1 {
        interrupted = try runExperimentWorker(ExperimentWorkerOptions(only: ids, echo: echo && !quiet), project: project,
                                              observer: StagePrinter(quiet: quiet)) { entry in
            if !quiet { print(summaryLine(entry)) }
        }
    } else {
        let executable = FileSystem.realPath("/proc/self/exe") ?? CommandLine.arguments[0]
        for failure in runExperimentWorkers(count: jobs, only: ids, executable: executable, project: project) where !failure.isEmpty {
            Terminal.warn("an experiment worker failed: " + failure.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
    let ran = try queue.all().filter { entry in
        if let ids { return ids.contains(entry.id) }
        return before[entry.id] != nil && before[entry.id] != entry.state
    }
    if jobs > 1 && !quiet { for entry in ran { print(summaryLine(entry)) } }
    if interrupted || ran.contains(where: { $0.state == .interrupted || $0.state == .queued }) { return .interrupted }
    let failed = ran.filter { $0.state == .failed }
    if failed.count == 1 && ran.count == 1 { return .failed(failed[0].exitCode.map { $0 == 0 ? 2 : $0 } ?? 2) }
    return failed.isEmpty ? .finished : .failed(1)
}

func summaryLine(_ entry: ExperimentEntry) -> String {
    switch entry.state {
    case .done: return "Experiment \(entry.name): done, commit \(entry.commit?.prefix(12) ?? "")" + describe(entry.assignments)
    case .failed: return "Experiment \(entry.name): " + Terminal.red("failed") + (entry.exitCode.map { " (exit code \($0))" } ?? "")
        + "; see `mlv exp queue logs \(entry.name)`" + (entry.error.map { "\n  " + $0 } ?? "")
    case .queued, .interrupted: return "Experiment \(entry.name): interrupted; `mlv exp queue start` runs it again"
    case .running: return "Experiment \(entry.name): running"
    }
}

/// A worker process started by `exp run -j N` or `exp queue start -j N`.
struct ExpWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run queued experiments (used by -j).",
                                                    shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("entry"), help: "An entry id to run (repeatable); default: the queue.") var entries: [String] = []

    func run() throws {
        var interrupted = false
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            interrupted = try runExperimentWorker(ExperimentWorkerOptions(only: entries.isEmpty ? nil : entries, echo: false),
                                                  project: project, observer: StagePrinter(quiet: false))
        }
        if interrupted { throw ExitCode(130) }
    }
}

struct ExpQueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Run and manage queued experiments (kept in .mlv/exps; no broker).",
        subcommands: [ExpQueueStartCommand.self, ExpQueueStatusCommand.self, ExpQueueListCommand.self, ExpQueueLogsCommand.self,
                      ExpQueueRemoveCommand.self, ExpQueueClearCommand.self, ExpQueueRetryCommand.self])
}

struct ExpQueueStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Run the queue until it is empty, N experiments at a time.",
        discussion: "Several `start`s may run at once: each experiment runs once. One whose worker died (kill -9, a restart) or was interrupted runs again.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var workers: WorkerCount

    func run() throws {
        var outcome: ExperimentBatchOutcome = .finished
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            outcome = try runBatch(nil, jobs: workers.jobs, echo: false, quiet: global.quiet, project: project)
        }
        try outcome.exit()
    }
}

struct ExpQueueStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "How many experiments are queued, running, done and failed.")

    func run() throws {
        try runReportingErrors {
            let entries = try ExperimentQueue(project: try Project.open(from: currentDirectory)).all()
            let order: [ExperimentEntry.State] = [.queued, .running, .interrupted, .failed, .done]
            print(order.map { state in "\(entries.filter { $0.state == state }.count) \(state.rawValue)" }.joined(separator: ", "))
            for entry in entries where entry.state == .running {
                print("  \(entry.name): running" + (entry.workerPID.map { " (pid \($0))" } ?? "") + (entry.started.map { " since \($0)" } ?? ""))
            }
        }
    }
}

struct ExpQueueListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every experiment mlv was asked to run, oldest first.")
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try runReportingErrors {
            let entries = try ExperimentQueue(project: try Project.open(from: currentDirectory)).all()
            if json { try Terminal.printJSON(encoding: entries); return }
            let rows = entries.map { entry in
                [entry.name, String(entry.baseline.prefix(8)), entry.state.rawValue, entry.created,
                 entry.assignments.map(\.display).joined(separator: " ")]
            }
            print(Terminal.table([["Name", "Baseline", "State", "Created", "Params"]] + rows))
        }
    }
}

struct ExpQueueLogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "The output of an experiment's run.")
    @Argument(help: "The experiment's name.") var name: String

    func run() throws {
        try runReportingErrors {
            let queue = ExperimentQueue(project: try Project.open(from: currentDirectory))
            let text = String(decoding: try queue.log(of: try queue.entry(named: name)), as: UTF8.self)
            print(text, terminator: "")
        }
    }
}

struct ExpQueueRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove experiments from the queue (not a running one).")
    @Argument(help: "Names.") var names: [String]

    func run() throws {
        try runReportingErrors {
            let removed = try ExperimentQueue(project: try Project.open(from: currentDirectory)).removeWaiting(names)
            print("Removed \(removed.count) experiment(s) from the queue.")
        }
    }
}

struct ExpQueueClearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove every queued experiment that is not running.")

    func run() throws {
        try runReportingErrors {
            let removed = try ExperimentQueue(project: try Project.open(from: currentDirectory)).removeWaiting([])
            print("Removed \(removed.count) experiment(s) from the queue.")
        }
    }
}

struct ExpQueueRetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue failed experiments again (all, or those named).")
    @Argument(help: "Names (default: every failed experiment).") var names: [String] = []

    func run() throws {
        try runReportingErrors {
            let retried = try ExperimentQueue(project: try Project.open(from: currentDirectory)).retry(names)
            print("Queued \(retried.count) experiment(s) again; run them with `mlv exp queue start`.")
        }
    }
}
