import Foundation

/// A value read from a params or metrics file (YAML, JSON, TOML, CSV), format-independent.
public indirect enum StructuredValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([StructuredValue])
    /// Keys keep the file's order.
    case map(keys: [String], values: [String: StructuredValue])

    /// The number, for ints and doubles.
    public var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The value at a dotted key (`train.lr`), walking nested maps; a key that itself holds
    /// dots is found too.
    public func value(at key: String) -> StructuredValue? {
        guard case .map(_, let values) = self else { return nil }
        if let exact = values[key] { return exact }
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        for split in stride(from: parts.count - 1, through: 1, by: -1) {
            let head = parts[..<split].joined(separator: ".")
            if let child = values[head] { return child.value(at: parts[split...].joined(separator: ".")) }
        }
        return nil
    }

    /// Leaves keyed by dotted paths (`train.lr`), in file order; lists are leaves.
    public func flattened(prefix: String = "") -> [(key: String, value: StructuredValue)] {
        guard case .map(let keys, let values) = self else { return prefix.isEmpty ? [] : [(prefix, self)] }
        var result: [(String, StructuredValue)] = []
        for key in keys {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if case .map = values[key]! {
                result += values[key]!.flattened(prefix: path)
            } else {
                result.append((path, values[key]!))
            }
        }
        return result
    }

    /// One line of YAML flow syntax (also valid JSON for finite numbers): the form written to
    /// `mlv.lock` and compared to decide whether a param changed.
    public var canonical: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return StructuredValue.render(value)
        case .string(let value): return StructuredValue.quote(value)
        case .list(let items): return "[" + items.map(\.canonical).joined(separator: ", ") + "]"
        case .map(let keys, let values):
            return "{" + keys.map { StructuredValue.quote($0) + ": " + values[$0]!.canonical }.joined(separator: ", ") + "}"
        }
    }

    /// How a value is shown to people: strings without quotes, numbers as written.
    public var display: String {
        if case .string(let value) = self { return value }
        return canonical
    }

    static func render(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value > 0 ? ".inf" : "-.inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(format: "%.1f", value) }
        return "\(value)"
    }

    /// A double-quoted string with JSON escapes (a YAML double-quoted scalar reads it back).
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension StructuredValue {
    /// Pretty JSON (two-space indents, keys in order); nil when a number is not finite.
    public func jsonText(indent: String = "") -> String? {
        switch self {
        case .double(let number) where !number.isFinite:
            return nil
        case .list(let items):
            guard !items.isEmpty else { return "[]" }
            var parts: [String] = []
            for item in items { guard let text = item.jsonText(indent: indent) else { return nil }; parts.append(text) }
            return "[" + parts.joined(separator: ", ") + "]"
        case .map(let keys, let values):
            guard !keys.isEmpty else { return "{}" }
            let inner = indent + "  "
            var lines: [String] = []
            for key in keys {
                guard let text = values[key]!.jsonText(indent: inner) else { return nil }
                lines.append(inner + StructuredValue.quote(key) + ": " + text)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        default:
            return canonical
        }
    }
}
