import Foundation

// The `--json` form of command results: each result type encodes itself with the stable,
// snake_case field names the README documents, so every command prints JSON the same way
// (`JSONOutput.encode`) instead of building dictionaries of its own.

/// Encodes results as mlv's JSON: pretty, keys sorted, infinities and NaN as strings.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension ObjectID: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

extension TransferResult: Encodable {
    enum CodingKeys: String, CodingKey {
        case remote, objects, skipped, skippedBytes = "skipped_bytes", bytes, chunksSent = "chunks_sent"
        case chunksReused = "chunks_reused", packs, requests, seconds, missing
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(remote, forKey: .remote)
        try c.encode(objects, forKey: .objects)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(skippedBytes, forKey: .skippedBytes)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(chunksSent, forKey: .chunksSent)
        try c.encode(chunksReused, forKey: .chunksReused)
        try c.encode(packs, forKey: .packs)
        try c.encode(requests, forKey: .requests)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encode(missing, forKey: .missing)
    }
}

extension GateResult: Encodable {
    enum CodingKeys: String, CodingKey { case rule, metric, value, baseline, bound, passed, skipped, reason }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rule, forKey: .rule)
        try c.encode(metric, forKey: .metric)
        try c.encode(value, forKey: .value)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(bound, forKey: .bound)
        try c.encode(passed, forKey: .passed)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(reason, forKey: .reason)
    }
}

extension GateReport: Encodable {
    enum CodingKeys: String, CodingKey { case revision, baseline, passed, gates }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(revision, forKey: .revision)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(passed, forKey: .passed)
        try c.encode(results, forKey: .gates)
    }
}

extension GCResult: Encodable {
    enum CodingKeys: String, CodingKey {
        case removedObjects = "removed_objects", removedBytes = "removed_bytes", keptObjects = "kept_objects"
        case keptBytes = "kept_bytes", dryRun = "dry_run", packsMerged = "packs_merged", packsWritten = "packs_written"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(removedObjects, forKey: .removedObjects)
        try c.encode(removedBytes, forKey: .removedBytes)
        try c.encode(keptObjects, forKey: .keptObjects)
        try c.encode(keptBytes, forKey: .keptBytes)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(packsMerged, forKey: .packsMerged)
        try c.encode(packsWritten, forKey: .packsWritten)
    }
}

extension RemoteGCResult: Encodable {
    enum CodingKeys: String, CodingKey {
        case remote, packsDeleted = "packs_deleted", packsRewritten = "packs_rewritten", bytesFreed = "bytes_freed"
        case entriesDropped = "entries_dropped", dryRun = "dry_run"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(remote, forKey: .remote)
        try c.encode(packsDeleted, forKey: .packsDeleted)
        try c.encode(packsRewritten, forKey: .packsRewritten)
        try c.encode(bytesFreed, forKey: .bytesFreed)
        try c.encode(entriesDropped, forKey: .entriesDropped)
        try c.encode(dryRun, forKey: .dryRun)
    }
}

extension ObjectProblem: Encodable {
    enum CodingKeys: String, CodingKey { case id, kind = "problem", usedBy = "used_by" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(usedBy, forKey: .usedBy)
    }
}

extension FsckResult: Encodable {
    enum CodingKeys: String, CodingKey { case checkedObjects = "checked_objects", checkedBytes = "checked_bytes", problems }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(checkedObjects, forKey: .checkedObjects)
        try c.encode(checkedBytes, forKey: .checkedBytes)
        try c.encode(problems, forKey: .problems)
    }
}

extension RemoteProblem: Encodable {
    enum CodingKeys: String, CodingKey { case kind = "problem", key, object, detail }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(key, forKey: .key)
        try c.encode(object, forKey: .object)
        try c.encode(detail, forKey: .detail)
    }
}

extension RemoteCheck: Encodable {
    enum CodingKeys: String, CodingKey { case remote, packs, entries, bytes, problems }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(remote, forKey: .remote)
        try c.encode(packs, forKey: .packs)
        try c.encode(entries, forKey: .entries)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(problems, forKey: .problems)
    }
}

extension PathStatus: Encodable {
    enum CodingKeys: String, CodingKey {
        case path, type, workspace, added, modified, deleted, missingFromCache = "missing_from_cache", clean
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataPath, forKey: .path)
        try c.encode(kind.rawValue, forKey: .type)
        try c.encode(workspace.rawValue, forKey: .workspace)
        try c.encode(added, forKey: .added)
        try c.encode(modified, forKey: .modified)
        try c.encode(deleted, forKey: .deleted)
        try c.encode(missingObjects, forKey: .missingFromCache)
        try c.encode(isClean, forKey: .clean)
    }
}

extension CheckedOutPath: Encodable {
    enum CodingKeys: String, CodingKey {
        case path, written, deleted, bytesWritten = "bytes_written", missing = "missing_objects", corrupted = "corrupted_objects"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataPath, forKey: .path)
        try c.encode(written, forKey: .written)
        try c.encode(deleted, forKey: .deleted)
        try c.encode(bytesWritten, forKey: .bytesWritten)
        try c.encode(missing, forKey: .missing)
        try c.encode(corrupted, forKey: .corrupted)
    }
}

extension RemoteSettings: Encodable {
    enum CodingKeys: String, CodingKey { case name, url, isDefault = "default", options }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(url, forKey: .url)
        try c.encode(isDefault, forKey: .isDefault)
        try c.encode(options, forKey: .options)
    }
}

/// A params or metrics value as `--json` shows it: numbers stay numbers (infinities and NaN
/// as their names), text, booleans and null as such, lists and maps as their canonical text.
public struct ShownValue: Encodable {
    let value: StructuredValue?
    public init(_ value: StructuredValue?) { self.value = value }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case nil, .null?: try c.encodeNil()
        case .bool(let b)?: try c.encode(b)
        case .int(let i)?: try c.encode(i)
        case .double(let d)?: if d.isFinite { try c.encode(d) } else { try c.encode(value!.canonical) }
        case .string(let s)?: try c.encode(s)
        case .list?, .map?: try c.encode(value!.canonical)
        }
    }
}

/// A key known only at run time (`metrics` or `params`).
struct NamedKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// `mlv diff --json`.
public struct DataDiffReport: Encodable {
    public let from: String
    public let to: String
    public let paths: [PathDiff]
    public init(from: String, to: String, paths: [PathDiff]) { self.from = from; self.to = to; self.paths = paths }
}

extension PathDiff: Encodable {
    enum CodingKeys: String, CodingKey { case path, change, added, deleted, modified }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataPath, forKey: .path)
        try c.encode(change.rawValue, forKey: .change)
        try c.encode(added, forKey: .added)
        try c.encode(deleted, forKey: .deleted)
        try c.encode(modified, forKey: .modified)
    }
}

extension PathDiff.FileChange: Encodable {
    enum CodingKeys: String, CodingKey { case path, oldSize = "old_size", newSize = "new_size" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(oldSize, forKey: .oldSize)
        try c.encode(newSize, forKey: .newSize)
    }
}

/// One row of `mlv metrics show --json`.
public struct MetricsListing: Encodable {
    public let revision: String
    public let value: MetricValue
    public init(revision: String, value: MetricValue) { self.revision = revision; self.value = value }

    enum CodingKeys: String, CodingKey { case revision, file, metric, value, source }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(revision, forKey: .revision)
        try c.encode(value.file, forKey: .file)
        try c.encode(value.key, forKey: .metric)
        try c.encode(ShownValue(value.value), forKey: .value)
        try c.encode(value.source.rawValue, forKey: .source)
    }
}

/// `mlv metrics diff --json` and `mlv params diff --json`: `what` is `metric` or `param`.
public struct ChangeReport: Encodable {
    public let a: String
    public let b: String
    public let what: String
    public let changes: [ValueChange]
    public init(a: String, b: String, what: String, changes: [ValueChange]) {
        self.a = a; self.b = b; self.what = what; self.changes = changes
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: NamedKey.self)
        try c.encode(a, forKey: NamedKey("a"))
        try c.encode(b, forKey: NamedKey("b"))
        var list = c.nestedUnkeyedContainer(forKey: NamedKey(what + "s"))
        for change in changes {
            var item = list.nestedContainer(keyedBy: NamedKey.self)
            try item.encode(change.file, forKey: NamedKey("path"))
            try item.encode(change.key, forKey: NamedKey(what))
            try item.encode(ShownValue(change.old), forKey: NamedKey("a"))
            try item.encode(ShownValue(change.new), forKey: NamedKey("b"))
            try item.encode(change.change, forKey: NamedKey("change"))
            try item.encode(change.percent, forKey: NamedKey("change_percent"))
            try item.encode(change.verdict.rawValue, forKey: NamedKey("verdict"))
            try item.encode(change.oldSource?.rawValue, forKey: NamedKey("source_a"))
            try item.encode(change.newSource?.rawValue, forKey: NamedKey("source_b"))
        }
    }
}

/// One metric's history for `mlv metrics history --json`.
public struct MetricSeries: Encodable {
    public let metric: String
    public let points: [HistoryPoint]
    public init(metric: String, points: [HistoryPoint]) { self.metric = metric; self.points = points }
}

extension HistoryPoint: Encodable {
    enum CodingKeys: String, CodingKey { case commit, summary, time, value, source }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(commit.id, forKey: .commit)
        try c.encode(commit.summary, forKey: .summary)
        try c.encode(UTCTimestamp.string(commit.time), forKey: .time)
        try c.encode(value, forKey: .value)
        try c.encode(source?.rawValue, forKey: .source)
    }
}

/// `mlv lineage --used-by --json`.
public struct DownstreamReport: Encodable {
    public let target: String
    public let ids: [ObjectID]
    public let outputs: [DownstreamOutput]
    public init(target: String, ids: [ObjectID], outputs: [DownstreamOutput]) { self.target = target; self.ids = ids; self.outputs = outputs }
}

extension DownstreamOutput: Encodable {
    enum CodingKeys: String, CodingKey { case path, id, stage, madeFrom = "made_from", depth, commit, commitSummary = "commit_summary" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(id, forKey: .id)
        try c.encode(stage, forKey: .stage)
        try c.encode(madeFrom, forKey: .madeFrom)
        try c.encode(depth, forKey: .depth)
        try c.encode(commit?.id, forKey: .commit)
        try c.encode(commit?.summary, forKey: .commitSummary)
    }
}

extension LineageGraph: Encodable {
    enum CodingKeys: String, CodingKey { case root, nodes }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(root, forKey: .root)
        try c.encode(nodes, forKey: .nodes)
    }
}

extension LineageNode: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: NamedKey.self)
        try c.encode(path, forKey: NamedKey("path"))
        try c.encode(kind.rawValue, forKey: NamedKey("type"))
        try c.encode(id, forKey: NamedKey("id"))
        if let size { try c.encode(size, forKey: NamedKey("size")) }
        switch origin {
        case .stage(let stage):
            try c.encode("stage", forKey: NamedKey("origin"))
            try c.encode(stage.name, forKey: NamedKey("stage"))
            try c.encode(stage.cmd, forKey: NamedKey("cmd"))
            var params = c.nestedUnkeyedContainer(forKey: NamedKey("params"))
            for param in stage.params {
                var item = params.nestedContainer(keyedBy: NamedKey.self)
                try item.encode(param.file, forKey: NamedKey("file"))
                try item.encode(param.key, forKey: NamedKey("key"))
                try item.encode(param.value.canonical, forKey: NamedKey("value"))
            }
            var run = c.nestedContainer(keyedBy: NamedKey.self, forKey: NamedKey("run"))
            try run.encode(stage.run.started, forKey: NamedKey("started"))
            try run.encode(stage.run.duration, forKey: NamedKey("duration"))
            try run.encode(stage.run.mlvVersion, forKey: NamedKey("mlv"))
            try run.encode(stage.run.commit, forKey: NamedKey("commit"))
            try run.encode(stage.run.dirty, forKey: NamedKey("dirty"))
            if let recordedIn {
                var recorded = c.nestedContainer(keyedBy: NamedKey.self, forKey: NamedKey("recorded_in"))
                try recorded.encode(recordedIn.id, forKey: NamedKey("commit"))
                try recorded.encode(recordedIn.summary, forKey: NamedKey("summary"))
            } else {
                try c.encodeNil(forKey: NamedKey("recorded_in"))
            }
            try c.encode(inputs, forKey: NamedKey("deps"))
        case .added(let pointer):
            try c.encode("added", forKey: NamedKey("origin"))
            try c.encode(pointer, forKey: NamedKey("pointer"))
        case .git:
            try c.encode("git", forKey: NamedKey("origin"))
        case .untracked:
            try c.encode("untracked", forKey: NamedKey("origin"))
        }
    }
}
