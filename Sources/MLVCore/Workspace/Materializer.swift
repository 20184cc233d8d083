import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Makes workspace files from cache objects with the configured link mode, verifying each
/// object's bytes against its id on the way, and replacing the destination by rename.
struct Materializer {
    let store: ObjectStore
    let mode: LinkMode
    let trust: ObjectTrust

    /// `FICLONE` from <linux/fs.h>.
    static let ficlone: UInt = 0x4004_9409

    /// Writes object `id` to `destination` (absolute). Throws `StoreError.corrupted` when the
    /// object does not hash to its id; the destination is then left as it was.
    func materialize(_ id: ObjectID, to destination: String, executable: Bool, hasher: FileHasher) throws {
        let source = store.path(for: id)
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            if errno == ENOENT { throw StoreError.missing(id) }
            throw WorkspaceError.io(path: source, operation: "open", errno: errno)
        }
        defer { close(input) }
        var raw = stat()
        guard fstat(input, &raw) == 0 else { throw WorkspaceError.io(path: source, operation: "stat", errno: errno) }
        let trusted = trust.isTrusted(id, stat: FileStat(raw))
        let directory = (destination as NSString).deletingLastPathComponent
        releasePageCache(of: destination, size: FileStat(raw).size)
        let temp = "\(directory)/.\((destination as NSString).lastPathComponent).mlv-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            switch mode {
            case .copy:
                try copy(input, id: id, to: temp, executable: executable, trusted: trusted, hasher: hasher)
            case .auto, .reflink:
                if try !clone(input, to: temp, executable: executable) {
                    guard mode == .auto else { throw CheckoutError.reflinkUnsupported(destination) }
                    try copy(input, id: id, to: temp, executable: executable, trusted: trusted, hasher: hasher)
                } else if !trusted {
                    try verify(id, fd: input, hasher: hasher)
                }
            case .hardlink:
                if !trusted { try verify(id, fd: input, hasher: hasher) }
                guard link(source, temp) == 0 else { throw WorkspaceError.io(path: temp, operation: "hard-link", errno: errno) }
            case .symlink:
                if !trusted { try verify(id, fd: input, hasher: hasher) }
                guard symlink(source, temp) == 0 else { throw WorkspaceError.io(path: temp, operation: "symlink", errno: errno) }
            }
            if let existing = FileSystem.lstatFile(destination), existing.kind == .directory {
                try FileManager.default.removeItem(atPath: destination)
            }
            guard rename(temp, destination) == 0 else { throw WorkspaceError.io(path: destination, operation: "rename into place", errno: errno) }
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Drops the cached pages of a large file about to be replaced (its content is in the cache,
    /// or checkout would have refused): the new copy then reuses that memory instead of asking
    /// for as much again, which is what makes big checkouts slow on a busy or virtual machine.
    private func releasePageCache(of destination: String, size: Int64) {
        guard size >= ObjectTrust.threshold,
              let existing = FileSystem.lstatFile(destination), existing.kind == .file else { return }
        let fd = open(destination, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
    }

    private func verify(_ id: ObjectID, fd: Int32, hasher: FileHasher) throws {
        let started = StateCache.now()
        _ = lseek(fd, 0, SEEK_SET)
        guard try hasher.hash(fd: fd, path: store.path(for: id)).id == id else {
            trust.forget(id)
            throw StoreError.corrupted(id, path: store.path(for: id))
        }
        trust.recordVerified(id, hashedAt: started)
    }

    /// A copy: in the kernel for a trusted object, else through SHA-256 on the way.
    private func copy(_ input: Int32, id: ObjectID, to temp: String, executable: Bool, trusted: Bool, hasher: FileHasher) throws {
        if trusted, try copyInKernel(input, to: temp, executable: executable) { return }
        try copyVerifying(input, id: id, to: temp, executable: executable, hasher: hasher)
    }

    /// `copy_file_range` to a new file; false (and no file left) where the filesystem cannot.
    private func copyInKernel(_ input: Int32, to temp: String, executable: Bool) throws -> Bool {
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw WorkspaceError.io(path: temp, operation: "create", errno: errno) }
        defer { close(output) }
        while true {
            let n = LinuxCalls.copyFileRange(input, nil, output, nil, 1 << 30, 0)
            if n > 0 { continue }
            if n == 0 { return true }
            if errno == EINTR { continue }
            if errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL {
                unlink(temp)
                _ = lseek(input, 0, SEEK_SET)
                return false
            }
            throw WorkspaceError.io(path: temp, operation: "copy", errno: errno)
        }
    }

    /// Tries a copy-on-write clone; false when the filesystem cannot (ext4, across devices).
    private func clone(_ input: Int32, to temp: String, executable: Bool) throws -> Bool {
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw WorkspaceError.io(path: temp, operation: "create", errno: errno) }
        defer { close(output) }
        if ioctl(output, Materializer.ficlone, input) == 0 { return true }
        unlink(temp)
        return false
    }

    private func copyVerifying(_ input: Int32, id: ObjectID, to temp: String, executable: Bool, hasher: FileHasher) throws {
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw WorkspaceError.io(path: temp, operation: "create", errno: errno) }
        defer { close(output) }
        let started = StateCache.now()
        let (actual, _) = try hasher.copyHashing(from: input, sourcePath: store.path(for: id), to: output, destinationPath: temp)
        guard actual == id else {
            trust.forget(id)
            throw StoreError.corrupted(id, path: store.path(for: id))
        }
        trust.recordVerified(id, hashedAt: started)
    }
}
