/// What `gc` removed (or would remove, on a dry run).
public struct GCResult: Sendable, Equatable {
    public let removedObjects: Int
    public let removedBytes: Int64
    public let keptObjects: Int
    public let keptBytes: Int64
    public let dryRun: Bool
    /// Small local packs merged into `packsWritten` new ones (none on a dry run).
    public var packsMerged = 0
    public var packsWritten = 0
}

/// Deletes cache objects that nothing in `scope` (plus the work tree and HEAD) references
/// (`mlv gc`). Fails closed: when a referenced directory manifest is missing, the files it
/// lists are unknown, so nothing is deleted.
public func collectGarbage(scope: GCScope, dryRun: Bool, keepExperiments: Bool = true, project: Project) throws -> GCResult {
    let lock = try project.lock(command: "gc")
    defer { withExtendedLifetime(lock) {} }
    var collector = ReferenceCollector(project: project)
    try collector.addScope(scope, keepExperiments: keepExperiments)
    if let missing = collector.missingManifests.first {
        throw GCError.manifestMissing(path: missing.usedBy, id: missing.id)
    }
    var removed = 0, kept = 0
    var removedBytes: Int64 = 0, keptBytes: Int64 = 0
    var dead = Set<ObjectID>()
    for object in try project.store.allObjects() {
        if collector.objects[object.id] != nil {
            kept += 1
            keptBytes += object.size
        } else {
            dead.insert(object.id)
            removed += 1
            removedBytes += object.size
        }
    }
    var result = GCResult(removedObjects: removed, removedBytes: removedBytes, keptObjects: kept, keptBytes: keptBytes, dryRun: dryRun)
    if !dryRun {
        try project.store.remove(dead)
        project.store.removeAbandonedTemporaries()
        (result.packsMerged, result.packsWritten) = try project.store.packs.consolidate()
    }
    return result
}

/// Problems specific to `gc`.
public enum GCError: UserFacingError, Equatable {
    case manifestMissing(path: String, id: ObjectID)

    public var description: String {
        switch self {
        case .manifestMissing(let path, let id):
            return "the manifest of \(path) (object \(id.short)) is missing from the cache, so gc cannot tell which files it needs; nothing was deleted. Fetch it (`mlv fetch`) or run `mlv fsck` to see what is damaged."
        }
    }
}
