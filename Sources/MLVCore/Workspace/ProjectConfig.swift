import MLVGit

/// How workspace files are made from cache objects.
public enum LinkMode: String, CaseIterable, Sendable {
    /// Reflink (copy-on-write clone) where the filesystem supports it, else copy. The default.
    case auto
    /// Reflink only; fails where the filesystem cannot clone.
    case reflink
    /// An independent copy.
    case copy
    /// A hard link to the read-only cache object (saves space; edit only after `mlv unprotect`-style copy).
    case hardlink
    /// A symbolic link to the read-only cache object.
    case symlink
}

/// The committed `.mlvconfig` (git-config format) plus the uncommitted `.mlv/config`, which wins.
public struct ProjectConfig: Sendable {
    public var cacheDirectory: String?
    public var linkMode: LinkMode = .auto

    static let keys = ["core.cache", "core.linkmode"]

    /// Reads both files; a malformed file or value is a clear error naming it.
    static func load(committed: String, local: String) throws -> ProjectConfig {
        var config = ProjectConfig()
        for file in [committed, local] where FileSystem.exists(file) {
            let parsed: GitConfig
            do { parsed = try GitConfig.open(file: file) } catch let error as GitError {
                throw ConfigError(file: file, reason: error.message)
            }
            if let cache = try parsed.string("core.cache") {
                // Where private data goes is this machine's choice: a cloned repository must
                // not send the cache (and what is pulled into it) somewhere else.
                guard file == local else {
                    throw ConfigError(file: file, reason: "core.cache may only be set in .mlv/config (this machine's settings), not in the committed .mlvconfig; remove it there")
                }
                config.cacheDirectory = cache
            }
            if let mode = try parsed.string("core.linkMode") {
                guard let value = LinkMode(rawValue: mode) else {
                    throw ConfigError(file: file, reason: "core.linkMode is `\(mode)`; expected one of \(LinkMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                config.linkMode = value
            }
        }
        return config
    }
}

/// A configuration file that cannot be used.
public struct ConfigError: UserFacingError, Equatable {
    public let file: String
    public let reason: String
    public var description: String { "config \(file): \(reason)." }
}
