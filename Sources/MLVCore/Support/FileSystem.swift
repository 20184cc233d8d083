import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What mlv needs to know of a file from `lstat`.
public struct FileStat: Equatable, Sendable {
    public enum Kind: Sendable { case file, directory, symlink, other }
    public let kind: Kind
    public let inode: UInt64
    public let size: Int64
    public let mtimeNanoseconds: Int64
    /// Set by the kernel on every change to the file's bytes or metadata; a user cannot set it back.
    public let ctimeNanoseconds: Int64
    public let mode: UInt32

    public var isExecutable: Bool { mode & 0o111 != 0 }

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctimeNanoseconds = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        mode = UInt32(st.st_mode & 0o7777)
    }
}

/// Thin POSIX helpers; every write mlv makes to a user-visible file goes through `writeAtomically`.
public enum FileSystem {
    /// `lstat`, or nil when nothing is at `path`.
    public static func lstatFile(_ path: String) -> FileStat? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileStat(st)
    }

    /// `stat` (following links), or nil.
    public static func statFile(_ path: String) -> FileStat? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileStat(st)
    }

    public static func exists(_ path: String) -> Bool { lstatFile(path) != nil }

    /// Names in a directory (without `.` and `..`), via `readdir`.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw FileError(path: path, operation: "read directory", errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `mkdir -p`; a failure names the folder that could not be made and errno's reason
    /// (no permission, read-only filesystem, no space).
    public static func createDirectory(_ path: String) throws {
        if let st = statFile(path), st.kind == .directory { return }
        var missing: [String] = []
        var current = path
        while !current.isEmpty, current != "/", statFile(current)?.kind != .directory {
            missing.append(current)
            current = PathName.parent(of: current)
        }
        for folder in missing.reversed() {
            if mkdir(folder, 0o755) != 0 && errno != EEXIST {
                throw FileError(path: folder, operation: "create directory", errno: errno)
            }
            if statFile(folder)?.kind != .directory {
                throw FileError(path: folder, operation: "create directory", errno: ENOTDIR)
            }
        }
    }

    /// Refuses `relative` (a folder path under `base`) when one of its existing components is
    /// a symbolic link or not a folder: writes beneath it must stay beneath `base` without
    /// following links. Components that do not exist yet are fine (they will be made).
    public static func checkRealFolders(_ relative: String, under base: String, display: String? = nil) throws {
        guard !relative.isEmpty else { return }
        var current = base
        var shown = display ?? ""
        for component in relative.split(separator: "/") {
            current += "/" + component
            shown = shown.isEmpty ? String(component) : shown + "/" + component
            guard let st = lstatFile(current) else { return }
            switch st.kind {
            case .directory: continue
            case .symlink: throw WorkspaceError.symlinkInPath(path: shown, target: realPath(current) ?? "a missing target")
            case .file, .other: throw FileError(path: shown, operation: "use as a folder", errno: ENOTDIR)
            }
        }
    }

    /// Removes a file, a symbolic link (not its target) or a folder with everything in it;
    /// a failure names the path and errno's reason.
    public static func removeTree(_ path: String, display: String) throws {
        guard let st = lstatFile(path) else { return }
        if st.kind == .directory {
            for name in try listDirectory(path) { try removeTree(path + "/" + name, display: display + "/" + name) }
            guard rmdir(path) == 0 || errno == ENOENT else { throw FileError(path: display, operation: "remove", errno: errno) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw FileError(path: display, operation: "remove", errno: errno) }
        }
    }

    /// `realpath`, or nil when the path does not resolve.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Reads a whole small file (pointers, manifests, config); refuses files over `limit` bytes.
    public static func readFile(_ path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try readSome(fd, into: $0, path: path) }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
            if result.count > limit { throw FileTooLarge(path: path, limit: limit) }
        }
        return result
    }

    /// Raised by `readFile` for a file over its limit.
    public struct FileTooLarge: UserFacingError {
        public let path: String
        public let limit: Int
        public var description: String { "\(path) is larger than \(limit) bytes, more than mlv reads for a file of this kind; refusing it." }
    }

    /// Writes `bytes` to a temporary file beside `path`, fsyncs it, and renames it over `path`,
    /// so readers see either the old or the new content, never a mix.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let directory = PathName.parent(of: path)
        let temp = "\(directory.isEmpty ? "." : directory)/.\(PathName.lastComponent(of: path)).mlv-tmp-\(TemporaryName.suffix())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: temp, operation: "create", errno: errno) }
        do {
            try writeAll(fd, bytes, path: temp)
            guard fsync(fd) == 0 else { throw FileError(path: temp, operation: "fsync", errno: errno) }
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        guard Glibc.rename(temp, path) == 0 else {
            let code = errno
            unlink(temp)
            throw FileError(path: path, operation: "rename into place", errno: code)
        }
    }

    /// Moves `source` to `destination` (same filesystem), replacing a file there.
    public static func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else { throw FileError(path: destination, operation: "rename into place", errno: errno) }
    }

    /// One `read` into `buffer`, retried on EINTR; 0 at end of file.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw FileError(path: path, operation: "read", errno: errno) }
        }
    }

    /// `write` until every byte is written.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in
            try writeAll(fd, raw, path: path)
        }
    }

    /// The most one `write` call is given. On this machine's kernel (6.18, ext4) a GiB written
    /// from a C program in 4 MiB calls spent 0.8-2.4 s copying into the page cache, in 256 KiB
    /// calls a steady 0.3 s; `bench/write_slices.py` (Python) found 1 MiB calls slow and 4 MiB
    /// ones fast. 256 KiB was fast in both.
    static let writeSlice = 256 << 10

    /// With `position`, each `pwrite` goes at that place in the file instead of at its offset.
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, at position: Int64? = nil, path: String) throws {
        var offset = 0
        while offset < raw.count {
            let count = min(raw.count - offset, writeSlice)
            let n = position.map { pwrite(fd, raw.baseAddress! + offset, count, off_t($0) + off_t(offset)) }
                ?? write(fd, raw.baseAddress! + offset, count)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "write", errno: errno)
            }
            offset += n
        }
    }

    /// Deletes a temporary file named `….mlv-tmp-PID-RANDOM` when process PID no longer runs.
    static func removeIfAbandoned(_ path: String) {
        guard let marker = path.range(of: ".mlv-tmp-", options: .backwards) else { return }
        if TemporaryName.ownerIsGone(path[marker.upperBound...]) { unlink(path) }
    }

    /// Flushes a folder's entries (renames into it) to disk.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError(path: path, operation: "fsync", errno: errno) }
    }

    /// Removes `directory` and then each empty parent up to (not including) `stop`.
    static func removeEmptyDirectories(from directory: String, upTo stop: String) {
        var current = directory
        while current.count > stop.count, current.hasPrefix(stop) {
            guard rmdir(current) == 0 else { return }
            current = PathName.parent(of: current)
        }
    }
}
