import Crypto
@testable import MLVCore
import XCTest

final class CleanFoldersTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("clean-\(UUID().uuidString)").path
        for folder in ["a/x", "b"] { try FileManager.default.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true) }
        for file in ["a/f1", "a/f2", "a/x/h1", "b/g1", "top"] { try Data(file.utf8).write(to: URL(fileURLWithPath: dir + "/" + file)) }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func seals(at time: Int64 = Int64.max - 10_000_000_000) throws -> [String: ObjectID] {
        FolderSeals(try WorkspaceScanner.scan(dir, displayPath: "data", cacheRoot: "/nonexistent", foreignLinks: .report), sealedAt: time).seals
    }

    func testASealMovesWithEveryChangeBeneathItAndOnlyThere() throws {
        let before = try seals()
        XCTAssertEqual(Set(before.keys), ["", "a", "a/x", "b"], "every folder, including the top")
        XCTAssertEqual(try seals(), before, "the same files give the same seals")

        // Same bytes written again: mtime and ctime move, so the folder and those above it change.
        usleep(10_000)
        try Data("a/x/h1".utf8).write(to: URL(fileURLWithPath: dir + "/a/x/h1"))
        let rewritten = try seals()
        XCTAssertNotEqual(rewritten["a/x"], before["a/x"])
        XCTAssertNotEqual(rewritten["a"], before["a"])
        XCTAssertNotEqual(rewritten[""], before[""])
        XCTAssertEqual(rewritten["b"], before["b"], "a folder beside the change keeps its seal")

        // A chmod moves only ctime and the mode.
        XCTAssertEqual(chmod(dir + "/b/g1", 0o755), 0)
        XCTAssertNotEqual(try seals()["b"], rewritten["b"])

        // A new file, and a rename, change their folder.
        let beforeNew = try seals()
        try Data().write(to: URL(fileURLWithPath: dir + "/a/new"))
        XCTAssertNotEqual(try seals()["a"], beforeNew["a"])
        XCTAssertEqual(rename(dir + "/a/new", dir + "/a/renamed"), 0)
        XCTAssertNotEqual(try seals()["a"], beforeNew["a"])
    }

    /// Seals are stored in proofs: their bytes must not change between versions. Written out
    /// here from the format: per file, in listing order, `f`, the name, 0, 1 for a symlink else
    /// 0, mode, inode, size, mtime and ctime (UInt64 little-endian) and 32 bytes of the linked
    /// object (zeros); then per subfolder, sorted, `d`, its name, 0 and its seal.
    func testASealIsTheSHA256OfItsFilesAndSubfoldersRecords() throws {
        let scanned = try WorkspaceScanner.scan(dir, displayPath: "data", cacheRoot: "/nonexistent", foreignLinks: .report)
        let seals = FolderSeals(scanned, sealedAt: Int64.max - 10_000_000_000).seals
        func record(_ file: ScannedFile) -> [UInt8] {
            let st = file.stat
            var bytes = [UInt8(ascii: "f")] + Array(PathName.lastComponent(of: file.path).utf8) + [0, st.kind == .symlink ? 1 : 0]
            for value in [UInt64(st.mode), st.inode, UInt64(bitPattern: st.size), UInt64(bitPattern: st.mtimeNanoseconds), UInt64(bitPattern: st.ctimeNanoseconds)] {
                withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
            }
            return bytes + [UInt8](repeating: 0, count: 32)
        }
        let inA = scanned.filter { PathName.parent(of: $0.path) == "a" }
        XCTAssertEqual(inA.count, 2)
        var hasher = SHA256()
        for file in inA { hasher.update(data: record(file)) }
        hasher.update(data: [UInt8(ascii: "d")] + Array("x".utf8) + [0] + seals["a/x"]!.bytes)
        XCTAssertEqual(seals["a"], hasher.finalize().withUnsafeBytes { ObjectID(bytes: $0) })
    }

    func testAFolderWithAFileChangedInTheRacyWindowHasNoSealNorDoTheFoldersAboveIt() throws {
        let st = try XCTUnwrap(FileSystem.lstatFile(dir + "/a/x/h1"))
        let sealed = try seals(at: max(st.mtimeNanoseconds, st.ctimeNanoseconds) + 5_000_000)
        XCTAssertNil(sealed["a/x"])
        XCTAssertNil(sealed["a"])
        XCTAssertNil(sealed[""])
        let others = FileSystem.lstatFile(dir + "/b/g1")!
        XCTAssertEqual(sealed["b"] != nil, max(others.mtimeNanoseconds, others.ctimeNanoseconds) < max(st.mtimeNanoseconds, st.ctimeNanoseconds) - 15_000_000)
    }

    /// Seals are made from runs of one folder's files across cores; they must equal seals
    /// made the plain way (group every file by its parent, in scan order), also when a folder's
    /// files come in several runs, a folder holds only folders, a file is a symlink into the
    /// cache, or one file is racy. A scan of some 240 folders, shuffled with a fixed seed.
    func testSealsMadeFromRunsAcrossCoresEqualSealsMadeFileByFile() throws {
        var files: [ScannedFile] = []
        var inode: UInt64 = 1
        func file(_ path: String, kind: FileStat.Kind = .file, linked: ObjectID? = nil, changed: Int64 = 1_000_000_000) {
            var raw = stat()
            raw.st_mode = (kind == .symlink ? S_IFLNK : S_IFREG) | 0o644
            raw.st_ino = UInt(inode); raw.st_size = Int(inode % 97)
            raw.st_mtim = timespec(tv_sec: Int(changed / 1_000_000_000), tv_nsec: Int(changed % 1_000_000_000))
            raw.st_ctim = raw.st_mtim
            inode += 1
            files.append(ScannedFile(path: path, stat: FileStat(raw), linkedObject: linked))
        }
        for top in 0..<10 {
            for sub in 0..<30 { for n in 0..<(sub % 4) { file("t\(top)/only-folders/s\(sub)/f\(n)") } }
            file("t\(top)/file")
        }
        file("top-file")
        file("t3/link", kind: .symlink, linked: ObjectID.of(Array("object".utf8)))
        file("t7/only-folders/s5/racy", changed: 9_000_000_000)
        var generator = SeededGenerator(seed: 7)
        files.shuffle(using: &generator)
        files.append(contentsOf: [files[0], files[1]].map { ScannedFile(path: PathName.parent(of: $0.path).isEmpty ? "again" : PathName.parent(of: $0.path) + "/again", stat: $0.stat, linkedObject: nil) })

        let sealedAt: Int64 = 9_000_000_000 + 1_000_000
        let made = FolderSeals(files, sealedAt: sealedAt)
        let expected = Self.plainSeals(files, sealedAt: sealedAt)
        XCTAssertEqual(made.seals.count, expected.count)
        XCTAssertEqual(made.seals, expected)
        XCTAssertNil(made.seals["t7/only-folders/s5"], "the racy file's folder has no seal")
        XCTAssertNil(made.seals[""], "nor the folders above it")
        XCTAssertNotNil(made.seals["t7/only-folders/s6"], "a folder beside it has one")
        XCTAssertEqual(made.sizes[""], files.reduce(0) { $0 + $1.stat.size })
        XCTAssertEqual(made.sizes["t2"], files.filter { $0.path.hasPrefix("t2/") }.reduce(0) { $0 + $1.stat.size })
        let outside = made.files(of: files, outside: ["t1", "t2/only-folders"]).map(\.path)
        XCTAssertEqual(outside.sorted(), files.map(\.path).filter { !$0.hasPrefix("t1/") && !$0.hasPrefix("t2/only-folders/") }.sorted())
    }

    /// Seals as the format defines them, one file at a time.
    private static func plainSeals(_ scanned: [ScannedFile], sealedAt: Int64) -> [String: ObjectID] {
        var records: [String: [UInt8]] = [:], folders: Set<String> = [""], racy: Set<String> = []
        for file in scanned {
            let folder = PathName.parent(of: file.path), st = file.stat
            var ancestor = folder
            while folders.insert(ancestor).inserted { ancestor = PathName.parent(of: ancestor) }
            if max(st.mtimeNanoseconds, st.ctimeNanoseconds) >= sealedAt - StateCache.racyWindow(for: st.mtimeNanoseconds) { racy.insert(folder) }
            var bytes = [UInt8(ascii: "f")] + Array(PathName.lastComponent(of: file.path).utf8) + [0, st.kind == .symlink ? 1 : 0]
            for value in [UInt64(st.mode), st.inode, UInt64(bitPattern: st.size), UInt64(bitPattern: st.mtimeNanoseconds), UInt64(bitPattern: st.ctimeNanoseconds)] {
                withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
            }
            records[folder, default: []] += bytes + (file.linkedObject?.bytes ?? [UInt8](repeating: 0, count: 32))
        }
        var seals: [String: ObjectID] = [:]
        for folder in folders.sorted(by: { $0.utf8.count > $1.utf8.count }) where !racy.contains(folder) {
            var hasher = SHA256()
            hasher.update(data: records[folder] ?? [])
            var complete = true
            let subs = folders.filter { !$0.isEmpty && PathName.parent(of: $0) == folder }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for sub in subs {
                guard let seal = seals[sub] else { complete = false; break }
                hasher.update(data: [UInt8(ascii: "d")] + Array(PathName.lastComponent(of: sub).utf8) + [0] + seal.bytes)
            }
            if complete { seals[folder] = hasher.finalize().withUnsafeBytes { ObjectID(bytes: $0) } }
        }
        return seals
    }

    func testTheProofsFileRoundTripsAndADamagedOrNewerOneIsIgnoredWithItsReason() throws {
        let file = dir + "/clean"
        let proof = CleanFolders.Proof(node: ObjectID.of(Array("node".utf8)), seal: ObjectID.of(Array("seal".utf8)))
        let clean = CleanFolders(file: file)
        clean.replace("data", top: proof.node, isTree: true, with: ["": proof, "a/x": proof])
        clean.replace("other", top: proof.seal, isTree: false, with: ["sub": proof])
        try clean.save()
        let reread = CleanFolders(file: file)
        XCTAssertNil(reread.problem)
        XCTAssertEqual(reread.record(for: "data"), CleanFolders.Record(top: proof.node, isTree: true, folders: ["": proof, "a/x": proof]))
        XCTAssertEqual(reread.record(for: "other"), CleanFolders.Record(top: proof.seal, isTree: false, folders: ["sub": proof]))
        XCTAssertNil(reread.record(for: "none"))

        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[20] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let damaged = CleanFolders(file: file)
        XCTAssertEqual(damaged.problem, "ignoring \(file): it is damaged (truncated or altered: its checksum does not match); it will be rebuilt")
        XCTAssertNil(damaged.record(for: "data"), "nothing of a damaged file is trusted")

        let newer = BinaryWriter.sealed(magic: CleanFolders.magic, version: CleanFolders.version + 1) { $0.put(UInt32(0)) }
        try Data(newer).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(CleanFolders(file: file).problem, "ignoring \(file): it was written by a newer mlv (format 2); it will be rebuilt")

        // Well sealed but claiming more records than it holds.
        let lying = BinaryWriter.sealed(magic: CleanFolders.magic, version: CleanFolders.version) { $0.put(UInt32(1_000_000)) }
        try Data(lying).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(CleanFolders(file: file).problem, "ignoring \(file): it counts more records than it holds; it will be rebuilt")
    }
}

/// A small deterministic generator (splitmix64), so a shuffled scan is the same every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
