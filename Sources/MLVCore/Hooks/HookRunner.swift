import Foundation
import MLVGit

/// One line Git gives a pre-push hook on stdin.
public struct PushedRef: Equatable, Sendable {
    public let localRef: String
    public let localID: String
    public let remoteRef: String
    public let remoteID: String

    static let zero = String(repeating: "0", count: 40)
    public var isDeletion: Bool { localID == Self.zero }

    /// Parses Git's `<local ref> <local sha> <remote ref> <remote sha>` lines.
    public static func parse(_ input: String) throws -> [PushedRef] {
        try input.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 4, GitObjectID(hex: fields[1]) != nil, GitObjectID(hex: fields[3]) != nil else {
                throw HookInputError(line: String(line.prefix(200)))
            }
            return PushedRef(localRef: fields[0], localID: fields[1], remoteRef: fields[2], remoteID: fields[3])
        }
    }
}

/// A pre-push input line that is not what Git sends.
public struct HookInputError: UserFacingError, Equatable {
    public let line: String
    public var description: String { "the pre-push hook got `\(line)` on stdin; Git sends `<local ref> <local sha> <remote ref> <remote sha>`." }
}

/// What the pre-push hook did.
public struct PrePushReport: Sendable {
    public var upload: TransferResult?
    public var gates: [(ref: String, report: GateReport)] = []
    public var warnings: [String] = []
    public var passed: Bool { gates.allSatisfy { $0.report.passed } }
}

/// The logic behind `mlv hook NAME`.
public struct HookRunner {
    let project: Project

    public init(project: Project) { self.project = project }

    /// Runs the user's earlier hook (kept as `NAME.mlv-chained`) with the same arguments and
    /// input; returns its exit code, or 0 when there is none.
    public func runChained(_ name: String, arguments: [String], input: Data) throws -> Int32 {
        guard let path = try HookInstaller(project: project).chainedHook(name) else { return 0 }
        return RunningProgram(path, arguments, in: project.root, input: input, captureOutput: false).finish().status
    }

    // MARK: pre-push

    /// `pre-push REMOTE URL` with Git's ref lines on stdin.
    public func prePush(arguments: [String], input: String, allowMissingBaseline: Bool) throws -> PrePushReport {
        try prePush(remote: arguments.first ?? "origin", refs: try PushedRef.parse(input), allowMissingBaseline: allowMissingBaseline)
    }

    /// Uploads the data the pushed commits reference, then checks each pushed tip's gates
    /// against the remote branch's tip (for a new branch: its merge base with the remote's
    /// default branch).
    public func prePush(remote: String, refs: [PushedRef], allowMissingBaseline: Bool) throws -> PrePushReport {
        var report = PrePushReport()
        let pushed = refs.filter { !$0.isDeletion }
        guard !pushed.isEmpty else { return report }
        let known = try project.git.references(matching: "refs/remotes/\(remote)/*").map(\.commit)
        var commits: [GitObjectID] = []
        var seen = Set<GitObjectID>()
        for ref in pushed {
            let tip = GitObjectID(hex: ref.localID)!
            var hidden = known
            if let remoteTip = GitObjectID(hex: ref.remoteID), ref.remoteID != PushedRef.zero { hidden.append(remoteTip) }
            for commit in try project.git.history(from: tip, hiding: hidden) where seen.insert(commit).inserted { commits.append(commit) }
        }
        if !commits.isEmpty {
            report.upload = try uploadData(of: commits, remote: nil, project: project)
        }
        for ref in pushed {
            let tip = GitObjectID(hex: ref.localID)!
            let name = ref.localRef.hasPrefix("refs/heads/") ? String(ref.localRef.dropFirst("refs/heads/".count)) : ref.localRef
            let baseline = try baselineForPush(tip: tip, remoteID: ref.remoteID, remote: remote)
            let policy: MissingBaselinePolicy = allowMissingBaseline ? .skip(reason: "no baseline; skipped (--allow-missing-baseline)")
                : prePushMissingBaseline(remoteHasBranches: !known.isEmpty, branch: name, remote: remote)
            let gates = try checkGates(.commit(tip, label: "\(name) (\(tip.short))"), baseline: baseline,
                                       missingBaseline: policy, project: project)
            report.gates.append((ref.localRef, gates))
        }
        if report.passed, let warning = NotesSync.push(to: remote, project: project) { report.warnings.append(warning) }
        return report
    }

    /// A push with no baseline (an empty remote, or a new branch sharing no history with the
    /// remote's default branch) skips baseline rules and still enforces absolute ones, unless
    /// `git config mlv.gate.missingBaseline fail` asks for the strict behaviour.
    func prePushMissingBaseline(remoteHasBranches: Bool, branch: String, remote: String) -> MissingBaselinePolicy {
        let configured = (try? project.git.config().string("mlv.gate.missingBaseline")).flatMap { $0 }?.lowercased()
        if configured == "fail" {
            return .fail(hint: "this repository sets `mlv.gate.missingBaseline fail`; push a branch that shares history with \(remote)'s, or unset it with `git config --unset mlv.gate.missingBaseline`")
        }
        return .skip(reason: remoteHasBranches
            ? "no baseline: \(branch) shares no history with \(remote)'s default branch"
            : "no baseline: first push to an empty remote")
    }

    func baselineForPush(tip: GitObjectID, remoteID: String, remote: String) throws -> Revision? {
        if remoteID != PushedRef.zero, let remoteTip = GitObjectID(hex: remoteID), project.git.hasCommit(remoteTip) {
            return .commit(remoteTip, label: "\(remote) (\(remoteTip.short))")
        }
        for candidate in ["refs/remotes/\(remote)/HEAD", "refs/remotes/\(remote)/main", "refs/remotes/\(remote)/master"] {
            if let base = try project.git.commit(ofReference: candidate), let mergeBase = try project.git.mergeBase(tip, base) {
                return .commit(mergeBase, label: "merge base with \(candidate.dropFirst("refs/remotes/".count)) (\(mergeBase.short))")
            }
        }
        return nil
    }

    // MARK: post-checkout, post-merge

    /// `post-checkout PREVIOUS NEW FLAG`: only branch checkouts (flag 1) move data; a
    /// previous id of all zeros (a clone) means there was nothing before.
    public func postCheckout(arguments: [String]) throws -> (results: [CheckedOutPath], warnings: [String]) {
        func commitID(_ text: String) -> GitObjectID? { text == PushedRef.zero ? nil : GitObjectID(hex: text) }
        guard arguments.count >= 3, arguments[2] == "1", let new = commitID(arguments[1]) else { return ([], []) }
        return try materialize(from: commitID(arguments[0]), to: new)
    }

    /// `post-merge`: from the commit before the merge (ORIG_HEAD) to HEAD.
    public func postMerge() throws -> (results: [CheckedOutPath], warnings: [String]) {
        guard let head = try project.git.headCommit() else { return ([], []) }
        return try materialize(from: try? project.git.resolveCommit("ORIG_HEAD"), to: head)
    }

    /// Brings the data of the tracked paths that differ between two commits into the work
    /// tree; files with unsaved changes are kept (with a warning), never overwritten.
    public func materialize(from old: GitObjectID?, to new: GitObjectID) throws -> (results: [CheckedOutPath], warnings: [String]) {
        if old == new { return ([], []) }
        let after = try project.committedTrackedPaths(at: new, revision: new.short)
        var before: [String: PointerFile] = [:]
        if let old, project.git.hasCommit(old) {
            for tracked in try project.committedTrackedPaths(at: old, revision: old.short) { before[tracked.dataPath] = tracked.pointer }
        }
        let changed = after.filter { before[$0.dataPath] != $0.pointer }.map(\.dataPath)
        var results: [CheckedOutPath] = []
        var warnings: [String] = []
        guard !changed.isEmpty else { return ([], []) }
        do {
            results = try checkout(changed, cwd: project.root, project: project)
        } catch CheckoutError.wouldOverwrite {
            // Some paths hold unsaved edits: bring the others, path by path, and name those.
            for path in changed {
                do {
                    results += try checkout([path], cwd: project.root, project: project)
                } catch CheckoutError.wouldOverwrite(let files) {
                    warnings.append("kept your unsaved changes in \(files.prefix(5).joined(separator: ", "))\(files.count > 5 ? " and \(files.count - 5) more" : ""); run `mlv checkout --force \(path)` to replace them with this commit's data.")
                }
            }
        }
        let missing = results.reduce(0) { $0 + $1.missing.count + $1.corrupted.count }
        if missing > 0 { warnings.append("\(missing) object(s) are not in the cache; run `mlv pull` to fetch them.") }
        return (results, warnings)
    }

    // MARK: post-commit

    /// When the evaluation stages are stale after a commit, runs them and records their
    /// metrics and lineage as a note on the commit. Returns the note, or nil when nothing ran.
    public func evaluateCommit(observer: PipelineObserver) throws -> (note: MetricsNote?, warnings: [String]) {
        guard let head = try project.git.headCommit(), let definition = try PipelineDefinition.load(root: project.root) else { return (nil, []) }
        let evaluation = definition.stages.filter { !$0.metrics.isEmpty }.map(\.name)
        guard !evaluation.isEmpty else { return (nil, []) }
        var options = TrainOptions()
        options.evaluationOnly = true
        let result: TrainResult
        do {
            result = try train(options, project: project, observer: observer)
        } catch PipelineError.upstreamStale(let stage, let upstream) {
            return (nil, ["not evaluating \(stage): \(upstream.joined(separator: ", ")) is stale; run `mlv train`."])
        }
        guard !result.changedStages.isEmpty else { return (nil, []) }
        let lock = try LockFile.load(root: project.root)
        let stages = evaluation.compactMap(lock.stage(named:))
        var metrics: [String: [String: StructuredValue]] = [:]
        for stage in stages { for file in stage.metrics { metrics[file.path] = file.values } }
        let note = MetricsNote(metrics: metrics, lineage: String(decoding: LockFile(stages: stages).serialized(), as: UTF8.self))
        try project.git.writeNote(note.serialized(), on: head, notesRef: MetricsNote.notesRef, force: true)
        project.forgetNotesTip()
        return (note, [])
    }
}
