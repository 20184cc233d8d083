import Foundation
import Hummingbird
import HummingbirdTesting
import MLVCore
import XCTest
@testable import MLVServer

/// The web app's routes, through Hummingbird's test client on a real repository.
final class UIRouteTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-ui-\(UUID().uuidString)").resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Self.git(root, "init", "-q", "-b", "main")
        _ = try initialize(at: root)
        try "train:\n  lr: 0.1\n".write(toFile: root + "/params.yaml", atomically: true, encoding: .utf8)
        try """
        stages:
          train:
            cmd: 'echo "{\\"acc\\": 0.5}" > m.json'
            params: [train.lr]
            metrics: [m.json]
        metrics:
          acc: higher_is_better

        """.write(toFile: root + "/mlv.yaml", atomically: true, encoding: .utf8)
        try "{\"acc\": 0.5}\n".write(toFile: root + "/m.json", atomically: true, encoding: .utf8)
        try Self.git(root, "add", "-A")
        try Self.git(root, "commit", "-q", "-m", "<script>alert(1)</script>")
        try "{\"acc\": 0.75}\n".write(toFile: root + "/m.json", atomically: true, encoding: .utf8)
        try Self.git(root, "commit", "-q", "-am", "second")
    }

    /// Runs `git` in the repository as a user would.
    static func git(_ root: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.name=t", "-c", "user.email=t@t"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "git \(arguments)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func test(_ server: UIServer, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: server.router(port: 8765))
        try await app.test(.router, body)
    }

    let host: HTTPFields = [GuardMiddleware<BasicRequestContext>.hostField: "127.0.0.1:8765"]

    func testPagesAreServedWithTheirHeadersAndRepositoryTextEscaped() async throws {
        let server = UIServer(root: root, options: UIOptions())
        let host = self.host
        try await test(server) { client in
            try await client.execute(uri: "/", method: .get, headers: host) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "text/html; charset=utf-8")
                XCTAssertTrue(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'; script-src 'self';") == true)
                let body = String(buffer: response.body)
                XCTAssertTrue(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), body)
                XCTAssertFalse(body.contains("<script>alert(1)"))
                XCTAssertEqual(body.components(separatedBy: "<tr class=\"commit\"").count - 1, 2)
            }
            for uri in ["/compare?rev=HEAD~1&rev=HEAD", "/history?metric=acc", "/data", "/data?from=HEAD~1&rev=HEAD", "/app.js"] {
                try await client.execute(uri: uri, method: .get, headers: host) { response in
                    XCTAssertEqual(response.status, .ok, uri)
                }
            }
            try await client.execute(uri: "/nowhere", method: .get, headers: host) { response in XCTAssertEqual(response.status, .notFound) }
            try await client.execute(uri: "/history", method: .get, headers: host) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(String(buffer: response.body).contains("the page needs `metric`"))
            }
            // A path from the address never reaches the filesystem unchecked.
            try await client.execute(uri: "/lineage?path=../../etc/passwd", method: .get, headers: host) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(String(buffer: response.body).contains("outside the repository"), String(buffer: response.body))
            }
            try await client.execute(uri: "/data?rev=%3Cb%3Enope", method: .get, headers: host) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertFalse(String(buffer: response.body).contains("<b>nope"))
            }
        }
    }

    func testOtherHostsAndWritesAreRefused() async throws {
        let server = UIServer(root: root, options: UIOptions())
        try await test(server) { client in
            try await client.execute(uri: "/", method: .get, headers: [GuardMiddleware<BasicRequestContext>.hostField: "attacker.example:8765"]) { response in
                XCTAssertEqual(response.status, .misdirectedRequest)
            }
            try await client.execute(uri: "/", method: .get, headers: [GuardMiddleware<BasicRequestContext>.hostField: "localhost:8765"]) { response in
                XCTAssertEqual(response.status, .ok)
            }
            try await client.execute(uri: "/queue", method: .post, headers: [GuardMiddleware<BasicRequestContext>.hostField: "127.0.0.1:8765", .origin: "http://127.0.0.1:8765"]) { response in
                XCTAssertEqual(response.status, .notFound, "POST exists only with --allow-queue")
            }
        }
    }

    func testQueueFormNeedsTokenAndOrigin() async throws {
        var options = UIOptions()
        options.allowQueue = true
        let server = UIServer(root: root, options: options, token: "secret-token")
        let root = self.root
        try await test(server) { client in
            let form = "token=secret-token&overrides=train.lr%3D0.5&name=from-web"
            let formType: HTTPFields = [GuardMiddleware<BasicRequestContext>.hostField: "127.0.0.1:8765", .contentType: "application/x-www-form-urlencoded"]
            try await client.execute(uri: "/queue", method: .post, headers: formType, body: ByteBuffer(string: form)) { response in
                XCTAssertEqual(response.status, .forbidden, "no Origin")
            }
            var foreign = formType
            foreign[.origin] = "http://attacker.example"
            try await client.execute(uri: "/queue", method: .post, headers: foreign, body: ByteBuffer(string: form)) { response in
                XCTAssertEqual(response.status, .forbidden, "another Origin")
            }
            var same = formType
            same[.origin] = "http://127.0.0.1:8765"
            try await client.execute(uri: "/queue", method: .post, headers: same, body: ByteBuffer(string: "token=wrong&overrides=train.lr%3D0.5")) { response in
                XCTAssertEqual(response.status, .forbidden, "wrong token")
            }
            XCTAssertEqual(try ExperimentQueue(project: try Project.open(from: root)).all().count, 0)
            try await client.execute(uri: "/queue", method: .post, headers: same, body: ByteBuffer(string: form)) { response in
                XCTAssertEqual(response.status, .seeOther)
                XCTAssertEqual(response.headers[.location], "/")
            }
            let entries = try ExperimentQueue(project: try Project.open(from: root)).all()
            XCTAssertEqual(entries.map(\.name), ["from-web"])
            XCTAssertEqual(entries.first?.assignments.map(\.display), ["train.lr=0.5"])
            try await client.execute(uri: "/", method: .get, headers: [GuardMiddleware<BasicRequestContext>.hostField: "127.0.0.1:8765"]) { response in
                XCTAssertTrue(String(buffer: response.body).contains("value=\"secret-token\""))
            }
        }
    }

    /// The server keeps what it parsed between requests (by blob and by commit plus notes
    /// commit); a new commit and a new note must still show on the next request.
    func testParsedValuesKeptBetweenRequestsNeverHideNewCommitsOrNotes() async throws {
        let server = UIServer(root: root, options: UIOptions())
        let host = self.host, root = self.root
        @Sendable func values(_ body: String) -> [String] {
            body.components(separatedBy: "</title></circle>").dropLast().map { String($0.split(separator: " ").last ?? "") }
        }
        try await test(server) { client in
            try await client.execute(uri: "/history?metric=acc", method: .get, headers: host) { response in
                XCTAssertEqual(values(String(buffer: response.body)), ["0.5", "0.75"])
            }
            try "{\"acc\": 0.8}\n".write(toFile: root + "/m.json", atomically: true, encoding: .utf8)
            try Self.git(root, "commit", "-q", "-am", "third")
            try await client.execute(uri: "/history?metric=acc", method: .get, headers: host) { response in
                XCTAssertEqual(values(String(buffer: response.body)), ["0.5", "0.75", "0.8"])
            }
            // The newest commit loses its metrics file; then a note gives it a value.
            try Self.git(root, "rm", "-q", "m.json")
            try Self.git(root, "commit", "-q", "-m", "fourth")
            try await client.execute(uri: "/history?metric=acc", method: .get, headers: host) { response in
                XCTAssertEqual(values(String(buffer: response.body)), ["0.5", "0.75", "0.8"])
            }
            try Self.git(root, "notes", "--ref=mlv", "add", "-m", "{\"mlv_note\": 1, \"metrics\": {\"m.json\": {\"acc\": 0.9}}, \"lock\": \"\"}", "HEAD")
            try await client.execute(uri: "/history?metric=acc", method: .get, headers: host) { response in
                XCTAssertEqual(values(String(buffer: response.body)), ["0.5", "0.75", "0.8", "0.9"])
            }
        }
    }
}
