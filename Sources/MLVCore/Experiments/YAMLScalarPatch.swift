import Yams

/// Changes plain values of a YAML params file in place, so its comments, quoting and layout
/// survive: each value's scalar is found through the composed node's position and its text
/// replaced. Returns nil when a change cannot be made that way (a new key, a block scalar, a
/// list or mapping); `ParamsFileWriter` then rewrites the whole file, and checks either result
/// by reading it back.
enum YAMLScalarPatch {
    static func apply(_ changes: [(key: String, value: StructuredValue)], to text: String) -> String? {
        guard let root = try? YAMLSupport.compose(text, resolver: .default, fail: { reason, line, column in
            StructuredFileError(file: "", revision: nil, line: line, column: column, reason: reason)
        }) else { return nil }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        var edits: [(line: Int, start: Int, end: Int, text: String)] = []
        for (key, value) in changes {
            switch value {
            case .list, .map: return nil
            default: break
            }
            guard let node = find(key, in: root), let scalar = node.scalar, let mark = node.mark,
                  scalar.style == .plain || scalar.style == .singleQuoted || scalar.style == .doubleQuoted,
                  mark.line >= 1, mark.line <= lines.count else { return nil }
            let line = lines[mark.line - 1]
            let start = mark.column - 1
            guard start >= 0, start < line.count, let end = scalarEnd(line, from: start, style: scalar.style) else { return nil }
            edits.append((mark.line - 1, start, end, value.canonical))
        }
        // From the end of the file backwards, so earlier positions stay valid.
        for edit in edits.sorted(by: { ($0.line, $0.start) > ($1.line, $1.start) }) {
            lines[edit.line].replaceSubrange(edit.start..<edit.end, with: Array(edit.text.utf8))
        }
        return lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }

    /// The value node at a dotted key, walking mappings (a key holding dots is found too).
    static func find(_ key: String, in node: Node) -> Node? {
        guard let mapping = node.mapping else { return nil }
        for (name, value) in mapping where name.scalar?.string == key { return value }
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        for split in stride(from: parts.count - 1, through: 1, by: -1) {
            let head = parts[..<split].joined(separator: ".")
            for (name, value) in mapping where name.scalar?.string == head {
                return find(parts[split...].joined(separator: "."), in: value)
            }
        }
        return nil
    }

    /// Where the scalar starting at `start` ends on its line (exclusive), or nil when it does
    /// not end there.
    static func scalarEnd(_ line: [UInt8], from start: Int, style: Node.Scalar.Style) -> Int? {
        switch style {
        case .doubleQuoted:
            var index = start + 1
            while index < line.count {
                if line[index] == UInt8(ascii: "\\") { index += 2; continue }
                if line[index] == UInt8(ascii: "\"") { return index + 1 }
                index += 1
            }
            return nil
        case .singleQuoted:
            var index = start + 1
            while index < line.count {
                if line[index] == UInt8(ascii: "'") {
                    if index + 1 < line.count && line[index + 1] == UInt8(ascii: "'") { index += 2; continue }
                    return index + 1
                }
                index += 1
            }
            return nil
        default:
            let inFlow = line[..<start].contains { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }
            var end = start
            while end < line.count {
                let byte = line[end]
                if byte == UInt8(ascii: "#") && end > start && (line[end - 1] == UInt8(ascii: " ") || line[end - 1] == UInt8(ascii: "\t")) { break }
                if inFlow && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")) { break }
                end += 1
            }
            while end > start && (line[end - 1] == UInt8(ascii: " ") || line[end - 1] == UInt8(ascii: "\t") || line[end - 1] == UInt8(ascii: "\r")) { end -= 1 }
            return end > start ? end : nil
        }
    }
}
