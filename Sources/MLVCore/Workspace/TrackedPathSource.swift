/// Where tracked paths come from besides pointer files: another layer (the pipeline, for its
/// stage outputs) keeps them in a committed file of its own and says how to read it.
/// Workspace asks each source for its paths in the work tree and at any commit, and never
/// parses those files itself.
public protocol TrackedPathSource: Sendable {
    /// The repository-relative file the source reads (`mlv.lock`).
    var fileName: String { get }
    /// The most bytes such a file may have; a larger one is refused, not read.
    var maximumSize: Int { get }
    /// The tracked paths `bytes` (that file's content) records; `revision` names the commit
    /// it was read from (nil: the work tree). Malformed content is an error naming the file.
    func trackedPaths(in bytes: [UInt8], revision: String?) throws -> [TrackedPath]
}
