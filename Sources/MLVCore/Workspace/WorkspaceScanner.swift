/// A regular file found under a tracked directory.
public struct ScannedFile: Sendable {
    /// Relative to the scanned directory.
    public let path: String
    public let stat: FileStat
    /// Set when the file is a symlink into the cache (symlink link mode): its id is the name.
    public let linkedObject: ObjectID?
}

/// Lists the files under a directory for add, status and checkout.
enum WorkspaceScanner {
    /// How symlinks that do not point into the cache are treated.
    enum ForeignLinks { case refuse, report }

    /// Every file under `directory` (absolute), sorted by path. Symlinks into the cache are
    /// read as the object they name; other symlinks are refused (add) or returned with a nil
    /// id so they show as modified (status). Sockets and devices are refused.
    static func scan(_ directory: String, displayPath: String, cacheRoot: String,
                     foreignLinks: ForeignLinks) throws -> [ScannedFile] {
        var found: [ScannedFile] = []
        try walk(directory, relative: "", displayPath: displayPath, cacheRoot: cacheRoot, foreignLinks: foreignLinks, into: &found)
        found.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return found
    }

    private static func walk(_ absolute: String, relative: String, displayPath: String, cacheRoot: String,
                             foreignLinks: ForeignLinks, into found: inout [ScannedFile]) throws {
        for name in try FileSystem.listDirectory(absolute) {
            // A file mlv was writing when it was killed; the next checkout replaces it.
            if name.hasPrefix("."), name.contains(".mlv-tmp-") { continue }
            let childAbsolute = absolute + "/" + name
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            let shown = displayPath + "/" + childRelative
            if RelativePath.problem(with: childRelative) != nil { throw WorkspaceError.unsafePathName(shown) }
            guard let st = FileSystem.lstatFile(childAbsolute) else { continue }
            switch st.kind {
            case .directory:
                try walk(childAbsolute, relative: childRelative, displayPath: displayPath, cacheRoot: cacheRoot,
                         foreignLinks: foreignLinks, into: &found)
            case .file:
                found.append(ScannedFile(path: childRelative, stat: st, linkedObject: nil))
            case .symlink:
                if let id = cacheLinkTarget(childAbsolute, cacheRoot: cacheRoot) {
                    found.append(ScannedFile(path: childRelative, stat: st, linkedObject: id))
                } else if foreignLinks == .report {
                    found.append(ScannedFile(path: childRelative, stat: st, linkedObject: nil))
                } else {
                    throw WorkspaceError.symlinkRefused(shown)
                }
            case .other:
                throw WorkspaceError.unsupportedFileType(shown)
            }
        }
    }

    /// The object a symlink made by mlv's symlink mode points at, or nil.
    static func cacheLinkTarget(_ path: String, cacheRoot: String) -> ObjectID? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard target.hasPrefix(cacheRoot + "/") else { return nil }
        let parts = target.dropFirst(cacheRoot.count + 1).split(separator: "/")
        guard parts.count == 2 else { return nil }
        return ObjectID(hex: String(parts[0] + parts[1]))
    }
}

#if canImport(Glibc)
import Glibc
#endif
