import CGit2

extension Repository {
    /// Commits reachable from `start` but from none of `hidden`, newest first (`git_revwalk_hide`).
    /// Hidden ids this repository does not have are ignored.
    public func history(from start: GitObjectID, hiding hidden: [GitObjectID]) throws -> [GitObjectID] {
        try walk(limit: nil) { walker in
            var oid = start.raw
            try check(git_revwalk_push(walker, &oid), "walk history from \(start.short)")
            for id in hidden where hasCommit(id) {
                var hide = id.raw
                try check(git_revwalk_hide(walker, &hide), "hide \(id.short) from the walk")
            }
        }
    }

    /// Whether this repository holds `id` as a commit.
    public func hasCommit(_ id: GitObjectID) -> Bool {
        var oid = id.raw
        var commit: OpaquePointer?
        guard let pointer = try? pointer, git_commit_lookup(&commit, pointer, &oid) == 0 else { return false }
        git_commit_free(commit)
        return true
    }

    /// The best common ancestor of two commits, or nil when they share none (`git_merge_base`).
    public func mergeBase(_ a: GitObjectID, _ b: GitObjectID) throws -> GitObjectID? {
        var result = git_oid()
        var first = a.raw, second = b.raw
        let rc = try git_merge_base(&result, pointer, &first, &second)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "find the merge base of \(a.short) and \(b.short)")
        return GitObjectID(result)
    }

    /// The commit a reference (symbolic or direct) leads to, or nil when it does not exist
    /// (`git_reference_lookup`, `git_reference_peel`).
    public func commit(ofReference name: String) throws -> GitObjectID? {
        var ref: OpaquePointer?
        let rc = try git_reference_lookup(&ref, pointer, name)
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue { return nil }
        try check(rc, "look up \(name)")
        defer { git_reference_free(ref) }
        var peeled: OpaquePointer?
        guard git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0 else { return nil }
        defer { git_object_free(peeled) }
        return GitObjectID(git_object_id(peeled).pointee)
    }
}
