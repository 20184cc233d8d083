import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a stage's command line through `/bin/sh -c`, with the terminal's stdin, stdout and
/// stderr, and waits for it. The stage never outlives the mlv that runs it: it gets its own
/// process group (mlv forwards Ctrl-C, SIGTERM and hang-ups to the whole group), led by a
/// watcher that kills the group when mlv is gone, so a `kill -9` of mlv takes the command and
/// everything it started with it instead of leaving them writing outputs after the repository
/// lock is released.
enum ChildProcess {
    /// The exit code, or 128 + the signal number when the command was killed by a signal.
    /// `environment` is the command's whole environment (PWD is set to `directory`).
    static func runShell(_ command: String, in directory: String, environment: [String: String]) throws -> Int32 {
        var environment = environment
        environment["PWD"] = directory
        // Everything the child touches is made before fork: after it, only system calls.
        let words: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        guard let cDirectory = strdup(directory) else { throw FileError(path: directory, operation: "enter", errno: ENOMEM) }
        defer { (argv + envp).forEach { free($0) }; free(cDirectory) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        let parent = getpid()
        let forwarded = [SIGINT, SIGQUIT, SIGTERM, SIGHUP]
        let terminal = isatty(STDIN_FILENO) == 1 && tcgetpgrp(STDIN_FILENO) == getpgrp()

        StageSignals.target = 0
        let previous = forwarded.map { signal($0, StageSignals.forward) }
        let previousTTOU = signal(SIGTTOU, SIG_IGN)
        defer {
            for (signalNumber, handler) in zip(forwarded, previous) { signal(signalNumber, handler) }
            signal(SIGTTOU, previousTTOU)
        }
        let pid = fork()
        if pid == 0 {
            // The group's leader is a small watcher (still only system calls): it runs the
            // command as its child and, should mlv vanish (kill -9), kills the whole group, so
            // nothing the command started keeps writing. It ignores the signals mlv forwards.
            setpgid(0, 0)
            for signalNumber in forwarded { signal(signalNumber, SIG_IGN) }
            if getppid() != parent { _exit(128 + SIGKILL) }
            let command = fork()
            if command == 0 {
                for signalNumber in forwarded + [SIGPIPE, SIGTTOU] { signal(signalNumber, SIG_DFL) }
                sigprocmask(SIG_SETMASK, &emptyMask, nil)
                _ = LinuxCalls.prctl(LinuxCalls.setParentDeathSignal, UInt(SIGKILL), 0, 0, 0)
                if chdir(cDirectory) != 0 { _exit(127) }
                execve("/bin/sh", argv, envp)
                _exit(127)
            }
            if command < 0 { _exit(127) }
            var status: Int32 = 0
            var pause = timespec(tv_sec: 0, tv_nsec: 50_000_000)
            while true {
                let done = waitpid(command, &status, WNOHANG)
                if done == command { break }
                if done < 0 && errno != EINTR { _exit(127) }
                if getppid() != parent { kill(0, SIGKILL) }
                nanosleep(&pause, nil)
            }
            let signalNumber = status & 0x7f
            _exit(signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber)
        }
        guard pid > 0 else { throw FileError(path: "/bin/sh", operation: "start", errno: errno) }
        setpgid(pid, pid)
        StageSignals.target = pid
        // On a terminal the stage's group becomes the foreground one, so it can read the
        // keyboard and gets Ctrl-C directly; mlv takes the terminal back when it ends.
        if terminal { tcsetpgrp(STDIN_FILENO, pid) }
        defer {
            if terminal { tcsetpgrp(STDIN_FILENO, getpgrp()) }
            StageSignals.target = 0
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw FileError(path: "stage command", operation: "wait for", errno: errno) }
        }
        let signalNumber = status & 0x7f
        return signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber
    }
}

/// A program run beside mlv (a user's chained hook, `git`): started at once on another thread
/// (starting a process takes tens of milliseconds, which a pull overlaps with its transfers),
/// fed `input` on stdin or none, its output captured or left on the terminal. `finish` waits.
/// With `ChildProcess.runShell` (stages), this is the only way mlv starts other programs.
public final class RunningProgram: @unchecked Sendable {
    private let process = Process()
    private let outputPipe = Pipe()
    private var output = Data()
    private let done = DispatchGroup()
    private var startFailure: String?

    init(_ executable: String, _ arguments: [String], in directory: String, input: Data?, captureOutput: Bool) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        if captureOutput {
            process.standardOutput = outputPipe
            process.standardError = outputPipe
        }
        done.enter()
        DispatchQueue.global().async { [self] in
            defer { done.leave() }
            do { try process.run() } catch { startFailure = "\(executable) could not be started: \(error)"; return }
            if let inputPipe, let input {
                // A program that exits without reading its input must not take mlv down with SIGPIPE.
                let previous = signal(SIGPIPE, SIG_IGN)
                try? inputPipe.fileHandleForWriting.write(contentsOf: input)
                try? inputPipe.fileHandleForWriting.close()
                signal(SIGPIPE, previous)
            }
            if captureOutput { output = outputPipe.fileHandleForReading.readDataToEndOfFile() }
            process.waitUntilExit()
        }
    }

    /// Waits for the program: its exit status (127 when it could not start) and what it
    /// printed (when captured; the start failure otherwise).
    public func finish() -> (status: Int32, output: String) {
        done.wait()
        if let startFailure { return (127, startFailure) }
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

/// The process group mlv hands its signals to while a stage runs.
enum StageSignals {
    nonisolated(unsafe) static var target: pid_t = 0

    /// A signal handler: sends the signal on to the stage's group (only `kill`, which is safe
    /// in a handler); mlv itself keeps waiting, then puts the outputs back.
    static let forward: @convention(c) (Int32) -> Void = { signalNumber in
        let group = StageSignals.target
        if group > 0 { kill(-group, signalNumber) }
    }
}
