import Foundation
import MLVGit

/// The work tree as an experiment starts from it, written as a commit on top of HEAD (the
/// baseline): Git-tracked files with uncommitted changes, `mlv.yaml`, `mlv.lock`, params and
/// metrics files and pointers (even untracked), and tracked data changed since `mlv add`
/// (stored in the cache and named by new pointers). Nothing in the work tree changes.
struct WorkTreeSnapshot {
    let baseline: GitObjectID
    /// Path -> change against the baseline's tree.
    let changes: [String: TreeChange]

    static func capture(project: Project) throws -> WorkTreeSnapshot {
        guard let baseline = try project.git.headCommit() else { throw ExperimentError.noBaseline }
        let base = Dictionary(try project.git.treeFiles(at: baseline).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var candidates = Set(try project.git.changedTrackedPaths())
        candidates.formUnion([PipelineDefinition.fileName, LockFile.fileName, ".mlvconfig", ".gitignore"])
        if let definition = try PipelineDefinition.load(root: project.root) {
            for stage in definition.stages {
                candidates.formUnion(stage.paramFiles)
                candidates.formUnion(stage.metrics.map(\.path))
            }
        }
        let tracked = try project.workspacePointers()
        for item in tracked where FileSystem.lstatFile(project.absolute(item.pointerPath))?.kind == .file {
            candidates.insert(item.pointerPath)
        }
        var changes: [String: TreeChange] = [:]
        for path in candidates.sorted() {
            guard let st = FileSystem.lstatFile(project.absolute(path)) else {
                if base[path] != nil { changes[path] = .remove }
                continue
            }
            guard st.kind == .file else { continue }
            try project.checkParentStaysInside(path)
            let bytes = try FileSystem.readFile(project.absolute(path))
            if let old = base[path], old.blob == (try Repository.blobID(of: bytes)), old.isExecutable == st.isExecutable { continue }
            changes[path] = .write(bytes, executable: st.isExecutable)
        }
        // Data changed since its pointer was written: store it and name it by a new pointer.
        let state = project.openStateCache()
        defer { try? state.save() }
        let version = WorkspaceVersion(project: project, state: state)
        let tracker = Tracker(project: project)
        var needed: [(path: String, pointer: PointerFile)] = []
        for item in tracked {
            let hasPointerFile = FileSystem.lstatFile(project.absolute(item.pointerPath))?.kind == .file
            if hasPointerFile, try pathStatus(item, version: version).workspace == .modified {
                let stored = try tracker.store(item.dataPath, state: state)
                changes[item.pointerPath] = .write(stored.pointer.serialized(), executable: false)
                needed.append((item.dataPath, stored.pointer))
            } else {
                needed.append((item.dataPath, item.pointer))
            }
        }
        var missing: [String] = []
        for (path, pointer) in needed {
            guard let files = try? project.expectedFiles(of: pointer) else { missing.append(path); continue }
            if !project.store.missing(from: Set(files.map(\.id))).isEmpty { missing.append(path) }
        }
        guard missing.isEmpty else { throw ExperimentError.dataMissing(paths: missing) }
        return WorkTreeSnapshot(baseline: baseline, changes: changes)
    }

    /// The bytes a path has in the snapshot (nil when it has none there).
    func bytes(_ path: String, project: Project) throws -> [UInt8]? {
        switch changes[path] {
        case .write(let bytes, _): return bytes
        case .remove: return nil
        case nil: return try project.git.readFile(path, at: baseline).map { Array($0) }
        }
    }
}
