import Foundation
import MLVGit

/// A commit as results show it: what the CLI and reports need, in mlv's own type (so the
/// command line depends on MLVCore alone, never on libgit2's wrapper).
public struct CommitSummary: Sendable, Equatable {
    /// 40 hex digits.
    public let id: String
    public let summary: String
    public let authorName: String
    public let time: Date

    /// The first 8 hex digits, as mlv shows commit ids.
    public var short: String { String(id.prefix(8)) }

    init(_ info: CommitInfo) {
        id = info.id.hex
        summary = info.summary
        authorName = info.authorName
        time = info.time
    }
}

/// libgit2's errors reach users as mlv's: one sentence with libgit2's own message.
extension GitError: UserFacingError {}
