import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a predictions file a row at a time (CSV or TSV with a header, or JSON Lines), keeping
/// only the columns asked for: a file of any length is read in bounded memory. Every problem
/// names the file, the row and the column.
struct PredictionsReader {
    enum Format { case delimited(UInt8), jsonLines }

    /// The longest line accepted (a larger one is refused, not buffered).
    static let maximumLine = 1 << 20
    let display: String
    let format: Format
    /// The file's columns (CSV header, or the first JSON object's keys).
    private(set) var header: [String] = []
    private let wanted: [String]
    private var positions: [Int] = []
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private var pendingFirst: [String: String?]?
    private var starts: [Int] = []
    /// The 1-based number of the line last read (the header is line 1 in CSV).
    private(set) var line = 0

    init(path: String, display: String, columns: [String]) throws {
        self.display = display
        switch (display as NSString).pathExtension.lowercased() {
        case "csv": format = .delimited(UInt8(ascii: ","))
        case "tsv", "tab": format = .delimited(UInt8(ascii: "\t"))
        case "jsonl", "ndjson": format = .jsonLines
        default: throw EvaluationError.unknownFormat(display)
        }
        wanted = columns
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: display, operation: "open", errno: errno) }
        switch format {
        case .delimited(let separator):
            guard let first = try nextLine() else { throw EvaluationError.empty(display) }
            header = try Self.fields(first, separator: separator, file: display, line: line)
        case .jsonLines:
            guard let first = try nextJSONObject() else { throw EvaluationError.empty(display) }
            header = first.keys
            pendingFirst = first.values
        }
        for column in columns {
            guard let index = header.firstIndex(of: column) else { throw EvaluationError.missingColumn(file: display, column: column, available: header) }
            positions.append(index)
        }
    }

    func close() { Glibc.close(fd) }

    /// The wanted columns of the next row (nil for an empty JSON value), or nil at the end.
    mutating func next() throws -> [String?]? {
        switch format {
        case .delimited(let separator):
            while let range = try nextLineRange() {
                if range.isEmpty { continue }
                if buffer[range].contains(UInt8(ascii: "\"")) {
                    let fields = try Self.fields(Array(buffer[range]), separator: separator, file: display, line: line)
                    guard fields.count == header.count else {
                        throw EvaluationError.rowLength(file: display, row: line, found: fields.count, expected: header.count)
                    }
                    return positions.map { fields[$0] }
                }
                // Most lines hold no quote: find the separators and make text of the wanted fields only.
                starts.removeAll(keepingCapacity: true)
                starts.append(range.lowerBound)
                for index in range where buffer[index] == separator { starts.append(index + 1) }
                guard starts.count == header.count else {
                    throw EvaluationError.rowLength(file: display, row: line, found: starts.count, expected: header.count)
                }
                return positions.map { position in
                    let end = position + 1 < starts.count ? starts[position + 1] - 1 : range.upperBound
                    return String(decoding: buffer[starts[position]..<end], as: UTF8.self)
                }
            }
            return nil
        case .jsonLines:
            let object: [String: String?]
            if let first = pendingFirst { object = first; pendingFirst = nil } else {
                guard let next = try nextJSONObject() else { return nil }
                object = next.values
            }
            return try wanted.map { column in
                guard let value = object[column] else { throw EvaluationError.missingField(file: display, row: line, column: column) }
                return value
            }
        }
    }

    private mutating func nextJSONObject() throws -> (keys: [String], values: [String: String?])? {
        while let text = try nextLine() {
            if text.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            let value: StructuredValue
            do { value = try JSONReader.parse(text) } catch let problem as JSONReader.Problem {
                throw EvaluationError.badRow(file: display, row: line, reason: "is not valid JSON: it \(problem.reason)")
            }
            guard case .map(let keys, let values) = value else { throw EvaluationError.badRow(file: display, row: line, reason: "is not a JSON object") }
            var cells: [String: String?] = [:]
            for key in keys {
                switch values[key]! {
                case .null: cells[key] = .some(nil)
                case .string(let text): cells[key] = text
                case .bool(let flag): cells[key] = flag ? "true" : "false"
                case .int(let number): cells[key] = String(number)
                case .double(let number): cells[key] = "\(number)"
                case .list, .map: cells[key] = values[key]!.canonical
                }
            }
            return (keys, cells)
        }
        return nil
    }

    /// The next line without its newline, read in 1 MiB blocks.
    private mutating func nextLine() throws -> [UInt8]? {
        guard let range = try nextLineRange() else { return nil }
        return Array(buffer[range])
    }

    /// Where the next line (without its newline or carriage return) lies in `buffer`; valid
    /// until the next read.
    private mutating func nextLineRange() throws -> Range<Int>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                var end = newline
                if end > start && buffer[end - 1] == 13 { end -= 1 }
                let range = start..<end
                start = newline + 1
                line += 1
                return range
            }
            if buffer.count - start > Self.maximumLine { throw EvaluationError.lineTooLong(file: display, row: line + 1, limit: Self.maximumLine) }
            if atEnd {
                guard start < buffer.count else { return nil }
                let range = start..<buffer.count
                start = buffer.count
                line += 1
                return range
            }
            if start > 0 { buffer.removeFirst(start); start = 0 }
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: 1 << 20))
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, 1 << 20) }
            buffer.removeLast((1 << 20) - max(count, 0))
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(path: display, operation: "read", errno: errno)
            }
            if count == 0 { atEnd = true }
        }
    }

    /// Splits one CSV/TSV line; `"` quotes a field (`""` inside is a quote). A quote left open
    /// (a field spanning lines) is refused.
    static func fields(_ line: [UInt8], separator: UInt8, file: String, line number: Int) throws -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false, wasQuoted = false
        var index = 0
        while index < line.count {
            let byte = line[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < line.count && line[index + 1] == UInt8(ascii: "\"") { field.append(byte); index += 2; continue }
                    quoted = false
                } else {
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") && field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
            } else if byte == separator {
                fields.append(String(decoding: field, as: UTF8.self))
                field = []
                wasQuoted = false
            } else {
                field.append(byte)
            }
            index += 1
        }
        if quoted { throw EvaluationError.badRow(file: file, row: number, reason: "has a quoted field that does not end on its line") }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }
}
