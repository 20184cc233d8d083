import Foundation

/// Remembers the id of each workspace file by (path, inode, size, mtime), so unchanged files
/// are never hashed twice. Stored in `.mlv/state/hashes`, one line per file:
/// `inode size mtime-ns id path`.
public final class StateCache: @unchecked Sendable {
    struct Entry: Equatable {
        var inode: UInt64
        var size: Int64
        var mtime: Int64
        var id: ObjectID
    }

    /// A file modified within this window before it was hashed might change again within the
    /// same timestamp tick without its mtime moving; such entries are not remembered. Linux
    /// filesystems stamp with the kernel's coarse clock (a tick of at most 10 ms); a whole-second
    /// mtime hints at a coarse filesystem (FAT, some network mounts), which gets two seconds.
    static func racyWindow(for mtime: Int64) -> Int64 {
        mtime % 1_000_000_000 == 0 ? 2_000_000_000 : 20_000_000
    }

    private let file: String
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var dirty = false

    /// Loads the cache; a missing or unreadable file just means an empty cache.
    public init(file: String) {
        self.file = file
        guard let bytes = try? FileSystem.readFile(file, limit: 1 << 31) else { return }
        entries.reserveCapacity(bytes.count / 100)
        for line in bytes.split(separator: 10) {
            let parts = line.split(separator: 32, maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5,
                  let inode = Self.number(parts[0]),
                  let size = Self.number(parts[1]).flatMap(Int64.init(exactly:)),
                  let mtime = Self.number(parts[2]).flatMap(Int64.init(exactly:)),
                  let id = ObjectID(hexBytes: parts[3]) else { continue }
            entries[String(decoding: parts[4], as: UTF8.self)] = Entry(inode: inode, size: size, mtime: mtime, id: id)
        }
    }

    /// A non-negative decimal number, parsed straight from the bytes (this file has a line per
    /// tracked file and is read by every status).
    private static func number(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= 48 && byte <= 57 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - 48))
            guard !o1 && !o2 else { return nil }
            value = sum
        }
        return value
    }

    /// The remembered id when the file's stat still matches.
    public func id(for path: String, stat: FileStat) -> ObjectID? {
        lock.withLock {
            guard let entry = entries[path], entry.inode == stat.inode, entry.size == stat.size,
                  entry.mtime == stat.mtimeNanoseconds else { return nil }
            return entry.id
        }
    }

    /// Records a hashed file; `hashedAt` is when hashing started (for the racy check), or
    /// `Int64.max` for a file mlv wrote itself from bytes it had just hashed.
    public func record(_ path: String, stat: FileStat, id: ObjectID, hashedAt: Int64) {
        guard hashedAt == Int64.max || stat.mtimeNanoseconds < hashedAt - StateCache.racyWindow(for: stat.mtimeNanoseconds) else { return }
        let entry = Entry(inode: stat.inode, size: stat.size, mtime: stat.mtimeNanoseconds, id: id)
        lock.withLock {
            if entries[path] != entry {
                entries[path] = entry
                dirty = true
            }
        }
    }

    /// Forgets a path (its file is gone or no longer to be trusted).
    public func forget(_ path: String) {
        lock.withLock { if entries.removeValue(forKey: path) != nil { dirty = true } }
    }

    /// Writes the cache back if anything changed (atomically; the last writer wins, which only
    /// ever costs a rehash).
    public func save() throws {
        let snapshot: [String: Entry]? = lock.withLock { dirty ? entries : nil }
        guard let snapshot else { return }
        var out = [UInt8]()
        out.reserveCapacity(snapshot.count * 120)
        for (path, entry) in snapshot {
            out.append(contentsOf: "\(entry.inode) \(entry.size) \(entry.mtime) \(entry.id.hex) \(path)\n".utf8)
        }
        try FileSystem.createDirectory(PathName.parent(of: file))
        try FileSystem.writeAtomically(out, to: file)
        lock.withLock { dirty = false }
    }

    /// Now, in the same clock as file mtimes.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
