import ArgumentParser
import Foundation
import MLVCore

struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks", abstract: "Install, remove or list mlv's Git hooks.",
        subcommands: [HooksInstallCommand.self, HooksUninstallCommand.self, HooksStatusCommand.self])
}

func describe(_ state: HookState) -> [String] {
    let what: String
    switch state.kind {
    case .installed: what = "installed"
    case .absent: what = "not installed"
    case .foreign: what = "another program's hook (not mlv's)"
    }
    return [state.name, what + (state.chained ? "; runs your earlier hook first" : ""), state.path]
}

struct HooksInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Install pre-push, post-checkout and post-merge (and post-commit with --evaluate).",
        discussion: """
        Hooks go where Git looks for them (core.hooksPath is honoured). A hook already there that \
        is not mlv's is kept as NAME.mlv-chained and run first, with the same arguments and input. \
        `git push --no-verify` skips the pre-push hook, as it skips every hook.
        """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Rewrite mlv's hook scripts even when they are current.") var force = false
    @Flag(help: "Also install post-commit: evaluate stale metrics after each commit and record them as a note.") var evaluate = false

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            let states = try HookInstaller(project: project).install(evaluate: evaluate, force: force)
            if !global.quiet { print(Terminal.table(states.map(describe))) }
        }
    }
}

struct HooksUninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Remove mlv's hooks and put back the ones they chained.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try runReportingErrors {
            let states = try HookInstaller(project: try Project.open(from: currentDirectory)).uninstall()
            if !global.quiet { print(Terminal.table(states.map(describe))) }
        }
    }
}

struct HooksStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "List which hooks are installed.")

    func run() throws {
        try runReportingErrors {
            print(Terminal.table(try HookInstaller(project: try Project.open(from: currentDirectory)).status().map(describe)))
        }
    }
}

/// What the installed hook scripts call: `mlv hook NAME ARGS...`.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Run mlv's part of a Git hook (called by the scripts `mlv hooks install` writes).",
        shouldDisplay: false)

    @Argument(help: "pre-push, post-checkout, post-merge or post-commit.") var name: String
    @Argument(parsing: .captureForPassthrough, help: "The arguments Git gave the hook.") var arguments: [String] = []
    @Flag(help: "pre-push: let gates that need a baseline pass when there is none.") var allowMissingBaseline = false

    func run() throws {
        let input = name == "pre-push" ? FileHandle.standardInput.readDataToEndOfFile() : Data()
        var code: Int32 = 0
        // The same progress bar as `mlv push` (on a terminal, after a second of work).
        let progress = ProgressBar(quiet: false)
        try runReportingErrors(progress) {
            guard HookScripts.all.contains(name) else { throw HookError.unknownHook(name) }
            let project = try openProject(progress)
            let runner = HookRunner(project: project)
            let chained = try runner.runChained(name, arguments: arguments, input: input)
            if chained != 0 {
                if name == "pre-push" { throw HookError.chainedHookFailed(name: name, code: chained) }
                Terminal.warn(HookError.chainedHookFailed(name: name, code: chained).description)
            }
            switch name {
            case "pre-push":
                code = try prePush(runner, input: input, project: project, progress: progress)
            case "post-checkout":
                report(try runner.postCheckout(arguments: arguments))
            case "post-merge":
                report(try runner.postMerge())
            default:
                let (note, warnings) = try runner.evaluateCommit(observer: StagePrinter(quiet: false))
                warnings.forEach(Terminal.warn)
                if note != nil, let head = try project.git.headCommit() {
                    print("mlv: recorded the evaluation's metrics as a note on \(head.short) (refs/notes/mlv).")
                }
            }
        }
        if code != 0 { throw ExitCode(code) }
    }

    private func report(_ outcome: (results: [CheckedOutPath], warnings: [String])) {
        let written = outcome.results.reduce(0) { $0 + $1.written }
        if written > 0 { print("mlv: checked out \(written) file(s) of tracked data.") }
        outcome.warnings.forEach(Terminal.warn)
    }

    private func prePush(_ runner: HookRunner, input: Data, project: Project, progress: ProgressBar) throws -> Int32 {
        let report = try runner.prePush(arguments: arguments, input: String(decoding: input, as: UTF8.self),
                                        allowMissingBaseline: allowMissingBaseline)
        progress.finish()
        if let upload = report.upload {
            // The same summary as `mlv push` (Git shows a hook's output on the terminal).
            _ = try render(upload, verb: "Pushed", json: false, quiet: false)
        }
        report.warnings.forEach(Terminal.warn)
        for (_, gates) in report.gates where !gates.results.isEmpty {
            FileHandle.standardError.write(Data((Terminal.safe(renderGates(gates)) + "\n").utf8))
        }
        guard report.passed else {
            Terminal.error("a gate failed, so the push was refused. Fix the regression, or (deliberately) push with --no-verify.")
            return 1
        }
        return 0
    }
}
