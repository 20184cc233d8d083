import Foundation
import MLVGit

/// Uploads what a set of commits reference (the pre-push hook). When the cached indexes
/// already show every object on the remote, nothing is sent and the remote is not contacted.
/// Returns nil when the commits reference no tracked data.
public func uploadData(of commits: [GitObjectID], remote name: String?, project: Project) throws -> TransferResult? {
    // Settings only: opening the remote would ask an S3 server's credentials for nothing.
    let settings: RemoteSettings?
    do {
        let none = try name == nil && listRemotes(project: project).isEmpty
        settings = none ? nil : try selectRemote(name, project: project)
    } catch {
        // A remote that cannot be chosen matters only when the commits reference data.
        var collector = ReferenceCollector(project: project)
        try collector.addCommits(commits)
        if collector.objects.isEmpty { return nil }
        throw error
    }
    let cached = settings.map { RemoteCatalog.cachedIDs(in: project.mlvDirectory + "/remotes/" + $0.name + "/indexes") } ?? []
    // As in a push, a node the remote held when last seen stands for everything beneath it.
    var collector = ReferenceCollector(project: project, heldWhole: cached.isEmpty ? nil : { cached.contains($0) })
    try collector.addCommits(commits)
    let ids = Set(collector.objects.keys)
    guard !ids.isEmpty || !collector.held.isEmpty else { return nil }
    guard let settings else { throw HookError.noDataRemote(objects: ids.count) }
    if collector.missingManifests.isEmpty && ids.isSubset(of: cached) {
        var result = TransferResult(remote: settings.name)
        result.skipped = ids.count + collector.held.count
        result.skippedBytes = ids.reduce(0) { $0 + (project.store.size(of: $1) ?? 0) } + collector.heldBytes
        return result
    }
    let result = try uploadObjects(TransferOptions(remote: settings.name, revisions: commits.map(\.hex)), cwd: project.root, project: project)
    if let first = result.missing.first {
        throw HookError.missingData(count: result.missing.count, example: first.short)
    }
    return result
}
