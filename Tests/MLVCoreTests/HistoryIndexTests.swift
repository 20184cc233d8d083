@testable import MLVCore
import MLVGit
import XCTest

final class HistoryIndexTests: XCTestCase {
    private func id(_ digit: Character) -> GitObjectID { GitObjectID(hex: String(repeating: digit, count: 40))! }

    private func sample() -> HistoryIndex.Contents {
        var contents = HistoryIndex.Contents()
        let merge = CommitInfo(id: id("a"), summary: "merge <b>", message: "merge <b>\n\nbody é\n", authorName: "Ann", authorEmail: "a@x",
                               time: Date(timeIntervalSince1970: 1_700_000_123), parents: [id("b"), id("c")], tree: id("d"))
        let root = CommitInfo(id: id("b"), summary: "", message: "", authorName: "", authorEmail: "",
                              time: Date(timeIntervalSince1970: 0), parents: [], tree: id("e"))
        contents.commits = [merge.id: merge, root.id: root]
        contents.paths[TreePath(tree: id("d"), path: "metrics.json")] = .some(id("f"))
        contents.paths[TreePath(tree: id("e"), path: "dir/mlv.yaml")] = .some(nil)
        contents.files[id("f")] = [("acc", .double(0.25)), ("n", .int(-3)), ("ok", .bool(true)), ("no", .bool(false)), ("none", .null),
                                   ("name", .string("ü")), ("list", .list([.int(1), .map(keys: ["z", "a"], values: ["z": .null, "a": .double(-0.0)])]))]
        return contents
    }

    func testRoundTripKeepsEveryKindOfEntry() throws {
        let decoded = try HistoryIndex.decode(HistoryIndex.encode(sample()))
        XCTAssertEqual(decoded.commits, sample().commits)
        XCTAssertEqual(decoded.paths, sample().paths)
        let leaves = try XCTUnwrap(decoded.files[id("f")])
        XCTAssertEqual(leaves.map(\.key), ["acc", "n", "ok", "no", "none", "name", "list"])
        XCTAssertEqual(leaves.map(\.value), sample().files[id("f")]!.map(\.value))
        guard case .list(let items) = leaves[6].value, case .map(let keys, _) = items[1] else { return XCTFail("nested value lost") }
        XCTAssertEqual(keys, ["z", "a"], "a map keeps its order")
    }

    private func reason(_ bytes: [UInt8]) -> String? {
        do {
            _ = try HistoryIndex.decode(bytes)
            return nil
        } catch let damaged as BinaryReader.Damaged {
            return damaged.reason
        } catch {
            return "\(error)"
        }
    }

    func testDamagedTruncatedAndNewerFilesAreRefused() {
        let good = HistoryIndex.encode(sample())
        var altered = good
        altered[good.count / 2] ^= 0x01
        XCTAssertEqual(reason(altered), "is damaged (truncated or altered: its checksum does not match)")
        XCTAssertEqual(reason(Array(good.prefix(good.count - 1))), "is damaged (truncated or altered: its checksum does not match)")
        XCTAssertEqual(reason(Array(good.prefix(20))), "is truncated or not an mlv file")
        XCTAssertEqual(reason(Array("MLVSTATE".utf8) + Array(good.dropFirst(8))), "is truncated or not an mlv file")
        let newer = BinaryWriter.sealed(magic: HistoryIndex.magic, version: 2) { $0.put(UInt32(0)) }
        XCTAssertEqual(reason(newer), "was written by a newer mlv (format 2)")
    }

    /// Records that pass the checksum (as a buggy or hostile writer could make) are still bounded.
    func testWellSealedNonsenseIsRefusedNotTrusted() {
        let hugeCount = BinaryWriter.sealed(magic: HistoryIndex.magic, version: 1) { $0.put(UInt32.max) }
        XCTAssertEqual(reason(hugeCount), "counts more records than it holds")
        let badID = BinaryWriter.sealed(magic: HistoryIndex.magic, version: 1) { out in
            out.put(UInt32(0)); out.put(UInt32(1))
            out.put(raw: Array(String(repeating: "G", count: 40).utf8)); out.put("p"); out.put(UInt8(0))
            out.put(UInt32(0))
        }
        XCTAssertEqual(reason(badID), "is damaged (an object id is not 40 hex digits)")
        let deep = BinaryWriter.sealed(magic: HistoryIndex.magic, version: 1) { out in
            out.put(UInt32(0)); out.put(UInt32(0)); out.put(UInt32(1))
            out.put(raw: Array(String(repeating: "a", count: 40).utf8)); out.put(UInt32(1)); out.put("k")
            for _ in 0..<100 { out.put(UInt8(6)); out.put(UInt32(1)) }
            out.put(UInt8(0))
        }
        XCTAssertEqual(reason(deep), "is damaged (a value nests too deep)")
        let trailing = BinaryWriter.sealed(magic: HistoryIndex.magic, version: 1) { out in
            out.put(UInt32(0)); out.put(UInt32(0)); out.put(UInt32(0)); out.put(UInt8(9))
        }
        XCTAssertEqual(reason(trailing), "is damaged (bytes after its last record)")
    }
}
