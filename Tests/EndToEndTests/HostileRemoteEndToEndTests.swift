import Foundation
import XCTest

/// Remotes whose packs and indexes were written by someone else, or damaged: the cache only
/// takes what it verified, sizes are bounded before anything is read, and remote gc keeps
/// every chunk list whole.
final class HostileRemoteEndToEndTests: XCTestCase {
    /// A repository with small files in `data`, pushed to a directory remote; and a Git
    /// clone of it (nothing pulled yet).
    func pushedRepository(files: Int = 10) throws -> (repo: TestRepository, store: String, clone: String) {
        let repo = try TestRepository()
        for i in 0..<files { try repo.write("data/f\(i).bin", TestRepository.bytes(1000 + i, seed: UInt64(i))) }
        XCTAssertEqual(try repo.mlv("add", "data").code, 0)
        let store = repo.root + "-store", clone = repo.root + "-clone"
        addTeardownBlock {
            _ = try? TestRepository.run("/bin/chmod", ["-R", "u+w", store], in: "/")
            try? FileManager.default.removeItem(atPath: store)
            try? FileManager.default.removeItem(atPath: clone)
        }
        XCTAssertEqual(try repo.mlv("remote", "add", "store", store).code, 0)
        try repo.git("commit", "-q", "-m", "data")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", repo.root, clone], in: "/")
        return (repo, store, clone)
    }

    func packFiles(_ store: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store + "/packs").filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.sorted()
    }

    /// Adds a line to a remote index (indexes are read-only files).
    func appendToIndex(_ path: String, _ line: String) throws {
        chmod(path, 0o644)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
        try handle.close()
    }

    func mlv(_ arguments: [String], in directory: String) throws -> TestRepository.Result {
        try TestRepository.run(TestRepository.binary, arguments, in: directory)
    }

    // Finding 2: an adopted pack's index cannot make the cache claim content it never checked.
    func testAnAdoptedPackIndexCannotPoisonTheCache() throws {
        let (_, store, clone) = try pushedRepository()
        let victim = "victim's own content\n"
        let index = store + "/packs/" + (try packFiles(store, suffix: ".idx"))[0]
        try appendToIndex(index, "\(TestRepository.sha256(Data(victim.utf8))) 0 \(victim.utf8.count) o\n")
        let pull = try mlv(["pull"], in: clone)
        XCTAssertEqual(pull.code, 0, pull.stderr)

        try Data(victim.utf8).write(to: URL(fileURLWithPath: clone + "/v.txt"))
        XCTAssertEqual(try mlv(["add", "v.txt"], in: clone).code, 0)
        try FileManager.default.removeItem(atPath: clone + "/v.txt")
        let restored = try mlv(["checkout", "v.txt"], in: clone)
        XCTAssertEqual(restored.code, 0, restored.stderr)
        XCTAssertEqual(try String(contentsOfFile: clone + "/v.txt", encoding: .utf8), victim)
        let fsck = try mlv(["fsck", "--all"], in: clone)
        XCTAssertEqual(fsck.code, 0, fsck.stdout + fsck.stderr)
    }

    // Finding 3: after `gc --cloud`, no chunk list is left without its chunks.
    func testRemoteGCNeverLeavesAChunkListWithoutItsChunks() throws {
        let repo = try TestRepository()
        let store = repo.root + "-store"
        addTeardownBlock { _ = try? TestRepository.run("/bin/chmod", ["-R", "u+w", store], in: "/"); try? FileManager.default.removeItem(atPath: store) }
        XCTAssertEqual(try repo.mlv("remote", "add", "store", store).code, 0)
        let a = TestRepository.bytes(2 << 20, seed: 1)
        try repo.write("a.bin", a)
        XCTAssertEqual(try repo.mlv("add", "a.bin").code, 0)
        try repo.git("commit", "-q", "-m", "a")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        // b shares most chunks with a (already on the remote); w is large and new, so b's
        // chunk list lands in a pack that w keeps mostly live.
        var b = a
        b.append(TestRepository.bytes(100_000, seed: 2))
        try repo.write("b.bin", b)
        try repo.write("w.bin", TestRepository.bytes(8 << 20, seed: 3))
        try FileManager.default.removeItem(atPath: repo.path("a.bin"))
        try repo.git("rm", "-q", "a.bin.mlv")
        XCTAssertEqual(try repo.mlv("add", "b.bin", "w.bin").code, 0)
        try repo.git("commit", "-q", "-m", "b and w")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        let withB = try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(atPath: repo.path("b.bin"))
        try repo.git("rm", "-q", "b.bin.mlv")
        try repo.git("commit", "-q", "-m", "only w")

        let gc = try repo.mlv("gc", "--cloud", "--workspace")
        XCTAssertEqual(gc.code, 0, gc.stderr)
        let check = try repo.mlv("fsck", "--remote", "store")
        XCTAssertEqual(check.code, 0, "a chunk list outlived its chunks: \(check.stdout)\(check.stderr)")

        // b comes back: its push and a fresh clone's pull work.
        try repo.git("checkout", "-q", withB)
        XCTAssertEqual(try repo.mlv("push").code, 0)
        let clone = repo.root + "-clone"
        defer { try? FileManager.default.removeItem(atPath: clone) }
        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", repo.root, clone], in: "/")
        _ = try TestRepository.run("/usr/bin/env", ["git", "checkout", "-q", withB], in: clone)
        let pull = try mlv(["pull"], in: clone)
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: clone + "/b.bin")), b)
    }

    /// Peak resident memory of one mlv run, in KiB (GNU time).
    func peakMemory(_ arguments: [String], in directory: String) throws -> (TestRepository.Result, Int) {
        let result = try TestRepository.run("/usr/bin/time", ["-f", "peak-kib=%M", TestRepository.binary] + arguments, in: directory)
        let line = result.stderr.split(separator: "\n").last { $0.hasPrefix("peak-kib=") } ?? ""
        return (result, Int(line.dropFirst("peak-kib=".count)) ?? Int.max)
    }

    // Findings 17 and 18: hostile offsets, lengths and index sizes.
    func testHostileIndexesAreRefusedWithinBoundedMemory() throws {
        let (_, store, clone) = try pushedRepository()
        let realIndex = store + "/packs/" + (try packFiles(store, suffix: ".idx"))[0]
        let wanted = try String(contentsOfFile: realIndex, encoding: .utf8).split(separator: "\n")[2].split(separator: " ")[0]
        // Indexes sorted before the real one, each claiming a wanted object.
        let hostile: [(name: String, packSize: Int64, entry: String)] = [
            (String(repeating: "0", count: 64), 1 << 40, "\(wanted) 0 1099511627776 o"),
            (String(repeating: "0", count: 63) + "1", 16, "\(wanted) 9223372036854775807 1 o"),
        ]
        for item in hostile {
            try Data(repeating: 0, count: 16).write(to: URL(fileURLWithPath: "\(store)/packs/\(item.name).pack"))
            try Data("mlv-pack-index 1\npack \(item.name) \(item.packSize)\n\(item.entry)\n".utf8)
                .write(to: URL(fileURLWithPath: "\(store)/packs/\(item.name).idx"))
        }
        // A 2 GiB index (sparse) and its pack.
        let junk = String(repeating: "0", count: 63) + "3"
        FileManager.default.createFile(atPath: "\(store)/packs/\(junk).pack", contents: Data())
        XCTAssertEqual(try TestRepository.run("/usr/bin/truncate", ["-s", "2G", "\(store)/packs/\(junk).idx"], in: "/").code, 0)

        let (pull, peak) = try peakMemory(["pull"], in: clone)
        XCTAssertEqual(pull.code, 0, pull.stderr)
        XCTAssertLessThan(peak, 100 * 1024, "peak memory \(peak) KiB")
        for item in hostile + [(junk, 0, "")] {
            XCTAssertTrue(pull.stderr.contains("index packs/\(item.name).idx is malformed"), pull.stderr)
        }
        XCTAssertTrue(pull.stderr.contains("claims 1099511627776 bytes for one item; at most 1048576 are allowed"), pull.stderr)
        XCTAssertTrue(pull.stderr.contains("it is 2147483648 bytes, more than an index can be"), pull.stderr)
        XCTAssertTrue(pull.stderr.contains("1.idx is malformed (line 3 is not a valid entry)"), pull.stderr)
        XCTAssertEqual(try mlv(["status", "--exit-code"], in: clone).code, 0)
        XCTAssertEqual(try mlv(["fsck", "--all"], in: clone).code, 0)
    }

    // Finding 10: what killed pushes leave behind is removed (dead owners only).
    func testAbandonedTemporariesOfKilledPushesAreRemoved() throws {
        let (repo, store, _) = try pushedRepository()
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let deadPID = dead.processIdentifier, livePID = getpid()
        let local = repo.path(".mlv/cache/tmp")
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        for pid in [deadPID, livePID] {
            try Data(count: 1000).write(to: URL(fileURLWithPath: "\(local)/pack-\(pid)-7"))
            try Data(count: 1000).write(to: URL(fileURLWithPath: "\(store)/packs/.abc.pack.mlv-tmp-\(pid)-7"))
        }
        try repo.write("more.bin", "more")
        XCTAssertEqual(try repo.mlv("add", "more.bin").code, 0)
        try repo.git("commit", "-q", "-m", "more")
        XCTAssertEqual(try repo.mlv("push").code, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: local).filter { $0.hasPrefix("pack-") }, ["pack-\(livePID)-7"])
        XCTAssertEqual(try repo.mlv("gc", "--cloud", "--workspace").code, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store + "/packs").filter { $0.contains(".mlv-tmp-") },
                       [".abc.pack.mlv-tmp-\(livePID)-7"])
    }

    // Finding 19: an S3 endpoint that never ends its listing.
    func testAnEndlessS3ListingStops() throws {
        let port = MotoServer.freePort()
        let server = try MotoServer.startHelper("""
        import http.server
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def do_GET(self):
                body = (b'<?xml version="1.0"?><ListBucketResult><IsTruncated>true</IsTruncated>'
                        b'<NextContinuationToken>same</NextContinuationToken>'
                        b'<Contents><Key>packs/x</Key><Size>1</Size></Contents></ListBucketResult>')
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                self.wfile.write(body)
            do_HEAD = do_GET
        http.server.ThreadingHTTPServer(("127.0.0.1", \(port)), Handler).serve_forever()
        """, port: port)
        defer { MotoServer.stopHelper(server) }
        let repo = try TestRepository()
        try repo.write("d.txt", "data")
        XCTAssertEqual(try repo.mlv("add", "d.txt").code, 0)
        XCTAssertEqual(try repo.mlv("remote", "add", "s3", "s3://bucket", "--endpoint", "http://127.0.0.1:\(port)").code, 0)
        // Under `timeout`: a client that loops must fail this test, not hang the suite.
        let fetch = try TestRepository.run("/usr/bin/timeout", ["-s", "KILL", "120", TestRepository.binary, "fetch"], in: repo.root,
                                           environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"])
        XCTAssertEqual(fetch.code, 2)
        XCTAssertTrue(fetch.stderr.hasPrefix("mlv: error: remote s3 (s3://bucket/ at http://127.0.0.1:\(port)) answered in a way an mlv remote never does: the server repeated a listing continuation token"), fetch.stderr)
    }
}
