/// A tracked directory as a tree of nodes, one per folder (manifest format version 2), as Git
/// keeps trees: changing one file in a directory of a million writes, pushes and compares only
/// the nodes on its path. The directory's id is the SHA-256 of its root node.
///
/// A node is the line `mlv-tree 2`, then one line per child, `<id> <size> <mode> <name>`: mode
/// `644` or `755` for a file (the id of its bytes), `dir` for a folder (the id of its node, and
/// the bytes of every file beneath it). Children are sorted by name bytes, a folder's name read
/// with a `/` after it (as Git sorts), so a depth-first walk meets paths in byte order.
public enum ManifestTree {
    static let header = "mlv-tree 2"

    /// One line of a node.
    struct Child: Equatable {
        enum Kind: Equatable { case file(executable: Bool), folder }
        let name: String
        let id: ObjectID
        let size: Int64
        let kind: Kind

        /// The name as it sorts: a folder's with a `/` after it.
        var sortKey: [UInt8] { kind == .folder ? Array(name.utf8) + [UInt8(ascii: "/")] : Array(name.utf8) }
    }

    /// The nodes of a directory's files, each child before its parent; the root comes last.
    /// Folders in `unchanged` (path to node id and bytes beneath) are known nodes: listed by
    /// their parents, neither rebuilt nor returned.
    static func nodes(for entries: [DirectoryManifest.Entry],
                      unchanged: [String: (id: ObjectID, size: Int64)] = [:]) -> [(folder: String, id: ObjectID, bytes: [UInt8])] {
        var out: [(folder: String, id: ObjectID, bytes: [UInt8])] = []
        forEachNode(of: entries, unchanged: unchanged) { out.append(($0, $1, $2)) }
        return out
    }

    /// The same nodes handed to `body` one at a time, in the same order, each node's bytes
    /// freed once `body` returns (a million files make about 90 MB of nodes).
    static func forEachNode(of entries: [DirectoryManifest.Entry], unchanged: [String: (id: ObjectID, size: Int64)] = [:],
                            _ body: (_ folder: String, _ id: ObjectID, _ bytes: [UInt8]) throws -> Void) rethrows {
        final class Folder {
            var files: [Child] = []
            var folders: [String: Folder] = [:]
            var known: (id: ObjectID, size: Int64)?
        }
        let root = Folder()
        func folder(at path: String) -> Folder {
            var folder = root
            for segment in path.split(separator: "/") {
                let name = String(segment)
                if let known = folder.folders[name] { folder = known } else {
                    let made = Folder()
                    folder.folders[name] = made
                    folder = made
                }
            }
            return folder
        }
        for (path, node) in unchanged { folder(at: path).known = node }
        for entry in entries {
            folder(at: PathName.parent(of: entry.path)).files.append(
                Child(name: PathName.lastComponent(of: entry.path), id: entry.id, size: entry.size, kind: .file(executable: entry.executable)))
        }
        func emit(_ folder: Folder, path: String) throws -> (ObjectID, Int64) {
            if let known = folder.known { return known }
            var children = folder.files
            for (name, sub) in folder.folders.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                let (id, size) = try emit(sub, path: path.isEmpty ? name : path + "/" + name)
                children.append(Child(name: name, id: id, size: size, kind: .folder))
            }
            // Emitted folders are done with: their children go as the walk moves on.
            folder.files = []
            folder.folders = [:]
            let bytes = serialize(children)
            let id = ObjectID.of(bytes)
            try body(path, id, bytes)
            return (id, children.reduce(0) { $0 + $1.size })
        }
        _ = try emit(root, path: "")
    }

    static func serialize(_ unsorted: [Child]) -> [UInt8] {
        let children = unsorted.map { ($0.sortKey, $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
        var out = Array(header.utf8)
        out.append(10)
        for child in children {
            out.append(contentsOf: child.id.hex.utf8)
            out.append(32)
            out.append(contentsOf: String(child.size).utf8)
            switch child.kind {
            case .file(let executable): out.append(contentsOf: (executable ? " 755 " : " 644 ").utf8)
            case .folder: out.append(contentsOf: " dir ".utf8)
            }
            out.append(contentsOf: child.name.utf8)
            out.append(10)
        }
        return out
    }

    static func isNode(_ bytes: [UInt8]) -> Bool {
        let prefix = Array(header.utf8) + [10]
        return bytes.count >= prefix.count && Array(bytes[0..<prefix.count]) == prefix
    }

    /// Parses one node strictly: every name is one path segment that stays inside its folder,
    /// in order, without repeats. `fail` makes the error (it names the node and its folder).
    static func parse(_ bytes: [UInt8], fail: (String) -> Error) throws -> [Child] {
        let prefix = Array(header.utf8) + [10]
        guard isNode(bytes) else { throw fail("does not start with `\(header)`") }
        guard bytes.last == 10 else { throw fail("is truncated (no final newline)") }
        var children: [Child] = []
        var previous: [UInt8]?
        try ManifestLines.read(bytes, from: prefix.count, last: "name", maximumSize: 1 << 60, fail: fail) { number, id, size, mode, nameBytes in
            let kind: Child.Kind
            switch String(decoding: mode, as: UTF8.self) {
            case "644": kind = .file(executable: false)
            case "755": kind = .file(executable: true)
            case "dir": kind = .folder
            case let other: throw fail("line \(number) has mode \(other.prefix(10)); expected 644, 755 or dir")
            }
            guard let name = String(validating: nameBytes, as: UTF8.self) else { throw fail("line \(number) has a name that is not UTF-8") }
            if name.utf8.contains(UInt8(ascii: "/")) { throw fail("line \(number): name `\(name.prefix(100))` is not a single folder entry") }
            if let problem = RelativePath.problem(with: name) { throw fail("line \(number): name `\(name.prefix(100))` \(problem)") }
            let child = Child(name: name, id: id, size: size, kind: kind)
            let key = child.sortKey
            if let previous, !previous.lexicographicallyPrecedes(key) { throw fail("line \(number) is out of order or repeated") }
            // A file and a folder of one name sort apart (`a` and `a/`) but cannot both exist.
            if let last = children.last, last.name == name { throw fail("line \(number) repeats the name `\(name.prefix(100))`") }
            previous = key
            children.append(child)
        }
        return children
    }
}

/// A directory's files read from its manifest, with the objects the manifest itself is made of.
struct ManifestWalk {
    /// The files, in path byte order.
    var entries: [DirectoryManifest.Entry] = []
    /// The manifest's own objects: the v1 manifest, or every node of a v2 tree read, each
    /// after the nodes beneath it (the root last).
    var nodes: [ObjectID] = []
    /// Nodes the cache lacks, with the folder (inside the directory) each stands for; their
    /// files are unknown until they are fetched.
    var missing: [(id: ObjectID, folder: String)] = []
    /// The folders whose nodes were read, with their ids (the root, "", is not listed).
    var folders: [(path: String, id: ObjectID)] = []
    /// False for a format 1 manifest (one flat object, no folder nodes).
    var isTree = true
    /// Folders left unread because `held` said their node, and so everything beneath it, is
    /// already where it is wanted; with the bytes their node states are beneath it.
    var held: [(folder: String, id: ObjectID, size: Int64)] = []

    /// Nodes deeper than this are refused (Git's own limit on paths is of this order).
    static let maximumDepth = 256

    /// Reads the manifest `id` of a directory that its pointer says holds `fileCount` files
    /// (a tree that expands to more is refused: nodes may be shared, so a few small nodes could
    /// otherwise stand for billions of files). `read` gives a verified object, or nil when the
    /// cache lacks it; with `allowMissing` a missing node is listed, not an error. A folder
    /// whose node `held` accepts is listed in `held` and not read.
    static func read(_ id: ObjectID, fileCount: Int?, allowMissing: Bool = false, descend: (String, ObjectID) -> Bool = { _, _ in true },
                     held: ((ObjectID) -> Bool)? = nil, read: (ObjectID) throws -> [UInt8]?) throws -> ManifestWalk {
        var walk = ManifestWalk()
        guard let bytes = try read(id) else {
            guard allowMissing else { throw StoreError.missing(id) }
            walk.missing.append((id, ""))
            return walk
        }
        guard ManifestTree.isNode(bytes) else {
            walk.nodes.append(id)
            walk.isTree = false
            walk.entries = try DirectoryManifest.parse(bytes, source: id.short).entries
            if let fileCount, walk.entries.count > fileCount { throw ManifestError(source: id.short, reason: "lists \(walk.entries.count) files where its pointer states \(fileCount)") }
            return walk
        }
        let limit = fileCount ?? 100_000_000
        var total: Int64 = 0
        func visit(_ node: ObjectID, bytes: [UInt8], folder: String, depth: Int) throws {
            func fail(_ reason: String) -> Error {
                ManifestError(source: "node \(node.short) (folder `\(folder.isEmpty ? "." : String(folder.prefix(200)))` of \(id.short))", reason: reason)
            }
            guard depth <= maximumDepth else { throw fail("is nested more than \(maximumDepth) folders deep") }
            for child in try ManifestTree.parse(bytes, fail: fail) {
                let path = folder.isEmpty ? child.name : folder + "/" + child.name
                switch child.kind {
                case .file(let executable):
                    guard walk.entries.count < limit else { throw fail("holds more files than its pointer states (\(limit))") }
                    total += child.size
                    guard total <= (1 << 60) else { throw fail("lists more bytes than any directory holds") }
                    walk.entries.append(DirectoryManifest.Entry(path: path, id: child.id, size: child.size, executable: executable))
                case .folder:
                    guard walk.nodes.count <= limit + 1 else { throw fail("has more folders than its pointer states files") }
                    guard descend(path, child.id) else { continue }
                    if let held, held(child.id) {
                        walk.held.append((path, child.id, child.size))
                        continue
                    }
                    let sub: [UInt8]?
                    do { sub = try read(child.id) } catch let error as StoreError {
                        guard case .corrupted = error else { throw error }
                        throw ManifestError(source: "node \(child.id.short) (folder `\(String(path.prefix(200)))` of \(id.short))",
                                            reason: "is corrupted in the cache (its bytes no longer hash to its id)")
                    }
                    guard let sub else {
                        guard allowMissing else { throw StoreError.missing(child.id) }
                        walk.missing.append((child.id, path))
                        continue
                    }
                    walk.folders.append((path, child.id))
                    try visit(child.id, bytes: sub, folder: path, depth: depth + 1)
                    // After its children: a node is sent only once what it lists is there.
                    walk.nodes.append(child.id)
                }
            }
        }
        try visit(id, bytes: bytes, folder: "", depth: 0)
        walk.nodes.append(id)
        return walk
    }
}

/// The files that differ between two directories kept as trees, found by comparing node ids
/// and descending only into folders whose ids differ (an unchanged folder is not read).
struct TreeChanges {
    var added: [DirectoryManifest.Entry] = []
    var deleted: [DirectoryManifest.Entry] = []
    /// Old and new versions of each changed file.
    var modified: [(old: DirectoryManifest.Entry, new: DirectoryManifest.Entry)] = []

    /// Nil when either side is not a tree (a format 1 manifest): the caller compares flat lists.
    static func between(_ a: PointerFile, _ b: PointerFile, project: Project) throws -> TreeChanges? {
        let rootA = try project.store.readVerified(a.id), rootB = try project.store.readVerified(b.id)
        guard ManifestTree.isNode(rootA), ManifestTree.isNode(rootB) else { return nil }
        var changes = TreeChanges()
        try changes.compare(a.id, rootA, b.id, rootB, folder: "", project: project, limits: (a.fileCount, b.fileCount))
        return changes
    }

    private mutating func compare(_ a: ObjectID, _ bytesA: [UInt8], _ b: ObjectID, _ bytesB: [UInt8], folder: String,
                                  project: Project, limits: (Int?, Int?), depth: Int = 0) throws {
        guard a != b else { return }
        guard depth <= ManifestWalk.maximumDepth else { throw ManifestError(source: "node \(b.short)", reason: "is nested more than \(ManifestWalk.maximumDepth) folders deep") }
        func children(_ id: ObjectID, _ bytes: [UInt8]) throws -> [String: ManifestTree.Child] {
            let list = try ManifestTree.parse(bytes) { reason in
                ManifestError(source: "node \(id.short) (folder `\(folder.isEmpty ? "." : String(folder.prefix(200)))`)", reason: reason)
            }
            return Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
        let old = try children(a, bytesA), new = try children(b, bytesB)
        for name in Set(old.keys).union(new.keys).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let path = folder.isEmpty ? name : folder + "/" + name
            switch (old[name], new[name]) {
            case let (x?, y?) where x.kind == .folder && y.kind == .folder:
                guard x.id != y.id else { continue }
                try compare(x.id, try project.store.readVerified(x.id), y.id, try project.store.readVerified(y.id),
                            folder: path, project: project, limits: limits, depth: depth + 1)
            case let (x?, y?) where x.kind != .folder && y.kind != .folder:
                if x.id != y.id { modified.append((entry(x, path), entry(y, path))) }
            case let (x, y):
                if let x { deleted += try files(x, path, project: project, limit: limits.0) }
                if let y { added += try files(y, path, project: project, limit: limits.1) }
            }
        }
    }

    private func entry(_ child: ManifestTree.Child, _ path: String) -> DirectoryManifest.Entry {
        if case .file(let executable) = child.kind { return DirectoryManifest.Entry(path: path, id: child.id, size: child.size, executable: executable) }
        return DirectoryManifest.Entry(path: path, id: child.id, size: child.size, executable: false)
    }

    /// A file, or every file beneath a folder, with paths from the directory's root.
    private func files(_ child: ManifestTree.Child, _ path: String, project: Project, limit: Int?) throws -> [DirectoryManifest.Entry] {
        guard child.kind == .folder else { return [entry(child, path)] }
        return try project.manifestWalk(child.id, fileCount: limit).entries.map {
            DirectoryManifest.Entry(path: path + "/" + $0.path, id: $0.id, size: $0.size, executable: $0.executable)
        }
    }
}
