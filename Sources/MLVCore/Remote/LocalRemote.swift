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
        let fd = open(path(key), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw RemoteError.notFound(remote: displayName, key: key) }
            throw RemoteError.io(remote: displayName, key: key, detail: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let wanted = range ?? 0..<Int64(st.st_size)
        var bytes = [UInt8](repeating: 0, count: Int(wanted.count))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(wanted.lowerBound) + off_t(filled)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        // A short read means the file is shorter than the index says: truncated on the remote.
        return Array(bytes[0..<filled])
    }

    public func put(_ key: String, fromFile source: String) throws {
        try checkReachable()
        counter.withLock { requests += 1 }
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
        guard input >= 0 else { throw WorkspaceError.io(path: source, operation: "open", errno: errno) }
        defer { close(input) }
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard output >= 0 else { throw RemoteError.io(remote: displayName, key: key, detail: String(cString: strerror(errno))) }
        do {
            let hasher = FileHasher()
            defer { hasher.release() }
            _ = try hasher.copyHashing(from: input, sourcePath: source, to: output, destinationPath: temp)
            guard fsync(output) == 0 else { throw RemoteError.io(remote: displayName, key: key, detail: String(cString: strerror(errno))) }
            close(output)
        } catch {
            close(output)
            unlink(temp)
            throw error
        }
        guard rename(temp, target) == 0 else {
            let detail = String(cString: strerror(errno))
            unlink(temp)
            throw RemoteError.io(remote: displayName, key: key, detail: detail)
        }
    }

    public func put(_ key: String, bytes: [UInt8]) throws {
        try checkReachable()
        counter.withLock { requests += 1 }
        let target = path(key)
        try FileSystem.createDirectory(PathName.parent(of: target))
        try FileSystem.writeAtomically(bytes, to: target, mode: 0o444)
    }

    func link(_ key: String, to path: String) -> Bool {
        counter.withLock { requests += 1 }
        return Glibc.link(self.path(key), path) == 0
    }

    public func delete(_ key: String) throws {
        try checkReachable()
        counter.withLock { requests += 1 }
        guard unlink(path(key)) == 0 || errno == ENOENT else {
            throw RemoteError.io(remote: displayName, key: key, detail: String(cString: strerror(errno)))
        }
    }
}
