import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Unique suffixes `PID-N` for temporary files. The process id keeps processes apart (and
/// lets a later run tell a dead process's leftovers); N counts up from a random start, so a
/// new name costs neither a `getpid` nor a `getrandom` call, and a reused process id is
/// unlikely to meet an old leftover (`O_EXCL` would refuse it anyway).
enum TemporaryName {
    static let processID = getpid()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter = UInt64.random(in: 0...(UInt64.max >> 1))

    /// Whether `suffix` is a `PID-N` this module made for a process that no longer runs (so
    /// what it names was left by a killed mlv and may be removed). Not this process's own.
    static func ownerIsGone<S: StringProtocol>(_ suffix: S) -> Bool {
        let parts = suffix.split(separator: "-")
        guard parts.count == 2, let pid = Int32(parts[0]), UInt64(parts[1]) != nil, pid != processID else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// `PID-N`, never the same twice in this process.
    static func suffix() -> String {
        let n = lock.withLock { () -> UInt64 in counter &+= 1; return counter }
        return "\(processID)-\(n)"
    }
}
