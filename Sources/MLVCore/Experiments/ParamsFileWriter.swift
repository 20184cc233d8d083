import Foundation

/// Writes param overrides into a params file (YAML, JSON or TOML): the file is read, the keys
/// set, and the file written again in the same format with its keys in their order. YAML
/// values are replaced in place where they stand (comments kept); otherwise the whole file is
/// rewritten and comments are lost (in the experiment's copy only; the user's own file is
/// never touched). What is written is read back and compared before it is used.
enum ParamsFileWriter {
    /// The new bytes of `file` (whose current bytes are `bytes`, nil when it does not exist).
    static func apply(_ assignments: [ParamAssignment], to bytes: [UInt8]?, file: String) throws -> [UInt8] {
        guard let format = StructuredFile.format(of: file), [.yaml, .json, .toml].contains(format) else {
            throw ExperimentError.paramsFileNotWritable(file)
        }
        var root: StructuredValue
        var values: [(key: String, value: StructuredValue)] = []
        if let bytes {
            root = try StructuredFile.parse(bytes, file: file)
        } else {
            guard assignments.allSatisfy(\.allowNew) else {
                throw ExperimentError.unknownParam(file: file, key: assignments.first { !$0.allowNew }!.key, fileMissing: true)
            }
            root = .map(keys: [], values: [:])
        }
        for assignment in assignments {
            let value = try ParamOverride.scalar(assignment.value) { reason in .badOverride(assignment.display, reason: reason) }
            root = try set(assignment.key, in: root, to: value, assignment: assignment, file: file)
            values.append((assignment.key, value))
        }
        // YAML keeps its comments and layout when each value can be replaced where it stands.
        if format == .yaml, let bytes, let patched = YAMLScalarPatch.apply(values, to: String(decoding: bytes, as: UTF8.self)),
           (try? StructuredFile.parse(Array(patched.utf8), file: file)) == root {
            return Array(patched.utf8)
        }
        let text: String
        switch format {
        case .yaml: text = yaml(root, indent: "")
        case .json:
            guard let json = root.jsonText() else { throw ExperimentError.paramsNotRepresentable(file: file) }
            text = json + "\n"
        default: text = try toml(root, file: file)
        }
        let written = Array(text.utf8)
        guard try StructuredFile.parse(written, file: file) == root else {
            throw ExperimentError.paramsNotRepresentable(file: file)
        }
        return written
    }

    /// `root` with the value at a dotted key replaced; the key must exist unless `allowNew`,
    /// and a list or mapping may not replace a plain value (nor the other way round).
    static func set(_ key: String, in root: StructuredValue, to value: StructuredValue, assignment: ParamAssignment, file: String) throws -> StructuredValue {
        guard case .map(var keys, var values) = root else {
            throw ExperimentError.badOverride(assignment.display, reason: "`\(file)` holds no mapping at `\(key)`'s parent")
        }
        if let existing = values[key] {
            try checkShape(existing, value, assignment: assignment)
            values[key] = value
            return .map(keys: keys, values: values)
        }
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for split in stride(from: parts.count - 1, through: 1, by: -1) {
            let head = parts[..<split].joined(separator: ".")
            if let child = values[head], case .map = child {
                values[head] = try set(parts[split...].joined(separator: "."), in: child, to: value, assignment: assignment, file: file)
                return .map(keys: keys, values: values)
            }
        }
        guard assignment.allowNew else { throw ExperimentError.unknownParam(file: file, key: assignment.key, fileMissing: false) }
        // A new key: nested mappings for its dotted parts.
        var nested = value
        for part in parts.dropFirst().reversed() { nested = .map(keys: [part], values: [part: nested]) }
        keys.append(parts[0])
        values[parts[0]] = nested
        return .map(keys: keys, values: values)
    }

    static func checkShape(_ old: StructuredValue, _ new: StructuredValue, assignment: ParamAssignment) throws {
        func shape(_ value: StructuredValue) -> String {
            switch value {
            case .list: return "a list"
            case .map: return "a mapping"
            default: return "a plain value"
            }
        }
        if shape(old) != shape(new) {
            throw ExperimentError.badOverride(assignment.display, reason: "`\(assignment.key)` holds \(shape(old)); it cannot be replaced by \(shape(new))")
        }
    }

    // MARK: Formats

    static func plainKey(_ key: String) -> Bool {
        let reserved: Set<String> = ["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"]
        guard let first = key.unicodeScalars.first, CharacterSet.letters.contains(first) || first == "_" else { return false }
        return !reserved.contains(key.lowercased()) && key.unicodeScalars.allSatisfy {
            ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || $0 == "_" || $0 == "-" || $0 == "."
        }
    }

    static func yaml(_ value: StructuredValue, indent: String) -> String {
        guard case .map(let keys, let values) = value else { return value.canonical + "\n" }
        if keys.isEmpty && indent.isEmpty { return "{}\n" }
        var out = ""
        for key in keys {
            let name = plainKey(key) ? key : StructuredValue.quote(key)
            let child = values[key]!
            if case .map(let childKeys, _) = child, !childKeys.isEmpty {
                out += indent + name + ":\n" + yaml(child, indent: indent + "  ")
            } else {
                out += indent + name + ": " + child.canonical + "\n"
            }
        }
        return out
    }

    static func toml(_ root: StructuredValue, file: String) throws -> String {
        func key(_ name: String) -> String {
            name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }) && !name.isEmpty
                ? name : StructuredValue.quote(name)
        }
        func inline(_ value: StructuredValue) throws -> String {
            switch value {
            case .null: throw ExperimentError.paramsNotRepresentable(file: file)
            case .double(let number) where number.isNaN: return "nan"
            case .double(let number) where number.isInfinite: return number > 0 ? "inf" : "-inf"
            case .list(let items): return "[" + (try items.map(inline)).joined(separator: ", ") + "]"
            case .map(let keys, let values): return "{" + (try keys.map { key($0) + " = " + (try inline(values[$0]!)) }).joined(separator: ", ") + "}"
            default: return value.canonical
            }
        }
        func table(_ value: StructuredValue, path: [String]) throws -> String {
            guard case .map(let keys, let values) = value else { return "" }
            var out = ""
            let plain = keys.filter { if case .map = values[$0]! { return false }; return true }
            if !path.isEmpty && (!plain.isEmpty || keys.isEmpty) { out += "\n[" + path.map(key).joined(separator: ".") + "]\n" }
            for name in plain { out += key(name) + " = " + (try inline(values[name]!)) + "\n" }
            for name in keys where !plain.contains(name) { out += try table(values[name]!, path: path + [name]) }
            return out
        }
        var text = try table(root, path: [])
        while text.hasPrefix("\n") { text.removeFirst() }
        return text
    }
}
