import ArgumentParser
import MLVCore

/// The `mlv` command and its subcommands.
public struct MLVCommand: ParsableCommand {
    public static let version = MLVVersion.current

    public static let configuration = CommandConfiguration(
        commandName: "mlv",
        abstract: "Version datasets and model weights beside your Git repository.",
        discussion: """
        Exit codes: 0 success; 1 differences or problems found (status --exit-code, fsck, \
        a checkout that could not materialize everything); 2 the command failed (bad input, \
        refused path, lock held); 64 bad usage.
        """,
        version: version,
        subcommands: [
            InitCommand.self, AddCommand.self, StatusCommand.self, CheckoutCommand.self,
            DiffCommand.self, GCCommand.self, FsckCommand.self, RemoteCommand.self, PushCommand.self,
            FetchCommand.self, PullCommand.self, TrainCommand.self, EvalCommand.self, LineageCommand.self,
            MetricsCommand.self, ParamsCommand.self, ExpCommand.self, EvaluateCommand.self, PlotsCommand.self, UICommand.self, ModelCommand.self, GetCommand.self, ImportCommand.self, UpdateCommand.self, ListCommand.self, GateCommand.self, HooksCommand.self, HookCommand.self, CompletionCommand.self,
        ]
    )

    public init() {}
}

/// Prints a shell completion script (`mlv completion bash > /etc/bash_completion.d/mlv`).
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion", abstract: "Print a completion script for bash, zsh or fish.")

    @Argument(help: "bash, zsh or fish.")
    var shell: String

    func validate() throws {
        guard CompletionShell(rawValue: shell) != nil else { throw ValidationError("unknown shell `\(shell)`; use bash, zsh or fish") }
    }

    func run() throws {
        print(MLVCommand.completionScript(for: CompletionShell(rawValue: shell)!))
    }
}
