import Foundation

/// What `mlv get` or `mlv import` is asked to bring from another repository.
public struct SourceRequest: Sendable {
    public var url: String
    public var path: String
    /// A branch, tag, commit, `NAME@vX.Y.Z` or `NAME#STAGE` (nil: the repository's HEAD).
    public var revision: String?
    /// Where to put it (nil: the path's last part, in the current folder).
    public var output: String?
    /// The source repository's data remote to use (nil: its default).
    public var remote: String?
    public var force = false
    public init(url: String, path: String) { self.url = url; self.path = path }
}

/// What `mlv get` did.
public struct GetResult: Sendable, Encodable {
    public let url: String
    public let commit: String
    public let revision: String
    public let model: String?
    public let download: SourceDownload
}

/// `mlv get`: one tracked file or directory (or a path inside one) from another repository,
/// without cloning it. The output appears whole or not at all.
public func getData(_ request: SourceRequest, cwd: String) throws -> GetResult {
    let output = request.output.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } ?? cwd + "/" + PathName.lastComponent(of: request.path)
    let parent = PathName.parent(of: output)
    try FileSystem.createDirectory(parent)
    let source = try SourceRepository(url: request.url, revision: request.revision, parent: parent, cwd: cwd)
    defer { source.close() }
    let download = try source.download(request.path, remote: request.remote, to: output, force: request.force)
    return GetResult(url: source.url, commit: source.commit.hex, revision: source.resolvedFrom,
                     model: source.modelVersion.map { "\($0.model)@\($0.version.text)" }, download: download)
}

/// One line of `mlv ls`.
public struct ListedPath: Sendable, Encodable, Equatable {
    public let path: String
    public let kind: String
    public let size: Int64
    public let files: Int
    public let id: String
}

/// `mlv ls`: what another repository tracks at a revision (paths under `path` when given),
/// read from its pointers and lock; no data is downloaded.
public func listSource(url: String, path: String?, revision: String?, cwd: String) throws -> (commit: String, paths: [ListedPath]) {
    let source = try SourceRepository(url: url, revision: revision, parent: FileManager.default.temporaryDirectory.path, cwd: cwd)
    defer { source.close() }
    var prefix: String?
    if let path {
        guard let normalized = ModelPath.normalize(path) else { throw SourceError.badPath(path) }
        prefix = normalized
    }
    let listed = try source.trackedPaths().filter { tracked in
        guard let prefix else { return true }
        return tracked.dataPath == prefix || tracked.dataPath.hasPrefix(prefix + "/") || prefix.hasPrefix(tracked.dataPath + "/")
    }
    return (source.commit.hex, listed.map {
        ListedPath(path: $0.dataPath, kind: $0.pointer.kind.rawValue, size: $0.pointer.size, files: $0.pointer.fileCount ?? 1, id: $0.pointer.id.hex)
    })
}
