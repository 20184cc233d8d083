import Crypto
import Foundation

/// Digests of what a tracked directory's folders hold on disk, read from `lstat` alone: each
/// file's name, kind, mode, inode, size, mtime and ctime, and each subfolder's name and digest.
/// Two equal seals mean no file beneath was added, removed, renamed, rewritten or chmodded
/// (the kernel moves ctime on every change, and nobody can set it back). A folder holding a
/// file changed within the racy window of `sealedAt` gets no seal, nor do the folders above it.
struct FolderSeals {
    /// Folder (inside the directory, "" for its top) to seal.
    private(set) var seals: [String: ObjectID] = [:]
    /// Positions in the scan of the files directly inside each folder.
    private(set) var filesIn: [String: [Int]] = [:]
    /// Each folder's subfolders, by full path.
    private(set) var subfolders: [String: [String]] = [:]
    /// The bytes of the files beneath each folder.
    private(set) var sizes: [String: Int64] = [:]

    /// `size` gives a file's bytes for `sizes` (a symlink into the cache stands for its object,
    /// whose size only the cache knows).
    init(_ scanned: [ScannedFile], sealedAt: Int64, size: (ScannedFile) -> Int64 = { $0.stat.size }) {
        // The scanner lists each folder's files together, so folders are found by runs of
        // one parent: a comparison of bytes per file, not a parent string and a lookup.
        var start = 0
        while start < scanned.count {
            let folder = PathName.parent(of: scanned[start].path)
            var end = start + 1
            while end < scanned.count, FolderSeals.path(scanned[end].path, isDirectlyIn: folder) { end += 1 }
            filesIn[folder, default: []].append(contentsOf: start..<end)
            start = end
        }
        // Every folder on the way to a file, so folders holding only folders are sealed too.
        var pending = Array(filesIn.keys)
        var known = Set(pending)
        known.insert("")
        while let folder = pending.popLast() {
            if folder.isEmpty { continue }
            let parent = PathName.parent(of: folder)
            subfolders[parent, default: []].append(folder)
            if known.insert(parent).inserted { pending.append(parent) }
        }
        // Each folder's own files are hashed across cores (a seal reads nothing but the
        // scan); its subfolders' seals are added below, deepest folders first.
        let folders = Array(filesIn.keys), positions = folders.map { filesIn[$0]! }
        func hash(_ index: Int) -> FileRecords { FolderSeals.hashFiles(positions[index], of: scanned, sealedAt: sealedAt, size: size) }
        // The hashing throws nothing; were the workers to fail, the same work runs here.
        let fileParts = (try? ParallelWork.map(folders.count, hash)) ?? folders.indices.map(hash)
        var ownFiles: [String: FileRecords] = [:]
        ownFiles.reserveCapacity(folders.count)
        for (folder, part) in zip(folders, fileParts) { ownFiles[folder] = part }
        var racy = Set<String>()
        for folder in known.sorted(by: { $0.utf8.count > $1.utf8.count }) {
            let own = ownFiles[folder]
            sizes[folder] = (own?.bytes ?? 0) + (subfolders[folder] ?? []).reduce(0) { $0 + (sizes[$1] ?? 0) }
            var isRacy = own?.isRacy ?? false
            var hasher = own?.hasher ?? SHA256()
            for sub in (subfolders[folder] ?? []).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !isRacy {
                guard let seal = seals[sub], !racy.contains(sub) else { isRacy = true; break }
                hasher.update(data: [UInt8(ascii: "d")] + Array(PathName.lastComponent(of: sub).utf8) + [0] + seal.bytes)
            }
            if isRacy { racy.insert(folder); continue }
            seals[folder] = hasher.finalize().withUnsafeBytes { ObjectID(bytes: $0) }
        }
    }

    /// A folder's own files as its seal reads them: the hash of their records so far, their
    /// bytes, and whether one changed within the racy window (then the folder gets no seal).
    private struct FileRecords {
        var hasher = SHA256()
        var bytes: Int64 = 0
        var isRacy = false
    }

    /// Hashes the records of the files at `positions`, in that order (the order the folder
    /// lists them, unsorted: an unchanged folder lists the same way, and a new order could
    /// only cost a recheck, never hide a change). All records are gathered and hashed at
    /// once: the same bytes as one update per file, without a call per file.
    private static func hashFiles(_ positions: [Int], of scanned: [ScannedFile], sealedAt: Int64,
                                  size: (ScannedFile) -> Int64) -> FileRecords {
        var result = FileRecords()
        var record: [UInt8] = []
        record.reserveCapacity(positions.count * 96)
        func append(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { record.append(contentsOf: $0) } }
        // Read in place: a copy of each file's entry would retain its strings, and two cores
        // retaining and releasing side by side wait on each other.
        scanned.withUnsafeBufferPointer { files in
            for position in positions {
                let st = files[position].stat
                result.bytes += size(files[position])
                if result.isRacy { continue }
                let changed = max(st.mtimeNanoseconds, st.ctimeNanoseconds)
                if changed >= sealedAt - StateCache.racyWindow(for: st.mtimeNanoseconds) { result.isRacy = true; continue }
                record.append(UInt8(ascii: "f"))
                let appended = files[position].path.utf8.withContiguousStorageIfAvailable { bytes in
                    let name = bytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
                    record.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[name...]))
                }
                if appended == nil { record.append(contentsOf: PathName.lastComponent(of: files[position].path).utf8) }
                record.append(0)
                record.append(st.kind == .symlink ? 1 : 0)
                append(UInt64(st.mode)); append(st.inode); append(UInt64(bitPattern: st.size))
                append(UInt64(bitPattern: st.mtimeNanoseconds)); append(UInt64(bitPattern: st.ctimeNanoseconds))
                if let object = files[position].linkedObject {
                    record.append(contentsOf: object.bytes)
                } else {
                    for _ in 0..<4 { append(0) }
                }
            }
        }
        if !result.isRacy { result.hasher.update(data: record) }
        return result
    }

    /// Whether `path` names an entry directly inside `folder` ("" for the top).
    private static func path(_ path: String, isDirectlyIn folder: String) -> Bool {
        var path = path, folder = folder
        return path.withUTF8 { p in
            folder.withUTF8 { f in
                let nameStart = f.isEmpty ? 0 : f.count + 1
                guard p.count > nameStart else { return false }
                if !f.isEmpty {
                    guard p[f.count] == UInt8(ascii: "/"), memcmp(p.baseAddress!, f.baseAddress!, f.count) == 0 else { return false }
                }
                return !UnsafeBufferPointer(rebasing: p[nameStart...]).contains(UInt8(ascii: "/"))
            }
        }
    }

    /// Whether `folder`, as sealed now, is proven by `proofs` to hold the node `node`: its
    /// seal is the one the proof recorded when the folder matched that node.
    func holds(_ folder: String, node: ObjectID, proofs: [String: CleanFolders.Proof]) -> Bool {
        guard let proof = proofs[folder], let seal = seals[folder] else { return false }
        return proof.node == node && proof.seal == seal
    }

    /// The scanned files (the scan these seals were made from) outside the given folders.
    func files(of scanned: [ScannedFile], outside folders: [String]) -> [ScannedFile] {
        let excluded = Set(folders)
        var result: [ScannedFile] = []
        for (folder, positions) in filesIn {
            var ancestor = folder, inside = false
            while true {
                if excluded.contains(ancestor) { inside = true; break }
                if ancestor.isEmpty { break }
                ancestor = PathName.parent(of: ancestor)
            }
            if !inside { result += positions.map { scanned[$0] } }
        }
        return result
    }
}

/// What the last `mlv status` or `mlv add` proved about each tracked directory: that a
/// folder, with exactly the seal its files have now, matched a node of the directory's tree.
/// The next status reads neither that folder's node nor its files' ids, and the next add
/// reuses the node, as Git's index spares `git status` and `git add` from reading trees; only
/// the `lstat`s remain. Kept in `.mlv/state/clean`, a local file that is never pushed; a
/// damaged or newer one is ignored with a warning and rebuilt.
final class CleanFolders {
    /// A folder's node id (for the top, the pointer's id) and the seal its files had.
    struct Proof: Equatable {
        let node: ObjectID
        let seal: ObjectID
    }

    /// A directory's proofs, all about nodes of one tree: the one named `top`, a tree of
    /// folder nodes (format 2) or a flat manifest (format 1, proven only as a whole).
    struct Record: Equatable {
        let top: ObjectID
        let isTree: Bool
        let folders: [String: Proof]
    }

    static let magic = Array("MLVCLEAN".utf8)
    static let version: UInt32 = 1
    static let maximumSize = 256 << 20

    private let file: String
    private var records: [String: Record] = [:]
    private var dirty = false
    /// Why the file on disk was not used (callers warn).
    private(set) var problem: String?

    init(file: String) {
        self.file = file
        guard FileSystem.exists(file) else { return }
        do {
            records = try CleanFolders.decode(try FileSystem.readFile(file, limit: CleanFolders.maximumSize))
        } catch let damaged as BinaryReader.Damaged {
            problem = "ignoring \(file): it \(damaged.reason); it will be rebuilt"
            dirty = true
        } catch {
            problem = "ignoring \(file): \(error)"
            dirty = true
        }
    }

    /// The proofs recorded for a tracked directory.
    func record(for dataPath: String) -> Record? { records[dataPath] }

    /// Replaces what is known of a tracked directory: its proofs about the tree `top`.
    func replace(_ dataPath: String, top: ObjectID, isTree: Bool, with folders: [String: Proof]) {
        let record = folders.isEmpty ? nil : Record(top: top, isTree: isTree, folders: folders)
        guard records[dataPath] != record else { return }
        records[dataPath] = record
        dirty = true
    }

    func save() throws {
        guard dirty else { return }
        try FileSystem.createDirectory(PathName.parent(of: file))
        try FileSystem.writeAtomically(CleanFolders.encode(records), to: file)
        dirty = false
    }

    /// `MLVCLEAN`, version, then per tracked directory its path, the tree's id, 1 for a tree
    /// (0 for a flat manifest) and its proofs
    /// (folder path, node id, seal), all closed by a SHA-256.
    static func encode(_ records: [String: Record]) -> [UInt8] {
        BinaryWriter.sealed(magic: magic, version: version) { out in
            out.put(UInt32(records.count))
            for dataPath in records.keys.sorted() {
                let folders = records[dataPath]!.folders
                out.put(dataPath)
                out.put(raw: records[dataPath]!.top.bytes)
                out.put(UInt8(records[dataPath]!.isTree ? 1 : 0))
                out.put(UInt32(folders.count))
                for folder in folders.keys.sorted() {
                    out.put(folder)
                    out.put(raw: folders[folder]!.node.bytes)
                    out.put(raw: folders[folder]!.seal.bytes)
                }
            }
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> [String: Record] {
        var input = try BinaryReader.unsealed(bytes, magic: magic, version: version)
        var records: [String: Record] = [:]
        for _ in 0..<(try input.count(minimumSize: 41)) {
            let dataPath = try input.string()
            let top = try input.raw(32).withUnsafeBytes { ObjectID(bytes: $0) }
            let format = try input.read(UInt8.self)
            guard format <= 1 else { throw BinaryReader.Damaged(reason: "is damaged (a directory has an unknown kind)") }
            var folders: [String: Proof] = [:]
            for _ in 0..<(try input.count(minimumSize: 68)) {
                let folder = try input.string()
                let node = try input.raw(32), seal = try input.raw(32)
                folders[folder] = Proof(node: node.withUnsafeBytes { ObjectID(bytes: $0) }, seal: seal.withUnsafeBytes { ObjectID(bytes: $0) })
            }
            guard records.updateValue(Record(top: top, isTree: format == 1, folders: folders), forKey: dataPath) == nil else { throw BinaryReader.Damaged(reason: "is damaged (a directory is listed twice)") }
        }
        guard input.remaining == 0 else { throw BinaryReader.Damaged(reason: "is damaged (bytes after its last record)") }
        return records
    }
}
