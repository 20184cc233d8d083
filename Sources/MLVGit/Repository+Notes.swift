import CGit2

extension Repository {
    /// The note attached to `commit` in the notes commit `notesCommit`, or nil
    /// (`git_note_commit_read`): for reading many notes without resolving the notes ref each time.
    public func readNote(on commit: GitObjectID, notesCommit: GitObjectID) throws -> String? {
        var notesOID = notesCommit.raw, oid = commit.raw
        var notes: OpaquePointer?
        try check(git_commit_lookup(&notes, pointer, &notesOID), "look up notes commit \(notesCommit.short)")
        defer { git_commit_free(notes) }
        var note: OpaquePointer?
        let rc = try git_note_commit_read(&note, pointer, notes, &oid)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "read note on \(commit.short)")
        defer { git_note_free(note) }
        return git_note_message(note).map { String(cString: $0) }
    }

    /// The note attached to `commit` under `notesRef`, or nil (`git_note_read`).
    public func readNote(on commit: GitObjectID, notesRef: String) throws -> String? {
        var oid = commit.raw
        var note: OpaquePointer?
        let rc = try git_note_read(&note, pointer, notesRef, &oid)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "read note on \(commit.short)")
        defer { git_note_free(note) }
        return git_note_message(note).map { String(cString: $0) }
    }

    /// Attaches `message` to `commit` under `notesRef` (`git_note_create`); an existing note is
    /// replaced only when `force` is set, otherwise a `GitError` with `isExists` is thrown.
    public func writeNote(_ message: String, on commit: GitObjectID, notesRef: String, force: Bool = false) throws {
        var target = commit.raw
        var noteOID = git_oid()
        let signature = try defaultSignature()
        defer { git_signature_free(signature) }
        try check(git_note_create(&noteOID, pointer, notesRef, signature, signature, &target, message, force ? 1 : 0),
                  "write note on \(commit.short)")
    }
}
