import Crypto
import Foundation

/// Remembers the id of each workspace file by (path, inode, size, mtime), so unchanged files
/// are never hashed twice. Stored in `.mlv/state/hashes` in a checksummed binary form grouped
/// by folder (`StateFile`), so a command that looks at a few folders decodes only theirs; the
/// forms earlier versions wrote are still read.
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
    /// The file as read, whose folder blocks are decoded on first use and copied unchanged
    /// into the next save (`StateFile`).
    private var stored = StateFile()
    /// Decoded folders: name within the folder -> entry.
    private var folders: [String: [String: Entry]] = [:]
    /// Folders whose entries changed since the file was read (written from `folders`).
    private var changed: Set<String> = []
    private var dirty = false

    /// Why the file on disk was not used, when it was damaged or from a newer mlv: it is then
    /// never trusted, and the next save rewrites it from scratch (callers warn).
    public var problem: String? { lock.withLock { loadIfNeeded(); return loadProblem } }
    private var loadProblem: String?
    private var loaded = false
    private let onProblem: @Sendable (String) -> Void

    /// Opens the cache; it is read at its first use (a status that proves folders unchanged
    /// never needs it). A missing file just means an empty cache; `onProblem` hears why a
    /// file on disk, or one folder's records in it, was not used.
    public init(file: String, onProblem: @escaping @Sendable (String) -> Void = { _ in }) {
        self.file = file
        self.onProblem = onProblem
    }

    /// Called with `lock` held.
    private func loadIfNeeded() {
        guard !loaded else { return }
        loaded = true
        guard let bytes = try? FileSystem.readFile(file, limit: 1 << 31), !bytes.isEmpty else { return }
        let legacy: [String: Entry]
        if bytes.starts(with: StateCache.magic) {
            do {
                switch try StateFile.open(bytes) {
                case .folders(let file):
                    stored = file
                    return
                case .flat(let entries):
                    legacy = entries
                }
            } catch let error as DecodeError {
                loadProblem = "\(file) \(error.reason); it was ignored and is rebuilt from scratch (files are hashed again)"
                onProblem(loadProblem!)
                dirty = true
                return
            } catch {
                dirty = true
                return
            }
        } else {
            // The text form of earlier versions: read once, written back in the binary form.
            legacy = StateCache.decodeText(bytes)
        }
        for (path, entry) in legacy {
            let (folder, name) = StateCache.split(path)
            folders[folder, default: [:]][name] = entry
            changed.insert(folder)
        }
        dirty = true
    }

    /// A path's folder and its name there (`a/b/c` -> `a/b`, `c`; keys without `/` sit in "").
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
        return (String(path[..<slash]), String(path[path.utf8.index(after: slash)...]))
    }

    /// The entries of one folder, decoded from the file on first use. Called with `lock` held.
    private func entries(of folder: String) -> [String: Entry] {
        loadIfNeeded()
        if let known = folders[folder] { return known }
        var decoded: [String: Entry] = [:]
        do {
            decoded = try stored.decode(folder)
        } catch let error as DecodeError {
            // Only this folder's records are lost: they are rebuilt, the rest still count.
            onProblem("\(file) \(error.reason); they were ignored and are rebuilt (those files are hashed again)")
            changed.insert(folder)
            dirty = true
        } catch {
            changed.insert(folder)
            dirty = true
        }
        folders[folder] = decoded
        return decoded
    }

    private func update(_ path: String, _ change: (inout [String: Entry], String) -> Bool) {
        let (folder, name) = StateCache.split(path)
        lock.withLock {
            var current = entries(of: folder)
            folders[folder] = nil // uniquely referenced while it changes
            if change(&current, name) {
                changed.insert(folder)
                dirty = true
            }
            folders[folder] = current
        }
    }

    // MARK: The binary form

    static let magic = Array("MLVSTATE".utf8)
    /// Format 3: records grouped by folder (`StateFile`). Format 2 (one flat table) is read.
    static let version: UInt32 = 3

    struct DecodeError: Error { let reason: String }

    /// Format 2, as mlv wrote before format 3: `MLVSTATE`, version 2, a UInt32 count, then
    /// (inode, size, mtime, 32-byte id, UInt16 path length, path) per record, then the SHA-256
    /// of everything before it. Read once and written back as format 3.
    static func decodeFlat(_ bytes: [UInt8]) throws -> [String: Entry] {
        let header = magic.count + 8, trailer = 32
        guard bytes.count >= header + trailer else { throw DecodeError(reason: "is truncated") }
        return try bytes.withUnsafeBytes { raw -> [String: Entry] in
            func read<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - trailer)])
            guard Array(SHA256.hash(data: body)) == Array(raw[(raw.count - trailer)...]) else {
                throw DecodeError(reason: "is damaged (truncated or altered: its checksum does not match)")
            }
            let count = Int(read(UInt32.self, at: magic.count + 4))
            guard count <= body.count / 58 else { throw DecodeError(reason: "is damaged (it claims \(count) entries)") }
            var entries: [String: Entry] = [:]
            entries.reserveCapacity(count)
            var offset = header
            for _ in 0..<count {
                guard offset + 58 <= body.count else { throw DecodeError(reason: "is damaged (an entry runs past its end)") }
                let inode = read(UInt64.self, at: offset), size = read(Int64.self, at: offset + 8), mtime = read(Int64.self, at: offset + 16)
                let id = ObjectID(bytes: UnsafeRawBufferPointer(rebasing: body[(offset + 24)..<(offset + 56)]))
                let length = Int(read(UInt16.self, at: offset + 56))
                offset += 58
                guard offset + length <= body.count else { throw DecodeError(reason: "is damaged (an entry runs past its end)") }
                let path = String(decoding: UnsafeRawBufferPointer(rebasing: body[offset..<(offset + length)]), as: UTF8.self)
                offset += length
                entries[path] = Entry(inode: inode, size: size, mtime: mtime, id: id)
            }
            guard offset == body.count else { throw DecodeError(reason: "is damaged (bytes after its last entry)") }
            return entries
        }
    }

    /// Lines of `inode size mtime id path`, as mlv wrote before the binary form.
    static func decodeText(_ bytes: [UInt8]) -> [String: Entry] {
        var entries: [String: Entry] = [:]
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
        return entries
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
        let (folder, name) = StateCache.split(path)
        return lock.withLock {
            guard let entry = entries(of: folder)[name], entry.inode == stat.inode, entry.size == stat.size,
                  entry.mtime == stat.mtimeNanoseconds else { return nil }
            return entry.id
        }
    }

    /// Records a hashed file; `hashedAt` is when hashing started (for the racy check), or
    /// `Int64.max` for a file mlv wrote itself from bytes it had just hashed.
    public func record(_ path: String, stat: FileStat, id: ObjectID, hashedAt: Int64) {
        guard hashedAt == Int64.max || stat.mtimeNanoseconds < hashedAt - StateCache.racyWindow(for: stat.mtimeNanoseconds) else { return }
        let entry = Entry(inode: stat.inode, size: stat.size, mtime: stat.mtimeNanoseconds, id: id)
        update(path) { entries, name in
            guard entries[name] != entry else { return false }
            entries[name] = entry
            return true
        }
    }

    /// Forgets a path (its file is gone or no longer to be trusted).
    public func forget(_ path: String) {
        update(path) { entries, name in entries.removeValue(forKey: name) != nil }
    }

    /// Writes the cache back if anything changed (atomically; the last writer wins, which only
    /// ever costs a rehash). Folders nothing changed in are copied as they were read, unparsed.
    public func save() throws {
        let bytes: [UInt8]? = lock.withLock {
            guard dirty else { return nil }
            return stored.rewritten(replacing: changed, with: folders)
        }
        guard let bytes else { return }
        try FileSystem.createDirectory(PathName.parent(of: file))
        try FileSystem.writeAtomically(bytes, to: file)
        lock.withLock { dirty = false }
    }

    /// Now, in the same clock as file mtimes.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
