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
        let directory = (destination as NSString).deletingLastPathComponent
        let temp = "\(directory)/.\((destination as NSString).lastPathComponent).mlv-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            switch mode {
            case .copy:
                try copyVerifying(input, id: id, to: temp, executable: executable)
            case .auto, .reflink:
                if try !clone(input, to: temp, executable: executable) {
                    guard mode == .auto else { throw CheckoutError.reflinkUnsupported(destination) }
                    try copyVerifying(input, id: id, to: temp, executable: executable)
                } else {
                    try verify(id, fd: input, hasher: hasher)
                }
            case .hardlink:
                try verify(id, fd: input, hasher: hasher)
                guard link(source, temp) == 0 else { throw WorkspaceError.io(path: temp, operation: "hard-link", errno: errno) }
            case .symlink:
                try verify(id, fd: input, hasher: hasher)
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

    private func verify(_ id: ObjectID, fd: Int32, hasher: FileHasher) throws {
        _ = lseek(fd, 0, SEEK_SET)
        guard try hasher.hash(fd: fd, path: store.path(for: id)).id == id else {
            throw StoreError.corrupted(id, path: store.path(for: id))
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

    private func copyVerifying(_ input: Int32, id: ObjectID, to temp: String, executable: Bool) throws {
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard output >= 0 else { throw WorkspaceError.io(path: temp, operation: "create", errno: errno) }
        defer { close(output) }
        let hasher = FileHasher()
        defer { hasher.release() }
        let (actual, _) = try hasher.copyHashing(from: input, sourcePath: store.path(for: id), to: output, destinationPath: temp)
        guard actual == id else { throw StoreError.corrupted(id, path: store.path(for: id)) }
    }
}
