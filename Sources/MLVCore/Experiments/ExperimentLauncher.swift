import Foundation
import MLVGit

/// What `mlv exp run` (and `--queue`) was asked for.
public struct ExperimentRequest: Sendable {
    public var stages: [String] = []
    /// `-S` texts as typed.
    public var overrides: [String] = []
    public var name: String?
    public var message: String?
    /// Only record the experiments; `exp queue start` runs them.
    public var queue = false
    public init() {}
}

/// Checks a request against the work tree and records one entry per experiment (a sweep makes
/// several), with a snapshot of the work tree as their common starting point. Everything is
/// checked before anything is recorded: a bad override, name, stage or missing data leaves no
/// trace.
public func createExperiments(_ request: ExperimentRequest, project: Project) throws -> [ExperimentEntry] {
    guard let definition = try PipelineDefinition.load(root: project.root) else { throw PipelineError.noPipeline }
    let stageNames = definition.stages.map(\.name)
    for stage in request.stages where !stageNames.contains(stage) { throw PipelineError.unknownStage(stage, known: stageNames) }
    if let name = request.name { try ExperimentName.validate(name) }
    let references = definition.stages.flatMap(\.params)
    let overrides = try request.overrides.map { text in
        try ParamOverride.parse(text) { key in
            // The file a stage reads this key (or a key under it) from; params.yaml otherwise.
            references.first { $0.key == key || key.hasPrefix($0.key + ".") || $0.key.hasPrefix(key + ".") }?.file
                ?? PipelineDefinition.defaultParamsFile
        }
    }
    let combinations = try ParamOverride.expand(overrides)
    let snapshot = try WorkTreeSnapshot.capture(project: project)
    for assignments in combinations {
        for (file, group) in Dictionary(grouping: assignments, by: \.file) {
            _ = try ParamsFileWriter.apply(group, to: try snapshot.bytes(file, project: project), file: file)
        }
    }
    let queue = ExperimentQueue(project: project)
    let lock = try queue.lockEntries(command: "exp run")
    defer { withExtendedLifetime(lock) {} }
    let existing = try queue.all()
    let baselineHex = snapshot.baseline.hex
    var taken = Set(try ExperimentRefs.list(baseline: snapshot.baseline, project: project).map(\.name))
    taken.formUnion(existing.filter { $0.baseline == baselineHex }.map(\.name))
    var names: [String] = []
    for index in combinations.indices {
        var name: String
        if let given = request.name {
            name = combinations.count == 1 ? given : given + "-" + String(index + 1)
            try ExperimentName.validate(name)
            guard !taken.contains(name) else { throw ExperimentError.nameTaken(name, baseline: snapshot.baseline.short) }
        } else {
            name = ExperimentName.generate { taken.contains($0) }
        }
        taken.insert(name)
        names.append(name)
    }
    let commit = try project.git.writeCommit(base: snapshot.baseline, changes: snapshot.changes, parent: snapshot.baseline,
                                             message: "mlv exp: the work tree experiments start from\n")
    let now = project.environment.now()
    var entries: [ExperimentEntry] = []
    for (index, (assignments, name)) in zip(combinations, names).enumerated() {
        let id = ExperimentQueue.newID(now: now, sequence: index + 1)
        let entry = ExperimentEntry(id: id, name: name, baseline: baselineHex, snapshot: commit.hex, assignments: assignments,
                                    stages: request.stages, message: request.message, queued: request.queue, state: .queued,
                                    created: PipelineRunner.timestamp(now))
        try project.git.createReference(entry.snapshotReference, to: commit, force: true, message: "mlv exp: queue \(name)")
        try queue.save(entry)
        entries.append(entry)
    }
    return entries
}
