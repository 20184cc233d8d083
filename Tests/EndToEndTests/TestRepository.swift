import Crypto
import Foundation
import XCTest

/// A throwaway Git repository in a temporary folder, with helpers to run the built `mlv`
/// binary and `git` in it. Removed when the test ends.
final class TestRepository {
    let root: String

    /// The `mlv` binary under test: `MLV_BINARY`, or the debug build in this package's `.build`.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["MLV_BINARY"] { return path }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/mlv").path
    }()

    init(initMLV: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mlv-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        root = base.resolvingSymlinksInPath().path
        try git("init", "-q", "-b", "main", ".")
        if initMLV { XCTAssertEqual(try mlv("init").code, 0, file: file, line: line) }
    }

    deinit {
        _ = try? Self.run("/bin/chmod", ["-R", "u+w", root], in: "/")
        try? FileManager.default.removeItem(atPath: root)
    }

    struct Result {
        let code: Int32
        let stdout: String
        let stderr: String
    }

    @discardableResult
    func mlv(_ arguments: String..., in subdirectory: String? = nil, environment: [String: String] = [:]) throws -> Result {
        try Self.run(Self.binary, arguments, in: subdirectory.map { root + "/" + $0 } ?? root, environment: environment)
    }

    @discardableResult
    func git(_ arguments: String...) throws -> Result {
        let result = try Self.run("/usr/bin/env", ["git"] + arguments, in: root)
        if result.code != 0 { throw NSError(domain: "git", code: Int(result.code), userInfo: [NSLocalizedDescriptionKey: "git \(arguments) failed: \(result.stderr)"]) }
        return result
    }

    /// Starts `mlv` without waiting (for kill and concurrency tests).
    func startMLV(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Self.process(Self.binary, arguments, in: root, environment: environment)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits (up to 60 s) until `ready` says the command is mid-way, kills it with SIGKILL,
    /// and asserts it was still running then: a kill test whose command had already finished
    /// would only run it twice.
    func kill(_ process: Process, when ready: () -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, !ready(), Date() < deadline { usleep(5_000) }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the command had finished before it was killed", file: file, line: line)
        XCTAssertEqual(process.terminationStatus, SIGKILL, file: file, line: line)
    }

    /// Whether a file whose name contains `fragment` exists anywhere under `relative`.
    func hasFile(under relative: String, containing fragment: String) -> Bool {
        guard let walker = FileManager.default.enumerator(atPath: path(relative)) else { return false }
        while let item = walker.nextObject() as? String { if item.contains(fragment) { return true } }
        return false
    }

    static func process(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["GIT_AUTHOR_NAME"] = "Test"; env["GIT_AUTHOR_EMAIL"] = "test@example.com"
        env["GIT_COMMITTER_NAME"] = "Test"; env["GIT_COMMITTER_EMAIL"] = "test@example.com"
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"; env["GIT_CONFIG_NOSYSTEM"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        return process
    }

    static func run(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> Result {
        let process = Self.process(executable, arguments, in: directory, environment: environment)
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)")
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outFile); try? FileManager.default.removeItem(at: errFile) }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        process.waitUntilExit()
        return Result(code: process.terminationStatus,
                      stdout: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
    }

    // MARK: Files

    /// Clones this repository with git into a new temporary folder.
    func gitClone() throws -> TestRepository {
        let copy = try TestRepository(initMLV: false)
        try FileManager.default.removeItem(atPath: copy.root + "/.git")
        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", root, copy.root + "/tmp-clone"], in: copy.root)
        for name in try FileManager.default.contentsOfDirectory(atPath: copy.root + "/tmp-clone") {
            try FileManager.default.moveItem(atPath: copy.root + "/tmp-clone/" + name, toPath: copy.root + "/" + name)
        }
        try FileManager.default.removeItem(atPath: copy.root + "/tmp-clone")
        return copy
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    func write(_ relative: String, _ text: String) throws {
        try write(relative, Data(text.utf8))
    }

    func write(_ relative: String, _ data: Data) throws {
        let url = URL(fileURLWithPath: path(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    func read(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(relative))) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// Deterministic pseudo-random bytes.
    static func bytes(_ count: Int, seed: UInt64) -> Data {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            bytes[i] = UInt8(truncatingIfNeeded: state)
        }
        return Data(bytes)
    }

    /// SHA-256 of every file under `relative` (or of the file itself), keyed by path.
    func fingerprint(_ relative: String) throws -> [String: String] {
        let base = path(relative)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory) else { return [:] }
        if !isDirectory.boolValue { return ["": Self.sha256(try read(relative))] }
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: base)!
        while let item = enumerator.nextObject() as? String {
            var dir: ObjCBool = false
            FileManager.default.fileExists(atPath: base + "/" + item, isDirectory: &dir)
            if !dir.boolValue { result[item] = Self.sha256(try read(relative + "/" + item)) }
        }
        return result
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Removes a loose cache object, or puts `bytes` back as it, with its shard folder's time
    /// kept, so the cache's generation (and the presence proofs recorded at it) still stands.
    /// Returns the bytes that were there.
    @discardableResult
    func replaceCacheObjectKeepingGeneration(_ id: String, with bytes: Data? = nil) throws -> Data? {
        let shard = path(".mlv/cache/\(id.prefix(2))"), file = shard + "/" + id.dropFirst(2)
        _ = try TestRepository.run("/usr/bin/touch", ["-r", shard, path("shard-time")], in: root)
        let old = try? Data(contentsOf: URL(fileURLWithPath: file))
        if let bytes { try bytes.write(to: URL(fileURLWithPath: file)) } else { try FileManager.default.removeItem(atPath: file) }
        _ = try TestRepository.run("/usr/bin/touch", ["-r", path("shard-time"), shard], in: root)
        try FileManager.default.removeItem(atPath: path("shard-time"))
        return old
    }

    /// Every object in the cache: files of their own and objects in local packs.
    func cacheObjects() throws -> [String] {
        let cache = path(".mlv/cache")
        var result: [String] = []
        for shard in try FileManager.default.contentsOfDirectory(atPath: cache) where shard.count == 2 {
            for name in try FileManager.default.contentsOfDirectory(atPath: cache + "/" + shard) { result.append(shard + name) }
        }
        result += try packedObjects().map(\.id)
        return Array(Set(result)).sorted()
    }

    /// Objects in `.mlv/cache/packs`, read from each index (`<id> <offset> <length> o` lines).
    func packedObjects() throws -> [(id: String, pack: String, offset: Int, length: Int)] {
        let packs = path(".mlv/cache/packs")
        guard FileManager.default.fileExists(atPath: packs) else { return [] }
        var result: [(String, String, Int, Int)] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: packs) where file.hasSuffix(".idx") && !file.hasPrefix(".") {
            let text = try String(contentsOfFile: packs + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n").dropFirst(2) {
                let parts = line.split(separator: " ")
                guard parts.count == 4, parts[3] == "o" else { continue }
                result.append((String(parts[0]), packs + "/" + file.dropLast(4) + ".pack", Int(parts[1])!, Int(parts[2])!))
            }
        }
        return result
    }

    /// Asserts every object in the cache hashes to its name: nothing partial or corrupted is visible.
    func assertCacheObjectsWhole(file: StaticString = #filePath, line: UInt = #line) throws {
        let packed = try packedObjects()
        let packedIDs = Set(packed.map(\.id))
        for object in try cacheObjects() where !packedIDs.contains(object) {
            let bytes = try read(".mlv/cache/\(object.prefix(2))/\(object.dropFirst(2))")
            XCTAssertEqual(Self.sha256(bytes), object, "cache object \(object.prefix(12)) is not whole", file: file, line: line)
        }
        for object in packed {
            let pack = try Data(contentsOf: URL(fileURLWithPath: object.pack))
            XCTAssertLessThanOrEqual(object.offset + object.length, pack.count, "pack \(object.pack) is truncated", file: file, line: line)
            guard object.offset + object.length <= pack.count else { continue }
            XCTAssertEqual(Self.sha256(pack.subdata(in: object.offset..<(object.offset + object.length))), object.id,
                           "packed object \(object.id.prefix(12)) is not whole", file: file, line: line)
        }
    }

    /// Asserts `git fsck` finds no errors in what mlv and git wrote.
    func assertGitFsckClean(file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try Self.run("/usr/bin/env", ["git", "fsck", "--strict", "--no-progress"], in: root)
        XCTAssertEqual(result.code, 0, "git fsck: \(result.stderr) \(result.stdout)", file: file, line: line)
        XCTAssertFalse(result.stderr.contains("error"), result.stderr, file: file, line: line)
    }
}
