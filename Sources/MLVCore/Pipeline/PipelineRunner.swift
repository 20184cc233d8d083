import Foundation
import MLVGit

/// What `train` and `eval` should do.
public struct TrainOptions: Sendable {
    /// Stages named on the command line (with what they read from); empty for all.
    public var stages: [String] = []
    /// Run the selected stages even when they are up to date (and skip the run cache).
    public var force = false
    /// Say what would run and why; change nothing.
    public var dryRun = false
    /// Only the stages that write metrics (`mlv eval`).
    public var evaluationOnly = false
    /// With `evaluationOnly`: run stale upstream stages first instead of refusing.
    public var withUpstream = false
    /// Commit the run (lock, params, metrics, pointers, code deps) afterwards (`--commit`).
    public var commit = false
    /// The commit message (else one is written from the stages and metric changes).
    public var message: String?
    public init() {}
}

/// What happened to one stage.
public enum StageOutcome: Equatable, Sendable {
    case upToDate
    case ran(seconds: Double)
    case restored
    case wouldRun(reasons: [String])
}

/// Receives a line per stage as the pipeline goes (the CLI prints them before a command's
/// own output starts).
public protocol PipelineObserver: AnyObject {
    func stageSkipped(_ name: String, reason: String)
    func stageStarting(_ name: String, command: String, reasons: [String])
    func stageRestored(_ name: String, reasons: [String], from: String)
    func stageFinished(_ name: String, seconds: Double)
    func stageWouldRun(_ name: String, command: String, reasons: [String])
}

/// The result of `train`/`eval`.
public struct TrainResult: Sendable {
    public var outcomes: [(stage: String, outcome: StageOutcome)] = []
    /// Whether `mlv.lock` was rewritten with different content.
    public var lockChanged = false
    /// The commit made with `commit`; nil when not asked, or when nothing changed
    /// (`nothingToCommit` then says so).
    public var commit: PipelineCommit?
    public var nothingToCommit = false
    /// Stages that ran or were restored (their files changed).
    public var changedStages: [String] { outcomes.filter { if case .ran = $0.outcome { return true }; return $0.outcome == .restored }.map(\.stage) }
}

/// Runs the stale stages of `mlv.yaml` in dependency order (`mlv train`, `mlv eval`).
public func train(_ options: TrainOptions, project: Project, observer: PipelineObserver) throws -> TrainResult {
    var result = try runStages(options, project: project, observer: observer)
    guard options.commit && !options.dryRun else { return result }
    // After the run's lock is released: committing stages files and takes it again.
    do {
        result.commit = try commitPipelineRun(result, message: options.message, project: project)
    } catch PipelineError.nothingToCommit {
        result.nothingToCommit = true
    }
    return result
}

/// The run itself, under the repository lock.
private func runStages(_ options: TrainOptions, project: Project, observer: PipelineObserver) throws -> TrainResult {
    let lock = try project.lock(command: options.evaluationOnly ? "eval" : "train")
    defer { withExtendedLifetime(lock) {} }
    guard let definition = try PipelineDefinition.load(root: project.root) else { throw PipelineError.noPipeline }
    let runner = try PipelineRunner(project: project, definition: definition, observer: observer)
    // Outputs are stored in the cache after each stage: that is where room runs out.
    let outputs = definition.stages.flatMap(\.writes).map(project.absolute)
    return try DiskSpace.reporting(options.evaluationOnly ? "eval" : "train", needed: { DiskSpace.size(of: outputs) }) {
        try runner.run(options)
    }
}

/// The work behind `train`.
final class PipelineRunner {
    let project: Project
    let definition: PipelineDefinition
    let graph: PipelineGraph
    let observer: PipelineObserver
    let state: StateCache
    let params: ParamsReader
    var lockFile: LockFile

    init(project: Project, definition: PipelineDefinition, observer: PipelineObserver) throws {
        self.project = project
        self.definition = definition
        graph = try PipelineGraph(definition)
        self.observer = observer
        state = project.openStateCache()
        params = ParamsReader(root: project.root)
        lockFile = try LockFile.load(root: project.root)
    }

    var reader: ContentReader { ContentReader(version: WorkspaceVersion(project: project, state: state)) }

    func run(_ options: TrainOptions) throws -> TrainResult {
        defer { try? state.save() }
        // An earlier mlv killed mid-stage left a record; its half-written outputs are about to
        // be recomputed or restored, so the record has done its job.
        let interrupted = InterruptedWrites(project: project)
        for record in interrupted.abandoned() { interrupted.end(record.file) }
        let names = definition.stages.map(\.name)
        for name in options.stages where !names.contains(name) { throw PipelineError.unknownStage(name, known: names) }
        var selected: [String]
        if options.evaluationOnly {
            let evaluation = Set(definition.stages.filter { !$0.metrics.isEmpty }.map(\.name))
                .filter { options.stages.isEmpty || options.stages.contains($0) }
            guard !evaluation.isEmpty else { throw PipelineError.noEvaluationStage }
            let upstream = graph.upstreamClosure(of: evaluation).filter { !evaluation.contains($0) }
            if options.withUpstream {
                selected = graph.upstreamClosure(of: evaluation)
            } else {
                let stale = try upstream.filter { name in
                    let stage = definition.stage(named: name)!
                    return !(try reasons(for: stage, inputs: try reader.inputs(of: stage, params: params), force: false).isEmpty)
                }
                for name in evaluation.sorted() {
                    let blocking = graph.upstreamClosure(of: [name]).filter(stale.contains)
                    if !blocking.isEmpty { throw PipelineError.upstreamStale(stage: name, upstream: blocking) }
                }
                selected = graph.order.filter(evaluation.contains)
            }
        } else {
            selected = options.stages.isEmpty ? graph.order : graph.upstreamClosure(of: Set(options.stages))
        }
        try checkDeclarations(selected)
        let forced = options.force ? Set(options.stages.isEmpty ? selected : options.stages) : []
        var result = TrainResult()
        let lockBefore = lockFile
        var wouldRun: Set<String> = []
        for name in selected {
            let stage = definition.stage(named: name)!
            if options.dryRun {
                let inputs = try reader.inputs(of: stage, params: params)
                var why = try reasons(for: stage, inputs: inputs, force: forced.contains(name), allowMissingDeps: true)
                let upstream = (graph.upstream[name] ?? []).filter(wouldRun.contains)
                if !upstream.isEmpty { why.append("upstream \(upstream.map { "`\($0)`" }.joined(separator: ", ")) would run") }
                if why.isEmpty {
                    observer.stageSkipped(name, reason: "up to date")
                    result.outcomes.append((name, .upToDate))
                } else {
                    wouldRun.insert(name)
                    observer.stageWouldRun(name, command: stage.cmd, reasons: why)
                    result.outcomes.append((name, .wouldRun(reasons: why)))
                }
                continue
            }
            result.outcomes.append((name, try runStage(stage, force: forced.contains(name))))
        }
        result.lockChanged = lockFile != lockBefore
        return result
    }

    /// Refuses deps that nothing provides and outputs that something else tracks, before
    /// anything runs.
    func checkDeclarations(_ names: [String]) throws {
        for name in names {
            let stage = definition.stage(named: name)!
            for dep in stage.deps where graph.producer(of: dep.path) == nil && !graph.writesInside(dep.path) {
                if !FileSystem.exists(project.absolute(dep.path)) {
                    throw PipelineError.depMissing(stage: name, dep: dep.path, line: dep.line, column: dep.column)
                }
            }
            for out in stage.writes {
                // The output itself, or a folder holding it, must not be tracked by a pointer.
                var candidate = out
                while !candidate.isEmpty {
                    if FileSystem.lstatFile(project.absolute(candidate + PointerFile.suffix))?.kind == .file {
                        throw PipelineError.outputTrackedByPointer(stage: name, path: out, tracked: candidate)
                    }
                    candidate = PathName.parent(of: candidate)
                }
            }
            for out in stage.outs where try project.git.isTracked(out.path) || !(try project.git.indexedPaths(under: out.path + "/").isEmpty) {
                throw PipelineError.outputTrackedByGit(stage: name, path: out.path)
            }
        }
    }

    /// Why a stage must run, or nothing when it is up to date.
    func reasons(for stage: StageDefinition, inputs: StageInputs, force: Bool, allowMissingDeps: Bool = false) throws -> [String] {
        // Checked before --force too: a run records every dep's id.
        if !allowMissingDeps, let missing = inputs.missingDeps.first {
            let dep = stage.deps.first { $0.path == missing }
            throw PipelineError.depMissing(stage: stage.name, dep: missing, line: dep?.line, column: dep?.column)
        }
        if force { return ["--force"] }
        guard let locked = lockFile.stage(named: stage.name) else { return ["it has not run before"] }
        var why: [String] = []
        if locked.cmd != stage.cmd { why.append("its command changed") }
        if locked.wdir != stage.wdir { why.append("its working folder changed") }
        let lockedDeps = Dictionary(locked.deps.map { ($0.path, $0.id) }, uniquingKeysWith: { a, _ in a })
        for dep in inputs.deps {
            guard let before = lockedDeps[dep.path] else { why.append("dep `\(dep.path)` is new"); continue }
            if dep.id == nil { why.append("dep `\(dep.path)` is missing") } else if dep.id != before && inputs.formerIDs[dep.path] != before { why.append("dep `\(dep.path)` changed") }
        }
        if Set(lockedDeps.keys) != Set(inputs.deps.map(\.path)), lockedDeps.keys.contains(where: { k in !inputs.deps.contains { $0.path == k } }) {
            why.append("a dep was removed from mlv.yaml")
        }
        for param in inputs.params {
            guard let before = locked.params.first(where: { $0.file == param.file && $0.key == param.key }) else {
                why.append("param `\(param.key)` is new"); continue
            }
            if before.value.canonical != param.value.canonical {
                why.append("param `\(param.key)` changed: \(before.value.display) -> \(param.value.display)")
            }
        }
        if locked.params.contains(where: { p in !inputs.params.contains { $0.file == p.file && $0.key == p.key } }) {
            why.append("a param was removed from mlv.yaml")
        }
        if Set(locked.outs.map(\.dataPath)) != Set(stage.outs.map(\.path)) { why.append("its outputs in mlv.yaml changed") }
        for out in locked.outs where stage.outs.contains(where: { $0.path == out.dataPath }) {
            guard let now = try reader.id(of: out.dataPath) else { why.append("output `\(out.dataPath)` is missing"); continue }
            if !now.matches(out.pointer.id) { why.append("output `\(out.dataPath)` was modified") }
        }
        if Set(locked.metrics.map(\.path)) != Set(stage.metrics.map(\.path)) { why.append("its metrics files in mlv.yaml changed") }
        if !stage.plots.isEmpty || !locked.plots.isEmpty {
            let now = try plotFiles(of: stage)
            if Set(now) != Set(locked.plots.map(\.path)) {
                why.append("its plot files changed")
            } else {
                for plot in locked.plots where try reader.id(of: plot.path)?.id != plot.id { why.append("plot file `\(plot.path)` was modified"); break }
            }
        }
        for metrics in locked.metrics where stage.metrics.contains(where: { $0.path == metrics.path }) {
            guard let now = try reader.id(of: metrics.path) else { why.append("metrics file `\(metrics.path)` is missing"); continue }
            if now.id != metrics.id { why.append("metrics file `\(metrics.path)` was modified") }
        }
        return why
    }

    func runStage(_ stage: StageDefinition, force: Bool) throws -> StageOutcome {
        params.reset()
        // Read once: the staleness check, the run-cache key and the lock record share them.
        let inputs = try reader.inputs(of: stage, params: params)
        let why = try reasons(for: stage, inputs: inputs, force: force)
        guard !why.isEmpty else {
            observer.stageSkipped(stage.name, reason: "up to date")
            return .upToDate
        }
        let tracker = Tracker(project: project)
        let guardian = OutputGuard(project: project, tracker: tracker, state: state)
        let runCache = RunCache(project: project)
        if !force, let key = inputs.runKey {
            // The lock's own record counts: a fresh clone restores outputs instead of retraining.
            var candidates: [(LockedStage, String)] = []
            if let locked = lockFile.stage(named: stage.name), StageInputs.runKey(of: locked, definition: stage) == key {
                candidates.append((locked, "the cache (as recorded in mlv.lock)"))
            }
            if let cached = runCache.lookup(key) { candidates.append((cached, "the run cache")) }
            if let (record, source) = candidates.first(where: { runCache.isComplete($0.0) }) {
                let snapshot = try guardian.secureAndClear(stage)
                do {
                    try guardian.materialize(record.outs)
                    for metrics in record.metrics {
                        try FileSystem.writeAtomically(try project.store.readVerified(metrics.id), to: project.absolute(metrics.path))
                    }
                    for plot in record.plots {
                        try FileSystem.checkRealFolders(PathName.parent(of: plot.path), under: project.root)
                        try FileSystem.createDirectory(PathName.parent(of: project.absolute(plot.path)))
                        try FileSystem.writeAtomically(try project.store.readVerified(plot.id), to: project.absolute(plot.path))
                    }
                } catch {
                    try? guardian.restore(snapshot)
                    throw error
                }
                for out in record.outs { try tracker.ignore(out.dataPath) }
                let restored = LockedStage(name: stage.name, cmd: stage.cmd, wdir: stage.wdir, deps: record.deps, params: record.params,
                                           outs: record.outs, metrics: record.metrics, plots: record.plots, run: record.run)
                lockFile.record(restored)
                try lockFile.write(root: project.root)
                observer.stageRestored(stage.name, reasons: why, from: source)
                return .restored
            }
        }
        observer.stageStarting(stage.name, command: stage.cmd, reasons: why)
        let code = try gitCodeState(stage)
        let snapshot = try storingOutputs(of: stage) { try guardian.secureAndClear(stage) }
        let started = project.environment.now()
        let directory = stage.wdir.isEmpty ? project.root : project.absolute(stage.wdir)
        let exitCode: Int32
        // If this mlv dies while the stage writes, the record tells checkout those paths hold
        // half-written files, not unsaved work.
        let writing = try InterruptedWrites(project: project).begin(stage.writes)
        defer { InterruptedWrites(project: project).end(writing) }
        do {
            if let spec = stage.evaluation {
                // mlv's own evaluator, in this process: no command to start.
                _ = try evaluate(spec, predictionsPath: project.absolute(spec.predictions), outputPath: spec.output.map(project.absolute),
                                 plotsPath: spec.plots.map(project.absolute))
                exitCode = 0
            } else {
                exitCode = try ChildProcess.runShell(stage.cmd, in: directory,
                                                     environment: project.environment.variables.merging(["MLV_STAGE": stage.name]) { _, new in new })
            }
        } catch {
            try? guardian.restore(snapshot)
            throw error
        }
        let seconds = project.environment.now().timeIntervalSince(started)
        do {
            guard exitCode == 0 else { throw PipelineError.stageFailed(stage: stage.name, exitCode: exitCode) }
            for path in stage.writes where !FileSystem.exists(project.absolute(path)) {
                throw PipelineError.outputNotWritten(stage: stage.name, path: path)
            }
            var outs: [TrackedPath] = []
            for out in stage.outs {
                let stored = try storingOutputs(of: stage) { try tracker.store(out.path, state: state) }
                outs.append(TrackedPath(dataPath: out.path, pointer: stored.pointer))
            }
            let metrics = try stage.metrics.map { try storeMetrics($0.path) }
            let plots = try storePlots(of: stage)
            let record = LockedStage(name: stage.name, cmd: stage.cmd, wdir: stage.wdir,
                                     deps: inputs.deps.map { LockedDep(path: $0.path, id: $0.id!, kind: $0.kind) },
                                     params: inputs.params, outs: outs, metrics: metrics, plots: plots,
                                     run: RunInfo(started: Self.timestamp(started), duration: seconds, mlvVersion: MLVVersion.current,
                                                  commit: code.commit, dirty: code.dirty))
            for out in stage.outs { try tracker.ignore(out.path) }
            if let key = inputs.runKey { try runCache.save(record, key: key) }
            lockFile.record(record)
            try lockFile.write(root: project.root)
        } catch {
            try? guardian.restore(snapshot)
            throw error
        }
        observer.stageFinished(stage.name, seconds: seconds)
        return .ran(seconds: seconds)
    }

    /// Runs `body`, which stores a stage's outputs; a file that changes while it is read gets
    /// the advice that fits a stage output (`mlv add` refuses those).
    func storingOutputs<T>(of stage: StageDefinition, _ body: () throws -> T) throws -> T {
        do { return try body() } catch AddError.changedWhileReading(let path) {
            throw PipelineError.outputStillBeingWritten(stage: stage.name, path: path)
        }
    }

    /// Parses a metrics file the stage wrote and keeps its bytes in the cache (for the run cache).
    func storeMetrics(_ path: String) throws -> LockedMetrics {
        let bytes = try FileSystem.readFile(project.absolute(path), limit: StructuredFile.maximumSize)
        let flat = try StructuredFile.parse(bytes, file: path).flattened()
        let batch = ObjectBatch()
        let id = try project.store.ingest(bytes: bytes, batch: batch)
        try batch.commit()
        return LockedMetrics(path: path, id: id, values: Dictionary(flat.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                             keys: flat.map(\.key))
    }

    /// The plot files a stage's `plots:` declare now: each declared file, and every file in each
    /// declared folder, sorted.
    func plotFiles(of stage: StageDefinition) throws -> [String] {
        var files: [String] = []
        for plot in stage.plots {
            guard let st = FileSystem.lstatFile(project.absolute(plot.path)) else { continue }
            if st.kind == .directory {
                files += try WorkspaceScanner.scan(project.absolute(plot.path), displayPath: plot.path, cacheRoot: project.store.root,
                                                   foreignLinks: .refuse).map { plot.path + "/" + $0.path }
            } else {
                files.append(plot.path)
            }
        }
        return files.sorted()
    }

    /// Keeps the bytes of the stage's plot files in the cache (for the run cache).
    func storePlots(of stage: StageDefinition) throws -> [LockedPlot] {
        let batch = ObjectBatch()
        var plots: [LockedPlot] = []
        for path in try plotFiles(of: stage) {
            let bytes = try FileSystem.readFile(project.absolute(path), limit: StructuredFile.maximumSize * 4)
            plots.append(LockedPlot(path: path, id: try project.store.ingest(bytes: bytes, batch: batch)))
        }
        try batch.commit()
        return plots
    }

    /// HEAD and whether the stage's Git-tracked deps differ from it.
    func gitCodeState(_ stage: StageDefinition) throws -> (commit: String?, dirty: Bool) {
        let head = try project.git.headCommit()
        let gitDeps = stage.deps.map(\.path).filter { graph.producer(of: $0) == nil }
        let dirty = head == nil ? true : try project.git.hasUncommittedChanges(in: gitDeps)
        return (head?.hex, dirty)
    }

    static func timestamp(_ date: Date) -> String { UTCTimestamp.string(date) }
}

/// mlv's version, recorded in every stage run.
public enum MLVVersion {
    public static let current = "0.1.0"
}
