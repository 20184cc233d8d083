import ArgumentParser
import Foundation
import MLVCore

extension MLVCommand {
    /// Parses the arguments and runs the command. Usage mistakes exit 64 with ArgumentParser's
    /// message; any error a command throws exits 2 with one `mlv: error: …` line, whatever
    /// its type (1 is reserved for "differences found").
    public static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch let error as ValidationError {
            exit(withError: error)
        } catch where error is CleanExit || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // `--help` and `help CMD` come back from `run` as ArgumentParser's own errors.
            exit(withError: error)
        } catch {
            Terminal.error(ErrorText.describe(error))
            Foundation.exit(ExitStatus.failure.rawValue)
        }
    }
}

/// The user-facing sentence for any error that reaches the top of a command.
enum ErrorText {
    static func describe(_ error: Error) -> String {
        switch error {
        case let error as UserFacingError: return error.description
        case let error as CocoaError:
            let path = (error.userInfo[NSFilePathErrorKey] as? String).map { " (\($0))" } ?? ""
            return "\(error.localizedDescription)\(path)"
        case let error as NSError where error.domain == NSPOSIXErrorDomain:
            return String(cString: strerror(Int32(error.code)))
        default:
            return "unexpected failure: \(String(describing: error))"
        }
    }
}
