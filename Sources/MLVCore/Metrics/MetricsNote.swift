import Foundation
import MLVGit

/// What `post-commit` records under `refs/notes/mlv` on a commit it evaluated: the metrics,
/// and the lineage of that evaluation (the evaluation stages' records). JSON, one object:
///
///     {"mlv_note": 1, "metrics": {"metrics.json": {"accuracy": 0.9}}, "lock": "<mlv.lock text of the stages>"}
public struct MetricsNote: Equatable, Sendable {
    public static let notesRef = "refs/notes/mlv"
    public static let version = 1

    /// File -> flattened key -> value.
    public let metrics: [String: [String: StructuredValue]]
    /// The evaluation stages' lock records, as `mlv.lock` text.
    public let lineage: String

    public init(metrics: [String: [String: StructuredValue]], lineage: String) {
        self.metrics = metrics
        self.lineage = lineage
    }

    public func serialized() -> String {
        var files: [String: Any] = [:]
        for (file, values) in metrics {
            var object: [String: Any] = [:]
            for (key, value) in values { object[key] = MetricsNote.json(value) }
            files[file] = object
        }
        let object: [String: Any] = ["mlv_note": MetricsNote.version, "metrics": files, "lock": lineage]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func json(_ value: StructuredValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d.isFinite ? d as Any : value.canonical
        case .string(let s): return s
        case .list(let items): return items.map(json)
        case .map(let keys, let values): return Dictionary(uniqueKeysWithValues: keys.map { ($0, json(values[$0]!)) })
        }
    }

    /// Parses a note; one that is not mlv's (or is damaged) is an error naming the commit.
    public static func parse(_ text: String, commit: String) throws -> MetricsNote {
        func fail(_ reason: String) -> StructuredFileError {
            StructuredFileError(file: "note \(notesRef)", revision: commit, line: nil, column: nil, reason: reason)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw fail("is not an mlv metrics note (expected a JSON object)")
        }
        guard let version = object["mlv_note"] as? Int, version == MetricsNote.version else {
            throw fail("has no `mlv_note: \(MetricsNote.version)`; it was not written by this mlv")
        }
        var metrics: [String: [String: StructuredValue]] = [:]
        for (file, values) in object["metrics"] as? [String: Any] ?? [:] {
            guard case .map = StructuredFile.jsonValue(values) else { throw fail("has metrics for \(file) that are not a mapping") }
            metrics[file] = Dictionary(uniqueKeysWithValues: StructuredFile.jsonValue(values).flattened().map { ($0.key, $0.value) })
        }
        return MetricsNote(metrics: metrics, lineage: object["lock"] as? String ?? "")
    }

    /// The note on `commit`, or nil.
    static func read(on commit: GitObjectID, project: Project) throws -> MetricsNote? {
        guard let text = try project.git.readNote(on: commit, notesRef: notesRef) else { return nil }
        return try parse(text, commit: commit.short)
    }
}
