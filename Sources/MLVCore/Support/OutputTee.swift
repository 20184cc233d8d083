import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends this process's stdout and stderr (and so a stage command's, which inherits them) into
/// a log file, and also to the original stdout when `echo` is set, until `finish`. Used by an
/// experiment worker, a process of its own, so moving its descriptors affects nothing else.
final class OutputTee {
    private let savedOut: Int32
    private let savedError: Int32
    private let readEnd: Int32
    private let log: Int32
    private let done = DispatchSemaphore(value: 0)

    init(logPath: String, echo: Bool) throws {
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw FileError(path: logPath, operation: "open", errno: errno) }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { close(log); throw FileError(path: logPath, operation: "make a pipe for", errno: errno) }
        fflush(stdout)
        fflush(stderr)
        savedOut = dup(STDOUT_FILENO)
        savedError = dup(STDERR_FILENO)
        dup2(ends[1], STDOUT_FILENO)
        dup2(ends[1], STDERR_FILENO)
        close(ends[1])
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        readEnd = ends[0]
        self.log = log
        let echoTo = echo ? savedOut : -1
        let readEnd = ends[0]
        Thread.detachNewThread { [done] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                buffer.withUnsafeBytes { raw in
                    _ = try? FileSystem.writeAll(log, UnsafeRawBufferPointer(rebasing: raw[0..<count]), path: logPath)
                    if echoTo >= 0 { _ = try? FileSystem.writeAll(echoTo, UnsafeRawBufferPointer(rebasing: raw[0..<count]), path: "stdout") }
                }
            }
            done.signal()
        }
    }

    /// Puts stdout and stderr back and waits (briefly: a background process the stage left
    /// behind may hold the pipe open) for the log to be written.
    func finish() {
        fflush(stdout)
        fflush(stderr)
        dup2(savedOut, STDOUT_FILENO)
        dup2(savedError, STDERR_FILENO)
        close(savedOut)
        close(savedError)
        _ = done.wait(timeout: .now() + 2)
        close(readEnd)
        close(log)
    }
}
