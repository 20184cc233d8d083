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
    /// Shared by the copies of this materializer that workers use.
    let reflinks = ReflinkSupport()

    /// `FICLONE` from <linux/fs.h>.
    static let ficlone: UInt = 0x4004_9409

    /// Writes object `id` to `destination` (absolute) and returns what now stands there (nil
    /// for a symlink). Throws `StoreError.corrupted` when the object does not hash to its id;
    /// the destination is then left as it was.
    @discardableResult
    func materialize(_ id: ObjectID, to destination: String, executable: Bool, hasher: FileHasher) throws -> FileStat? {
        // A packed object is copied from the pack; a link needs a file of its own.
        if mode == .copy || mode == .auto, store.packs.location(of: id) != nil {
            return try materializePacked(id, to: destination, executable: executable)
        }
        let source = store.path(for: id)
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            guard errno == ENOENT else { throw FileError(path: source, operation: "open", errno: errno) }
            guard store.packs.location(of: id) != nil else { throw StoreError.missing(id) }
            try store.unpack(id)
            return try materialize(id, to: destination, executable: executable, hasher: hasher)
        }
        defer { close(input) }
        var raw = stat()
        guard fstat(input, &raw) == 0 else { throw FileError(path: source, operation: "stat", errno: errno) }
        let trusted = trust.isTrusted(id, stat: FileStat(raw))
        releasePageCache(of: destination, size: FileStat(raw).size)
        let temp = temporaryPath(beside: destination)
        var written: FileStat?
        do {
            switch mode {
            case .copy:
                written = try copy(input, id: id, to: temp, executable: executable, trusted: trusted, hasher: hasher)
            case .auto where !reflinks.mayWork:
                written = try copy(input, id: id, to: temp, executable: executable, trusted: trusted, hasher: hasher)
            case .auto, .reflink:
                if try !clone(input, to: temp, executable: executable) {
                    guard mode == .auto else { throw CheckoutError.reflinkUnsupported(destination) }
                    written = try copy(input, id: id, to: temp, executable: executable, trusted: trusted, hasher: hasher)
                } else if !trusted {
                    try verify(id, fd: input, hasher: hasher)
                }
            case .hardlink:
                if !trusted { try verify(id, fd: input, hasher: hasher) }
                guard link(source, temp) == 0 else { throw FileError(path: temp, operation: "hard-link", errno: errno) }
            case .symlink:
                if !trusted { try verify(id, fd: input, hasher: hasher) }
                guard symlink(source, temp) == 0 else { throw FileError(path: temp, operation: "symlink", errno: errno) }
            }
            try moveIntoPlace(temp, destination)
        } catch {
            unlink(temp)
            throw error
        }
        // A rename keeps the inode, size and mtime a copy had; other modes are looked at.
        if let written { return written }
        return FileSystem.lstatFile(destination).flatMap { $0.kind == .file ? $0 : nil }
    }

    /// Writes a packed object (read and checked against its id) to `destination`.
    private func materializePacked(_ id: ObjectID, to destination: String, executable: Bool) throws -> FileStat {
        guard let bytes = try store.packs.read(id) else { throw StoreError.missing(id) }
        let temp = temporaryPath(beside: destination)
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw FileError(path: temp, operation: "create", errno: errno) }
        do {
            defer { close(output) }
            try FileSystem.writeAll(output, bytes, path: temp)
            let written = try statOpened(output, path: temp)
            try moveIntoPlace(temp, destination)
            return written
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// `.NAME.mlv-tmp-PID-N` in the destination's folder, so the final rename stays inside it.
    private func temporaryPath(beside destination: String) -> String {
        "\(PathName.parent(of: destination))/.\(PathName.lastComponent(of: destination)).mlv-tmp-\(TemporaryName.suffix())"
    }

    /// Renames over whatever file is there; a folder in the way (the path was a directory
    /// in the other version) is removed first.
    private func moveIntoPlace(_ temp: String, _ destination: String) throws {
        // A file there trades places with the new one, which is then removed: ext4 writes a
        // file renamed over another to disk before the rename returns (its guard for editors
        // that do not fsync), 0.4 s per GiB here, which a checkout need not wait for: the old
        // content is in the cache and the new one is as durable as a plain write.
        if FileSystem.lstatFile(destination)?.kind == .file, LinuxCalls.exchange(temp, destination) == 0 {
            if unlink(temp) == 0 || errno == ENOENT { return }
            // Something else took the old place meanwhile (a folder): put it back, go the long way.
            _ = LinuxCalls.exchange(temp, destination)
        }
        if rename(temp, destination) == 0 { return }
        let failure = errno
        guard failure == EISDIR || failure == ENOTEMPTY || failure == EEXIST,
              let existing = FileSystem.lstatFile(destination), existing.kind == .directory else {
            throw FileError(path: destination, operation: "rename into place", errno: failure)
        }
        try FileSystem.removeTree(destination, display: destination)
        guard rename(temp, destination) == 0 else { throw FileError(path: destination, operation: "rename into place", errno: errno) }
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

    /// A copy: in the kernel for a trusted object, else through SHA-256 on the way. Returns
    /// the copy's stat, taken after its last write.
    private func copy(_ input: Int32, id: ObjectID, to temp: String, executable: Bool, trusted: Bool, hasher: FileHasher) throws -> FileStat {
        if trusted, let written = try copyInKernel(input, to: temp, executable: executable) { return written }
        return try copyVerifying(input, id: id, to: temp, executable: executable, hasher: hasher)
    }

    /// `copy_file_range` to a new file; nil (and no file left) where the filesystem cannot.
    private func copyInKernel(_ input: Int32, to temp: String, executable: Bool) throws -> FileStat? {
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw FileError(path: temp, operation: "create", errno: errno) }
        defer { close(output) }
        while true {
            let n = LinuxCalls.copyFileRange(input, nil, output, nil, 1 << 30, 0)
            if n > 0 { continue }
            if n == 0 { return try statOpened(output, path: temp) }
            if errno == EINTR { continue }
            if errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL {
                unlink(temp)
                _ = lseek(input, 0, SEEK_SET)
                return nil
            }
            throw FileError(path: temp, operation: "copy", errno: errno)
        }
    }

    private func statOpened(_ fd: Int32, path: String) throws -> FileStat {
        var raw = stat()
        guard fstat(fd, &raw) == 0 else { throw FileError(path: path, operation: "stat", errno: errno) }
        return FileStat(raw)
    }

    /// Tries a copy-on-write clone; false when the filesystem cannot (ext4, across devices).
    private func clone(_ input: Int32, to temp: String, executable: Bool) throws -> Bool {
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw FileError(path: temp, operation: "create", errno: errno) }
        defer { close(output) }
        if ioctl(output, Materializer.ficlone, input) == 0 { return true }
        // The filesystem cannot clone at all (not just this file): stop asking, in auto mode
        // every later file goes straight to a copy.
        if errno == EOPNOTSUPP || errno == ENOTTY || errno == EXDEV || errno == ENOSYS { reflinks.mayWork = false }
        unlink(temp)
        return false
    }

    private func copyVerifying(_ input: Int32, id: ObjectID, to temp: String, executable: Bool, hasher: FileHasher) throws -> FileStat {
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw FileError(path: temp, operation: "create", errno: errno) }
        defer { close(output) }
        let started = StateCache.now()
        let (actual, _) = try hasher.copyHashing(from: input, sourcePath: store.path(for: id), to: output, destinationPath: temp)
        guard actual == id else {
            trust.forget(id)
            throw StoreError.corrupted(id, path: store.path(for: id))
        }
        trust.recordVerified(id, hashedAt: started)
        return try statOpened(output, path: temp)
    }
}

/// Whether copy-on-write clones may work where checkout writes; learned from the first
/// refusal, so a filesystem without them costs one failed `ioctl` per run, not one per file.
final class ReflinkSupport: @unchecked Sendable {
    private let lock = NSLock()
    private var refused = false
    var mayWork: Bool {
        get { lock.withLock { !refused } }
        set { lock.withLock { refused = !newValue } }
    }
}
