import Crypto
import Dispatch
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

    /// Reads `input` to its end, hashing and writing each block to `output`. A full block is
    /// hashed on a second thread while the next one is read into the other buffer and written:
    /// a 1 GiB add then takes about as long as its hashing alone (0.5 s here), not hashing plus
    /// copying. A short block (a small file, or the last block) is hashed here, with no thread
    /// or second buffer.
    func copyHashing(from input: Int32, sourcePath: String, to output: Int32, destinationPath: String) throws -> (ObjectID, Int64) {
        let hashing = HashingBehind()
        defer { hashing.release() }
        var current = buffer
        var total: Int64 = 0
        var n = try FileSystem.readSome(input, into: current, path: sourcePath)
        while n > 0 {
            let block = UnsafeRawBufferPointer(rebasing: current[0..<n])
            let behind = n == current.count
            if behind { hashing.start(block) } else { hashing.update(block) }
            try FileSystem.writeAll(output, block, path: destinationPath)
            total += Int64(n)
            if behind { current = current.baseAddress == buffer.baseAddress ? hashing.secondBuffer() : buffer }
            n = try FileSystem.readSome(input, into: current, path: sourcePath)
            hashing.wait()
        }
        return (hashing.finalize(), total)
    }
}

/// A SHA-256 fed on another thread, one block at a time, so the caller can read and write the
/// next block meanwhile. The caller keeps a block unchanged until `wait` returns.
private final class HashingBehind: @unchecked Sendable {
    private var sha = SHA256()
    private let done = DispatchSemaphore(value: 0)
    private var running = false
    private var second: UnsafeMutableRawBufferPointer?

    func start(_ block: UnsafeRawBufferPointer) {
        running = true
        let unchecked = UncheckedBlock(bytes: block)
        DispatchQueue.global().async { [self] in
            sha.update(bufferPointer: unchecked.bytes)
            done.signal()
        }
    }

    func wait() {
        if running { done.wait(); running = false }
    }

    /// Hashes a block on the caller's thread; only between `wait` and the next `start`.
    func update(_ block: UnsafeRawBufferPointer) { sha.update(bufferPointer: block) }

    /// A second block buffer for the reads made while a block is hashed.
    func secondBuffer() -> UnsafeMutableRawBufferPointer {
        if let second { return second }
        let made = UnsafeMutableRawBufferPointer.allocate(byteCount: FileHasher.blockSize, alignment: 64)
        second = made
        return made
    }

    func finalize() -> ObjectID { ObjectID(digest: sha.finalize()) }

    func release() {
        wait()
        second?.deallocate()
    }
}

/// A block handed to the hashing thread; the caller keeps it alive and unchanged meanwhile.
private struct UncheckedBlock: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
}
