import Foundation

/// The last `ProjectConfig` parsed, kept in `.mlv/state/config` beside the inode, size and
/// times of the two files it came from. A command whose config files are unchanged since
/// then uses it and never loads libgit2 to parse them again: starting libgit2 costs several
/// milliseconds, a fifth of an unchanged `mlv status` of 10,000 files.
///
/// libgit2 stays the only parser. A record is written only when neither file changed within
/// the timestamp window before the parse (Git's racy-entry rule), so an edit after it always
/// shows as a new stamp; the kernel sets ctime on every change and no one can set it back.
/// The record is mlv's own, but it is checked like any file (magic, version, checksum,
/// bounded lengths) and a damaged one is parsed afresh.
enum ProjectConfigCache {
    static let magic = Array("MLVCONF\0".utf8)
    static let version: UInt32 = 1

    /// What identifies one version of a file: zero everywhere when it does not exist.
    struct Stamp: Equatable {
        var inode: UInt64 = 0, size: Int64 = 0, mtime: Int64 = 0, ctime: Int64 = 0
        var exists: Bool { inode != 0 || ctime != 0 }

        /// Follows symlinks, as the parser does: an edit to a link's target must show.
        init(of path: String) {
            guard let file = FileSystem.statFile(path) else { return }
            (inode, size, mtime, ctime) = (file.inode, file.size, file.mtimeNanoseconds, file.ctimeNanoseconds)
        }

        init() {}

        /// Whether the file could still change without its stamp changing (see the type's note).
        func isRacy(at now: Int64) -> Bool {
            exists && max(mtime, ctime) >= now - StateCache.racyWindow(for: mtime)
        }
    }

    static func load(committed: String, local: String, record: String) throws -> ProjectConfig {
        let stamps = [Stamp(of: committed), Stamp(of: local)]
        if let bytes = try? FileSystem.readFile(record, limit: 1 << 16), let config = try? decode(bytes, matching: stamps) {
            return config
        }
        let parsedAt = StateCache.now()
        let config = try ProjectConfig.load(committed: committed, local: local)
        // Stamped before the parse: a file that changed during it no longer matches.
        if !stamps.contains(where: { $0.isRacy(at: parsedAt) }) {
            try? FileSystem.writeAtomically(encode(config, stamps: stamps), to: record)
        }
        return config
    }

    static func encode(_ config: ProjectConfig, stamps: [Stamp]) -> [UInt8] {
        BinaryWriter.sealed(magic: magic, version: version, capacity: 512) { writer in
            writer.put(UInt32(stamps.count))
            for stamp in stamps {
                writer.put(stamp.inode); writer.put(stamp.size); writer.put(stamp.mtime); writer.put(stamp.ctime)
            }
            writer.put(UInt8(config.cacheDirectory == nil ? 0 : 1))
            writer.put(config.cacheDirectory ?? "")
            writer.put(config.linkMode.rawValue)
        }
    }

    /// The config recorded for exactly these stamps; throws when the record is damaged, from
    /// another version, or about other files.
    static func decode(_ bytes: [UInt8], matching stamps: [Stamp]) throws -> ProjectConfig {
        var reader = try BinaryReader.unsealed(bytes, magic: magic, version: version)
        let count = try reader.count(minimumSize: 32)
        var recorded: [Stamp] = []
        for _ in 0..<count {
            var stamp = Stamp()
            stamp.inode = try reader.read(UInt64.self)
            stamp.size = try reader.read(Int64.self)
            stamp.mtime = try reader.read(Int64.self)
            stamp.ctime = try reader.read(Int64.self)
            recorded.append(stamp)
        }
        guard recorded == stamps else { throw BinaryReader.Damaged(reason: "is about other versions of the config files") }
        var config = ProjectConfig()
        let hasCache = try reader.read(UInt8.self)
        let cache = try reader.string()
        if hasCache == 1 { config.cacheDirectory = cache }
        guard let mode = LinkMode(rawValue: try reader.string()) else { throw BinaryReader.Damaged(reason: "names an unknown link mode") }
        config.linkMode = mode
        return config
    }
}
