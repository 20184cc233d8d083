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

    /// Reads `input` to its end, hashing and writing each block to `output`. Past the first
    /// block, hashing runs on a second thread, one block behind the reads and writes: a 1 GiB
    /// add then takes about as long as its hashing alone (0.5 s here), not hashing plus copying.
    func copyHashing(from input: Int32, sourcePath: String, to output: Int32, destinationPath: String) throws -> (ObjectID, Int64) {
        let first = try FileSystem.readSome(input, into: buffer, path: sourcePath)
        var block = UnsafeRawBufferPointer(rebasing: buffer[0..<first])
        if first < buffer.count {
            // A file of one block: no thread to hand it to.
            try FileSystem.writeAll(output, block, path: destinationPath)
            var total = first
            var sha = SHA256()
            sha.update(bufferPointer: block)
            // Read on until the end: a pipe or a special file can return less before its end.
            while true {
                let n = try FileSystem.readSome(input, into: buffer, path: sourcePath)
                if n == 0 { break }
                let more = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                sha.update(bufferPointer: more)
                try FileSystem.writeAll(output, more, path: destinationPath)
                total += n
            }
            return (ObjectID(digest: sha.finalize()), Int64(total))
        }
        let hashing = HashingBehind()
        defer { hashing.release() }
        var total: Int64 = 0
        while !block.isEmpty {
            hashing.start(block)
            try FileSystem.writeAll(output, block, path: destinationPath)
            total += Int64(block.count)
            // The next block goes to the buffer that is not being hashed.
            let next = block.baseAddress == UnsafeRawPointer(buffer.baseAddress!) ? hashing.secondBuffer() : buffer
            let n = try FileSystem.readSome(input, into: next, path: sourcePath)
            hashing.wait()
            block = UnsafeRawBufferPointer(rebasing: next[0..<n])
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
