import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A remote in a directory (a mounted disk, NFS): keys are relative file paths. Writes go to
/// a temporary name, are fsynced and renamed, so a reader never sees a partial object.
public final class LocalRemote: RemoteStore, LinkableRemote {
    public let root: String
    public let displayName: String
    private let counter = NSLock()
    private var requests = 0
    public var requestCount: Int { counter.withLock { requests } }

    public init(name: String, root: String) {
        self.root = root
        displayName = "\(name) (\(root))"
    }

    private func path(_ key: String) -> String { root + "/" + key }

    /// The error an errno from this directory means, by kind.
    private func failure(_ key: String, _ code: Int32) -> RemoteError {
        switch RemoteError.kind(ofErrno: code) {
        case .retriable: return .transient(remote: displayName, key: key, detail: String(cString: strerror(code)), attempts: LocalRemote.attempts)
        case .notFound: return .notFound(remote: displayName, key: key)
        default: return .storage(remote: displayName, key: key, errno: code)
        }
    }

    static let attempts = 4

    /// Runs one operation, again after a short pause while it fails retriably (EINTR, EAGAIN,
    /// a stale NFS handle); any other kind of failure ends it at once.
    private func retrying<T>(_ body: () throws -> T) throws -> T {
        var attempt = 1
        while true {
            // Operations throw this remote's errors (`failure`, `asRemoteError`), so the kind decides.
            do { return try body() } catch let error as RemoteError where error.kind == .retriable && attempt < LocalRemote.attempts {
                usleep(useconds_t(10_000 << attempt))
                attempt += 1
            }
        }
    }

    /// Turns the filesystem errors of a write into this remote's errors.
    private func asRemoteError<T>(_ key: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as FileError { throw failure(key, error.errno) }
    }

    /// Fails unless the directory exists (it is created by `mlv remote add` or by hand).
    func checkReachable() throws {
        guard FileSystem.statFile(root)?.kind == .directory else {
            throw RemoteError.unreachable(remote: displayName, detail: "\(root) is not a directory (create it, or mount the share)")
        }
    }

    public func list(prefix: String) throws -> [RemoteObject] {
        try checkReachable()
        counter.withLock { requests += 1 }
        // Walk from the deepest folder the prefix names, like a listing of an S3 prefix.
        let folder = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
        var result: [RemoteObject] = []
        func walk(_ relative: String) throws {
            let directory = relative.isEmpty ? root : path(relative)
            guard FileSystem.statFile(directory)?.kind == .directory else { return }
            for name in try FileSystem.listDirectory(directory) where !name.hasPrefix(".") {
                let key = relative.isEmpty ? name : relative + "/" + name
                guard let st = FileSystem.lstatFile(path(key)) else { continue }
                if st.kind == .directory, (key + "/").hasPrefix(prefix) || prefix.hasPrefix(key + "/") {
                    try walk(key)
                } else if st.kind == .file, key.hasPrefix(prefix) {
                    result.append(RemoteObject(key: key, size: st.size))
                }
            }
        }
        try walk(folder)
        return result.sorted { $0.key < $1.key }
    }

    public func get(_ key: String, range: Range<Int64>?) throws -> [UInt8] {
        try checkReachable()
        counter.withLock { requests += 1 }
        return try retrying { try read(key, range: range) }
    }

    private func read(_ key: String, range: Range<Int64>?) throws -> [UInt8] {
        let fd = open(path(key), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(key, errno) }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let wanted = range ?? 0..<Int64(st.st_size)
        // Never allocate more than the file holds, whatever range an index asked for.
        let size = Int64(st.st_size)
        let available: Int64 = size > wanted.lowerBound ? size - wanted.lowerBound : 0
        let length: Int64 = min(Int64(wanted.count), available)
        var bytes = [UInt8](repeating: 0, count: Int(length))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(wanted.lowerBound) + off_t(filled)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw failure(key, errno) }
            if n == 0 { break }
            filled += n
        }
        // A short read means the file is shorter than the index says: truncated on the remote.
        return Array(bytes[0..<filled])
    }

    public func put(_ key: String, fromFile source: String) throws {
        try checkReachable()
        counter.withLock { requests += 1 }
        try retrying { try asRemoteError(key) { try store(key, fromFile: source) } }
    }

    private func store(_ key: String, fromFile source: String) throws {
        let target = path(key)
        try FileSystem.createDirectory(PathName.parent(of: target))
        let temp = "\(PathName.parent(of: target))/.\(PathName.lastComponent(of: target)).mlv-tmp-\(TemporaryName.suffix())"
        // Same filesystem: a hard link stores the pack without copying a byte; it is made
        // durable and renamed into place like a copy would be.
        if Glibc.link(source, temp) == 0 {
            chmod(temp, 0o444)
            let fd = open(temp, O_RDONLY | O_CLOEXEC)
            let synced = fd >= 0 && fsync(fd) == 0
            if fd >= 0 { close(fd) }
            if synced && rename(temp, target) == 0 { return }
            unlink(temp)
        }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileError(path: source, operation: "open", errno: errno) }
        defer { close(input) }
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard output >= 0 else { throw failure(key, errno) }
        do {
            let hasher = FileHasher()
            defer { hasher.release() }
            _ = try hasher.copyHashing(from: input, sourcePath: source, to: output, destinationPath: temp)
            guard fsync(output) == 0 else { throw failure(key, errno) }
            close(output)
        } catch {
            close(output)
            unlink(temp)
            throw error
        }
        guard rename(temp, target) == 0 else {
            let code = errno
            unlink(temp)
            throw failure(key, code)
        }
    }

    public func put(_ key: String, bytes: [UInt8]) throws {
        try checkReachable()
        counter.withLock { requests += 1 }
        let target = path(key)
        try retrying {
            try asRemoteError(key) {
                try FileSystem.createDirectory(PathName.parent(of: target))
                try FileSystem.writeAtomically(bytes, to: target, mode: 0o444)
            }
        }
    }

    /// Deletes hidden `.NAME.mlv-tmp-PID-N` files in `folder` that killed uploads left, when
    /// that process is gone from this machine.
    func removeAbandonedTemporaries(in folder: String) {
        for name in (try? FileSystem.listDirectory(path(folder))) ?? [] where name.hasPrefix(".") {
            FileSystem.removeIfAbandoned(path(folder) + "/" + name)
        }
    }

    func link(_ key: String, to path: String) -> Bool {
        counter.withLock { requests += 1 }
        return Glibc.link(self.path(key), path) == 0
    }

    public func delete(_ key: String) throws {
        try checkReachable()
        counter.withLock { requests += 1 }
        try retrying {
            guard unlink(path(key)) == 0 || errno == ENOENT else { throw failure(key, errno) }
        }
    }
}
