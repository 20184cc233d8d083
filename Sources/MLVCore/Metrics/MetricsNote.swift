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
        guard text.utf8.count <= StructuredFile.maximumSize else { throw fail("is larger than \(StructuredFile.maximumSize >> 20) MiB") }
        let object: StructuredValue
        do { object = try JSONReader.parse(Array(text.utf8)) } catch let problem as JSONReader.Problem {
            throw fail("is not an mlv metrics note: it \(problem.reason) (line \(problem.line), column \(problem.column))")
        }
        guard case .map(_, let fields) = object else { throw fail("is not an mlv metrics note (expected a JSON object)") }
        guard case .int(let version)? = fields["mlv_note"], version == MetricsNote.version else {
            throw fail("has no `mlv_note: \(MetricsNote.version)`; it was not written by this mlv")
        }
        var metrics: [String: [String: StructuredValue]] = [:]
        if case .map(let files, let byFile)? = fields["metrics"] {
            for file in files {
                guard case .map = byFile[file]! else { throw fail("has metrics for \(file) that are not a mapping") }
                metrics[file] = Dictionary(byFile[file]!.flattened().map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            }
        }
        var lineage = ""
        if case .string(let text)? = fields["lock"] { lineage = text }
        return MetricsNote(metrics: metrics, lineage: lineage)
    }

    /// The note on `commit`, or nil.
    static func read(on commit: GitObjectID, project: Project) throws -> MetricsNote? {
        guard let notes = try project.notesTip(), let text = try project.git.readNote(on: commit, notesCommit: notes) else { return nil }
        return try parse(text, commit: commit.short)
    }
}
