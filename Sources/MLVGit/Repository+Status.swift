import CGit2

extension Repository {
    /// Stages what is under each pathspec as `git add` would: new and changed files that are
    /// not ignored are added, deleted ones removed (`git_index_add_all`, `git_index_update_all`).
    public func stageAll(_ pathspecs: [String]) throws {
        guard !pathspecs.isEmpty else { return }
        try withIndex { index in
            try withStrArray(pathspecs) { specs in
                try check(git_index_add_all(index, &specs, 0, nil, nil), "stage \(pathspecs.joined(separator: ", "))")
                try check(git_index_update_all(index, &specs, nil, nil), "stage removals under \(pathspecs.joined(separator: ", "))")
            }
            try check(git_index_write(index), "write the index")
        }
    }

    /// Whether any file under `pathspecs` that Git tracks differs between HEAD, the index and
    /// the work tree (`git_status_list_new`; untracked files do not count).
    public func hasUncommittedChanges(in pathspecs: [String]) throws -> Bool {
        guard !pathspecs.isEmpty else { return false }
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "initialise status options")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        return try withStrArray(pathspecs) { specs in
            options.pathspec = specs
            var list: OpaquePointer?
            try check(git_status_list_new(&list, pointer, &options), "read the status of \(pathspecs.joined(separator: ", "))")
            defer { git_status_list_free(list) }
            return git_status_list_entrycount(list) > 0
        }
    }
}

extension Repository {
    /// Paths whose index entry differs from HEAD (what `git commit` would record), sorted.
    public func stagedPaths() throws -> [String] {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "initialise status options")
        options.show = GIT_STATUS_SHOW_INDEX_ONLY
        options.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, pointer, &options), "read the index status")
        defer { git_status_list_free(list) }
        var paths: [String] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index), let delta = entry.pointee.head_to_index else { continue }
            let file = delta.pointee.new_file.path ?? delta.pointee.old_file.path
            if let file { paths.append(String(cString: file)) }
        }
        return paths.sorted()
    }
}

extension Repository {
    /// Paths Git tracks whose index or work-tree version differs from HEAD (modified, added to
    /// the index, deleted, renamed: both names), sorted; untracked files are not listed.
    public func changedTrackedPaths() throws -> [String] {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "initialise status options")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, pointer, &options), "read the status")
        defer { git_status_list_free(list) }
        var paths = Set<String>()
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index) else { continue }
            for delta in [entry.pointee.head_to_index, entry.pointee.index_to_workdir] {
                guard let delta else { continue }
                if let path = delta.pointee.old_file.path { paths.insert(String(cString: path)) }
                if let path = delta.pointee.new_file.path { paths.insert(String(cString: path)) }
            }
        }
        return paths.sorted()
    }
}
