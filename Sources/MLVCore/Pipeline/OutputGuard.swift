import Foundation

/// Keeps a stage's previous outputs safe while it runs: they are stored in the cache, moved
/// out of the way, and put back if the stage fails or is interrupted.
struct OutputGuard {
    let project: Project
    let tracker: Tracker
    let state: StateCache

    /// What was at a stage's output paths before it ran.
    struct Snapshot {
        var outputs: [String: TrackedPath?] = [:]
        var metrics: [String: [UInt8]?] = [:]
    }

    /// Stores the current outputs (cheap when they are already cached) and removes them, so the
    /// command writes fresh files and a missing output is noticed.
    func secureAndClear(_ stage: StageDefinition) throws -> Snapshot {
        var snapshot = Snapshot()
        for path in stage.writes { try FileSystem.checkRealFolders(PathName.parent(of: path), under: project.root) }
        // Plot data is kept the same way as outputs (a file or a folder of them).
        for out in stage.outs + stage.plots {
            if FileSystem.exists(project.absolute(out.path)) {
                let stored = try tracker.store(out.path, state: state)
                snapshot.outputs[out.path] = TrackedPath(dataPath: out.path, pointer: stored.pointer)
            } else {
                snapshot.outputs[out.path] = .some(nil)
            }
        }
        for metrics in stage.metrics {
            let path = project.absolute(metrics.path)
            snapshot.metrics[metrics.path] = FileSystem.exists(path) ? try FileSystem.readFile(path, limit: StructuredFile.maximumSize) : .some(nil)
        }
        for path in stage.writes { try remove(path) }
        return snapshot
    }

    /// Puts the snapshot back, discarding whatever the failed run left.
    func restore(_ snapshot: Snapshot) throws {
        for (path, previous) in snapshot.outputs {
            try remove(path)
            if let previous { try materialize([previous]) }
        }
        for (path, bytes) in snapshot.metrics {
            try remove(path)
            if let bytes { try FileSystem.writeAtomically(bytes, to: project.absolute(path)) }
        }
    }

    /// Writes outputs from the cache (they must all be there).
    func materialize(_ outputs: [TrackedPath]) throws {
        let trust = ObjectTrust(file: project.trustPath, store: project.store)
        let materializer = Materializer(store: project.store, mode: project.config.linkMode, trust: trust)
        let version = WorkspaceVersion(project: project, state: state)
        for output in outputs {
            let plan = try CheckoutPlan(output, version: version)
            let result = try plan.apply(materializer: materializer, project: project, state: state)
            if let id = (result.missing + result.corrupted).first ?? (plan.missingManifest ? output.pointer.id : nil) {
                throw StoreError.missing(id)
            }
        }
        try trust.save()
    }

    func remove(_ path: String) throws {
        let absolute = project.absolute(path)
        guard FileSystem.lstatFile(absolute) != nil else { return }
        try FileSystem.checkRealFolders(PathName.parent(of: path), under: project.root)
        try FileSystem.removeTree(absolute, display: path)
    }
}
