import Foundation

/// What the core reads from outside the repository: environment variables and the clock.
/// Passed in with the project (the process's own by default), so tests and embedders can set
/// either without touching the process.
public struct Environment: Sendable {
    public var variables: [String: String]
    public var now: @Sendable () -> Date

    public init(variables: [String: String], now: @escaping @Sendable () -> Date = { Date() }) {
        self.variables = variables
        self.now = now
    }

    /// The running process's environment and the system clock.
    public static var process: Environment { Environment(variables: ProcessInfo.processInfo.environment) }

    public subscript(_ name: String) -> String? { variables[name] }
}
