import AsyncHTTPClient
import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// A remote in an S3-compatible bucket (AWS S3, MinIO, Ceph; moto in tests), signed with
/// Signature Version 4. Requests are retried with exponential backoff and jitter on server
/// errors, throttling and dropped connections; errors a user can act on are said plainly,
/// naming the remote and URL but never the secret.
public final class S3Remote: RemoteStore {
    public let displayName: String
    private let counter = NSLock()
    private var requests = 0
    public var requestCount: Int { counter.withLock { requests } }

    let bucket: String
    /// Proxies and the signing clock come from here.
    let environment: Environment
    let prefix: String
    let endpoint: URL
    let pathStyle: Bool
    let signer: SignatureV4
    let maximumAttempts: Int
    /// Full packs go in parts: each part retries alone, and S3 takes at most 5 GiB in one PUT.
    static let multipartThreshold: Int64 = 4 << 30
    static let partSize = 16 << 20

    public init(name: String, bucket: String, prefix: String, endpoint: String?, region: String,
                pathStyle: Bool?, credentials: AWSCredentials, maximumAttempts: Int = 5, environment: Environment = .process) throws {
        self.environment = environment
        self.bucket = bucket
        self.prefix = prefix.isEmpty ? "" : prefix + "/"
        let base = endpoint ?? "https://s3.\(region).amazonaws.com"
        guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw RemoteError.unsupportedURL("endpoint \(base)")
        }
        self.endpoint = url
        // Custom endpoints (MinIO, moto, Ceph) usually want path-style; AWS virtual-hosted.
        self.pathStyle = pathStyle ?? (endpoint != nil)
        signer = SignatureV4(credentials: credentials, region: region)
        self.maximumAttempts = maximumAttempts
        displayName = "\(name) (s3://\(bucket)/\(prefix) at \(base))"
    }

    // MARK: RemoteStore

    /// More keys than an mlv remote could hold in packs (a pack is up to ~128 MiB).
    static let maximumListing = 10_000_000

    public func list(prefix keyPrefix: String) throws -> [RemoteObject] {
        var result: [RemoteObject] = []
        var token: String?
        var seenTokens = Set<String>()
        repeat {
            // A server that repeats a token (or never stops) would make this loop forever.
            if let token, !seenTokens.insert(token).inserted {
                throw RemoteError.protocolViolation(remote: displayName, detail: "the server repeated a listing continuation token")
            }
            if result.count > S3Remote.maximumListing {
                throw RemoteError.protocolViolation(remote: displayName, detail: "the listing of \(prefix + keyPrefix) goes past \(S3Remote.maximumListing) keys")
            }
            var query = [("list-type", "2"), ("prefix", prefix + keyPrefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try send("GET", key: nil, query: query)
            let body = String(decoding: response.body, as: UTF8.self)
            for contents in XMLText.elements("Contents", in: body) {
                guard let key = XMLText.first("Key", in: contents), let size = XMLText.first("Size", in: contents).flatMap({ Int64($0) }) else { continue }
                result.append(RemoteObject(key: String(key.dropFirst(prefix.count)), size: size))
            }
            token = XMLText.first("IsTruncated", in: body) == "true" ? XMLText.first("NextContinuationToken", in: body) : nil
        } while token != nil
        return result
    }

    public func get(_ key: String, range: Range<Int64>?) throws -> [UInt8] {
        var headers: [String: String] = [:]
        if let range {
            guard !range.isEmpty else { return [] }
            headers["range"] = "bytes=\(range.lowerBound)-\(range.upperBound - 1)"
        }
        let body = try send("GET", key: key, headers: headers).body
        // A range answered with more (or fewer) bytes than asked is not the item.
        if let range, Int64(body.count) != range.count {
            throw RemoteError.protocolViolation(remote: displayName, detail: "asked for \(range.count) bytes of \(key), got \(body.count)")
        }
        return body
    }

    /// One PUT streamed from the file (S3 takes up to 5 GiB in one), so an upload holds a
    /// chunk of it in memory, not the whole pack; multipart only past that.
    public func put(_ key: String, fromFile path: String) throws {
        guard let size = FileSystem.statFile(path)?.size else { throw WorkspaceError.noSuchPath(path) }
        if size > Int64(S3Remote.multipartThreshold) { return try putMultipart(key, fromFile: path, size: size) }
        let digest = try FileStream.sha256(of: path)
        _ = try send("PUT", key: key, headers: ["content-type": "application/octet-stream"], file: FileBody(path: path, size: size, sha256: digest))
    }

    public func put(_ key: String, bytes: [UInt8]) throws {
        _ = try send("PUT", key: key, headers: ["content-type": "application/octet-stream"], body: bytes)
    }

    public func delete(_ key: String) throws {
        _ = try send("DELETE", key: key)
    }

    /// Fails with a plain message when the bucket is missing or the credentials are refused.
    func checkBucket() throws {
        _ = try send("HEAD", key: nil)
    }

    // MARK: Multipart

    private func putMultipart(_ key: String, fromFile path: String, size: Int64) throws {
        let created = try send("POST", key: key, query: [("uploads", "")], headers: ["content-type": "application/octet-stream"])
        guard let uploadID = XMLText.first("UploadId", in: String(decoding: created.body, as: UTF8.self)) else {
            throw RemoteError.io(remote: displayName, key: key, detail: "the server did not start a multipart upload")
        }
        do {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
            defer { close(fd) }
            var parts: [String] = []
            var offset: Int64 = 0
            var number = 1
            var buffer = [UInt8](repeating: 0, count: S3Remote.partSize)
            while offset < size {
                let length = Int(min(Int64(S3Remote.partSize), size - offset))
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(offset)) }
                guard n == length else { throw FileError(path: path, operation: "read", errno: errno) }
                let response = try send("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: Array(buffer[0..<length]))
                guard let etag = response.headers["etag"] else {
                    throw RemoteError.io(remote: displayName, key: key, detail: "part \(number) has no ETag")
                }
                parts.append("<Part><PartNumber>\(number)</PartNumber><ETag>\(XMLText.escape(etag))</ETag></Part>")
                offset += Int64(length)
                number += 1
            }
            let xml = "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>"
            let done = try send("POST", key: key, query: [("uploadId", uploadID)], headers: ["content-type": "application/xml"], body: Array(xml.utf8))
            if XMLText.first("Code", in: String(decoding: done.body, as: UTF8.self)) != nil {
                throw RemoteError.io(remote: displayName, key: key, detail: "completing the multipart upload failed")
            }
        } catch {
            _ = try? send("DELETE", key: key, query: [("uploadId", uploadID)])
            throw error
        }
    }

    // MARK: Requests

    /// One client for the process. A refused connection fails at once (our own retry loop
    /// decides what to try again); a silent server times out after 10 s, a stalled read after 60 s.
    /// One client per proxy (nil: direct), made on first use and kept for the process.
    private static let clients = NIOLockedValueBox<[String: HTTPClient]>([:])

    static func client(for endpoint: URL, environment: Environment) -> HTTPClient {
        let proxy = ProxySettings.proxy(for: endpoint, environment: environment.variables)
        let key = proxy.map { "\($0.host):\($0.port)" } ?? ""
        return clients.withLockedValue { clients in
            if let existing = clients[key] { return existing }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(60))
            configuration.connectionPool.retryConnectionEstablishment = false
            if let proxy { configuration.proxy = .server(host: proxy.host, port: proxy.port) }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = client
            return client
        }
    }

    struct Response {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
    }

    /// Sends one signed request, retrying what may succeed on a second try: the decision is
    /// the error's kind (`RemoteFailureKind.retriable`), never its text.
    func send(_ method: String, key: String?, query: [(String, String)] = [], headers extra: [String: String] = [:],
              body: [UInt8] = [], file: FileBody? = nil) throws -> Response {
        var attempt = 0
        while true {
            attempt += 1
            let failure: RemoteError
            do {
                let response = try sendOnce(method, key: key, query: query, headers: extra, body: body, file: file)
                if (200..<300).contains(response.status) { return response }
                failure = classify(response, key: key, attempts: attempt)
            } catch let error as RemoteError {
                throw error
            } catch {
                // The connection failed: refused, reset, timed out. Worth another try.
                failure = .unreachable(remote: displayName, detail: "\(endpoint.absoluteString): \(error)")
            }
            guard failure.kind == .retriable, attempt < maximumAttempts else { throw failure }
            backoff(attempt)
        }
    }

    /// Exponential backoff with full jitter: up to 0.1 s, 0.2 s, 0.4 s, … capped at 5 s.
    private func backoff(_ attempt: Int) {
        let ceiling = min(5.0, 0.1 * pow(2.0, Double(attempt - 1)))
        usleep(useconds_t(Double.random(in: 0...ceiling) * 1_000_000))
    }

    /// The error an S3 reply means, by status and S3 error code.
    private func classify(_ response: Response, key: String?, attempts: Int) -> RemoteError {
        let text = String(decoding: response.body.prefix(64 << 10), as: UTF8.self)
        let code = XMLText.first("Code", in: text) ?? ""
        let target = key.map { "s3://\(bucket)/\(prefix)\($0)" } ?? "s3://\(bucket)"
        switch (response.status, code) {
        case (_, "SignatureDoesNotMatch"), (_, "InvalidAccessKeyId"), (_, "InvalidClientTokenId"), (_, "ExpiredToken"), (_, "TokenRefreshRequired"):
            return .credentialsRefused(remote: displayName, code: code)
        case (_, "NoSuchBucket"):
            return .bucketMissing(remote: displayName, bucket: bucket)
        case (403, _), (_, "AccessDenied"):
            return .accessDenied(remote: displayName, target: target)
        case (404, _) where key != nil, (_, "NoSuchKey"):
            return .notFound(remote: displayName, key: key ?? "")
        case (404, _):
            return .bucketMissing(remote: displayName, bucket: bucket)
        case (500..., _), (429, _), (_, "SlowDown"), (_, "RequestTimeout"), (_, "InternalError"), (_, "ServiceUnavailable"):
            return .transient(remote: displayName, key: key ?? "", detail: "HTTP \(response.status)\(code.isEmpty ? "" : " " + code)", attempts: attempts)
        default:
            return .io(remote: displayName, key: key ?? "", detail: "HTTP \(response.status)\(code.isEmpty ? "" : " " + code)")
        }
    }

    private func sendOnce(_ method: String, key: String?, query: [(String, String)], headers extra: [String: String],
                          body: [UInt8], file: FileBody?) throws -> Response {
        counter.withLock { requests += 1 }
        let objectPath = key.map { "/" + (prefix + $0) } ?? "/"
        let host: String
        let path: String
        let port = endpoint.port.map { ":\($0)" } ?? ""
        if pathStyle {
            host = endpoint.host! + port
            path = "/" + bucket + (key == nil ? "" : objectPath)
        } else {
            host = bucket + "." + endpoint.host! + port
            path = objectPath
        }
        let payloadHash = file?.sha256 ?? (body.isEmpty ? SignatureV4.emptyPayloadHash : SignatureV4.hex(SHA256.hash(data: body)))
        var headers = extra
        headers["host"] = host
        headers["x-amz-content-sha256"] = payloadHash
        for (name, value) in signer.sign(method: method, path: path, query: query, headers: headers, payloadHash: payloadHash, date: environment.now()) {
            headers[name] = value
        }
        let encodedPath = path.split(separator: "/", omittingEmptySubsequences: false).map { SignatureV4.uriEncode(String($0)) }.joined(separator: "/")
        let queryString = query.map { SignatureV4.uriEncode($0.0) + "=" + SignatureV4.uriEncode($0.1) }.joined(separator: "&")
        let urlString = "\(endpoint.scheme!)://\(host)\(encodedPath)\(queryString.isEmpty ? "" : "?" + queryString)"
        guard let url = URL(string: urlString) else { throw RemoteError.unsupportedURL(urlString) }
        var request = try HTTPClient.Request(url: url, method: HTTPMethod(rawValue: method))
        for (name, value) in headers where name != "host" { request.headers.add(name: name, value: value) }
        if let file {
            request.body = try file.body()
        } else if !body.isEmpty || method == "PUT" || method == "POST" {
            request.body = .bytes(body)
        }
        let response = try S3Remote.client(for: endpoint, environment: environment).execute(request: request, deadline: .now() + .seconds(300)).wait()
        var responseHeaders: [String: String] = [:]
        for (name, value) in response.headers { responseHeaders[name.lowercased()] = value }
        let bytes = response.body.map { Array($0.readableBytesView) } ?? []
        return Response(status: Int(response.status.code), headers: responseHeaders, body: bytes)
    }
}

/// A request body read from a file as it is sent, a chunk at a time, with its SHA-256 worked
/// out beforehand (SigV4 signs it). Each send opens the file again, so a retry starts over.
struct FileBody {
    let path: String
    let size: Int64
    let sha256: String
    static let chunk = 1 << 20

    func body() throws -> HTTPClient.Body {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        let descriptor = FileDescriptorBox(fd)
        let size = self.size, path = self.path
        return .stream(contentLength: size) { writer in
            // One chunk in flight: the next is read when the last was written.
            @Sendable func next(_ offset: Int64) -> EventLoopFuture<Void> {
                guard offset < size else { descriptor.close(); return writer.write(.byteBuffer(ByteBuffer())) }
                let length = Int(min(Int64(FileBody.chunk), size - offset))
                var buffer = ByteBufferAllocator().buffer(capacity: length)
                let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { pointer in
                    max(0, pread(descriptor.fd, pointer.baseAddress, length, off_t(offset)))
                }
                guard read == length else {
                    descriptor.close()
                    return writer.write(.byteBuffer(ByteBuffer())).flatMapThrowing { throw FileError(path: path, operation: "read", errno: EIO) }
                }
                return writer.write(.byteBuffer(buffer)).flatMap { next(offset + Int64(length)) }
            }
            return next(0)
        }
    }
}

/// A file descriptor closed once, whichever way the stream ends.
final class FileDescriptorBox: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    private var open = true
    init(_ fd: Int32) { self.fd = fd }
    func close() { lock.withLock { if open { open = false; Glibc.close(fd) } } }
    deinit { close() }
}

/// Just enough XML reading for S3's replies: the text of named elements, entities decoded.
enum XMLText {
    static func elements(_ name: String, in text: String) -> [String] {
        var result: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest.range(of: "</\(name)>", range: open.upperBound..<rest.endIndex) {
            result.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return result
    }

    static func first(_ name: String, in text: String) -> String? {
        elements(name, in: text).first.map(unescape)
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// SHA-256 of a file, read a chunk at a time.
enum FileStream {
    static func sha256(of path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: FileBody.chunk)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try FileSystem.readSome(fd, into: $0, path: path) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return SignatureV4.hex(hasher.finalize())
    }
}
