import ArgumentParser
import Foundation
import MLVCore

/// Flags every command takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print more detail.")
    var verbose = false
}

/// Documented exit codes.
enum ExitStatus {
    /// Differences or problems were found (`status --exit-code`, `fsck`, a partial `checkout`).
    static let differences = ExitCode(1)
    /// The command could not do what was asked: bad input, a refused path, a lock held too long.
    static let failure = ExitCode(2)
}

/// Runs a command body, finishing the progress bar whatever happens; errors go on to
/// `MLVCommand.main`, which prints one `mlv: error:` line and exits 2.
func runReportingErrors(_ progress: ProgressBar? = nil, _ body: () throws -> Void) throws {
    defer { progress?.finish() }
    try body()
}

/// Opens the project around the current directory.
func openProject(_ progress: ProgressBar) throws -> Project {
    try Project.open(from: FileManager.default.currentDirectoryPath, reporter: progress)
}

var currentDirectory: String { FileManager.default.currentDirectoryPath }
