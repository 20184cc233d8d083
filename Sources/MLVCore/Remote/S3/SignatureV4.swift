import Crypto
import Foundation

/// AWS credentials. The secret is never printed: `description` hides it.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "AWSCredentials(\(accessKeyID), secret hidden)" }
}

/// AWS Signature Version 4 for HTTP requests: canonical request, string to sign, derived
/// key, and the `Authorization` header.
public struct SignatureV4: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The SHA-256 of an empty payload, hex.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Headers to add to a request (`x-amz-date`, `authorization`, and the session token).
    /// `path` is the raw (unencoded) path; `query` the raw name/value pairs; `headers` must
    /// include `host` and any `x-amz-content-sha256`; `payloadHash` is the body's SHA-256 hex.
    public func sign(method: String, path: String, query: [(String, String)], headers: [String: String],
                     payloadHash: String, date: Date, encodePath: Bool = true) -> [String: String] {
        let amzDate = SignatureV4.amzDate(date)
        var all = headers
        all["x-amz-date"] = amzDate
        if let token = credentials.sessionToken { all["x-amz-security-token"] = token }
        let (canonical, signedHeaders) = canonicalRequest(method: method, path: path, query: query, headers: all,
                                                          payloadHash: payloadHash, encodePath: encodePath)
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SignatureV4.hex(SHA256.hash(data: Array(canonical.utf8))))"
        let signature = SignatureV4.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(day: day)))
        var result = ["x-amz-date": amzDate,
                      "authorization": "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"]
        if let token = credentials.sessionToken { result["x-amz-security-token"] = token }
        return result
    }

    /// The canonical request and the signed-header list.
    func canonicalRequest(method: String, path: String, query: [(String, String)], headers: [String: String],
                          payloadHash: String, encodePath: Bool) -> (String, String) {
        let canonicalPath: String
        if encodePath {
            // Services other than S3 normalize and double-encode; S3 (and the test suite's
            // simple paths) use each segment encoded once.
            canonicalPath = path.split(separator: "/", omittingEmptySubsequences: false)
                .map { SignatureV4.uriEncode(String($0)) }.joined(separator: "/")
        } else {
            canonicalPath = path
        }
        var encodedQuery: [(name: String, value: String)] = query.map { pair in
            (name: SignatureV4.uriEncode(pair.0), value: SignatureV4.uriEncode(pair.1))
        }
        encodedQuery.sort { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let canonicalQuery = encodedQuery.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
        var normalized: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            normalized[key] = normalized[key].map { $0 + "," + trimmed } ?? trimmed
        }
        let names = normalized.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(normalized[$0]!)\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let request = "\(method)\n\(canonicalPath.isEmpty ? "/" : canonicalPath)\n\(canonicalQuery)\n\(canonicalHeaders)\n\(signedHeaders)\n\(payloadHash)"
        return (request, signedHeaders)
    }

    private func signingKey(day: String) -> SymmetricKey {
        func mac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
        }
        let secret = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        return mac(mac(mac(mac(secret, day), region), service), "aws4_request")
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC.
    static func amzDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters, as SigV4 requires.
    public static func uriEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
