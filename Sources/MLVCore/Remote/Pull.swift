/// Fetches, then makes the workspace match, and brings the branch's Git remote's metrics
/// notes (fetched by git beside the data transfer; a failure is a warning) (`mlv pull`).
public func pull(_ options: TransferOptions, checkout checkoutOptions: CheckoutOptions, cwd: String, project: Project) throws -> (TransferResult, [CheckedOutPath]) {
    let notes = NotesSync.gitRemote(project: project).map { NotesSync.startFetch(from: $0, project: project) }
    defer { if let warning = notes?.finish() { project.reporter.warning(warning) } }
    let fetched = try fetch(options, cwd: cwd, project: project, command: "pull")
    let written = try checkout(options.paths, cwd: cwd, options: checkoutOptions, project: project, command: "pull")
    return (fetched, written)
}
