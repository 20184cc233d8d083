/// The canonical list of a tracked directory's files; its SHA-256 is the directory's id.
///
/// Format (version 1): the line `mlv-manifest 1`, then one line per file sorted by path
/// bytes: `<id> <size> <mode> <path>`, mode `644` or `755`, path relative with `/`.
public struct DirectoryManifest: Equatable, Sendable {
    /// One file of a tracked directory.
    public struct Entry: Equatable, Sendable {
        public var path: String
        public var id: ObjectID
        public var size: Int64
        public var executable: Bool

        public init(path: String, id: ObjectID, size: Int64, executable: Bool) {
            self.path = path
            self.id = id
            self.size = size
            self.executable = executable
        }
    }

    static let header = "mlv-manifest 1"

    /// Entries sorted by path bytes.
    public let entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    public var totalSize: Int64 { entries.reduce(0) { $0 + $1.size } }

    public func serialized() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(entries.count * 100 + 16)
        out.append(contentsOf: DirectoryManifest.header.utf8)
        out.append(10)
        for entry in entries {
            out.append(contentsOf: entry.id.hex.utf8)
            out.append(32)
            out.append(contentsOf: String(entry.size).utf8)
            out.append(contentsOf: entry.executable ? " 755 ".utf8 : " 644 ".utf8)
            out.append(contentsOf: entry.path.utf8)
            out.append(10)
        }
        return out
    }

    /// Parses a manifest strictly: every path must stay inside the directory. Lines are read
    /// one at a time (never split up front), and an empty line stops it at once: a manifest of
    /// millions of empty lines costs nothing.
    public static func parse(_ bytes: [UInt8], source: String) throws -> DirectoryManifest {
        func fail(_ reason: String) -> ManifestError { ManifestError(source: source, reason: reason) }
        let headerBytes = Array(header.utf8)
        guard bytes.count > headerBytes.count, Array(bytes[0..<headerBytes.count]) == headerBytes, bytes[headerBytes.count] == 10 else {
            throw fail("does not start with `\(header)`")
        }
        guard bytes.last == 10 else { throw fail("is truncated (no final newline)") }
        var entries: [Entry] = []
        var previous: String?
        var total: Int64 = 0
        try ManifestLines.read(bytes, from: headerBytes.count + 1, last: "path", maximumSize: 1 << 53, fail: fail) { number, id, size, modeBytes, name in
            let mode = String(decoding: modeBytes, as: UTF8.self)
            guard mode == "644" || mode == "755" else { throw fail("line \(number) has mode \(mode.prefix(10)); expected 644 or 755") }
            guard let path = String(validating: name, as: UTF8.self) else { throw fail("line \(number) has a path that is not UTF-8") }
            if let problem = RelativePath.problem(with: path) { throw fail("line \(number): path `\(path.prefix(100))` \(problem)") }
            if let previous, !previous.utf8.lexicographicallyPrecedes(path.utf8) {
                throw fail("line \(number) is out of order or repeated")
            }
            previous = path
            total += size
            guard total <= (1 << 60) else { throw fail("lists more bytes than any directory holds") }
            entries.append(Entry(path: path, id: id, size: size, executable: mode == "755"))
        }
        return DirectoryManifest(sortedEntries: entries)
    }

    /// Entries already in path byte order (as a manifest walk yields them).
    init(sortedEntries: [Entry]) { entries = sortedEntries }
}

/// The `<id> <size> <mode> <name>` lines after the header that both manifest formats share,
/// read one at a time (never split up front); an empty line stops the read at once.
enum ManifestLines {
    static func read(_ bytes: [UInt8], from start: Int, last: String, maximumSize: Int64, fail: (String) -> Error,
                     _ body: (_ number: Int, _ id: ObjectID, _ size: Int64, _ mode: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) throws -> Void) throws {
        var start = start
        var number = 1
        while start < bytes.count {
            number += 1
            let end = bytes[start...].firstIndex(of: 10)!
            let line = bytes[start..<end]
            start = end + 1
            guard !line.isEmpty else { throw fail("line \(number) is empty") }
            let parts = line.split(separator: 32, maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4 else { throw fail("line \(number) is not `id size mode \(last)`") }
            guard let id = ObjectID(hexBytes: parts[0]) else { throw fail("line \(number) has a bad id") }
            guard parts[1].count <= 18, let size = Int64(String(decoding: parts[1], as: UTF8.self)), size >= 0, size <= maximumSize else {
                throw fail("line \(number) has a bad size")
            }
            try body(number, id, size, parts[2], parts[3])
        }
    }
}

/// A manifest object that cannot be used.
public struct ManifestError: UserFacingError, Equatable {
    public let source: String
    public let reason: String
    public var description: String { "manifest \(source) \(reason); refusing to use it." }
}

/// Checks on repository-relative paths that come from files mlv reads.
enum RelativePath {
    /// Why `path` may not be used as a relative path inside a directory, or nil when it may.
    /// A `.git` segment in any letter case is refused at any depth: mlv never writes into a
    /// Git folder.
    static func problem(with path: String) -> String? {
        // One pass over the bytes: this runs for every file on every status.
        let bytes = path.utf8
        if bytes.isEmpty { return "is empty" }
        if bytes.first == UInt8(ascii: "/") { return "is absolute" }
        var segmentLength = 0
        var dots = 0
        // Whether the segment so far reads `.git` (any case) from its start.
        var gitPrefix = true
        func endSegment() -> String? {
            if segmentLength == 0 { return "has an empty segment" }
            if dots == 2 && segmentLength == 2 { return "escapes its directory with `..`" }
            if dots == 1 && segmentLength == 1 { return "has a `.` segment" }
            if gitPrefix && segmentLength == 4 { return "names a `.git` folder, which mlv never tracks" }
            return nil
        }
        let git: [UInt8] = Array(".git".utf8)
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return "contains a control character" }
            if byte == UInt8(ascii: "/") {
                if let problem = endSegment() { return problem }
                segmentLength = 0
                dots = 0
                gitPrefix = true
            } else {
                if gitPrefix {
                    let lower = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
                    gitPrefix = segmentLength < 4 && lower == git[segmentLength]
                }
                segmentLength += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return endSegment()
    }

    /// Why `path` may not be a tracked path of the work tree (a pointer's data, a lock
    /// output), or nil: `problem(with:)`, and nothing inside mlv's own `.mlv` folder.
    static func trackedPathProblem(_ path: String) -> String? {
        if let problem = problem(with: path) { return problem }
        if path == ".mlv" || path.hasPrefix(".mlv/") { return "is inside .mlv, mlv's private folder" }
        return nil
    }
}
