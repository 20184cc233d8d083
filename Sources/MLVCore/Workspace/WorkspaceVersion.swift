/// A file as it is in the workspace now, with its id when it could be determined.
public struct WorkspaceFile: Sendable {
    public let path: String
    public let stat: FileStat
    /// Nil for a symlink mlv did not make (it cannot be stored, so it always differs).
    public let id: ObjectID?
}

/// Reads what is in the workspace at a tracked path, using the state cache so that unchanged
/// files are only `lstat`ed, never read.
struct WorkspaceVersion {
    let project: Project
    let state: StateCache

    /// The files at `dataPath`, keyed by path inside it ("" for a tracked file), or nil when
    /// nothing is there. A directory where a file is expected (or the reverse) yields an entry
    /// that matches nothing.
    func files(at dataPath: String, kind: PointerFile.Kind) throws -> [String: WorkspaceFile]? {
        switch try scan(at: dataPath, kind: kind) {
        case nil: return nil
        case .mismatched(let st): return ["": WorkspaceFile(path: "", stat: st, id: nil)]
        case .files(let scanned): return try identify(scanned, at: dataPath)
        }
    }

    /// What `scan` found at a tracked path.
    enum Scan {
        /// The files (one, with path "", for a tracked file).
        case files([ScannedFile])
        /// A directory where a file is expected, or the reverse.
        case mismatched(FileStat)
    }

    /// Lists the files at `dataPath` with their `lstat`, reading none; nil when nothing is there.
    func scan(at dataPath: String, kind: PointerFile.Kind) throws -> Scan? {
        let absolute = project.absolute(dataPath)
        guard let st = FileSystem.lstatFile(absolute) else { return nil }
        switch (kind, st.kind) {
        case (.directory, .directory):
            return .files(try WorkspaceScanner.scan(absolute, displayPath: dataPath, cacheRoot: project.store.root, foreignLinks: .report))
        case (.file, .file):
            return .files([ScannedFile(path: "", stat: st, linkedObject: nil)])
        case (.file, .symlink):
            return .files([ScannedFile(path: "", stat: st, linkedObject: WorkspaceScanner.cacheLinkTarget(absolute, cacheRoot: project.store.root))])
        default:
            return .mismatched(st)
        }
    }

    /// The ids of scanned files, keyed by path inside `dataPath`: from the state cache when
    /// their stat still matches, else hashed (across cores).
    func identify(_ scanned: [ScannedFile], at dataPath: String) throws -> [String: WorkspaceFile] {
        let absolute = project.absolute(dataPath)
        let hashedAt = StateCache.now()
        // Known files first, on this thread; only the rest are hashed across cores.
        var ids = [ObjectID?](repeating: nil, count: scanned.count)
        var unknown: [Int] = []
        for (index, file) in scanned.enumerated() {
            if file.stat.kind == .symlink {
                ids[index] = file.linkedObject
            } else if let id = state.id(for: file.path.isEmpty ? dataPath : dataPath + "/" + file.path, stat: file.stat) {
                ids[index] = id
            } else {
                unknown.append(index)
            }
        }
        let hashed = try ParallelWork.mapHashing(unknown.count) { position, hasher -> ObjectID in
            let file = scanned[unknown[position]]
            let (id, _) = try hasher.hash(path: file.path.isEmpty ? absolute : absolute + "/" + file.path)
            state.record(file.path.isEmpty ? dataPath : dataPath + "/" + file.path, stat: file.stat, id: id, hashedAt: hashedAt)
            return id
        }
        for (position, index) in unknown.enumerated() { ids[index] = hashed[position] }
        var result: [String: WorkspaceFile] = [:]
        result.reserveCapacity(scanned.count)
        for (file, id) in zip(scanned, ids) { result[file.path] = WorkspaceFile(path: file.path, stat: file.stat, id: id) }
        return result
    }
}
