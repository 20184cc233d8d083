import Foundation
import TOMLKit
import Yams

/// Reads params and metrics files (YAML, JSON, TOML, CSV/TSV) into a `StructuredValue` map.
public enum StructuredFile {
    public enum Format: String, Sendable {
        case yaml, json, toml, csv, tsv
    }

    /// Params and metrics files are small; anything larger is refused.
    public static let maximumSize = 16 << 20

    /// The format a file's extension names, or nil.
    public static func format(of path: String) -> Format? {
        switch PathName.fileExtension(of: path) {
        case "yaml", "yml": return .yaml
        case "json": return .json
        case "toml": return .toml
        case "csv": return .csv
        case "tsv": return .tsv
        default: return nil
        }
    }

    /// Parses `bytes` read from `file` (at `revision`, nil for the workspace). The top level
    /// must be a mapping (for CSV/TSV: a header and at least one row; the last row is used).
    public static func parse(_ bytes: [UInt8], file: String, revision: String? = nil) throws -> StructuredValue {
        func fail(_ reason: String, line: Int? = nil, column: Int? = nil) -> StructuredFileError {
            StructuredFileError(file: file, revision: revision, line: line, column: column, reason: reason)
        }
        guard let format = format(of: file) else {
            throw fail("has an extension mlv does not read; use .yaml, .yml, .json, .toml, .csv or .tsv")
        }
        guard bytes.count <= maximumSize else { throw fail("is larger than \(maximumSize >> 20) MiB") }
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw fail("is not UTF-8 text") }
        let value: StructuredValue
        switch format {
        case .yaml: value = try parseYAML(text, fail: fail)
        case .json: value = try parseJSON(bytes, text: text, fail: fail)
        case .toml: value = try parseTOML(text, fail: fail)
        case .csv: value = try parseDelimited(text, separator: ",", fail: fail)
        case .tsv: value = try parseDelimited(text, separator: "\t", fail: fail)
        }
        guard case .map = value else { throw fail("must hold a mapping of names to values at the top level") }
        return value
    }

    /// Reads and parses a workspace file; a missing file is an error naming it.
    public static func read(_ absolutePath: String, file: String) throws -> StructuredValue {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(absolutePath, limit: maximumSize)
        } catch is FileSystem.FileTooLarge {
            throw StructuredFileError(file: file, revision: nil, line: nil, column: nil, reason: "is larger than \(maximumSize >> 20) MiB")
        } catch {
            if !FileSystem.exists(absolutePath) {
                throw StructuredFileError(file: file, revision: nil, line: nil, column: nil, reason: "does not exist")
            }
            throw error
        }
        return try parse(bytes, file: file)
    }

    // MARK: YAML

    static func parseYAML(_ text: String, fail: (String, Int?, Int?) -> StructuredFileError) throws -> StructuredValue {
        if let value = YAMLPlainReader.read(text) { return value }
        return try parseYAMLFully(text, fail: fail)
    }

    /// Through Yams's nodes: slower, and the reader of record for anything unusual.
    static func parseYAMLFully(_ text: String, fail: (String, Int?, Int?) -> StructuredFileError) throws -> StructuredValue {
        guard let node = try YAMLSupport.compose(text, resolver: .default, fail: fail) else { return .map(keys: [], values: [:]) }
        return try YAMLSupport.value(of: node, fail: fail)
    }

    // MARK: JSON

    static func parseJSON(_ bytes: [UInt8], text: String, fail: (String, Int?, Int?) -> StructuredFileError) throws -> StructuredValue {
        do {
            return try JSONReader.parse(bytes)
        } catch let problem as JSONReader.Problem {
            throw fail("is not valid JSON: it \(problem.reason)", problem.line, problem.column)
        }
    }

    static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    // MARK: TOML

    static func parseTOML(_ text: String, fail: (String, Int?, Int?) -> StructuredFileError) throws -> StructuredValue {
        if let (line, what) = TOMLPrecheck.excess(in: text) {
            throw fail("nests \(what) deeper than \(TOMLPrecheck.maximum) levels", line, nil)
        }
        if let line = TOMLPrecheck.malformedBrackets(in: text) {
            throw fail("is not valid TOML: a list or inline table is not closed by its own bracket, or has an empty item", line, nil)
        }
        if let line = TOMLPrecheck.malformedHeader(in: text) {
            throw fail("is not valid TOML: a table header must be `[name]` or `[[name]]` with dotted bare or quoted keys", line, nil)
        }
        do {
            return tomlValue(try TOMLTable(string: text))
        } catch let error as TOMLParseError {
            throw fail("is not valid TOML: \(error.description)", error.source.begin.line, error.source.begin.column)
        }
    }

    static func tomlValue(_ value: TOMLValueConvertible) -> StructuredValue {
        switch value.type {
        case .bool: return .bool(value.bool ?? false)
        case .int: return .int(value.int ?? 0)
        case .double: return .double(value.double ?? 0)
        case .string: return .string(value.string ?? "")
        case .array: return .list((value.array.map { Array($0) } ?? []).map(tomlValue))
        case .table:
            guard let table = value.table else { return .map(keys: [], values: [:]) }
            var keys: [String] = [], values: [String: StructuredValue] = [:]
            for (key, child) in table { keys.append(key); values[key] = tomlValue(child) }
            return .map(keys: keys, values: values)
        case .date, .time, .dateTime: return .string(value.debugDescription)
        }
    }

    // MARK: CSV / TSV

    /// A header line and rows; the last row holds the values (a log of epochs keeps the latest).
    static func parseDelimited(_ text: String, separator: Character, fail: (String, Int?, Int?) -> StructuredFileError) throws -> StructuredValue {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .enumerated().filter { !$0.element.trimmingCharacters(in: .whitespaces).isEmpty }
        guard let header = lines.first else { throw fail("is empty; expected a header line and a row of values", nil, nil) }
        guard lines.count >= 2, let last = lines.last else { throw fail("has a header but no row of values", header.offset + 1, nil) }
        let names = try splitFields(String(header.element), separator: separator, line: header.offset + 1, fail: fail)
        let fields = try splitFields(String(last.element), separator: separator, line: last.offset + 1, fail: fail)
        guard names.count == fields.count else {
            throw fail("has \(fields.count) values in its last row but \(names.count) names in its header", last.offset + 1, nil)
        }
        var keys: [String] = [], values: [String: StructuredValue] = [:]
        for (name, field) in zip(names, fields) {
            let key = name.trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw fail("has an empty column name in its header", header.offset + 1, nil) }
            guard values[key] == nil else { throw fail("names the column `\(key)` twice", header.offset + 1, nil) }
            keys.append(key)
            let text = field.trimmingCharacters(in: .whitespaces)
            if ExactNumber.looksInteger(text), ExactNumber.integer(text) == nil {
                throw fail("gives `\(key)` the number \(text.prefix(40)), which mlv cannot hold exactly; write it as a decimal", last.offset + 1, nil)
            }
            values[key] = scalar(text)
        }
        return .map(keys: keys, values: values)
    }

    static func splitFields(_ line: String, separator: Character, line number: Int, fail: (String, Int?, Int?) -> StructuredFileError) throws -> [String] {
        var fields: [String] = [], current = "", quoted = false, wasQuoted = false
        var iterator = Array(line).makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { current.append(character) }
            } else if character == "\"" && current.trimmingCharacters(in: .whitespaces).isEmpty && !wasQuoted {
                quoted = true; wasQuoted = true; current = ""
            } else if character == separator {
                fields.append(current); current = ""; wasQuoted = false
            } else { current.append(character) }
        }
        guard !quoted else { throw fail("has an unclosed quote", number, nil) }
        fields.append(current)
        return fields
    }

    static func scalar(_ text: String) -> StructuredValue {
        if ExactNumber.looksInteger(text), let exact = ExactNumber.integer(text) { return exact }
        if let double = Double(text), !text.isEmpty { return .double(double) }
        switch text.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "", "null", "none", "nan": return text.lowercased() == "nan" ? .double(.nan) : .null
        default: return .string(text)
        }
    }
}

/// A params, metrics or pipeline file that cannot be used, with where and why.
public struct StructuredFileError: UserFacingError, Equatable {
    public let file: String
    public let revision: String?
    public let line: Int?
    public let column: Int?
    public let reason: String

    public init(file: String, revision: String?, line: Int?, column: Int?, reason: String) {
        self.file = file
        self.revision = revision
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        if let revision { place += " (at \(revision))" }
        return "\(place): \(reason)"
    }
}

/// Scans of TOML text before toml++ parses it: that parser (and any walk over its result)
/// recurses once per level, so a key of 50,000 dotted parts would exhaust the stack, and it
/// aborts on an assertion for some malformed headers and lists (found by fuzzing). Dots and
/// brackets inside quoted strings are not counted.
enum TOMLPrecheck {
    static let maximum = 64

    /// The first line holding a table header that is not `[key.key]` / `[[key.key]]` with
    /// bare or quoted keys. The parser mlv uses asserts (and so aborts) on some malformed
    /// headers, so they are refused before it sees them.
    static func malformedHeader(in text: String) -> Int? {
        func isBare(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
        }
        // Brackets left open by a value (a list over several lines): its lines are no headers.
        var depth = 0
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Array(rawLine.utf8)
            var i = 0
            while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
            guard depth == 0, i < line.count, line[i] == UInt8(ascii: "[") else {
                var quote: UInt8? = nil
                var inValue = depth > 0
                for c in line {
                    if let open = quote { if c == open { quote = nil }; continue }
                    switch c {
                    case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = c
                    case UInt8(ascii: "#"): break
                    case UInt8(ascii: "="): inValue = true
                    case UInt8(ascii: "["), UInt8(ascii: "{"): if inValue { depth += 1 }
                    case UInt8(ascii: "]"), UInt8(ascii: "}"): if inValue && depth > 0 { depth -= 1 }
                    default: break
                    }
                    if c == UInt8(ascii: "#") && quote == nil { break }
                }
                continue
            }
            i += 1
            let double = i < line.count && line[i] == UInt8(ascii: "[")
            if double { i += 1 }
            var valid = false
            segments: while true {
                while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
                guard i < line.count else { break }
                if line[i] == UInt8(ascii: "\"") || line[i] == UInt8(ascii: "'") {
                    let quote = line[i]
                    i += 1
                    while i < line.count, line[i] != quote { i += line[i] == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") ? 2 : 1 }
                    guard i < line.count else { break }
                    i += 1
                } else if isBare(line[i]) {
                    while i < line.count, isBare(line[i]) { i += 1 }
                } else {
                    break
                }
                while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
                guard i < line.count else { break }
                if line[i] == UInt8(ascii: ".") { i += 1; continue segments }
                if line[i] == UInt8(ascii: "]") && (!double || (i + 1 < line.count && line[i + 1] == UInt8(ascii: "]"))) { valid = true }
                break
            }
            if !valid { return number + 1 }
        }
        return nil
    }

    /// The first line where a value's brackets do not match (`[1, }`) or a list or inline
    /// table has an empty item (`[,`, `1,,2`): the parser mlv uses asserts on these.
    static func malformedBrackets(in text: String) -> Int? {
        var line = 1
        var stack: [UInt8] = []
        var inValue = false
        var quote: UInt8? = nil
        var comment = false
        // The last significant byte inside brackets: `[`, `{` or `,` means an item must follow.
        var last: UInt8 = 0
        for byte in text.utf8 {
            if byte == 10 {
                line += 1
                comment = false
                if stack.isEmpty { inValue = false; quote = nil }
                continue
            }
            if comment { continue }
            if let open = quote {
                if byte == open { quote = nil; last = byte }
                continue
            }
            if byte == 0x20 || byte == 0x09 || byte == 0x0D { continue }
            switch byte {
            case UInt8(ascii: "#"): comment = true; continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "="): if stack.isEmpty { inValue = true }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if inValue {
                    if !stack.isEmpty && last != UInt8(ascii: "[") && last != UInt8(ascii: ",") && last != UInt8(ascii: "=") { return line }
                    stack.append(byte)
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if !stack.isEmpty {
                    let opener = stack.removeLast()
                    let matches = (opener == UInt8(ascii: "[") && byte == UInt8(ascii: "]")) || (opener == UInt8(ascii: "{") && byte == UInt8(ascii: "}"))
                    // A trailing comma is allowed in a list, not in an inline table.
                    if !matches || (byte == UInt8(ascii: "}") && last == UInt8(ascii: ",")) { return line }
                }
            case UInt8(ascii: ","):
                if !stack.isEmpty && (last == UInt8(ascii: ",") || last == UInt8(ascii: "[") || last == UInt8(ascii: "{")) { return line }
            default: break
            }
            last = byte
        }
        return stack.isEmpty ? nil : line
    }

    /// The first line whose keys or values nest deeper than `maximum`, and what nests.
    static func excess(in text: String) -> (line: Int, what: String)? {
        var line = 1
        var brackets = 0
        var dots = 0
        var inKey = true
        var quote: UInt8? = nil
        var comment = false
        for byte in text.utf8 {
            if byte == 10 {
                line += 1
                comment = false
                if quote != nil && brackets == 0 { quote = nil }
                if brackets == 0 { inKey = true; dots = 0 }
                continue
            }
            if comment { continue }
            if let open = quote {
                if byte == open { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "#"): comment = true
            case UInt8(ascii: "="), UInt8(ascii: ","): inKey = inKey && byte == UInt8(ascii: ","); dots = 0
            case UInt8(ascii: "."):
                if inKey || brackets > 0 {
                    dots += 1
                    if dots >= maximum { return (line, "a dotted key") }
                }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if !inKey || brackets > 0 || byte == UInt8(ascii: "{") {
                    brackets += 1
                    if brackets > maximum { return (line, "arrays or tables") }
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if brackets > 0 { brackets -= 1 }
            default: break
            }
        }
        return nil
    }
}
