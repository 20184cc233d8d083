import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An experiment mlv was asked to run: queued, running, failed, or done (then its commit is
/// under `refs/mlv/exps/`). Kept in `.mlv/exps/entries/<id>/entry.json` with the run's log.
public struct ExperimentEntry: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case queued, running, done, failed
        /// Shown for an entry whose worker died (SIGKILL, restart): `queue start` runs it again.
        case interrupted
    }

    public let id: String
    public let name: String
    /// The commit the experiment starts from (hex).
    public let baseline: String
    /// A commit holding the work tree as it was when the experiment was asked for (hex).
    public let snapshot: String
    public let assignments: [ParamAssignment]
    public let stages: [String]
    public let message: String?
    /// Made with `--queue` (run by `exp queue start`) rather than run at once.
    public var queued: Bool
    public var state: State
    public let created: String
    public var started: String?
    public var finished: String?
    public var exitCode: Int32?
    public var error: String?
    /// The experiment commit, once done (hex).
    public var commit: String?
    public var workerPID: Int32?

    enum CodingKeys: String, CodingKey {
        case id, name, baseline, snapshot, assignments, stages, message, queued, state, created, started, finished
        case exitCode = "exit_code", error, commit, workerPID = "worker_pid"
    }

    /// The reference the experiment commit lives at.
    public var reference: String { ExperimentRefs.reference(baseline: baseline, name: name) }
    var snapshotReference: String { "refs/mlv/queue/" + id }
}

/// The entries on disk, and the per-entry lock a worker holds while it runs one: a worker that
/// dies (SIGKILL, a restart) drops the lock with its process, so "running but unlocked" means
/// interrupted and any `queue start` may take it up again; a held lock means nobody else will.
public struct ExperimentQueue {
    let project: Project
    var directory: String { project.mlvDirectory + "/exps/entries" }
    var workDirectory: String { project.mlvDirectory + "/exps/work" }
    static let maximumEntrySize = 1 << 20

    public init(project: Project) { self.project = project }

    func folder(_ id: String) -> String { directory + "/" + id }
    public func logPath(_ id: String) -> String { folder(id) + "/log" }

    /// Serializes changes to the set of entries (name checks, creation, removal).
    func lockEntries(command: String) throws -> RepositoryLock {
        try FileSystem.createDirectory(directory)
        return try RepositoryLock(path: project.mlvDirectory + "/exps/entries.lock", command: command, timeout: 60, now: project.environment.now)
    }

    /// Sorts in creation order (`sequence` orders a sweep made in the same second).
    static func newID(now: Date, sequence: Int) -> String {
        second(now) + "-" + String(sequence).leftPadded(to: 4) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(to: 8)
    }

    /// `20261130T101813`: how entry ids start, so other times sort among them.
    static func second(_ date: Date) -> String { UTCTimestamp.compact(date) }

    func save(_ entry: ExperimentEntry) throws {
        try FileSystem.createDirectory(folder(entry.id))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileSystem.writeAtomically(Array(try encoder.encode(entry)), to: folder(entry.id) + "/entry.json")
    }

    func load(_ id: String) throws -> ExperimentEntry {
        let file = folder(id) + "/entry.json"
        let bytes = try FileSystem.readFile(file, limit: Self.maximumEntrySize)
        do {
            let entry = try JSONDecoder().decode(ExperimentEntry.self, from: Data(bytes))
            guard entry.id == id else { throw ExperimentError.unreadableEntry(file, reason: "its id does not match its folder") }
            try ExperimentName.validate(entry.name)
            return entry
        } catch let error as ExperimentError {
            throw error
        } catch {
            throw ExperimentError.unreadableEntry(file, reason: "it is not a valid experiment record")
        }
    }

    /// Every entry, oldest first, with running entries whose worker is gone shown as interrupted.
    public func all() throws -> [ExperimentEntry] {
        guard FileSystem.exists(directory) else { return [] }
        var entries: [ExperimentEntry] = []
        for id in try FileSystem.listDirectory(directory).sorted() where !id.hasSuffix(".lock") && !id.hasPrefix(".") {
            guard FileSystem.exists(folder(id) + "/entry.json") else { continue }
            var entry = try load(id)
            if entry.state == .running && !isHeld(id) { entry.state = .interrupted }
            entries.append(entry)
        }
        return entries
    }

    /// Whether a live process holds the entry's lock.
    func isHeld(_ id: String) -> Bool {
        guard let claim = EntryClaim(path: folder(id) + "/lock") else { return true }
        withExtendedLifetime(claim) {}
        return false
    }

    /// Takes the entry's lock if nobody holds it.
    func claim(_ id: String) -> EntryClaim? { EntryClaim(path: folder(id) + "/lock") }

    /// The newest entry with this name (of HEAD's baseline when several baselines have one).
    public func entry(named name: String) throws -> ExperimentEntry {
        let matches = try all().filter { $0.name == name }
        let head = try project.git.headCommit()?.hex
        guard let found = matches.last(where: { $0.baseline == head }) ?? matches.last else {
            throw ExperimentError.notFound(DisplayText.escaped(name))
        }
        return found
    }

    /// The run's output, as the worker wrote it (empty before it starts).
    public func log(of entry: ExperimentEntry) throws -> [UInt8] {
        let path = logPath(entry.id)
        guard FileSystem.exists(path) else { return [] }
        return try FileSystem.readFile(path)
    }

    /// Puts failed entries (all, or those named) back in the queue for `queue start`.
    public func retry(_ names: [String]) throws -> [ExperimentEntry] {
        let lock = try lockEntries(command: "exp queue retry")
        defer { withExtendedLifetime(lock) {} }
        var retried: [ExperimentEntry] = []
        for var entry in try all() where entry.state == .failed && (names.isEmpty || names.contains(entry.name)) {
            entry.state = .queued
            entry.queued = true
            entry.exitCode = nil
            entry.error = nil
            entry.finished = nil
            try save(entry)
            retried.append(entry)
        }
        if retried.isEmpty, let name = names.first { throw ExperimentError.notFound(DisplayText.escaped(name) + " (failed)") }
        return retried
    }

    /// Removes queued or interrupted entries: those named, or all of them.
    public func removeWaiting(_ names: [String]) throws -> [ExperimentEntry] {
        let lock = try lockEntries(command: "exp queue remove")
        defer { withExtendedLifetime(lock) {} }
        var removed: [ExperimentEntry] = []
        let entries = try all()
        for name in names where !entries.contains(where: { $0.name == name }) { throw ExperimentError.notFound(DisplayText.escaped(name)) }
        for entry in entries where names.isEmpty || names.contains(entry.name) {
            if entry.state == .running {
                if !names.isEmpty { throw ExperimentError.notFinished(entry.name, state: "running") }
                continue
            }
            guard entry.state == .queued || entry.state == .interrupted || !names.isEmpty else { continue }
            try remove(entry)
            removed.append(entry)
        }
        return removed
    }

    func remove(_ entry: ExperimentEntry) throws {
        try? project.git.deleteReference(entry.snapshotReference)
        try FileSystem.removeTree(folder(entry.id), display: ".mlv/exps/entries/" + entry.id)
        try? FileSystem.removeTree(workDirectory + "/" + entry.id, display: ".mlv/exps/work/" + entry.id)
    }
}

/// An exclusive `flock` on an entry's lock file, held until the value is released.
final class EntryClaim {
    private let fd: Int32

    init?(path: String) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
