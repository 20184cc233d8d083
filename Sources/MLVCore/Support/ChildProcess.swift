import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a stage's command line through `/bin/sh -c`, with the terminal's stdin, stdout and
/// stderr, and waits for it.
enum ChildProcess {
    /// The exit code, or 128 + the signal number when the command was killed by a signal.
    static func runShell(_ command: String, in directory: String, environment extra: [String: String]) throws -> Int32 {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        _ = LinuxCalls.spawnAddChdir(&fileActions, directory)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child gets default signal handling even though mlv ignores Ctrl-C while it waits.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGQUIT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        environment["PWD"] = directory
        let arguments = ["/bin/sh", "-c", command]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        // Like system(3): Ctrl-C goes to the command (same process group); mlv waits for it
        // to end and then cleans up instead of dying with the stage half-done.
        let previousInt = signal(SIGINT, SIG_IGN)
        let previousQuit = signal(SIGQUIT, SIG_IGN)
        defer {
            signal(SIGINT, previousInt)
            signal(SIGQUIT, previousQuit)
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &fileActions, &attributes, argv, envp)
        guard rc == 0 else { throw WorkspaceError.io(path: "/bin/sh", operation: "start", errno: rc) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw WorkspaceError.io(path: "stage command", operation: "wait for", errno: errno) }
        }
        let signalNumber = status & 0x7f
        return signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber
    }
}
