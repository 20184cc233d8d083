import Foundation
import MLVGit

/// Uploads what a set of commits reference (the pre-push hook). When the cached indexes
/// already show every object on the remote, nothing is sent and the remote is not contacted.
/// Returns nil when the commits reference no tracked data.
public func uploadData(of commits: [GitObjectID], remote name: String?, project: Project) throws -> TransferResult? {
    var collector = ReferenceCollector(project: project)
    try collector.addCommits(commits)
    let ids = Set(collector.usedBy.keys)
    guard !ids.isEmpty else { return nil }
    let remotes = try listRemotes(project: project)
    guard let settings = name.flatMap({ n in remotes.first { $0.name == n } }) ?? remotes.first(where: \.isDefault)
            ?? (remotes.count == 1 ? remotes.first : nil) else {
        if name != nil || !remotes.isEmpty { _ = try openRemote(name, project: project) }
        throw HookError.noDataRemote(objects: ids.count)
    }
    let cached = RemoteCatalog.cachedIDs(in: project.mlvDirectory + "/remotes/" + settings.name + "/indexes")
    if collector.missingManifests.isEmpty && ids.isSubset(of: cached) {
        var result = TransferResult(remote: settings.name)
        result.skipped = ids.count
        result.skippedBytes = ids.reduce(0) { $0 + (project.store.size(of: $1) ?? 0) }
        return result
    }
    let result = try push(TransferOptions(remote: settings.name, revisions: commits.map(\.hex)), cwd: project.root, project: project)
    if let first = result.missing.first {
        throw HookError.missingData(count: result.missing.count, example: first.short)
    }
    return result
}
