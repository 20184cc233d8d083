@testable import MLVCore
import XCTest

/// Signatures checked against AWS's published Signature Version 4 test suite and the S3
/// documentation's worked example.
final class SignatureV4Tests: XCTestCase {
    let suite = SignatureV4(credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                            region: "us-east-1", service: "service")
    let suiteDate = Date(timeIntervalSince1970: 1_440_938_160) // 2015-08-30T12:36:00Z

    private func authorization(_ method: String, _ path: String, query: [(String, String)] = [], headers: [String: String] = [:]) -> String {
        var all = headers
        all["host"] = "example.amazonaws.com"
        return suite.sign(method: method, path: path, query: query, headers: all, payloadHash: SignatureV4.emptyPayloadHash, date: suiteDate)["authorization"]!
    }

    func testSuiteVectors() {
        let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        XCTAssertEqual(authorization("GET", "/"), prefix + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        XCTAssertEqual(authorization("POST", "/"), prefix + "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        XCTAssertEqual(authorization("GET", "/", query: [("Param2", "value2"), ("Param1", "value1")]),
                       prefix + "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        XCTAssertEqual(authorization("GET", "/\u{1234}"), prefix + "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")
        XCTAssertEqual(authorization("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
                       prefix + "SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")
        XCTAssertTrue(authorization("POST", "/", headers: ["My-Header1": "VALUE1"]).hasPrefix(prefix + "SignedHeaders=host;my-header1;x-amz-date, "))
    }

    func testCanonicalRequestOfGetVanilla() {
        let (request, signed) = suite.canonicalRequest(method: "GET", path: "/", query: [],
                                                      headers: ["host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"],
                                                      payloadHash: SignatureV4.emptyPayloadHash, encodePath: true)
        XCTAssertEqual(request, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(signed, "host;x-amz-date")
    }

    func testS3DocumentationExample() {
        let s3 = SignatureV4(credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                             region: "us-east-1")
        let headers = s3.sign(method: "GET", path: "/test.txt", query: [],
                              headers: ["host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
                                        "x-amz-content-sha256": SignatureV4.emptyPayloadHash],
                              payloadHash: SignatureV4.emptyPayloadHash, date: Date(timeIntervalSince1970: 1_369_353_600))
        XCTAssertEqual(headers["authorization"], "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    func testSecretNeverInDescription() {
        XCTAssertFalse("\(suite.credentials)".contains("wJalr"))
    }
}
