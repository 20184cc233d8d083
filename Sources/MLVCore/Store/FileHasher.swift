import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// Streams files through SHA-256 in fixed-size blocks, so memory stays flat whatever the size.
public struct FileHasher {
    /// Bytes read per `read` call; large enough to keep syscalls rare, small enough to stay cached.
    public static let blockSize = 4 << 20

    private var buffer: UnsafeMutableRawBufferPointer

    public init() {
        buffer = .allocate(byteCount: FileHasher.blockSize, alignment: 64)
    }

    /// Frees the block buffer; call once when done with this hasher.
    public func release() { buffer.deallocate() }

    /// The id of the file at `path`, with the number of bytes read.
    public func hash(path: String) throws -> (id: ObjectID, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        return try hash(fd: fd, path: path)
    }

    /// Hashes from the current offset of `fd` to its end.
    public func hash(fd: Int32, path: String) throws -> (id: ObjectID, size: Int64) {
        var sha = SHA256()
        var total: Int64 = 0
        while true {
            let n = try FileSystem.readSome(fd, into: buffer, path: path)
            if n == 0 { break }
            sha.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
        return (ObjectID(digest: sha.finalize()), total)
    }

    /// Reads a small file whole into the block buffer, hashes it, and hands the bytes to
    /// `body` (which may write them elsewhere) before the buffer is reused. Returns nil when
    /// the file is larger than one block, so the caller streams it instead.
    public func hashSmall<T>(path: String, body: (ObjectID, UnsafeRawBufferPointer) throws -> T) throws -> T? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var filled = 0
        while filled < buffer.count {
            let n = try FileSystem.readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), path: path)
            if n == 0 {
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
                var sha = SHA256()
                sha.update(bufferPointer: bytes)
                return try body(ObjectID(digest: sha.finalize()), bytes)
            }
            filled += n
        }
        return nil
    }

    /// Reads `input` to its end, hashing and writing each block to `output`.
    func copyHashing(from input: Int32, sourcePath: String, to output: Int32, destinationPath: String) throws -> (ObjectID, Int64) {
        var sha = SHA256()
        var total: Int64 = 0
        while true {
            let n = try FileSystem.readSome(input, into: buffer, path: sourcePath)
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            sha.update(bufferPointer: chunk)
            try FileSystem.writeAll(output, chunk, path: destinationPath)
            total += Int64(n)
        }
        return (ObjectID(digest: sha.finalize()), total)
    }
}
