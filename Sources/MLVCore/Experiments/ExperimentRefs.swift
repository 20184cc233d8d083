import MLVGit

/// An experiment commit found under `refs/mlv/exps/<baseline>/<name>`.
public struct ExperimentRef: Sendable, Equatable {
    public let name: String
    public let baseline: GitObjectID
    public let commit: GitObjectID
    public var reference: String { ExperimentRefs.reference(baseline: baseline.hex, name: name) }
}

/// Reads and resolves experiment references. Experiments are found by their references alone
/// (never by walking history), so listing them costs what they number.
public enum ExperimentRefs {
    public static let prefix = "refs/mlv/exps/"

    static func reference(baseline: String, name: String) -> String { prefix + baseline + "/" + name }

    /// Every experiment, or those of one baseline.
    public static func list(baseline: GitObjectID? = nil, project: Project) throws -> [ExperimentRef] {
        let glob = prefix + (baseline.map { $0.hex + "/" } ?? "") + "*"
        return try project.git.references(matching: glob).compactMap { reference in
            let parts = reference.name.dropFirst(prefix.count).split(separator: "/")
            guard parts.count == 2, let base = GitObjectID(hex: String(parts[0])),
                  (try? ExperimentName.validate(String(parts[1]))) != nil else { return nil }
            return ExperimentRef(name: String(parts[1]), baseline: base, commit: reference.commit)
        }
    }

    /// The experiment a user named: `NAME` or `BASELINE/NAME` (a baseline id prefix). A name
    /// on several baselines is ambiguous unless one of them is HEAD.
    public static func find(_ text: String, project: Project) throws -> ExperimentRef {
        var name = text
        var baselinePrefix: String?
        if let slash = text.lastIndex(of: "/") {
            baselinePrefix = String(text[..<slash]).lowercased()
            name = String(text[text.index(after: slash)...])
        }
        try ExperimentName.validate(name)
        var matches = try list(project: project).filter { $0.name == name }
        if let baselinePrefix { matches = matches.filter { $0.baseline.hex.hasPrefix(baselinePrefix) } }
        if matches.count > 1, let head = try project.git.headCommit() {
            let onHead = matches.filter { $0.baseline == head }
            if onHead.count == 1 { return onHead[0] }
        }
        guard let first = matches.first else { throw ExperimentError.notFound(DisplayText.escaped(text)) }
        guard matches.count == 1 else { throw ExperimentError.ambiguous(name, baselines: matches.map(\.baseline.short)) }
        return first
    }
}

extension Project {
    /// A revision a user typed: anything Git resolves, else an experiment name; `exp:NAME`
    /// means the experiment even when a branch or tag has that name.
    public func resolveCommit(_ text: String) throws -> GitObjectID {
        if text.hasPrefix("exp:") { return try ExperimentRefs.find(String(text.dropFirst(4)), project: self).commit }
        do {
            return try git.resolveCommit(text)
        } catch let gitError {
            guard (try? ExperimentName.validate(PathName.lastComponent(of: text))) != nil,
                  let found = try? ExperimentRefs.find(text, project: self) else { throw gitError }
            return found.commit
        }
    }
}
