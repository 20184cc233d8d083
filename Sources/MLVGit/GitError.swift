import CGit2

/// A libgit2 failure: the operation mlv attempted, libgit2's error code and its message.
public struct GitError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The libgit2 return code (`GIT_ENOTFOUND` is -3, `GIT_EEXISTS` -4, ...).
    public let code: Int32
    /// What mlv was doing, e.g. "open repository".
    public let operation: String
    /// libgit2's own message, kept verbatim.
    public let message: String

    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
    public var isExists: Bool { code == GIT_EEXISTS.rawValue }

    public var description: String { "git: \(operation) failed: \(message)" }

    /// Builds the error from libgit2's thread-local last error; call on the failing thread.
    static func last(_ code: Int32, _ operation: String) -> GitError {
        var message = "libgit2 error \(code)"
        if let err = git_error_last(), let text = err.pointee.message {
            message = String(cString: text)
        }
        return GitError(code: code, operation: operation, message: message)
    }
}

/// Runs a libgit2 call and throws a `GitError` when it returns a negative code.
@discardableResult
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    if code < 0 { throw GitError.last(code, operation()) }
    return code
}
