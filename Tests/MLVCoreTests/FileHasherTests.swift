@testable import MLVCore
import XCTest

final class FileHasherTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("hasher-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Bytes that differ from block to block, so hashing one block in place of another shows.
    private func distinctBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    private func copy(_ source: String, to target: String) throws -> (ObjectID, Int64) {
        let hasher = FileHasher()
        defer { hasher.release() }
        let input = open(source, O_RDONLY)
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(input); close(output) }
        return try hasher.copyHashing(from: input, sourcePath: source, to: output, destinationPath: target)
    }

    func testACopyHashesAndWritesEveryBlockInOrder() throws {
        let block = FileHasher.blockSize
        for (index, size) in [0, 1, block - 1, block, block + 1, 3 * block + 12_345].enumerated() {
            let bytes = distinctBytes(size, seed: UInt64(index + 1))
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/in"))
            let (id, copied) = try copy(dir + "/in", to: dir + "/out")
            XCTAssertEqual(id, ObjectID.of(bytes), "size \(size)")
            XCTAssertEqual(copied, Int64(size))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/out")), Data(bytes), "size \(size)")
        }
    }

    func testACopyFromAPipeReadsOnPastShortReads() throws {
        let bytes = distinctBytes(2 * FileHasher.blockSize + 99, seed: 7)
        let pipe = Pipe()
        let writer = Thread {
            pipe.fileHandleForWriting.write(Data(bytes))
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        let hasher = FileHasher()
        defer { hasher.release() }
        let output = open(dir + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(output) }
        let (id, copied) = try hasher.copyHashing(from: pipe.fileHandleForReading.fileDescriptor, sourcePath: "pipe",
                                                  to: output, destinationPath: dir + "/out")
        XCTAssertEqual(id, ObjectID.of(bytes))
        XCTAssertEqual(copied, Int64(bytes.count))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/out")), Data(bytes))
    }

    func testWritesLargerThanASliceLandWholeAtTheirPosition() throws {
        let bytes = distinctBytes(3 * FileSystem.writeSlice + 5, seed: 3)
        let path = dir + "/positioned"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        try bytes.withUnsafeBytes { try FileSystem.writeAll(fd, $0, at: 100, path: path) }
        try bytes.withUnsafeBytes { try FileSystem.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<10]), at: 0, path: path) }
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(written.count, 100 + bytes.count)
        XCTAssertEqual(Array(written[0..<10]), Array(bytes[0..<10]))
        XCTAssertEqual(Array(written[10..<100]), [UInt8](repeating: 0, count: 90))
        XCTAssertEqual(Array(written[100...]), bytes)
    }
}
