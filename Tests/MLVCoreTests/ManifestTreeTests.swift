@testable import MLVCore
import XCTest

final class ManifestTreeTests: XCTestCase {
    private func entry(_ path: String, _ text: String, executable: Bool = false) -> DirectoryManifest.Entry {
        DirectoryManifest.Entry(path: path, id: ObjectID.of(Array(text.utf8)), size: Int64(text.utf8.count), executable: executable)
    }

    /// Nodes by id, as a cache would hold them.
    private func store(_ nodes: [(folder: String, id: ObjectID, bytes: [UInt8])]) -> [ObjectID: [UInt8]] {
        Dictionary(nodes.map { ($0.id, $0.bytes) }, uniquingKeysWith: { a, _ in a })
    }

    private func walk(_ root: ObjectID, _ objects: [ObjectID: [UInt8]], fileCount: Int? = nil, allowMissing: Bool = false) throws -> ManifestWalk {
        try ManifestWalk.read(root, fileCount: fileCount, allowMissing: allowMissing) { objects[$0] }
    }

    private func reason(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    func testTreeWalksBackToTheSameFilesInPathOrder() throws {
        let entries = [entry("b/c/d.bin", "d"), entry("a.txt", "a"), entry("a/x", "x", executable: true), entry("b/e", "e"), entry("a-b", "ab")]
        let nodes = ManifestTree.nodes(for: DirectoryManifest(entries: entries).entries)
        XCTAssertEqual(nodes.count, 4, "root, a, b, b/c")
        let root = nodes.last!
        XCTAssertEqual(String(decoding: root.bytes, as: UTF8.self), """
        mlv-tree 2
        \(entry("a-b", "ab").id.hex) 2 644 a-b
        \(entry("a.txt", "a").id.hex) 1 644 a.txt
        \(ObjectID.of(nodes[0].bytes).hex) 1 dir a
        \(nodes[2].id.hex) 2 dir b

        """, "a folder sorts as its name with `/` after it")
        let read = try walk(root.id, store(nodes), fileCount: 5)
        XCTAssertEqual(read.entries, DirectoryManifest(entries: entries).entries)
        XCTAssertEqual(read.nodes.last, root.id, "the root comes after the nodes beneath it")
        XCTAssertEqual(Set(read.nodes), Set(nodes.map(\.id)))

        // One changed file makes new nodes only on its path.
        var changed = entries
        changed[0] = entry("b/c/d.bin", "d2")
        let again = ManifestTree.nodes(for: DirectoryManifest(entries: changed).entries)
        XCTAssertEqual(Set(again.map(\.id)).subtracting(nodes.map(\.id)).count, 3, "b/c, b and the root")
        XCTAssertEqual(ManifestTree.nodes(for: []).count, 1, "an empty directory is one empty node")
    }

    func testMalformedNodesAreRefusedWithTheirIdAndFolder() throws {
        let file = entry("f", "f").id.hex
        func node(_ lines: String) -> (ObjectID, [UInt8]) {
            let bytes = Array("mlv-tree 2\n\(lines)".utf8)
            return (ObjectID.of(bytes), bytes)
        }
        func refusal(_ lines: String) -> String {
            let (id, bytes) = node(lines)
            return reason { _ = try walk(id, [id: bytes]) }
        }
        let (escapeID, _) = node("\(file) 1 dir ..\n")
        XCTAssertEqual(refusal("\(file) 1 dir ..\n"), "manifest node \(escapeID.short) (folder `.` of \(escapeID.short)) line 2: name `..` escapes its directory with `..`; refusing to use it.")
        XCTAssertTrue(refusal("\(file) 1 644 a/b\n").hasSuffix("line 2: name `a/b` is not a single folder entry; refusing to use it."))
        XCTAssertTrue(refusal("\(file) 1 644 .git\n").hasSuffix("line 2: name `.git` names a `.git` folder, which mlv never tracks; refusing to use it."))
        XCTAssertTrue(refusal("\(file) 1 644 b\n\(file) 1 644 a\n").hasSuffix("line 3 is out of order or repeated; refusing to use it."))
        XCTAssertTrue(refusal("\(file) 1 644 a\n\(file) 1 dir a\n").hasSuffix("line 3 repeats the name `a`; refusing to use it."))
        XCTAssertTrue(refusal("\(file) 1 777 a\n").hasSuffix("line 2 has mode 777; expected 644, 755 or dir; refusing to use it."))
        XCTAssertTrue(refusal("\(file) 1 644 a").hasSuffix("is truncated (no final newline); refusing to use it."))

        // A hand-edited node deeper down: the read reports which folder it stands for.
        let nodes = ManifestTree.nodes(for: [entry("sub/deep/f", "f")])
        var objects = store(nodes)
        let deep = nodes[0]
        objects[deep.id] = Array("mlv-tree 2\n\(file) 1 dir ..\n".utf8)
        XCTAssertTrue(reason { _ = try ManifestWalk.read(nodes.last!.id, fileCount: 1) { id in
            guard let bytes = objects[id] else { return nil }
            if ObjectID.of(bytes) != id { throw StoreError.corrupted(id, path: "cache/\(id.hex)") }
            return bytes
        } } == "manifest node \(deep.id.short) (folder `sub/deep` of \(nodes.last!.id.short)) is corrupted in the cache (its bytes no longer hash to its id); refusing to use it.")
    }

    /// Nodes may be shared, so a few small ones could stand for billions of files: the walk
    /// stops at what the pointer states, and at a depth no real directory has.
    func testSharedNodesCannotExpandPastThePointerAndDepthIsBounded() throws {
        let leaf = ManifestTree.serialize((0..<3).map { ManifestTree.Child(name: "f\($0)", id: entry("x", "x").id, size: 1, kind: .file(executable: false)) })
        let leafID = ObjectID.of(leaf)
        let fan = ManifestTree.serialize((0..<3).map { ManifestTree.Child(name: "d\($0)", id: leafID, size: 3, kind: .folder) })
        let fanID = ObjectID.of(fan)
        let objects = [leafID: leaf, fanID: fan]
        XCTAssertEqual(try walk(fanID, objects, fileCount: 9).entries.count, 9)
        XCTAssertEqual(reason { _ = try walk(fanID, objects, fileCount: 5) },
                       "manifest node \(leafID.short) (folder `d1` of \(fanID.short)) holds more files than its pointer states (5); refusing to use it.")

        var chain: [ObjectID: [UInt8]] = [:]
        var top = ObjectID.of(ManifestTree.serialize([]))
        chain[top] = ManifestTree.serialize([])
        for _ in 0..<300 {
            let bytes = ManifestTree.serialize([ManifestTree.Child(name: "d", id: top, size: 0, kind: .folder)])
            top = ObjectID.of(bytes)
            chain[top] = bytes
        }
        XCTAssertTrue(reason { _ = try walk(top, chain, fileCount: 1) }.hasSuffix("is nested more than 256 folders deep; refusing to use it."))
    }

    func testMissingNodesAreListedWithTheirFolder() throws {
        let nodes = ManifestTree.nodes(for: [entry("a/f", "f"), entry("b/g", "g")])
        var objects = store(nodes)
        objects[nodes[0].id] = nil
        let partial = try walk(nodes.last!.id, objects, allowMissing: true)
        XCTAssertEqual(partial.missing.map(\.folder), ["a"])
        XCTAssertEqual(partial.missing.map(\.id), [nodes[0].id])
        XCTAssertEqual(partial.entries.map(\.path), ["b/g"])
        XCTAssertEqual(reason { _ = try walk(nodes.last!.id, objects) }, StoreError.missing(nodes[0].id).description)
    }
}
