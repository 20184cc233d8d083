import CGit2

/// A git-config-format configuration: a repository's layered one, or a single file on disk.
public final class GitConfig {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_config_free(pointer) }

    /// Opens (creating on first write) one config file (`git_config_open_ondisk`).
    public static func open(file path: String) throws -> GitConfig {
        GitLibrary.ensure()
        var cfg: OpaquePointer?
        try check(git_config_open_ondisk(&cfg, path), "read config file \(path)")
        return GitConfig(pointer: cfg!)
    }

    /// The value of `key` (`section.name` or `section.sub.name`), or nil (`git_config_get_string_buf`).
    public func string(_ key: String) throws -> String? {
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        let rc = git_config_get_string_buf(&buf, pointer, key)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "read config key \(key)")
        return String(cString: buf.ptr)
    }

    /// Sets `key` to `value` in the file (`git_config_set_string`).
    public func set(_ key: String, to value: String) throws {
        try check(git_config_set_string(pointer, key, value), "set config key \(key)")
    }

    /// Removes `key` (`git_config_delete_entry`); a missing key is not an error.
    public func remove(_ key: String) throws {
        let rc = git_config_delete_entry(pointer, key)
        if rc == GIT_ENOTFOUND.rawValue { return }
        try check(rc, "remove config key \(key)")
    }

    /// Every entry, in file order, whose name matches the regular expression `pattern`
    /// (`git_config_iterator_glob_new`); all entries when nil.
    public func entries(matching pattern: String? = nil) throws -> [(name: String, value: String)] {
        var iterator: OpaquePointer?
        if let pattern {
            try check(git_config_iterator_glob_new(&iterator, pointer, pattern), "list config \(pattern)")
        } else {
            try check(git_config_iterator_new(&iterator, pointer), "list config")
        }
        defer { git_config_iterator_free(iterator) }
        var result: [(String, String)] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while true {
            let rc = git_config_next(&entry, iterator)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "list config")
            guard let entry else { continue }
            result.append((String(cString: entry.pointee.name), String(cString: entry.pointee.value)))
        }
        return result
    }
}
