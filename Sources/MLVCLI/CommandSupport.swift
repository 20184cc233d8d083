import ArgumentParser
import Foundation
import MLVCore
import MLVGit

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

/// Runs a command body, turning mlv's and libgit2's errors into a message on stderr and
/// exit code 2, without a stack trace.
func runReportingErrors(_ progress: ProgressBar? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
        progress?.finish()
    } catch let error as ExitCode {
        progress?.finish()
        throw error
    } catch let error as UserFacingError {
        progress?.finish()
        Terminal.error(error.description)
        throw ExitStatus.failure
    } catch let error as GitError {
        progress?.finish()
        Terminal.error(error.description)
        throw ExitStatus.failure
    }
}

/// Opens the project around the current directory.
func openProject(_ progress: ProgressBar) throws -> Project {
    try Project.open(from: FileManager.default.currentDirectoryPath, reporter: progress)
}

var currentDirectory: String { FileManager.default.currentDirectoryPath }
