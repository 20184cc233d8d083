import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A filesystem that ran out of room while mlv wrote to it, named by where it is mounted,
/// with what the command needed and what is free. Whatever was half-written has been removed.
public struct NoSpaceError: UserFacingError, Equatable {
    public let command: String
    public let path: String
    public let mountPoint: String
    public let needed: Int64?
    public let available: Int64

    public var description: String {
        let need = needed.map { "`mlv \(command)` needs up to \(DiskSpace.describe($0)) there, " } ?? ""
        return "no space left on the filesystem mounted at \(mountPoint) (writing \(path)): \(need)\(DiskSpace.describe(available)) is free. Nothing half-written was kept and earlier data is intact; free some space, then run `mlv \(command)` again."
    }
}

/// Where a path's filesystem is mounted and how much room it has.
public enum DiskSpace {
    /// Runs `body`; a write that fails for want of space (ENOSPC, EDQUOT) becomes a
    /// `NoSpaceError` naming the filesystem, with `needed()` as the command's estimate.
    public static func reporting<T>(_ command: String, needed: () -> Int64?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FileError where error.errno == ENOSPC || error.errno == EDQUOT {
            throw NoSpaceError(command: command, path: error.path, mountPoint: mountPoint(of: error.path), needed: needed(), available: available(at: error.path))
        }
    }

    /// The mount point holding `path` (or its nearest existing ancestor): the highest folder
    /// on the same device.
    public static func mountPoint(of path: String) -> String {
        var current = existingAncestor(of: path)
        var st = stat()
        guard stat(current, &st) == 0 else { return "/" }
        let device = st.st_dev
        while current != "/" && !current.isEmpty {
            let parent = PathName.parent(of: current)
            var up = stat()
            guard stat(parent.isEmpty ? "/" : parent, &up) == 0, up.st_dev == device else { break }
            current = parent.isEmpty ? "/" : parent
        }
        return current.isEmpty ? "/" : current
    }

    /// `path`, or its nearest ancestor that exists (a failed write may not have made it).
    private static func existingAncestor(of path: String) -> String {
        var current = path
        while FileSystem.statFile(current) == nil, !current.isEmpty, current != "/" { current = PathName.parent(of: current) }
        return current.isEmpty ? "/" : current
    }

    /// Bytes an unprivileged writer may still use on the filesystem holding `path`.
    public static func available(at path: String) -> Int64 {
        var info = statvfs()
        guard statvfs(existingAncestor(of: path), &info) == 0 else { return 0 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Total size of the regular files at and under `paths` (absolute), without following links.
    public static func size(of paths: [String]) -> Int64 {
        var total: Int64 = 0
        var pending = paths
        while let path = pending.popLast() {
            guard let st = FileSystem.lstatFile(path) else { continue }
            if st.kind == .file { total += st.size }
            if st.kind == .directory { pending += ((try? FileSystem.listDirectory(path)) ?? []).map { path + "/" + $0 } }
        }
        return total
    }

    /// 20 B, 1.5 KiB, 20.0 MiB, … (binary units, as `du -h`): how mlv writes sizes everywhere.
    public static func describe(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
