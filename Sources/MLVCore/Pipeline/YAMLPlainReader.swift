import CYaml
import Yams

/// Reads the common shape of a params or metrics YAML file (mappings, sequences and scalars, no
/// tags, anchors, aliases, merge keys or repeated keys) straight from libyaml's events, with the
/// same scalar typing as `YAMLSupport.value(of:)`. Composing Yams nodes costs several times more,
/// which shows when a history has thousands of distinct params files. Anything outside that
/// shape, and every error, returns nil: the caller then reads the file the full way, which
/// gives the precise message.
enum YAMLPlainReader {
    static func read(_ text: String) -> StructuredValue? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        // libyaml keeps a pointer to its parser (the string reader's state), so the parser
        // lives at one address for its whole life.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { return nil }
        defer { yaml_parser_delete(parser) }
        return bytes.withUnsafeMutableBufferPointer { buffer -> StructuredValue? in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            var reader = EventReader(parser: parser)
            return reader.document()
        }
    }

    /// One document's events turned into values; nil on anything the full reader should judge.
    private struct EventReader {
        let parser: UnsafeMutablePointer<yaml_parser_t>
        var depth = 0

        enum Item {
            case value(StructuredValue)
            case mappingEnd, sequenceEnd
        }

        mutating func nextEvent<T>(_ body: (yaml_event_t) -> T?) -> T? {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            return body(event)
        }

        mutating func expect(_ type: yaml_event_type_t) -> Bool {
            nextEvent { $0.type == type ? true : nil } ?? false
        }

        mutating func document() -> StructuredValue? {
            guard expect(YAML_STREAM_START_EVENT), expect(YAML_DOCUMENT_START_EVENT) else { return nil }
            guard case .value(let root)? = item() else { return nil }
            // One document only, and nothing after it.
            guard expect(YAML_DOCUMENT_END_EVENT), expect(YAML_STREAM_END_EVENT) else { return nil }
            return root
        }

        mutating func item() -> Item? {
            enum Start { case scalar(StructuredValue), mapping, sequence, mappingEnd, sequenceEnd }
            let start: Start? = nextEvent { event in
                switch event.type {
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    guard scalar.anchor == nil, scalar.tag == nil else { return nil }
                    let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
                    if scalar.style == YAML_PLAIN_SCALAR_STYLE || scalar.style == YAML_ANY_SCALAR_STYLE {
                        return plainValue(text).map(Start.scalar)
                    }
                    return .scalar(.string(text))
                case YAML_MAPPING_START_EVENT:
                    guard event.data.mapping_start.anchor == nil, event.data.mapping_start.tag == nil else { return nil }
                    return .mapping
                case YAML_SEQUENCE_START_EVENT:
                    guard event.data.sequence_start.anchor == nil, event.data.sequence_start.tag == nil else { return nil }
                    return .sequence
                case YAML_MAPPING_END_EVENT: return .mappingEnd
                case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
                default: return nil
                }
            }
            switch start {
            case nil: return nil
            case .scalar(let value)?: return .value(value)
            case .mappingEnd?: return .mappingEnd
            case .sequenceEnd?: return .sequenceEnd
            case .mapping?:
                depth += 1
                guard depth <= YAMLSupport.maximumDepth else { return nil }
                defer { depth -= 1 }
                var keys: [String] = [], values: [String: StructuredValue] = [:]
                while true {
                    enum Key { case name(String), end }
                    let key: Key? = nextEvent { event in
                        if event.type == YAML_MAPPING_END_EVENT { return .end }
                        guard event.type == YAML_SCALAR_EVENT, event.data.scalar.anchor == nil, event.data.scalar.tag == nil else { return nil }
                        return .name(String(decoding: UnsafeBufferPointer(start: event.data.scalar.value, count: Int(event.data.scalar.length)), as: UTF8.self))
                    }
                    guard let key else { return nil }
                    guard case .name(let name) = key else { return .value(.map(keys: keys, values: values)) }
                    // A merge key, and a key seen before, go the full way (which refuses them).
                    guard name != "<<", values[name] == nil, case .value(let value)? = item() else { return nil }
                    keys.append(name)
                    values[name] = value
                }
            case .sequence?:
                depth += 1
                guard depth <= YAMLSupport.maximumDepth else { return nil }
                defer { depth -= 1 }
                var list: [StructuredValue] = []
                while true {
                    switch item() {
                    case .value(let value)?: list.append(value)
                    case .sequenceEnd?: return .value(.list(list))
                    default: return nil
                    }
                }
            }
        }
    }

    /// A plain scalar as `YAMLSupport.value(of:)` types it; nil where that reports an error.
    static func plainValue(_ text: String) -> StructuredValue? {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        let plain = text.contains("_") && !text.hasPrefix("_") ? text.replacingOccurrences(of: "_", with: "") : text
        if ExactNumber.looksInteger(plain) { return ExactNumber.integer(plain) }
        if let int = YAMLSupport.radixInteger(text) { return .int(int) }
        if !text.contains(":"), let double = Double.construct(from: Node.Scalar(text, .implicit, .plain)) { return .double(double) }
        return .string(text)
    }
}
