import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The exclusive lock mlv commands that write take on a repository (`.mlv/lock`, `flock`).
/// A second writer waits up to the timeout, then is told which process holds it.
public final class RepositoryLock {
    private let fd: Int32

    /// Waits for the lock, polling; `timeout` in seconds (`MLV_LOCK_TIMEOUT` overrides the default).
    public init(path: String, command: String, timeout: Double, now: () -> Date = { Date() }) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: path, operation: "open lock", errno: errno) }
        let deadline = now().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let code = errno
                close(fd)
                throw FileError(path: path, operation: "lock", errno: code)
            }
            if now() >= deadline {
                let holder = (try? FileSystem.readFile(path, limit: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                close(fd)
                throw LockError.timedOut(path: path, holder: holder.trimmingCharacters(in: "\n"), waited: timeout)
            }
            usleep(50_000)
        }
        self.fd = fd
        let info = "pid \(getpid()) (mlv \(command)) since \(ISO8601DateFormatter().string(from: now()))\n"
        _ = ftruncate(fd, 0)
        _ = info.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// The repository lock could not be had.
public enum LockError: UserFacingError, Equatable {
    case timedOut(path: String, holder: String, waited: Double)

    public var description: String {
        switch self {
        case .timedOut(let path, let holder, let waited):
            let who = holder.isEmpty ? "another mlv process" : holder
            return "another mlv command is working in this repository: \(who). Waited \(Int(waited)) s for \(path); try again when it finishes (MLV_LOCK_TIMEOUT sets the wait)."
        }
    }
}
