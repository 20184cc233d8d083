import Foundation

/// Finds a repository laid out the ordinary way (a work tree with a `.git` folder inside it)
/// by looking at the file system alone, so that a command which may never need Git does not
/// pay for `git_libgit2_init` (several milliseconds: it parses the system's CA bundle).
///
/// It answers only when the answer is certain to be libgit2's; anything unusual (a `.git`
/// file, a linked work tree, `core.worktree`, `core.bare`, config includes, a folder that is
/// itself a repository, another owner, a file-system boundary) returns nil, and the caller
/// asks libgit2.
enum StandardLayout {
    struct Found: Equatable {
        let gitDirectory: String
        let workTree: String
    }

    static func find(from path: String) -> Found? {
        guard var folder = realPath(path) else { return nil }
        guard let start = status(folder), isDirectory(start) else { return nil }
        let owner = geteuid()
        while true {
            guard let here = status(folder), here.st_dev == start.st_dev else { return nil }
            let gitFolder = (folder == "/" ? "" : folder) + "/.git"
            if let git = status(gitFolder) {
                guard isDirectory(git), isValidGitFolder(gitFolder), git.st_uid == owner, here.st_uid == owner,
                      configIsPlain(gitFolder + "/config") else { return nil }
                return Found(gitDirectory: gitFolder, workTree: folder)
            }
            // A folder holding HEAD may itself be a repository (bare, or inside `.git`).
            if folder.hasSuffix("/.git") || status(folder + "/HEAD") != nil { return nil }
            if folder == "/" { return nil }
            folder = parent(of: folder)
        }
    }

    private static func isValidGitFolder(_ folder: String) -> Bool {
        guard let head = status(folder + "/HEAD"), (head.st_mode & S_IFMT) == S_IFREG,
              let objects = status(folder + "/objects"), isDirectory(objects),
              let refs = status(folder + "/refs"), isDirectory(refs) else { return false }
        // A linked work tree's git folder points at a common one.
        return status(folder + "/commondir") == nil
    }

    /// Whether the repository's config sets nothing that moves or removes the work tree.
    private static func configIsPlain(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 16,
              let text = String(data: data, encoding: .utf8) else { return false }
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if line.hasPrefix("[include") || line.hasPrefix("worktree") { return false }
            if line.hasPrefix("bare") {
                let value = line.split(separator: "=", maxSplits: 1).dropFirst().first?.trimmingCharacters(in: .whitespaces)
                if value != "false" && value != "no" && value != "off" && value != "0" { return false }
            }
        }
        return true
    }

    private static func status(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    private static func isDirectory(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFDIR }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
