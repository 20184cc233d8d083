import Foundation

/// A cheap proof that objects seen in the cache are still there. `ROOT/generation` holds a
/// random token and a counter; every deletion of objects by mlv (`gc`) bumps the counter
/// before it deletes anything, and a cache folder deleted or replaced gets a new token. The
/// generation also carries the modification times of the 256 object folders and of `packs/`:
/// a file removed from the cache by any means changes its folder's time. A fact recorded at
/// one generation ("all objects of this pointer were present") holds while the generation is
/// unchanged, which costs 257 `stat` calls instead of one look per object.
struct CacheGeneration {
    let file: String
    let root: String
    private let folders: [String]

    init(store: ObjectStore) {
        root = store.root
        file = store.root + "/generation"
        folders = (0..<256).map(store.shardFolder) + [store.root + "/packs"]
    }

    /// The current generation; nil when a folder changed so recently that another change in
    /// the same clock tick could go unseen (nothing is then proven or trusted). With a wait,
    /// a folder changed just now is given up to that many nanoseconds to settle.
    func current(waitingAtMost wait: Int64 = 0) -> String? {
        let deadline = StateCache.now() + wait
        while true {
            guard let counter = counter() else { return nil }
            let now = StateCache.now()
            var times = [UInt8]()
            times.reserveCapacity(folders.count * 8)
            var settlesAt: Int64 = 0
            for folder in folders {
                let mtime = FileSystem.lstatFile(folder)?.mtimeNanoseconds ?? 0
                if mtime != 0 { settlesAt = max(settlesAt, mtime + StateCache.racyWindow(for: mtime)) }
                withUnsafeBytes(of: mtime.littleEndian) { times.append(contentsOf: $0) }
            }
            if settlesAt < now { return counter + " " + ObjectID.of(times).short }
            guard settlesAt <= deadline else { return nil }
            usleep(useconds_t((settlesAt - now) / 1000 + 1))
        }
    }

    /// The token and counter, creating the file on first use.
    private func counter() -> String? {
        if let bytes = try? FileSystem.readFile(file, limit: 256), let text = String(bytes: bytes, encoding: .utf8),
           CacheGeneration.isValid(text) {
            return text
        }
        let fresh = "\(UInt64.random(in: 1...UInt64.max)) 0"
        do {
            try FileSystem.createDirectory(PathName.parent(of: file))
            try FileSystem.writeAtomically(Array(fresh.utf8), to: file)
        } catch { return nil }
        return fresh
    }

    /// Moves to a new generation; called before objects are deleted.
    func bump() throws {
        let parts = (counter() ?? "0 0").split(separator: " ")
        let next = "\(parts[0]) \((UInt64(parts[1]) ?? 0) &+ 1)"
        try FileSystem.writeAtomically(Array(next.utf8), to: file)
    }

    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        return parts.count == 2 && UInt64(parts[0]) != nil && UInt64(parts[1]) != nil
    }
}

/// Pointers whose objects were all present at one cache generation (`.mlv/state/present`:
/// the generation on the first line, an id per line after it). Read by `status` so that an
/// unchanged repository costs no look into the cache per object.
final class PresenceProofs {
    private let file: String
    private let generation: String?
    private var proven: Set<ObjectID> = []
    private var dirty = false

    init(file: String, generation: String?) {
        self.file = file
        self.generation = generation
        guard let generation, let bytes = try? FileSystem.readFile(file, limit: 16 << 20) else { return }
        let lines = bytes.split(separator: 10)
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == generation else { dirty = true; return }
        for line in lines.dropFirst() { if let id = ObjectID(hexBytes: line) { proven.insert(id) } }
    }

    func isProven(_ id: ObjectID) -> Bool { generation != nil && proven.contains(id) }

    func record(_ id: ObjectID) {
        guard generation != nil, proven.insert(id).inserted else { return }
        dirty = true
    }

    func save() throws {
        guard dirty, let generation else { return }
        var out = Array((generation + "\n").utf8)
        for id in proven.sorted() { out += Array((id.hex + "\n").utf8) }
        try FileSystem.createDirectory(PathName.parent(of: file))
        try FileSystem.writeAtomically(out, to: file)
        dirty = false
    }
}
