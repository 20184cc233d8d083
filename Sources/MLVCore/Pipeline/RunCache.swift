import Foundation

/// Earlier successful runs, keyed by a hash of their inputs (`.mlv/runs/<key>`), so a stage
/// whose command, deps and params match one of them is restored instead of run again.
struct RunCache {
    let project: Project
    var directory: String { project.runCacheDirectory ?? project.mlvDirectory + "/runs" }

    func lookup(_ key: ObjectID) -> LockedStage? {
        let path = directory + "/" + key.hex
        guard let bytes = try? FileSystem.readFile(path, limit: 16 << 20),
              let record = try? LockFile.parse(bytes, file: ".mlv/runs/" + key.short) else { return nil }
        return record.stages.first
    }

    func save(_ stage: LockedStage, key: ObjectID) throws {
        try FileSystem.createDirectory(directory)
        try FileSystem.writeAtomically(LockFile(stages: [stage]).serialized(), to: directory + "/" + key.hex)
    }

    /// Whether the cache still holds every object the run made (gc may have removed some).
    func isComplete(_ stage: LockedStage) -> Bool {
        var needed = Set(stage.metrics.map(\.id) + stage.plots.map(\.id))
        for out in stage.outs {
            needed.insert(out.pointer.id)
            if out.pointer.kind == .directory {
                guard let manifest = try? project.manifest(out.pointer.id, fileCount: out.pointer.fileCount) else { return false }
                needed.formUnion(manifest.entries.map(\.id))
            }
        }
        return project.store.missing(from: needed).isEmpty
    }
}
