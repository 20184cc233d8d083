import CYaml
import Yams

/// Strict reading of Yams nodes: duplicate keys, anchors and non-scalar keys are refused, and
/// every error carries the node's line and column.
enum YAMLSupport {
    typealias Fail = (String, Int?, Int?) -> StructuredFileError

    /// Nesting deeper than this is refused before composing (no file mlv reads needs it).
    static let maximumDepth = 64

    /// Composes `text` after one event-level pass that refuses anchors and aliases (Yams
    /// expands them while composing, so a few hundred bytes could become gigabytes, and an
    /// alias as a mapping key could hang it) and nesting deeper than `maximumDepth`.
    static func compose(_ text: String, resolver: Resolver, fail: Fail) throws -> Node? {
        try checkEvents(text, fail: fail)
        do { return try Yams.compose(yaml: text, resolver, .default, .utf8) } catch let error as YamlError { throw self.error(error, fail: fail) }
    }

    /// The event pass of `compose`, through libyaml's parser (the one Yams is built on).
    static func checkEvents(_ text: String, fail: Fail) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw fail("could not be read (out of memory)", nil, nil) }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return }
        try bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var depth = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "unreadable"
                    throw fail("is not valid YAML: \(problem)", Int(parser.problem_mark.line) + 1, Int(parser.problem_mark.column) + 1)
                }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
                switch event.type {
                case YAML_ALIAS_EVENT:
                    throw fail("uses a YAML alias (`*`), which mlv does not read; write the value out", line, column)
                case YAML_SCALAR_EVENT where event.data.scalar.anchor != nil,
                     YAML_SEQUENCE_START_EVENT where event.data.sequence_start.anchor != nil,
                     YAML_MAPPING_START_EVENT where event.data.mapping_start.anchor != nil:
                    throw fail("uses a YAML anchor (`&`), which mlv does not read; write the value out", line, column)
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    depth += 1
                    if depth > maximumDepth { throw fail("nests deeper than \(maximumDepth) levels", line, column) }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                case YAML_STREAM_END_EVENT:
                    return
                default:
                    break
                }
            }
        }
    }

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
                // Yams's own integer reading traps on overflow in YAML 1.1 forms (`+1:20:…`
                // sexagesimal), so numbers are read here: decimal integers exactly, other
                // integer forms by radix, and only plain decimal floats through Yams.
                // YAML 1.1 allows `1_000` for 1000.
                let plain = scalar.string.contains("_") && !scalar.string.hasPrefix("_") ? scalar.string.replacingOccurrences(of: "_", with: "") : scalar.string
                if ExactNumber.looksInteger(plain) {
                    guard let exact = ExactNumber.integer(plain) else {
                        throw fail("gives a value the number \(scalar.string.prefix(40)), which mlv cannot hold exactly; write it as a decimal or quote it", node.mark?.line, node.mark?.column)
                    }
                    return exact
                }
                if let int = radixInteger(scalar.string) { return .int(int) }
                if !scalar.string.contains(":"), let double = node.float { return .double(double) }
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

    /// `0x1F`, `0o17`, `0b101` (with an optional sign) when they fit 64 bits.
    static func radixInteger(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" || digits.first == "+" { negative = digits.first == "-"; digits = digits.dropFirst() }
        let radix: Int
        switch digits.prefix(2).lowercased() {
        case "0x": radix = 16
        case "0o": radix = 8
        case "0b": radix = 2
        default: return nil
        }
        guard let value = Int(digits.dropFirst(2), radix: radix) else { return nil }
        return negative ? -value : value
    }

    /// An integer field of a file mlv writes (`size: 12`): decimal digits only, never through
    /// Yams's conversions.
    static func int(_ node: Node?) -> Int? {
        guard let text = node?.scalar?.string, ExactNumber.looksInteger(text) else { return nil }
        return Int(text)
    }

    /// A decimal number field (`duration: 1.5`).
    static func double(_ node: Node?) -> Double? {
        guard let text = node?.scalar?.string, !text.contains(":"), let value = Double(text), value.isFinite else { return nil }
        return value
    }

    private static func isBoolWord(_ text: String) -> Bool {
        ["true", "false", "True", "False", "TRUE", "FALSE"].contains(text)
    }

    static func line(_ node: Node) -> Int? { node.mark?.line }
    static func column(_ node: Node) -> Int? { node.mark?.column }
}
