import MLVGit

/// What `mlv init` did.
public struct InitResult: Sendable {
    public let root: String
    /// Paths created or changed, repository-relative; empty when everything was already there.
    public let created: [String]
}

/// Sets up mlv in a Git work tree: `.mlv/` (cache, temporary files, state), a committed
/// `.mlvconfig`, and `.gitignore` entries for mlv's private folder. Idempotent.
public func initialize(at directory: String) throws -> InitResult {
    guard let git = try Repository.discover(from: directory), let workTree = git.workTree else {
        throw WorkspaceError.notInGitWorkTree(directory)
    }
    let root = FileSystem.realPath(workTree) ?? workTree
    try Project.checkPrivateFolders(root)
    var created: [String] = []
    for folder in Project.privateFolders where !FileSystem.exists(root + "/" + folder) {
        try FileSystem.createDirectory(root + "/" + folder)
        created.append(folder + "/")
    }
    let configPath = root + "/.mlvconfig"
    if !FileSystem.exists(configPath) {
        let text = """
        # mlv settings shared through Git. Machine-only settings go in .mlv/config.
        [core]
        \tlinkMode = auto

        """
        try FileSystem.writeAtomically(Array(text.utf8), to: configPath)
        created.append(".mlvconfig")
    }
    if try IgnoreFile.ensure(["/.mlv/", "*.mlv-tmp-*"], in: root + "/.gitignore") { created.append(".gitignore") }
    if !created.isEmpty {
        try git.stage([".mlvconfig", ".gitignore"])
    }
    return InitResult(root: root, created: created)
}
