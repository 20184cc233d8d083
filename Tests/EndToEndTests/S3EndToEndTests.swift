import XCTest

/// Push and pull through a real S3-compatible server on loopback (moto).
final class S3EndToEndTests: XCTestCase {
    let credentials = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]

    private func repository(bucket: String, endpoint: String, prefix: String = "/team/project") throws -> TestRepository {
        let repo = try TestRepository()
        for i in 0..<40 { try repo.write("data/f\(i).csv", TestRepository.bytes(3000 + i, seed: UInt64(i))) }
        try repo.write("models/model.bin", TestRepository.bytes(3 << 20, seed: 77))
        XCTAssertEqual(try repo.mlv("add", "data", "models/model.bin").code, 0)
        let added = try repo.mlv("remote", "add", "s3", "s3://\(bucket)\(prefix)", "--endpoint", endpoint)
        XCTAssertEqual(added.code, 0, added.stderr)
        try repo.git("commit", "-q", "-m", "v1")
        return repo
    }

    private func json(_ result: TestRepository.Result) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            XCTFail("not JSON: \(result.stdout) \(result.stderr)")
            return [:]
        }
        return object
    }

    func testRoundTripThroughS3() throws {
        let server = try MotoServer()
        let bucket = "mlv-\(UUID().uuidString.prefix(8).lowercased())"
        try server.createBucket(bucket)
        let repo = try repository(bucket: bucket, endpoint: server.endpoint)
        let first = try json(try repo.mlv("push", "--json", environment: credentials))
        XCTAssertEqual(first["objects"] as? Int, 42)
        let second = try json(try repo.mlv("push", "--json", environment: credentials))
        XCTAssertEqual(second["objects"] as? Int, 0)
        XCTAssertLessThanOrEqual(second["requests"] as! Int, 5)

        let copy = try TestRepository(initMLV: false)
        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", repo.root, copy.root + "/clone"], in: copy.root)
        let pull = try TestRepository.run(TestRepository.binary, ["pull"], in: copy.root + "/clone", environment: credentials)
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try copy.fingerprint("clone/data"), try repo.fingerprint("data"))
        XCTAssertEqual(try copy.fingerprint("clone/models/model.bin"), try repo.fingerprint("models/model.bin"))
        let check = try TestRepository.run(TestRepository.binary, ["fsck", "--remote", "s3"], in: copy.root + "/clone", environment: credentials)
        XCTAssertEqual(check.code, 0, check.stdout + check.stderr)
    }

    func testSignatureCheckingRefusesAWrongSecretAndAcceptsTheRightOne() throws {
        // The first four requests are free: create a user, its key and policy, and the bucket.
        let server = try MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "4"], shared: false)
        let bucket = "mlv-auth"
        let output = try server.python("""
        iam.create_user(UserName="mlv")
        key = iam.create_access_key(UserName="mlv")["AccessKey"]
        iam.put_user_policy(UserName="mlv", PolicyName="all", PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
        s3.create_bucket(Bucket="\(bucket)")
        print(key["AccessKeyId"], key["SecretAccessKey"])
        """)
        let parts = output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(parts.count, 2)
        // No prefix: moto mis-signs a listing whose prefix holds an encoded `/` when it checks signatures.
        let repo = try repository(bucket: bucket, endpoint: server.endpoint, prefix: "")
        let wrongSecret = "wrong-\(parts[1].prefix(6))-secret"
        let refused = try repo.mlv("push", environment: ["AWS_ACCESS_KEY_ID": parts[0], "AWS_SECRET_ACCESS_KEY": wrongSecret])
        XCTAssertEqual(refused.code, 2)
        XCTAssertEqual(refused.stderr.replacingOccurrences(of: server.endpoint, with: "ENDPOINT"),
                       "mlv: error: remote s3 (s3://mlv-auth/ at ENDPOINT) refused the credentials (SignatureDoesNotMatch): the secret key is wrong, the key is unknown or the token expired. Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile in use.\n")
        XCTAssertFalse(refused.stderr.contains(wrongSecret), "the secret is never printed")
        let accepted = try repo.mlv("push", environment: ["AWS_ACCESS_KEY_ID": parts[0], "AWS_SECRET_ACCESS_KEY": parts[1]])
        XCTAssertEqual(accepted.code, 0, accepted.stderr)
    }

    func testMissingBucketAndUnreachableEndpointAreSaidPlainly() throws {
        let server = try MotoServer()
        let repo = try repository(bucket: "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())", endpoint: server.endpoint)
        let missing = try repo.mlv("push", environment: credentials)
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("mlv: error: remote s3 (s3://no-such-bucket-") &&
                      missing.stderr.hasSuffix("does not exist; create it or fix the remote URL with `mlv remote modify`.\n"), missing.stderr)
        XCTAssertEqual(try repo.mlv("remote", "modify", "s3", "endpoint", "http://127.0.0.1:9").code, 0)
        let unreachable = try repo.mlv("push", environment: credentials)
        XCTAssertEqual(unreachable.code, 2)
        XCTAssertTrue(unreachable.stderr.contains("cannot be reached") && unreachable.stderr.contains("127.0.0.1:9"), unreachable.stderr)
        let noCredentials = try repo.mlv("push", environment: ["AWS_ACCESS_KEY_ID": "", "HOME": repo.root])
        XCTAssertEqual(noCredentials.code, 2)
        XCTAssertTrue(noCredentials.stderr.contains("needs credentials and none were found"), noCredentials.stderr)
    }

    func testServerStoppedMidPushIsAClearErrorAndARetryCompletes() throws {
        let server = try MotoServer(shared: false)
        let bucket = "mlv-stop"
        try server.createBucket(bucket)
        let repo = try TestRepository()
        for i in 0..<8 { try repo.write("data/big\(i).bin", TestRepository.bytes(24 << 20, seed: UInt64(i))) }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "s3", "s3://\(bucket)", "--endpoint", server.endpoint).code, 0)
        let process = try repo.startMLV(["push", "-j", "1"], environment: credentials)
        // Stop the server as soon as the first pack is indexed, while the rest are in flight.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            let listing = try TestRepository.run("/usr/bin/env", ["curl", "-s", "\(server.endpoint)/\(bucket)?list-type=2"], in: "/tmp")
            if listing.stdout.contains(".idx") { break }
            usleep(50_000)
        }
        server.stop()
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0, "the push cannot have finished against a stopped server")
        // moto keeps data in memory: a restarted server is empty, so the retry sends everything.
        let restarted = try MotoServer(shared: false)
        try restarted.createBucket(bucket)
        XCTAssertEqual(try repo.mlv("remote", "modify", "s3", "endpoint", restarted.endpoint).code, 0)
        let retry = try repo.mlv("push", environment: credentials)
        XCTAssertEqual(retry.code, 0, retry.stderr)
        let check = try repo.mlv("fsck", "--remote", "s3", environment: credentials)
        XCTAssertEqual(check.code, 0, check.stdout + check.stderr)
    }
}

/// A proxy in front of moto that answers every third request with 503 SlowDown, to show that
/// transfers retry with backoff instead of failing.
final class FlakyProxy {
    let endpoint: String
    private let process: Process

    init(upstream: String) throws {
        let port = MotoServer.freePort()
        endpoint = "http://127.0.0.1:\(port)"
        let script = """
        import http.client, http.server, itertools, urllib.parse
        UP = urllib.parse.urlparse("\(upstream)")
        counter = itertools.count(1)
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if next(counter) % 3 == 1:
                    payload = b"<Error><Code>SlowDown</Code></Error>"
                    self.send_response(503); self.send_header("Content-Length", str(len(payload))); self.end_headers()
                    self.wfile.write(payload); return
                conn = http.client.HTTPConnection(UP.hostname, UP.port)
                conn.request(self.command, self.path, body=body, headers={k: v for k, v in self.headers.items()})
                reply = conn.getresponse(); data = reply.read()
                self.send_response(reply.status)
                for k, v in reply.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data))); self.end_headers()
                if self.command != "HEAD": self.wfile.write(data)
            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any
        http.server.ThreadingHTTPServer(("127.0.0.1", \(port)), Handler).serve_forever()
        """
        process = try MotoServer.startHelper(script, port: port)
    }

    deinit { MotoServer.stopHelper(process) }
}

final class S3RetryTests: XCTestCase {
    func testTransfersRetryThroughServerErrors() throws {
        let server = try MotoServer()
        let bucket = "mlv-flaky-\(UUID().uuidString.prefix(6).lowercased())"
        try server.createBucket(bucket)
        let proxy = try FlakyProxy(upstream: server.endpoint)
        let credentials = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]
        let repo = try TestRepository()
        for i in 0..<20 { try repo.write("data/f\(i).bin", TestRepository.bytes(5000, seed: UInt64(i))) }
        try repo.write("model.bin", TestRepository.bytes(2 << 20, seed: 5))
        XCTAssertEqual(try repo.mlv("add", "data", "model.bin").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "s3", "s3://\(bucket)/p", "--endpoint", proxy.endpoint).code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        // A third of all requests fail once: without retries both of these would fail.
        let push = try repo.mlv("push", environment: credentials)
        XCTAssertEqual(push.code, 0, push.stderr)
        try FileManager.default.removeItem(atPath: repo.path(".mlv/cache"))
        try FileManager.default.removeItem(atPath: repo.path("data"))
        try FileManager.default.removeItem(atPath: repo.path("model.bin"))
        let pull = try repo.mlv("pull", environment: credentials)
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try repo.read("model.bin"), TestRepository.bytes(2 << 20, seed: 5))
        XCTAssertEqual(try repo.mlv("status", "--exit-code").code, 0)
    }
}

/// An HTTP proxy on loopback that answers CONNECT (as AsyncHTTPClient uses a proxy) by
/// tunnelling to one upstream (moto) whatever host was asked for, and logs the CONNECT target
/// and the Host headers it sees: it lets virtual-hosted addressing (`BUCKET.localhost`) run
/// without DNS.
final class RecordingProxy {
    let port: Int
    let log: String
    private let process: Process

    init(upstream: String) throws {
        port = MotoServer.freePort()
        log = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        let script = """
        import re, socket, threading, urllib.parse
        UP = urllib.parse.urlparse("\(upstream)")
        def note(text):
            with open("\(log)", "a") as out: out.write(text + "\\n")
        def pipe(src, dst, watch):
            try:
                while True:
                    data = src.recv(65536)
                    if not data: break
                    if watch:
                        for host in re.findall(rb"(?im)^host: *([^\\r\\n]+)", data): note("Host=" + host.decode())
                    dst.sendall(data)
            except OSError: pass
            finally:
                try: dst.shutdown(socket.SHUT_WR)
                except OSError: pass
        def serve(client):
            head = b""
            while b"\\r\\n\\r\\n" not in head:
                chunk = client.recv(4096)
                if not chunk: return
                head += chunk
            line = head.split(b"\\r\\n")[0].decode()
            note(line)
            if not line.startswith("CONNECT "):
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\\r\\nContent-Length: 0\\r\\n\\r\\n"); client.close(); return
            upstream = socket.create_connection((UP.hostname, UP.port))
            client.sendall(b"HTTP/1.1 200 Connection established\\r\\n\\r\\n")
            rest = head.split(b"\\r\\n\\r\\n", 1)[1]
            if rest: upstream.sendall(rest)
            threading.Thread(target=pipe, args=(upstream, client, False), daemon=True).start()
            pipe(client, upstream, True)
        server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", \(port))); server.listen(64)
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
        """
        process = try MotoServer.startHelper(script, port: port)
    }

    deinit {
        MotoServer.stopHelper(process)
        try? FileManager.default.removeItem(atPath: log)
    }
}

final class S3AddressingTests: XCTestCase {
    func testVirtualHostedAddressingThroughAnHTTPProxy() throws {
        let server = try MotoServer()
        let bucket = "mlv-vhost-\(UUID().uuidString.prefix(6).lowercased())"
        try server.createBucket(bucket)
        let proxy = try RecordingProxy(upstream: server.endpoint)
        let port = URL(string: server.endpoint)!.port!
        let environment = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "HTTP_PROXY": "http://127.0.0.1:\(proxy.port)", "NO_PROXY": "", "no_proxy": ""]
        let repo = try TestRepository()
        for i in 0..<10 { try repo.write("data/f\(i).bin", TestRepository.bytes(4000, seed: UInt64(i))) }
        try repo.write("model.bin", TestRepository.bytes(2 << 20, seed: 9))
        XCTAssertEqual(try repo.mlv("add", "data", "model.bin").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "s3", "s3://\(bucket)/vh", "--endpoint", "http://localhost:\(port)").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "modify", "s3", "pathstyle", "false").code, 0)
        try repo.git("commit", "-q", "-m", "v1")
        let push = try repo.mlv("push", environment: environment)
        XCTAssertEqual(push.code, 0, push.stderr)
        let requests = try String(contentsOfFile: proxy.log, encoding: .utf8)
        XCTAssertTrue(requests.contains("CONNECT \(bucket).localhost:\(port)"), requests)
        XCTAssertTrue(requests.contains("Host=\(bucket).localhost:\(port)"), requests)
        XCTAssertFalse(requests.contains("Host=localhost:\(port)"), "no path-style request: \(requests)")
        // The bytes landed in the bucket under the prefix (read path-style, straight from moto).
        XCTAssertTrue(try server.listKeys(bucket).contains { $0.hasPrefix("vh/packs/") })
        try FileManager.default.removeItem(atPath: repo.path(".mlv/cache"))
        try FileManager.default.removeItem(atPath: repo.path("model.bin"))
        let pull = try repo.mlv("pull", environment: environment)
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try repo.read("model.bin"), TestRepository.bytes(2 << 20, seed: 9))
    }
}
