import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Tracked paths an mlv process is about to let something else write (a stage writing its
/// outputs), recorded under `.mlv/state/writing/` with the process id. When that process dies
/// mid-way (killed with its stage, a terminal hang-up), what is left at those paths is a
/// half-written file, not a user's unsaved work: checkout may replace it with the version the
/// pointers name. A record is removed when the write ends, or once checkout has restored it.
public struct InterruptedWrites {
    let folder: String

    public init(project: Project) { folder = project.mlvDirectory + "/state/writing" }

    /// Records that this process is about to have `paths` written; returns the record's file.
    public func begin(_ paths: [String]) throws -> String {
        try FileSystem.createDirectory(folder)
        let file = "\(folder)/\(TemporaryName.suffix())"
        try FileSystem.writeAtomically(Array(paths.joined(separator: "\n").utf8) + [10], to: file)
        return file
    }

    /// The write ended (done, or undone): forget it.
    public func end(_ file: String) { unlink(file) }

    /// Records left by processes that no longer run, with the paths each names.
    public func abandoned() -> [(file: String, paths: [String])] {
        guard let names = try? FileSystem.listDirectory(folder) else { return [] }
        var result: [(String, [String])] = []
        for name in names.sorted() where TemporaryName.ownerIsGone(name) {
            guard let bytes = try? FileSystem.readFile("\(folder)/\(name)", limit: 1 << 20) else { continue }
            let paths = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
                .filter { RelativePath.trackedPathProblem($0) == nil }
            result.append(("\(folder)/\(name)", paths))
        }
        return result
    }

    /// Whether `path` lies at or under a path an abandoned record names.
    static func covers(_ paths: Set<String>, _ path: String) -> Bool {
        var current = path
        while !current.isEmpty {
            if paths.contains(current) { return true }
            current = PathName.parent(of: current)
        }
        return false
    }
}
