import Foundation

/// Moves `refs/notes/mlv` between this repository and a Git remote with the `git` command
/// (the user's transport and credentials). Best effort: failures come back as warnings.
public enum NotesSync {
    /// The Git remote the current branch pushes to (`branch.NAME.remote`), else `origin` when
    /// it exists, else nil.
    public static func gitRemote(project: Project) -> String? {
        let config = try? project.git.config()
        // A value from config becomes an argument of git: one that looks like an option or
        // holds odd bytes is not a remote name (git refuses such names itself).
        if let branch = project.git.currentBranch(), let remote = try? config?.string("branch.\(branch).remote"), remote != "." {
            return isPlausibleRemote(remote) ? remote : nil
        }
        return (try? config?.string("remote.origin.url")) != nil ? "origin" : nil
    }

    static func isPlausibleRemote(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("-") && name.utf8.count <= 1000 && !name.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F }
    }

    /// Pushes the notes when they changed since the last push to `remote`; returns a warning
    /// on failure, nil otherwise.
    public static func push(to remote: String, project: Project) -> String? {
        guard let local = try? project.git.commit(ofReference: MetricsNote.notesRef) ?? nil else { return nil }
        let record = project.mlvDirectory + "/state/notes-pushed-" + remote.replacingOccurrences(of: "/", with: "_")
        if let pushed = try? FileSystem.readFile(record, limit: 100), String(decoding: pushed, as: UTF8.self) == local.hex { return nil }
        let (code, output) = git(["push", "--no-verify", "--quiet", "--", remote, "\(MetricsNote.notesRef):\(MetricsNote.notesRef)"], project: project)
        guard code == 0 else {
            return "could not push \(MetricsNote.notesRef) to \(remote) (\(output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))); run `mlv pull` to merge notes, then push again."
        }
        try? FileSystem.writeAtomically(Array(local.hex.utf8), to: record)
        return nil
    }

    /// Fetches the remote's notes when they fast-forward the local ones; a warning otherwise.
    public static func fetch(from remote: String, project: Project) -> String? {
        startFetch(from: remote, project: project).finish()
    }

    /// Starts that fetch in the background: `git fetch` spends most of its time starting up
    /// and talking to the remote, which a pull overlaps with moving its data.
    public static func startFetch(from remote: String, project: Project) -> RunningGit {
        // A glob refspec matches nothing, without failing, when the remote has no notes yet;
        // so git's exit status alone says whether the fetch worked (no reading its messages).
        RunningGit(["fetch", "--quiet", "--", remote, "\(MetricsNote.notesRef)*:\(MetricsNote.notesRef)*"], project: project) { code, output in
            if code == 0 { return nil }
            return "could not fetch \(MetricsNote.notesRef) from \(remote) (\(output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300)))."
        }
    }

    static func git(_ arguments: [String], project: Project) -> (Int32, String) {
        var result: (Int32, String) = (0, "")
        _ = RunningGit(arguments, project: project) { code, output in result = (code, output); return nil }.finish()
        return result
    }
}

/// A `git` command running beside mlv; `finish` waits for it and returns its warning, if any.
public final class RunningGit {
    private let program: RunningProgram
    private let judge: (Int32, String) -> String?

    init(_ arguments: [String], project: Project, judge: @escaping (Int32, String) -> String?) {
        self.judge = judge
        program = RunningProgram("/usr/bin/env", ["git"] + arguments, in: project.root, input: nil, captureOutput: true)
    }

    /// Waits for git to exit; the warning its outcome calls for, or nil.
    public func finish() -> String? {
        let (status, output) = program.finish()
        return judge(status, output)
    }
}
