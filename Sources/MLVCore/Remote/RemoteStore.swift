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

/// What kind of failure a remote error is: the transfer code decides retries from this,
/// never from a message.
public enum RemoteFailureKind: String, Sendable {
    /// May work on another try: timeouts, 5xx, throttling, dropped connections, EINTR/EAGAIN.
    case retriable
    /// Refused signature, expired token, access denied, no credentials.
    case auth
    /// The bucket, prefix, object or directory is not there.
    case notFound
    /// Bytes or indexes that do not match what they claim.
    case corrupt
    /// The filesystem refused: no space, no permission, read-only.
    case local
    /// A setting or name in mlv's configuration is wrong.
    case configuration
}

/// Problems reaching or reading a remote, said so a user can act on them.
public enum RemoteError: UserFacingError, Equatable {
    case unknownRemote(String, known: [String])
    case noDefaultRemote
    case unsupportedURL(String)
    /// Could not be reached even after retries (connection refused, DNS, timeouts).
    case unreachable(remote: String, detail: String)
    case notFound(remote: String, key: String)
    case notARemote(remote: String, detail: String)
    case corrupted(remote: String, key: String, object: String)
    case malformedIndex(remote: String, key: String, reason: String)
    case missingOnRemote(remote: String, objects: [String])
    case exists(String)
    /// A request that failed in a way no retry fixes (an unexpected HTTP status).
    case io(remote: String, key: String, detail: String)
    /// The server refused the signature or the key (wrong secret, unknown key, expired token).
    case credentialsRefused(remote: String, code: String)
    /// The credentials are valid but not allowed to touch `target`.
    case accessDenied(remote: String, target: String)
    /// No credentials were found for an S3 remote.
    case noCredentials(remote: String, name: String)
    case bucketMissing(remote: String, bucket: String)
    /// A failure that may pass (5xx, throttling, dropped connection, EINTR) after every retry.
    case transient(remote: String, key: String, detail: String, attempts: Int)
    /// The remote answered something an mlv remote never does (a range of the wrong size, a
    /// listing that never ends).
    case protocolViolation(remote: String, detail: String)
    /// The remote's object is not the size the pointers or manifests here promise.
    case sizeMismatch(remote: String, object: String, stated: Int64, actual: Int64)
    /// The filesystem holding a directory remote refused (no space, permission, read-only).
    case storage(remote: String, key: String, errno: Int32)

    public var kind: RemoteFailureKind {
        switch self {
        case .unknownRemote, .noDefaultRemote, .unsupportedURL, .exists, .notARemote: return .configuration
        case .unreachable, .transient: return .retriable
        case .notFound, .missingOnRemote, .bucketMissing: return .notFound
        case .corrupted, .malformedIndex, .protocolViolation, .sizeMismatch: return .corrupt
        case .credentialsRefused, .accessDenied, .noCredentials: return .auth
        case .storage: return .local
        case .io: return .corrupt
        }
    }

    /// The kind a directory remote's errno means.
    static func kind(ofErrno code: Int32) -> RemoteFailureKind {
        switch code {
        case EINTR, EAGAIN, ETIMEDOUT, ESTALE, EIO: return .retriable
        case ENOENT, ENOTDIR: return .notFound
        default: return .local
        }
    }

    public var description: String {
        switch self {
        case .unknownRemote(let name, let known):
            return "no remote named `\(name)`" + (known.isEmpty ? "; add one with `mlv remote add NAME URL`." : " (known: \(known.joined(separator: ", "))).")
        case .noDefaultRemote:
            return "no remote given and no default set; use `-r NAME` or `mlv remote add NAME URL --default`."
        case .unsupportedURL(let url):
            return "remote URL `\(url)` is not supported; use a directory path, file://PATH or s3://BUCKET/PREFIX."
        case .unreachable(let remote, let detail):
            return "remote \(remote) cannot be reached: \(detail). Check the network or the endpoint, then run the command again."
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
        case .credentialsRefused(let remote, let code):
            return "remote \(remote) refused the credentials (\(code)): the secret key is wrong, the key is unknown or the token expired. Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile in use."
        case .accessDenied(let remote, let target):
            return "remote \(remote): access denied to \(target); the credentials are valid but lack permission there. Ask for access or use other credentials."
        case .noCredentials(let remote, let name):
            return "remote \(remote) needs credentials and none were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or `git config mlv.\(name).accessKeyId` and `mlv.\(name).secretAccessKey`."
        case .bucketMissing(let remote, let bucket):
            return "remote \(remote): bucket \(bucket) does not exist; create it or fix the remote URL with `mlv remote modify`."
        case .transient(let remote, let key, let detail, let attempts):
            return "remote \(remote): \(key.isEmpty ? "" : key + ": ")\(detail), still failing after \(attempts) attempts (a temporary failure); run the command again later — what finished is kept."
        case .protocolViolation(let remote, let detail):
            return "remote \(remote) answered in a way an mlv remote never does: \(detail); nothing from it was used."
        case .sizeMismatch(let remote, let object, let stated, let actual):
            return "remote \(remote): object \(object) is \(actual) bytes there, but the pointers here say \(stated); nothing was downloaded. If the pointer was edited by hand, restore it (`git checkout -- FILE.mlv`) or add the data again."
        case .storage(let remote, let key, let code):
            return "remote \(remote): writing \(key) failed: \(String(cString: strerror(code))). Free space or fix permissions on that filesystem, then run the command again."
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
