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

    /// Every file under `directory` (absolute), in no particular order. Symlinks into the cache are
    /// read as the object they name; other symlinks are refused (add) or returned with a nil
    /// id so they show as modified (status). Sockets and devices are refused.
    static func scan(_ directory: String, displayPath: String, cacheRoot: String,
                     foreignLinks: ForeignLinks) throws -> [ScannedFile] {
        var found: [ScannedFile] = []
        // The top folder here, its subfolders across cores: `lstat` is most of a status, and
        // the kernel serves it in parallel (as `git status` preloads its index on threads).
        let subdirectories = try walk(directory, relative: "", displayPath: displayPath, cacheRoot: cacheRoot,
                                      foreignLinks: foreignLinks, recurse: false, into: &found)
        let parts = try ParallelWork.map(subdirectories.count) { index -> [ScannedFile] in
            var part: [ScannedFile] = []
            _ = try walk(subdirectories[index].0, relative: subdirectories[index].1, displayPath: displayPath, cacheRoot: cacheRoot,
                         foreignLinks: foreignLinks, recurse: true, into: &part)
            return part
        }
        for part in parts { found += part }
        return found
    }

    /// Lists one folder into `found`, and its subfolders too when `recurse`; returns the
    /// subfolders (absolute and relative paths) it did not walk.
    private static func walk(_ absolute: String, relative: String, displayPath: String, cacheRoot: String,
                             foreignLinks: ForeignLinks, recurse: Bool, into found: inout [ScannedFile]) throws -> [(String, String)] {
        // readdir + fstatat on the open folder: each stat resolves one name, not a full path.
        guard let dir = opendir(absolute) else { throw FileError(path: absolute, operation: "read directory", errno: errno) }
        defer { closedir(dir) }
        let fd = dirfd(dir)
        var subdirectories: [(String, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            // A file mlv is writing, or was writing when it was killed: never data. Leftovers
            // of processes that are gone are removed.
            if name.hasPrefix("."), name.contains(".mlv-tmp-") {
                FileSystem.removeIfAbandoned(absolute + "/" + name)
                continue
            }
            // A Git repository nested in data (a clone, a submodule) is Git's, never data.
            if PathName.isGitFolderName(name) { continue }
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            if RelativePath.problem(with: name) != nil { throw WorkspaceError.unsafePathName(displayPath + "/" + childRelative) }
            // A folder's own stat is never used: the listing's type spares the call (a tenth
            // of a status's `lstat`s with ten files a folder). Other types are confirmed.
            if entry.pointee.d_type == UInt8(DT_DIR) {
                subdirectories.append((absolute + "/" + name, childRelative))
                continue
            }
            var raw = stat()
            guard fstatat(fd, name, &raw, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let st = FileStat(raw)
            switch st.kind {
            case .directory:
                subdirectories.append((absolute + "/" + name, childRelative))
            case .file:
                found.append(ScannedFile(path: childRelative, stat: st, linkedObject: nil))
            case .symlink:
                if let id = cacheLinkTarget(absolute + "/" + name, cacheRoot: cacheRoot) {
                    found.append(ScannedFile(path: childRelative, stat: st, linkedObject: id))
                } else if foreignLinks == .report {
                    found.append(ScannedFile(path: childRelative, stat: st, linkedObject: nil))
                } else {
                    throw WorkspaceError.symlinkRefused(displayPath + "/" + childRelative)
                }
            case .other:
                throw WorkspaceError.unsupportedFileType(displayPath + "/" + childRelative)
            }
        }
        guard recurse else { return subdirectories }
        for (childAbsolute, childRelative) in subdirectories {
            _ = try walk(childAbsolute, relative: childRelative, displayPath: displayPath, cacheRoot: cacheRoot,
                         foreignLinks: foreignLinks, recurse: true, into: &found)
        }
        return []
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
