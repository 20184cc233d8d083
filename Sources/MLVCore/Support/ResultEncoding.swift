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
        case keptBytes = "kept_bytes", dryRun = "dry_run"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(removedObjects, forKey: .removedObjects)
        try c.encode(removedBytes, forKey: .removedBytes)
        try c.encode(keptObjects, forKey: .keptObjects)
        try c.encode(keptBytes, forKey: .keptBytes)
        try c.encode(dryRun, forKey: .dryRun)
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
