import ArgumentParser
import MLVCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Set up mlv in the current Git work tree.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try runReportingErrors {
            let result = try initialize(at: currentDirectory)
            guard !global.quiet else { return }
            if result.created.isEmpty {
                print("mlv is already initialized in \(result.root); nothing to do.")
            } else {
                print("Initialized mlv in \(result.root)")
                for path in result.created { print("  created \(path)") }
                print("Next: `mlv add PATH` to track data, then `git commit`.")
            }
        }
    }
}
