/// A `<path>.mlv` pointer: the small, committed file that names the data stored in the cache.
///
/// Format (version 1), one `key: value` per line, keys in this order, `#` lines are comments:
///
///     version: 1
///     path: data
///     type: directory
///     id: <64 hex digits>
///     size: 1048576
///     files: 100
///
/// `path` is the name of the tracked file or directory beside the pointer (one path segment,
/// the pointer's own name without `.mlv`); `files` is present for directories only.
public struct PointerFile: Equatable, Sendable {
    public enum Kind: String, Sendable { case file, directory }

    public static let currentVersion = 1
    public static let suffix = ".mlv"
    /// Pointers are tiny; anything larger is hostile or not a pointer.
    public static let maximumSize = 4096

    public var name: String
    public var kind: Kind
    public var id: ObjectID
    public var size: Int64
    public var fileCount: Int?
    /// Where imported data came from (`mlv import`); nil for data added here.
    public var source: ImportSource?

    public init(name: String, kind: Kind, id: ObjectID, size: Int64, fileCount: Int?, source: ImportSource? = nil) {
        self.name = name
        self.kind = kind
        self.id = id
        self.size = size
        self.fileCount = fileCount
        self.source = source
    }

    /// The canonical text of the pointer.
    public func serialized() -> [UInt8] {
        var text = "# mlv pointer: the data lives in the mlv cache (see `mlv status`)\n"
        text += "version: \(PointerFile.currentVersion)\n"
        text += "path: \(name)\n"
        text += "type: \(kind.rawValue)\n"
        text += "id: \(id.hex)\n"
        text += "size: \(size)\n"
        if let fileCount { text += "files: \(fileCount)\n" }
        if let source {
            text += "source-url: \(source.url)\n"
            if let revision = source.revision { text += "source-rev: \(revision)\n" }
            text += "source-commit: \(source.commit)\n"
            text += "source-path: \(source.path)\n"
        }
        return Array(text.utf8)
    }

    /// Parses pointer bytes strictly. `file` is the pointer's repository-relative path, used in
    /// errors and to check that `path` names the pointer's neighbour; `revision` names the
    /// commit it was read from (nil for the work tree).
    public static func parse(_ bytes: [UInt8], file: String, revision: String? = nil) throws -> PointerFile {
        func fail(_ reason: String) -> PointerError { PointerError(file: file, revision: revision, reason: reason) }
        guard bytes.count <= maximumSize else { throw fail("is \(bytes.count) bytes; a pointer is at most \(maximumSize)") }
        if file.hasSuffix(suffix), let problem = RelativePath.trackedPathProblem(String(file.dropLast(suffix.count))) {
            throw fail("stands for a path that \(problem)")
        }
        guard !bytes.contains(0) else { throw fail("contains a NUL byte") }
        guard let text = String(validatingUTF8: bytes.map { CChar(bitPattern: $0) } + [0]) else {
            throw fail("is not UTF-8 text")
        }
        var fields: [String: String] = [:]
        var order: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { throw fail("line \(number + 1) is not `key: value`") }
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " ")
            guard ["version", "path", "type", "id", "size", "files", "source-url", "source-rev", "source-commit", "source-path"].contains(key) else {
                throw fail("line \(number + 1) has unknown key `\(key)`")
            }
            guard fields[key] == nil else { throw fail("key `\(key)` appears twice") }
            fields[key] = value
            order.append(key)
        }
        guard let version = fields["version"] else { throw fail("has no `version`") }
        guard version == String(currentVersion) else {
            throw fail("has version \(version.prefix(20)); this mlv reads version \(currentVersion) — upgrade mlv")
        }
        guard let name = fields["path"], !name.isEmpty else { throw fail("has no `path`") }
        if name.hasPrefix("/") { throw fail("has an absolute path `\(name.prefix(100))`") }
        if name.split(separator: "/").contains("..") || name == ".." { throw fail("has a `..` path `\(name.prefix(100))`") }
        if name.contains("/") || name == "." { throw fail("path `\(name.prefix(100))` must be the name of the file or directory beside the pointer") }
        let expected = String(file.split(separator: "/").last ?? "")
        guard expected == name + suffix else {
            throw fail("names `\(name.prefix(100))`, but a pointer must sit beside its data as `\(name)\(suffix)`")
        }
        guard let typeText = fields["type"], let kind = Kind(rawValue: typeText) else {
            throw fail("has type `\(fields["type"]?.prefix(20) ?? "")`; expected `file` or `directory`")
        }
        guard let idText = fields["id"] else { throw fail("has no `id`") }
        guard let id = ObjectID(hex: idText) else { throw fail("has id `\(idText.prefix(80))`, which is not 64 lower-case hex digits") }
        guard let sizeText = fields["size"], let size = Int64(sizeText), size >= 0, size <= (1 << 53) else {
            throw fail("has size `\(fields["size"]?.prefix(30) ?? "")`; expected a whole number of bytes")
        }
        var fileCount: Int?
        switch kind {
        case .directory:
            guard let filesText = fields["files"], let count = Int(filesText), count >= 0, count <= 100_000_000 else {
                throw fail("is a directory pointer without a valid `files` count")
            }
            fileCount = count
        case .file:
            guard fields["files"] == nil else { throw fail("is a file pointer but has `files`") }
        }
        var source: ImportSource?
        if let url = fields["source-url"] {
            guard let commit = fields["source-commit"], commit.count == 40, commit.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw fail("has `source-url` without a valid `source-commit` (40 hex digits)")
            }
            guard let sourcePath = fields["source-path"], let normalized = ModelPath.normalize(sourcePath), normalized == sourcePath else {
                throw fail("has `source-url` without a valid `source-path` inside that repository")
            }
            guard !url.isEmpty, url.utf8.count <= 2048, !url.hasPrefix("-"), url.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw fail("has a `source-url` that is empty, too long or holds control characters")
            }
            let revision = fields["source-rev"]
            if let revision, revision.isEmpty || revision.utf8.count > 256 || revision.hasPrefix("-") { throw fail("has a `source-rev` that is empty, too long or starts with `-`") }
            source = ImportSource(url: url, revision: revision, commit: commit, path: sourcePath)
        } else if fields["source-rev"] != nil || fields["source-commit"] != nil || fields["source-path"] != nil {
            throw fail("has `source-` fields without `source-url`")
        }
        return PointerFile(name: name, kind: kind, id: id, size: size, fileCount: fileCount, source: source)
    }
}

/// Where `mlv import` took data from: the repository, the revision asked for (nil: its HEAD),
/// the commit that revision was, and the path there.
public struct ImportSource: Equatable, Sendable, Encodable {
    public let url: String
    public let revision: String?
    public let commit: String
    public let path: String

    public init(url: String, revision: String?, commit: String, path: String) {
        self.url = url
        self.revision = revision
        self.commit = commit
        self.path = path
    }
}

/// A pointer file that cannot be used, with the file and the reason.
public struct PointerError: UserFacingError, Equatable {
    public let file: String
    public let revision: String?
    public let reason: String

    public init(file: String, revision: String? = nil, reason: String) {
        self.file = file
        self.revision = revision
        self.reason = reason
    }

    public var description: String {
        if let revision { return "pointer \(file) at \(revision) \(reason); nothing was changed." }
        return "pointer \(file) \(reason); nothing was changed. Restore it with `git checkout -- \(file)` or re-add the data."
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String { String(self).trimmingCharacters(in: set) }
}
