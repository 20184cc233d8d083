/// A key and its size in a remote store.
public struct RemoteObject: Equatable, Sendable {
    public let key: String
    public let size: Int64
}

/// Where objects are shared: a flat key space of immutable blobs (a local directory, an S3
/// bucket prefix). The transfer logic above it owns batching, verification and retries.
public protocol RemoteStore: AnyObject {
    /// Shown to users and in errors, e.g. `store (/mnt/share/mlv)`.
    var displayName: String { get }
    /// Keys that start with `prefix`, with their sizes.
    func list(prefix: String) throws -> [RemoteObject]
    /// The bytes of `key`, or of `range` within it.
    func get(_ key: String, range: Range<Int64>?) throws -> [UInt8]
    /// Stores the file at `path` under `key`, replacing nothing visible until complete.
    func put(_ key: String, fromFile path: String) throws
    /// Stores `bytes` under `key`.
    func put(_ key: String, bytes: [UInt8]) throws
    /// Deletes `key`; a missing key is not an error.
    func delete(_ key: String) throws
    /// Requests made so far (for summaries and the "push twice sends nothing" promise).
    var requestCount: Int { get }
}

/// A remote whose files can be hard-linked (a directory on the cache's filesystem).
protocol LinkableRemote: RemoteStore {
    /// Hard-links `key` to `path`; false when it cannot (another filesystem, not permitted).
    func link(_ key: String, to path: String) -> Bool
}

/// Problems reaching or reading a remote, said so a user can act on them.
public enum RemoteError: UserFacingError, Equatable {
    case unknownRemote(String, known: [String])
    case noDefaultRemote
    case unsupportedURL(String)
    case unreachable(remote: String, detail: String)
    case notFound(remote: String, key: String)
    case notARemote(remote: String, detail: String)
    case corrupted(remote: String, key: String, object: String)
    case malformedIndex(remote: String, key: String, reason: String)
    case missingOnRemote(remote: String, objects: [String])
    case exists(String)
    case io(remote: String, key: String, detail: String)

    public var description: String {
        switch self {
        case .unknownRemote(let name, let known):
            return "no remote named `\(name)`" + (known.isEmpty ? "; add one with `mlv remote add NAME URL`." : " (known: \(known.joined(separator: ", "))).")
        case .noDefaultRemote:
            return "no remote given and no default set; use `-r NAME` or `mlv remote add NAME URL --default`."
        case .unsupportedURL(let url):
            return "remote URL `\(url)` is not supported; use a directory path, file://PATH or s3://BUCKET/PREFIX."
        case .unreachable(let remote, let detail):
            return "remote \(remote) cannot be reached: \(detail)."
        case .notFound(let remote, let key):
            return "remote \(remote) has no \(key)."
        case .notARemote(let remote, let detail):
            return "\(remote) is not an mlv remote: \(detail)."
        case .corrupted(let remote, let key, let object):
            return "remote \(remote): object \(object) in \(key) does not match its id (corrupted or truncated on the remote); nothing from it was stored. Run `mlv fsck --remote` and push it again from a clone that has it."
        case .malformedIndex(let remote, let key, let reason):
            return "remote \(remote): index \(key) is malformed (\(reason)); it was ignored."
        case .missingOnRemote(let remote, let objects):
            return "remote \(remote) lacks \(objects.count) object(s) needed here (\(objects.prefix(3).joined(separator: ", "))\(objects.count > 3 ? ", …" : "")); push them from a clone that has them."
        case .exists(let name):
            return "a remote named `\(name)` already exists; use `mlv remote modify` or remove it first."
        case .io(let remote, let key, let detail):
            return "remote \(remote): \(key): \(detail)."
        }
    }
}
