import Yams

/// Strict reading of Yams nodes: duplicate keys, anchors and non-scalar keys are refused, and
/// every error carries the node's line and column.
enum YAMLSupport {
    typealias Fail = (String, Int?, Int?) -> StructuredFileError

    static func error(_ error: YamlError, fail: Fail) -> StructuredFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return fail("is not valid YAML: \(what)", mark.line, mark.column)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return fail("has the key `\(duplicates.sorted().joined(separator: "`, `"))` twice in one mapping", context.mark.line, context.mark.column)
        default:
            return fail("is not valid YAML: \(error)", nil, nil)
        }
    }

    /// The pairs of a mapping node, refusing duplicate and non-scalar keys.
    static func pairs(of node: Node, fail: Fail) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let mapping = node.mapping else { return [] }
        var seen: Set<String> = []
        var result: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                throw fail("has a key that is not a plain name", key.mark?.line, key.mark?.column)
            }
            guard seen.insert(name).inserted else {
                throw fail("has the key `\(name)` twice in one mapping", key.mark?.line, key.mark?.column)
            }
            result.append((name, key, value))
        }
        return result
    }

    static func value(of node: Node, fail: Fail) throws -> StructuredValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain || scalar.style == .any {
                if node.null != nil { return .null }
                if isBoolWord(scalar.string), let bool = node.bool { return .bool(bool) }
                if let int = node.int { return .int(int) }
                if let double = node.float { return .double(double) }
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .list(try sequence.map { try value(of: $0, fail: fail) })
        case .mapping:
            var keys: [String] = [], values: [String: StructuredValue] = [:]
            for pair in try pairs(of: node, fail: fail) {
                keys.append(pair.key)
                values[pair.key] = try value(of: pair.value, fail: fail)
            }
            return .map(keys: keys, values: values)
        case .alias:
            throw fail("uses a YAML alias, which mlv does not read", node.mark?.line, node.mark?.column)
        }
    }

    private static func isBoolWord(_ text: String) -> Bool {
        ["true", "false", "True", "False", "TRUE", "FALSE"].contains(text)
    }

    static func line(_ node: Node) -> Int? { node.mark?.line }
    static func column(_ node: Node) -> Int? { node.mark?.column }
}
