import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which entries a worker takes and where their output goes.
public struct ExperimentWorkerOptions: Sendable {
    /// Entry ids to run (an `exp run`); nil: the queue (`--queue` entries and interrupted ones).
    public var only: [String]?
    /// Also show the run's output on this process's stdout (one experiment in the foreground).
    public var echo = false
    public init(only: [String]? = nil, echo: Bool = false) {
        self.only = only
        self.echo = echo
    }
}

/// Takes entries one at a time (each under its own lock, so no two workers ever run the same
/// entry) and runs them, writing each one's output to its log. Returns true when a run was
/// interrupted (Ctrl-C, SIGTERM): the entry goes back to the queue and the worker stops.
public func runExperimentWorker(_ options: ExperimentWorkerOptions, project: Project, observer: PipelineObserver,
                                finished: (ExperimentEntry) -> Void = { _ in }) throws -> Bool {
    let queue = ExperimentQueue(project: project)
    var attempted = Set<String>()
    while true {
        let candidates = try queue.all().filter { entry in
            guard !attempted.contains(entry.id), entry.state == .queued || entry.state == .interrupted else { return false }
            if let only = options.only { return only.contains(entry.id) }
            return entry.queued || entry.state == .interrupted
        }
        guard let next = candidates.first else { return false }
        attempted.insert(next.id)
        guard let claim = queue.claim(next.id) else { continue }
        var entry = try queue.load(next.id)
        guard entry.state == .queued || entry.state == .running else { continue }
        entry.state = .running
        entry.workerPID = getpid()
        entry.started = PipelineRunner.timestamp(project.environment.now())
        entry.finished = nil
        entry.exitCode = nil
        entry.error = nil
        try queue.save(entry)
        let tee = try OutputTee(logPath: queue.logPath(entry.id), echo: options.echo)
        var interrupted = false
        do {
            entry.commit = try ExperimentRun(project: project, entry: entry).run(observer: observer).hex
            entry.state = .done
        } catch PipelineError.stageFailed(let stage, let code) where [129, 130, 131, 143].contains(code) {
            interrupted = true
            entry.state = .queued
            entry.error = "stage `\(stage)` was interrupted by signal \(code - 128); `mlv exp queue start` runs the experiment again"
        } catch PipelineError.stageFailed(let stage, let code) {
            entry.state = .failed
            entry.exitCode = code
            entry.error = PipelineError.stageFailed(stage: stage, exitCode: code).description
        } catch let error as UserFacingError {
            entry.state = .failed
            entry.error = error.description
        } catch {
            entry.state = .failed
            entry.error = "\(error)"
        }
        tee.finish()
        if let error = entry.error, let log = FileHandle(forWritingAtPath: queue.logPath(entry.id)) {
            log.seekToEndOfFile()
            log.write(Data(("mlv: " + (entry.state == .failed ? "error: " : "") + error + "\n").utf8))
            try? log.close()
        }
        entry.finished = PipelineRunner.timestamp(project.environment.now())
        entry.workerPID = nil
        try queue.save(entry)
        if entry.state == .done { try? project.git.deleteReference(entry.snapshotReference) }
        withExtendedLifetime(claim) {}
        finished(entry)
        if interrupted { return true }
    }
}

/// Starts `count` worker processes (`EXECUTABLE exp worker`), each taking entries until none is
/// left, and waits for them. Returns what a worker that failed printed.
public func runExperimentWorkers(count: Int, only: [String]?, executable: String, project: Project) -> [String] {
    var arguments = ["exp", "worker", "--quiet"]
    for id in only ?? [] { arguments += ["--entry", id] }
    let workers = (0..<max(1, count)).map { _ in
        RunningProgram(executable, arguments, in: project.root, input: nil, captureOutput: true)
    }
    return workers.map { $0.finish() }.filter { $0.status != 0 }.map { $0.output }
}
