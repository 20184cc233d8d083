import Foundation
import MLVGit

/// One imported path after `import` or `update`.
public struct ImportOutcome: Sendable, Encodable {
    public let dataPath: String
    public let source: ImportSource
    /// The commit it came from before (`update`; nil for a new import).
    public let previousCommit: String?
    public let previousID: String?
    public let id: String
    public let size: Int64
    public let changed: Bool

    enum CodingKeys: String, CodingKey { case dataPath = "path", source, previousCommit = "previous_commit", previousID = "previous_id", id, size, changed }
}

/// `mlv import`: `get` into this project, tracked as data here (cached, pointer, .gitignore)
/// with the source recorded in the pointer, so `mlv update` can follow it.
public func importData(_ request: SourceRequest, cwd: String, project: Project) throws -> ImportOutcome {
    let dataPath = try project.relativePath(forUserPath: request.output ?? PathName.lastComponent(of: request.path), cwd: cwd)
    let absolute = project.root + "/" + dataPath
    if !request.force && (FileSystem.lstatFile(absolute) != nil || FileSystem.lstatFile(absolute + PointerFile.suffix) != nil) {
        throw SourceError.outputExists(dataPath)
    }
    return try bring(url: request.url, path: request.path, revision: request.revision, remote: request.remote, dataPath: dataPath,
                     previous: nil, project: project)
}

/// `mlv update`: moves imported paths to their source's newest matching revision (or to
/// `revision`). Paths not imported are refused.
public func updateImports(_ paths: [String], revision: String?, remote: String?, force: Bool = false, cwd: String, project: Project) throws -> [ImportOutcome] {
    let selected = try project.selectPointers(paths, cwd: cwd)
    let imported = selected.filter { $0.pointer.source != nil }
    if !paths.isEmpty, let plain = selected.first(where: { $0.pointer.source == nil }) { throw ImportError.notImported(plain.dataPath) }
    // Local edits to imported data are not overwritten unless asked.
    if !force, let edited = try status(imported.map(\.dataPath), cwd: project.root, project: project).first(where: { $0.workspace == .modified }) {
        throw ImportError.locallyModified(edited.dataPath)
    }
    return try imported.map { tracked in
        let source = tracked.pointer.source!
        return try bring(url: source.url, path: source.path, revision: revision ?? source.revision, remote: remote, dataPath: tracked.dataPath,
                         previous: tracked.pointer, project: project)
    }
}

func bring(url: String, path: String, revision: String?, remote: String?, dataPath: String, previous: PointerFile?, project: Project) throws -> ImportOutcome {
    let absolute = project.root + "/" + dataPath
    try project.checkParentStaysInside(dataPath)
    let parent = PathName.parent(of: absolute)
    try FileSystem.createDirectory(parent)
    let repository = try SourceRepository(url: url, revision: revision, parent: parent, cache: project.store.root, cwd: project.root)
    defer { repository.close() }
    let recorded = ImportSource(url: repository.url, revision: revision, commit: repository.commit.hex, path: ModelPath.normalize(path) ?? path)
    if let previous, previous.source?.commit == recorded.commit, previous.source?.revision == recorded.revision, FileSystem.lstatFile(absolute) != nil {
        return ImportOutcome(dataPath: dataPath, source: recorded, previousCommit: previous.source?.commit, previousID: previous.id.hex,
                             id: previous.id.hex, size: previous.size, changed: false)
    }
    try repository.download(path, remote: remote, to: absolute, force: true)
    // Tracked here as any added data; then the pointer learns where it came from.
    guard let added = try add([dataPath], cwd: project.root, project: project).first else { throw ImportError.notImported(dataPath) }
    var pointer = added.pointer
    pointer.source = recorded
    try FileSystem.writeAtomically(pointer.serialized(), to: absolute + PointerFile.suffix)
    try project.git.stage([dataPath + PointerFile.suffix])
    return ImportOutcome(dataPath: dataPath, source: recorded, previousCommit: previous?.source?.commit, previousID: previous?.id.hex,
                         id: pointer.id.hex, size: pointer.size, changed: previous?.id != pointer.id || previous?.source?.commit != recorded.commit)
}

/// An import whose source moved on, as `mlv status` reports it.
public struct ImportBehind: Sendable, Equatable, Encodable {
    public let dataPath: String
    public let revision: String
    public let recorded: String
    /// The commit the revision is now; nil when the source could not be asked (`problem`).
    public let current: String?
    public let problem: String?

    enum CodingKeys: String, CodingKey { case dataPath = "path", revision, recorded, current, problem }
}

/// The imports whose source revision now names another commit. Asks each source repository
/// for its references only (nothing is downloaded); a pinned version or commit never moves.
public func importsBehind(_ tracked: [TrackedPath], project: Project) -> [ImportBehind] {
    let imports = tracked.filter { $0.pointer.source != nil }
    guard !imports.isEmpty else { return [] }
    // One scratch repository to ask from, and each source asked once.
    let folder = FileManager.default.temporaryDirectory.path + "/mlv-status-" + TemporaryName.suffix()
    defer { try? FileSystem.removeTree(folder, display: "scratch") }
    let scratch = Result { try Repository.create(at: folder, bare: true) }
    var asked: [String: Result<[AdvertisedReference], Error>] = [:]
    var result: [ImportBehind] = []
    for item in imports {
        let source = item.pointer.source!
        let revision = source.revision ?? "HEAD"
        let references = asked[source.url] ?? Result { try scratch.get().advertisedReferences(url: source.url).references }
        asked[source.url] = references
        do {
            guard let current = ImportTip.commit(of: revision, in: try references.get()) else { continue }
            if current != source.commit { result.append(ImportBehind(dataPath: item.dataPath, revision: revision, recorded: source.commit, current: current, problem: nil)) }
        } catch {
            result.append(ImportBehind(dataPath: item.dataPath, revision: revision, recorded: source.commit, current: nil, problem: "\(error)"))
        }
    }
    return result
}

/// Where a source revision points now, from the references a repository advertises; nil for
/// revisions that never move (a version, a commit) or that cannot be told without the tags'
/// contents.
enum ImportTip {
    static func commit(of revision: String, in references: [AdvertisedReference]) -> String? {
        if revision == "HEAD" { return references.first { $0.name == "HEAD" }?.commit.hex }
        if let specifier = ModelSpecifier(revision), ModelSpecifier.looksLike(revision) || references.contains(where: { $0.name.hasPrefix("refs/tags/\(revision)@") }) {
            switch specifier {
            case .version: return nil
            case .latest(let model):
                // The highest version not deprecated.
                let names = Set(references.map(\.name))
                let versions = references.compactMap { reference -> (SemanticVersion, GitObjectID)? in
                    guard case .register(let name, let version)? = RegistryTag(name: String(reference.name.dropFirst("refs/tags/".count))), name == model,
                          !names.contains(reference.name + "!") else { return nil }
                    return (version, reference.commit)
                }
                return versions.max { $0.0 < $1.0 }?.1.hex
            case .stage(let model, let stage):
                // The newest stage event of that stage: its commit, when it is a promotion.
                var newest: (Int, Bool, GitObjectID)?
                for reference in references {
                    guard let tag = RegistryTag(name: String(reference.name.dropFirst("refs/tags/".count))), tag.model == model else { continue }
                    switch tag {
                    case .promote(_, stage, let n) where n > newest?.0 ?? 0: newest = (n, true, reference.commit)
                    case .demote(_, stage, let n) where n > newest?.0 ?? 0: newest = (n, false, reference.commit)
                    default: break
                    }
                }
                guard let newest, newest.1 else { return nil }
                return newest.2.hex
            }
        }
        return references.first { $0.name == "refs/heads/" + revision || $0.name == "refs/tags/" + revision }?.commit.hex
    }
}

/// Why an import cannot be updated.
public enum ImportError: UserFacingError, Equatable {
    case notImported(String)
    case locallyModified(String)
    public var description: String {
        switch self {
        case .locallyModified(let path):
            return "`\(DisplayText.escaped(path))` was changed here since it was imported; `mlv add` it to keep it (it stops following its source), or pass --force to replace it."

        case .notImported(let path): return "`\(DisplayText.escaped(path))` was not imported (mlv import); there is no source to update it from."
        }
    }
}
