import Foundation

/// What a stage would run with now: its deps' ids and its params' values, read from the work
/// tree. Two runs with the same inputs make the same outputs (the run cache's premise).
struct StageInputs {
    let stage: StageDefinition
    /// Nil id: the dep is not there (yet).
    let deps: [(path: String, id: ObjectID?, kind: PointerFile.Kind)]
    let params: [LockedParam]
    /// Directory deps' ids in manifest format 1 (see `ContentReader.ContentID.formerID`).
    var formerIDs: [String: ObjectID] = [:]

    var missingDeps: [String] { deps.filter { $0.id == nil }.map(\.path) }

    /// The run cache key: a hash of command, folder, dep ids, param values and declared outputs.
    var runKey: ObjectID? {
        guard missingDeps.isEmpty else { return nil }
        var text = "mlv-run 1\ncmd \(stage.cmd)\nwdir \(stage.wdir)\n"
        for dep in deps.sorted(by: { $0.path < $1.path }) { text += "dep \(dep.path) \(dep.id!.hex)\n" }
        for param in params.sorted(by: { ($0.file, $0.key) < ($1.file, $1.key) }) {
            text += "param \(param.file) \(param.key) \(param.value.canonical)\n"
        }
        for out in stage.outs.map(\.path).sorted() { text += "out \(out)\n" }
        for metrics in stage.metrics.map(\.path).sorted() { text += "metrics \(metrics)\n" }
        for plots in stage.plots.map(\.path).sorted() { text += "plots \(plots)\n" }
        return ObjectID.of(Array(text.utf8))
    }

    /// The key the same inputs had when `locked` ran.
    static func runKey(of locked: LockedStage, definition: StageDefinition) -> ObjectID? {
        let inputs = StageInputs(stage: definition, deps: locked.deps.map { ($0.path, $0.id, $0.kind) }, params: locked.params)
        return inputs.runKey
    }
}

/// Reads content ids of workspace paths (deps and outputs) through the state cache.
struct ContentReader {
    let version: WorkspaceVersion

    /// A path's content id now.
    struct ContentID {
        let id: ObjectID
        let kind: PointerFile.Kind
        /// A directory's id in manifest format 1, which locks written before format 2 record:
        /// a recorded id that equals it is the same content, not a change.
        var formerID: ObjectID?

        func matches(_ recorded: ObjectID) -> Bool { recorded == id || recorded == formerID }
    }

    /// A file's SHA-256, or a directory's manifest id (as `mlv add` would compute it), or nil
    /// when nothing is there.
    func id(of path: String) throws -> ContentID? {
        guard let st = FileSystem.lstatFile(version.project.absolute(path)) else { return nil }
        let kind: PointerFile.Kind = st.kind == .directory ? .directory : .file
        guard let files = try version.files(at: path, kind: kind) else { return nil }
        switch kind {
        case .file:
            guard let id = files[""]?.id else { throw PipelineError.symlinkInPath(path) }
            return ContentID(id: id, kind: .file)
        case .directory:
            // In a folder Git manages (code, not data mlv tracks), files Git ignores are not
            // content: `__pycache__` written by an import must not make the stage stale.
            let project = version.project
            let gitManaged = try !FileSystem.exists(project.absolute(path + PointerFile.suffix)) && !project.git.isIgnored(path)
            var entries: [DirectoryManifest.Entry] = []
            for (relative, file) in files {
                if gitManaged, try project.git.isIgnored(path + "/" + relative) { continue }
                guard let id = file.id else { throw PipelineError.symlinkInPath(path + "/" + relative) }
                entries.append(DirectoryManifest.Entry(path: relative, id: id, size: file.stat.size, executable: file.stat.isExecutable))
            }
            let manifest = DirectoryManifest(entries: entries)
            return ContentID(id: ManifestTree.nodes(for: manifest.entries).last!.id, kind: .directory,
                             formerID: ObjectID.of(manifest.serialized()))
        }
    }

    func inputs(of stage: StageDefinition, params: ParamsReader) throws -> StageInputs {
        var deps: [(String, ObjectID?, PointerFile.Kind)] = []
        var formerIDs: [String: ObjectID] = [:]
        for dep in stage.deps {
            let found = try id(of: dep.path)
            deps.append((dep.path, found?.id, found?.kind ?? .file))
            formerIDs[dep.path] = found?.formerID
        }
        var values: [LockedParam] = []
        for reference in stage.params {
            values.append(LockedParam(file: reference.file, key: reference.key, value: try params.value(reference, stage: stage.name)))
        }
        var inputs = StageInputs(stage: stage, deps: deps, params: values)
        inputs.formerIDs = formerIDs
        return inputs
    }
}

/// Loads params files once per command and looks up dotted keys.
final class ParamsReader {
    let root: String
    private var files: [String: StructuredValue] = [:]

    init(root: String) { self.root = root }

    func file(_ name: String) throws -> StructuredValue {
        if let cached = files[name] { return cached }
        let value = try StructuredFile.read(root + "/" + name, file: name)
        files[name] = value
        return value
    }

    func value(_ reference: ParamReference, stage: String) throws -> StructuredValue {
        guard let value = try file(reference.file).value(at: reference.key) else {
            throw PipelineError.paramMissing(stage: stage, file: reference.file, key: reference.key)
        }
        return value
    }

    /// Forgets what was read (a stage may rewrite a params file).
    func reset() { files = [:] }
}
