/// One damaged or absent object found by `fsck`.
public struct ObjectProblem: Sendable, Equatable {
    public enum Kind: String, Sendable { case missing, corrupted }
    public let id: ObjectID
    public let kind: Kind
    /// Tracked paths (and files inside them) that need the object; empty for an unused one.
    public let usedBy: [String]
}

/// The outcome of `fsck`.
public struct FsckResult: Sendable, Equatable {
    public let checkedObjects: Int
    public let checkedBytes: Int64
    public let problems: [ObjectProblem]
}

/// Rehashes cache objects: those the work tree's pointers need, or every object with `all`
/// (`mlv fsck`). Reports each missing or corrupted object with the paths that use it.
public func fsck(all: Bool, project: Project) throws -> FsckResult {
    var collector = ReferenceCollector(project: project, recordingPaths: true)
    try collector.addWorkspace()
    var toCheck = Set(collector.objects.keys)
    if all { for object in try project.store.allObjects() { toCheck.insert(object.id) } }
    var problems: [ObjectProblem] = []
    for missing in collector.missingManifests {
        toCheck.remove(missing.id)
        problems.append(ObjectProblem(id: missing.id, kind: .missing, usedBy: [missing.usedBy]))
    }
    let store = project.store
    // Read in the order the bytes lie in the packs, not by id: a seek per object otherwise.
    let order = store.storageOrder(Array(toCheck))
    let ids = order.ordered + order.missing.sorted()
    let trust = ObjectTrust(file: project.trustPath, store: store)
    let total = Int64(ids.count)
    let outcomes = try ParallelWork.mapHashing(ids.count, progress: { done in
        project.reporter.progress(phase: "fsck", done: done, total: total)
    }) { index, hasher -> (ObjectProblem.Kind?, Int64) in
        let id = ids[index]
        guard let size = store.size(of: id) else { return (.missing, 0) }
        let started = StateCache.now()
        guard try store.verify(id, hasher: hasher) else {
            trust.forget(id)
            return (.corrupted, size)
        }
        trust.recordVerified(id, hashedAt: started)
        return (nil, size)
    }
    try trust.save()
    var bytes: Int64 = 0
    for (id, outcome) in zip(ids, outcomes) {
        bytes += outcome.1
        if let kind = outcome.0 {
            problems.append(ObjectProblem(id: id, kind: kind, usedBy: collector.users(of: id)))
        }
    }
    problems.sort { $0.id < $1.id }
    return FsckResult(checkedObjects: ids.count, checkedBytes: bytes, problems: problems)
}
