import Foundation
import MLVGit

/// Uploads what a set of commits reference (the pre-push hook). When the cached indexes
/// already show every object on the remote, nothing is sent and the remote is not contacted.
/// Returns nil when the commits reference no tracked data.
public func uploadData(of commits: [GitObjectID], remote name: String?, project: Project) throws -> TransferResult? {
    var collector = ReferenceCollector(project: project)
    try collector.addCommits(commits)
    let ids = Set(collector.objects.keys)
    guard !ids.isEmpty else { return nil }
    if name == nil, try listRemotes(project: project).isEmpty { throw HookError.noDataRemote(objects: ids.count) }
    // Settings only: opening the remote would ask an S3 server's credentials for nothing.
    let settings = try selectRemote(name, project: project)
    let cached = RemoteCatalog.cachedIDs(in: project.mlvDirectory + "/remotes/" + settings.name + "/indexes")
    if collector.missingManifests.isEmpty && ids.isSubset(of: cached) {
        var result = TransferResult(remote: settings.name)
        result.skipped = ids.count
        result.skippedBytes = ids.reduce(0) { $0 + (project.store.size(of: $1) ?? 0) }
        return result
    }
    let result = try uploadObjects(TransferOptions(remote: settings.name, revisions: commits.map(\.hex)), cwd: project.root, project: project)
    if let first = result.missing.first {
        throw HookError.missingData(count: result.missing.count, example: first.short)
    }
    return result
}
