import Foundation

/// One metric at one revision, and where it was read from.
public struct MetricValue: Equatable, Sendable {
    public enum Source: String, Sendable {
        /// A metrics file committed (or in the work tree).
        case file
        /// A note under `refs/notes/mlv` written when the commit was evaluated after the fact.
        case note
    }

    public let file: String
    public let key: String
    public let value: StructuredValue
    public let source: Source
}

/// The metrics of one revision: the files its `mlv.yaml` declares (plus extra files), with any
/// mlv note on the commit laid over them (a note is newer than the committed file).
public struct MetricsSnapshot: Sendable {
    public let revision: Revision
    public let values: [MetricValue]
    /// Files that could not be read, with why (missing, malformed); gates fail closed on them.
    public let problems: [String: String]
    /// The declared files that simply do not exist at this revision (among `problems`).
    public var absentFiles: Set<String> = []
    /// Directions declared in that revision's `mlv.yaml`.
    public let directions: [String: MetricDirection]

    /// Reads the snapshot. `extraFiles` are metrics files named with `--file`.
    public static func read(_ revision: Revision, extraFiles: [String] = [], project: Project) throws -> MetricsSnapshot {
        guard case .commit(let commit, let label) = revision else { return try readAfresh(revision, extraFiles: extraFiles, project: project) }
        let key = SnapshotKey(commit: commit, label: label, notes: try project.notesTip(), extraFiles: extraFiles)
        if let known = project.parsedBlobs.snapshot(key) { return known }
        let snapshot = try readAfresh(revision, extraFiles: extraFiles, project: project)
        project.parsedBlobs.store(snapshot: snapshot, for: key)
        return snapshot
    }

    static func readAfresh(_ revision: Revision, extraFiles: [String], project: Project) throws -> MetricsSnapshot {
        var problems: [String: String] = [:]
        var absent = Set<String>()
        var files: [String] = []
        var directions: [String: MetricDirection] = [:]
        do {
            if let pipeline = try revision.pipeline(project: project) {
                files = pipeline.stages.flatMap { $0.metrics.map(\.path) }
                directions = pipeline.metricDirections
            }
        } catch let error as UserFacingError {
            problems[PipelineDefinition.fileName] = error.description
        }
        for file in extraFiles where !files.contains(file) { files.append(file) }
        var values: [MetricValue] = []
        var note: MetricsNote?
        if let commit = revision.commit {
            do { note = try MetricsNote.read(on: commit, project: project) } catch let error as UserFacingError {
                problems["note"] = error.description
            }
        }
        for file in files {
            let fromNote = note?.metrics[file]
            let parsedFile: [(key: String, value: StructuredValue)]?
            do { parsedFile = try revision.flattenedFile(file, project: project) } catch let error as UserFacingError {
                if let fromNote {
                    values += fromNote.sorted { $0.key < $1.key }.map { MetricValue(file: file, key: $0.key, value: $0.value, source: .note) }
                } else {
                    problems[file] = error.description
                }
                continue
            }
            guard let parsed = parsedFile else {
                if fromNote == nil {
                    problems[file] = "\(file) does not exist at \(revision.label)"
                    absent.insert(file)
                }
                values += (fromNote ?? [:]).sorted { $0.key < $1.key }.map { MetricValue(file: file, key: $0.key, value: $0.value, source: .note) }
                continue
            }
            var seen = Set<String>()
            for (key, value) in parsed {
                seen.insert(key)
                if let noted = fromNote?[key] {
                    values.append(MetricValue(file: file, key: key, value: noted, source: .note))
                } else {
                    values.append(MetricValue(file: file, key: key, value: value, source: .file))
                }
            }
            for (key, value) in (fromNote ?? [:]).sorted(by: { $0.key < $1.key }) where !seen.contains(key) {
                values.append(MetricValue(file: file, key: key, value: value, source: .note))
            }
        }
        // Metrics a note holds for files the revision does not declare.
        for (file, noted) in (note?.metrics ?? [:]).sorted(by: { $0.key < $1.key }) where !files.contains(file) {
            values += noted.sorted { $0.key < $1.key }.map { MetricValue(file: file, key: $0.key, value: $0.value, source: .note) }
        }
        return MetricsSnapshot(revision: revision, values: values, problems: problems, absentFiles: absent, directions: directions)
    }

    /// The values for a metric named `key` or `file:key`.
    public func lookup(_ name: String) -> [MetricValue] {
        if let colon = name.lastIndex(of: ":") {
            let file = String(name[..<colon]), key = String(name[name.index(after: colon)...])
            let exact = values.filter { $0.file == file && $0.key == key }
            if !exact.isEmpty { return exact }
        }
        return values.filter { $0.key == name }
    }

    /// Throws the first problem (for commands that show or diff, which need every file).
    public func checked() throws -> MetricsSnapshot {
        if let (_, message) = problems.sorted(by: { $0.key < $1.key }).first { throw MetricsError.unreadable(message) }
        return self
    }
}

/// Problems reading or comparing metrics.
public enum MetricsError: UserFacingError, Equatable {
    case unreadable(String)
    case noMetrics(String)
    case badRange(String)

    public var description: String {
        switch self {
        case .unreadable(let message): return message
        case .noMetrics(let revision): return "no metrics at \(revision): declare metrics files under a stage's `metrics:` in mlv.yaml, or name one with --file."
        case .badRange(let text): return "`\(text)` is not a revision range; use A..B or a single revision."
        }
    }
}
