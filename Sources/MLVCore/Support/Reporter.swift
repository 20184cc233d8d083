/// Where the core sends progress and warnings; the CLI decides how (or whether) to show them.
public protocol Reporter: Sendable {
    /// A unit of work advanced: `done` of `total` items (files or bytes) in `phase`.
    func progress(phase: String, done: Int64, total: Int64)
    /// Something the user should know that is not an error.
    func warning(_ message: String)
}

/// A reporter that drops everything (tests, quiet mode).
public struct SilentReporter: Reporter {
    public init() {}
    public func progress(phase: String, done: Int64, total: Int64) {}
    public func warning(_ message: String) {}
}
