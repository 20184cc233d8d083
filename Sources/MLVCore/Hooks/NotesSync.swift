import Foundation

/// Moves `refs/notes/mlv` between this repository and a Git remote with the `git` command
/// (the user's transport and credentials). Best effort: failures come back as warnings.
public enum NotesSync {
    /// The Git remote the current branch pushes to (`branch.NAME.remote`), else `origin` when
    /// it exists, else nil.
    public static func gitRemote(project: Project) -> String? {
        let config = try? project.git.config()
        if let branch = project.git.currentBranch(), let remote = try? config?.string("branch.\(branch).remote"), remote != "." {
            return remote
        }
        return (try? config?.string("remote.origin.url")) != nil ? "origin" : nil
    }

    /// Pushes the notes when they changed since the last push to `remote`; returns a warning
    /// on failure, nil otherwise.
    public static func push(to remote: String, project: Project) -> String? {
        guard let local = try? project.git.commit(ofReference: MetricsNote.notesRef) ?? nil else { return nil }
        let record = project.mlvDirectory + "/state/notes-pushed-" + remote.replacingOccurrences(of: "/", with: "_")
        if let pushed = try? FileSystem.readFile(record, limit: 100), String(decoding: pushed, as: UTF8.self) == local.hex { return nil }
        let (code, output) = git(["push", "--no-verify", "--quiet", remote, "\(MetricsNote.notesRef):\(MetricsNote.notesRef)"], project: project)
        guard code == 0 else {
            return "could not push \(MetricsNote.notesRef) to \(remote) (\(output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))); run `mlv pull` to merge notes, then push again."
        }
        try? FileSystem.writeAtomically(Array(local.hex.utf8), to: record)
        return nil
    }

    /// Fetches the remote's notes when they fast-forward the local ones; a warning otherwise.
    public static func fetch(from remote: String, project: Project) -> String? {
        let (code, output) = git(["fetch", "--quiet", remote, "\(MetricsNote.notesRef):\(MetricsNote.notesRef)"], project: project)
        if code == 0 || output.contains("couldn't find remote ref") { return nil }
        return "could not fetch \(MetricsNote.notesRef) from \(remote) (\(output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300)))."
    }

    static func git(_ arguments: [String], project: Project) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: project.root)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (127, "git could not be started: \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
