import Foundation
import MLVGit

/// `.mlv/state/history`: what reading a history learns that can never change (each commit's
/// subject, author, time, parents and tree; which blob a path names in a tree; metrics and
/// params files already flattened), kept between processes as Git keeps its commit-graph, so
/// `mlv ui` and `mlv metrics history` do not read 10,000 commits again on every start. Every
/// key is a Git object id, so no entry goes stale. The file is local state, yet read as
/// untrusted: checksummed, every length bounded, and one that is damaged or from a newer mlv
/// is ignored with a warning and written afresh.
enum HistoryIndex {
    static let magic = Array("MLVHIST\0".utf8)
    static let version: UInt32 = 1
    /// Larger files are not read (the cache they fill is bounded by entry count anyway).
    static let maximumSize = 256 << 20
    /// Nesting allowed in a stored value (a flattened file's leaves are lists at most).
    static let maximumDepth = 32

    /// The entries, as `ParsedBlobCache` holds them.
    struct Contents {
        var commits: [GitObjectID: CommitInfo] = [:]
        var paths: [TreePath: GitObjectID?] = [:]
        var files: [GitObjectID: [(key: String, value: StructuredValue)]] = [:]
    }

    static func encode(_ contents: Contents) -> [UInt8] {
        // Sized ahead: growing a buffer of megabytes by doubling costs more than filling it.
        let estimate = contents.commits.count * 320 + contents.paths.count * 110 + contents.files.count * 120 + 4096
        return BinaryWriter.sealed(magic: magic, version: version, capacity: estimate) { out in
            out.put(UInt32(contents.commits.count))
            for commit in contents.commits.values {
                out.put(raw: commit.id.hex.utf8)
                out.put(raw: commit.tree.hex.utf8)
                out.put(commit.time.timeIntervalSince1970.bitPattern)
                out.put(UInt32(commit.parents.count))
                for parent in commit.parents { out.put(raw: parent.hex.utf8) }
                out.put(commit.summary)
                out.put(commit.message)
                out.put(commit.authorName)
                out.put(commit.authorEmail)
            }
            out.put(UInt32(contents.paths.count))
            for (key, blob) in contents.paths {
                out.put(raw: key.tree.hex.utf8)
                out.put(key.path)
                if let blob {
                    out.put(UInt8(1))
                    out.put(raw: blob.hex.utf8)
                } else {
                    out.put(UInt8(0))
                }
            }
            out.put(UInt32(contents.files.count))
            for (blob, leaves) in contents.files {
                out.put(raw: blob.hex.utf8)
                out.put(UInt32(leaves.count))
                for (key, value) in leaves {
                    out.put(key)
                    put(value, into: &out)
                }
            }
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> Contents {
        var input = try BinaryReader.unsealed(bytes, magic: magic, version: version)
        var contents = Contents()
        let commits = try input.count(minimumSize: 40 + 40 + 8 + 4 + 16)
        contents.commits.reserveCapacity(commits)
        for _ in 0..<commits {
            let id = try objectID(&input), tree = try objectID(&input)
            let time = Date(timeIntervalSince1970: Double(bitPattern: try input.read(UInt64.self)))
            let parentCount = try input.count(minimumSize: 40)
            let parents = try (0..<parentCount).map { _ in try objectID(&input) }
            let summary = try input.string(), message = try input.string()
            let name = try input.string(), email = try input.string()
            contents.commits[id] = (CommitInfo(id: id, summary: summary, message: message, authorName: name, authorEmail: email,
                                               time: time, parents: parents, tree: tree))
        }
        let paths = try input.count(minimumSize: 40 + 4 + 1)
        contents.paths.reserveCapacity(paths)
        for _ in 0..<paths {
            let tree = try objectID(&input), path = try input.string()
            let blob: GitObjectID?
            switch try input.read(UInt8.self) {
            case 0: blob = nil
            case 1: blob = try objectID(&input)
            default: throw BinaryReader.Damaged(reason: "is damaged (a path record has an unknown kind)")
            }
            contents.paths[TreePath(tree: tree, path: path)] = .some(blob)
        }
        let files = try input.count(minimumSize: 40 + 4)
        contents.files.reserveCapacity(files)
        for _ in 0..<files {
            let blob = try objectID(&input)
            let count = try input.count(minimumSize: 4 + 1)
            var leaves: [(key: String, value: StructuredValue)] = []
            leaves.reserveCapacity(count)
            for _ in 0..<count {
                let key = try input.string()
                leaves.append((key, try value(&input, depth: 0)))
            }
            contents.files[blob] = leaves
        }
        guard input.remaining == 0 else { throw BinaryReader.Damaged(reason: "is damaged (bytes after its last record)") }
        return contents
    }

    private static func objectID(_ input: inout BinaryReader) throws -> GitObjectID {
        guard let id = GitObjectID(hex: String(decoding: try input.raw(40), as: UTF8.self)) else {
            throw BinaryReader.Damaged(reason: "is damaged (an object id is not 40 hex digits)")
        }
        return id
    }

    private static func put(_ value: StructuredValue, into out: inout BinaryWriter) {
        switch value {
        case .null: out.put(UInt8(0))
        case .bool(let flag): out.put(UInt8(flag ? 2 : 1))
        case .int(let number): out.put(UInt8(3)); out.put(Int64(number))
        case .double(let number): out.put(UInt8(4)); out.put(number.bitPattern)
        case .string(let text): out.put(UInt8(5)); out.put(text)
        case .list(let items):
            out.put(UInt8(6)); out.put(UInt32(items.count))
            for item in items { put(item, into: &out) }
        case .map(let keys, let values):
            out.put(UInt8(7)); out.put(UInt32(keys.count))
            for key in keys {
                out.put(key)
                put(values[key] ?? .null, into: &out)
            }
        }
    }

    private static func value(_ input: inout BinaryReader, depth: Int) throws -> StructuredValue {
        guard depth < maximumDepth else { throw BinaryReader.Damaged(reason: "is damaged (a value nests too deep)") }
        switch try input.read(UInt8.self) {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .int(Int(try input.read(Int64.self)))
        case 4: return .double(Double(bitPattern: try input.read(UInt64.self)))
        case 5: return .string(try input.string())
        case 6:
            let count = try input.count(minimumSize: 1)
            return .list(try (0..<count).map { _ in try value(&input, depth: depth + 1) })
        case 7:
            let count = try input.count(minimumSize: 5)
            var keys: [String] = [], values: [String: StructuredValue] = [:]
            for _ in 0..<count {
                let key = try input.string()
                guard values[key] == nil else { throw BinaryReader.Damaged(reason: "is damaged (a map repeats a key)") }
                keys.append(key)
                values[key] = try value(&input, depth: depth + 1)
            }
            return .map(keys: keys, values: values)
        default: throw BinaryReader.Damaged(reason: "is damaged (a value has an unknown kind)")
        }
    }
}

extension Project {
    var historyIndexPath: String { mlvDirectory + "/state/history" }

    /// Fills the parsed-blob cache from `.mlv/state/history`, once per process. A missing file
    /// is normal; a damaged one is reported and left for `saveHistoryIndex` to replace.
    public func loadHistoryIndex() {
        guard parsedBlobs.claimIndexLoad() else { return }
        let bytes: [UInt8]
        do {
            guard FileSystem.exists(historyIndexPath) else { return }
            bytes = try FileSystem.readFile(historyIndexPath, limit: HistoryIndex.maximumSize)
        } catch {
            reporter.warning("ignoring the history index \(historyIndexPath): \(error)")
            return
        }
        do {
            parsedBlobs.absorb(try HistoryIndex.decode(bytes))
        } catch let damaged as BinaryReader.Damaged {
            reporter.warning("ignoring the history index .mlv/state/history: it \(damaged.reason); it will be rebuilt")
            parsedBlobs.markLearned()
        } catch {
            reporter.warning("ignoring the history index .mlv/state/history: \(error)")
        }
    }

    /// Writes `.mlv/state/history` when this process learned something it lacks (atomically;
    /// with two writers the last one wins, and either file is correct). A failure to write only
    /// costs speed, so it is a warning.
    public func saveHistoryIndex() {
        guard parsedBlobs.hasLearned else { return }
        parsedBlobs.saving.lock()
        defer { parsedBlobs.saving.unlock() }
        guard parsedBlobs.hasLearned else { return }
        parsedBlobs.markSaved()
        do {
            try FileSystem.createDirectory(PathName.parent(of: historyIndexPath))
            try FileSystem.writeAtomically(HistoryIndex.encode(parsedBlobs.durable), to: historyIndexPath)
        } catch {
            reporter.warning("could not write the history index: \(error)")
        }
    }
}

extension Project {
    /// Reads HEAD's first-parent history (commits, then their metrics) into the cache, in
    /// batches of 100 commits; what the cache already holds costs no Git read.
    public func learnHistory(limit: Int) throws {
        guard var next = try git.headCommit() else { return }
        var seen = 0
        while seen < limit {
            let batch = try firstParentHistory(from: next, limit: min(100, limit - seen))
            for commit in batch {
                _ = try MetricsSnapshot.read(.commit(commit, label: commit.short), project: self)
            }
            seen += batch.count
            guard let last = batch.last, let parent = try commitInfo(last).parents.first else { return }
            next = parent
        }
    }
}
