/// mlv's own path-string functions. Foundation's `NSString` path helpers crashed on some
/// one-character names on Linux, and they normalize in ways mlv does not want (`~`, `..`),
/// so hot paths split on `/` themselves.
public enum PathName {
    private static let separatorByte = UInt8(ascii: "/")

    /// Everything before the last `/` (`a/b/c` -> `a/b`, `/a` -> `/`, `a` -> ``).
    public static func parent(of path: String) -> String {
        // Fast path for the common shape (no trailing or doubled slash): tree building asks
        // this for every file of a directory, and counting characters costs more than the rest.
        let utf8 = path.utf8
        if let last = utf8.last, last != separatorByte {
            guard let cut = utf8.lastIndex(of: separatorByte) else { return "" }
            if cut == utf8.startIndex { return "/" }
            if utf8[utf8.index(before: cut)] != separatorByte { return String(path[..<cut]) }
        }
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.last == "/" { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        var parent = trimmed[..<slash]
        while parent.count > 1, parent.last == "/" { parent.removeLast() }
        return String(parent)
    }

    /// The part after the last `/` (`a/b/c` -> `c`, `e` -> `e`).
    public static func lastComponent(of path: String) -> String {
        let utf8 = path.utf8
        if let last = utf8.last, last != separatorByte {
            guard let cut = utf8.lastIndex(of: separatorByte) else { return path }
            return String(path[utf8.index(after: cut)...])
        }
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.last == "/" { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// The lower-cased extension of the last component without its dot (`m.JSON` -> `json`),
    /// or `` when there is none (a leading dot alone does not start an extension).
    public static func fileExtension(of path: String) -> String {
        let name = lastComponent(of: path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }

    /// `base/relative`, or `base` when `relative` is empty.
    public static func join(_ base: String, _ relative: String) -> String {
        if relative.isEmpty { return base }
        if base.isEmpty { return relative }
        return base.hasSuffix("/") ? base + relative : base + "/" + relative
    }

    /// Whether a path segment is `.git` in any letter case (case-insensitive filesystems
    /// and Git itself treat `.GIT` as the repository folder).
    public static func isGitFolderName<S: StringProtocol>(_ segment: S) -> Bool {
        segment.utf8.count == 4 && segment.lowercased() == ".git"
    }
}
