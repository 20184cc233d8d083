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
    /// Read as bytes, with Git's ASCII case and spaces; when unsure it says no (libgit2 then
    /// decides), so a line naming includes or a work tree anywhere, or `bare` other than as a
    /// plain false value, is enough.
    private static func configIsPlain(_ path: String) -> Bool {
        guard let bytes = readSmallFile(path, limit: 1 << 16) else { return false }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        for raw in bytes.split(separator: 0x0A) {
            let line = raw.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
            if line.contains(Array("include".utf8)) || line.contains(Array("worktree".utf8)) { return false }
            guard line.contains(Array("bare".utf8)) else { continue }
            // A variable may follow its section's header on the same line: `[core] bare = 1`.
            var rest = line.drop(while: isSpace)
            if rest.first == UInt8(ascii: "["), let close = rest.lastIndex(of: UInt8(ascii: "]")) { rest = rest[(close + 1)...] }
            let parts = rest.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            func trimmed(_ part: ArraySlice<UInt8>) -> String {
                String(decoding: part.drop(while: isSpace).reversed().drop(while: isSpace).reversed(), as: UTF8.self)
            }
            guard parts.count == 2, trimmed(parts[0]) == "bare", ["false", "no", "off", "0"].contains(trimmed(parts[1])) else { return false }
        }
        return true
    }

    /// A file's bytes when it is a regular file of at most `limit` bytes (POSIX: this runs
    /// before anything else of a command, and Foundation's file manager costs more to start).
    private static func readSmallFile(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= limit else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            filled += n
        }
        return bytes
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
