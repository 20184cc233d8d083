/// A strict JSON reader for params, metrics and notes. Foundation's reader wraps integers of
/// 2^63 and above to negative numbers (a gate `loss <= 1` would pass on them), keeps the last
/// of duplicate keys and reports positions only in its debug text; this one refuses numbers
/// a double cannot hold exactly, duplicate keys and deep nesting, with line and column.
struct JSONReader {
    /// Why the bytes are not acceptable JSON, and where (1-based).
    struct Problem: Error {
        let reason: String
        let line: Int
        let column: Int
    }

    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0
    /// The dotted key of the value being read, for messages about a value.
    private var keyPath: [String] = []

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses one JSON document (any value at the top).
    static func parse(_ bytes: [UInt8]) throws -> StructuredValue {
        var reader = JSONReader(bytes)
        reader.skipSpace()
        let value = try reader.value()
        reader.skipSpace()
        guard reader.position == bytes.count else { throw reader.problem("has text after the JSON value") }
        return value
    }

    private func problem(_ reason: String, at offset: Int? = nil) -> Problem {
        var line = 1, column = 1
        for byte in bytes.prefix(offset ?? position) {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return Problem(reason: reason, line: line, column: column)
    }

    private var keyName: String { keyPath.isEmpty ? "the top-level value" : "`" + keyPath.joined(separator: ".") + "`" }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    private mutating func value() throws -> StructuredValue {
        guard position < bytes.count else { throw problem("ends where a value was expected") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw problem("has an unexpected character where a value was expected")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - position >= expected.count, Array(bytes[position..<(position + expected.count)]) == Array(expected) else {
            throw problem("has an unexpected word where a value was expected")
        }
        position += expected.count
    }

    private mutating func enter() throws {
        depth += 1
        if depth > Self.maximumDepth { throw problem("nests deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func object() throws -> StructuredValue {
        try enter()
        position += 1
        var keys: [String] = [], values: [String: StructuredValue] = [:]
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; depth -= 1; return .map(keys: keys, values: values) }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw problem("expects a quoted key") }
            let keyStart = position
            let key = try string()
            guard values[key] == nil else { throw problem("has the key `\(key.prefix(100))` twice in one object", at: keyStart) }
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw problem("expects `:` after a key") }
            position += 1
            skipSpace()
            keyPath.append(key)
            let child = try value()
            keyPath.removeLast()
            keys.append(key)
            values[key] = child
            skipSpace()
            guard position < bytes.count else { throw problem("ends inside an object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; break }
            throw problem("expects `,` or `}` in an object")
        }
        depth -= 1
        return .map(keys: keys, values: values)
    }

    private mutating func array() throws -> StructuredValue {
        try enter()
        position += 1
        var items: [StructuredValue] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; depth -= 1; return .list(items) }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            guard position < bytes.count else { throw problem("ends inside a list") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; break }
            throw problem("expects `,` or `]` in a list")
        }
        depth -= 1
        return .list(items)
    }

    private mutating func string() throws -> String {
        let start = position
        position += 1
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw problem("has a string that is never closed", at: start) }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw problem("has a string that is not UTF-8", at: start) }
                return text
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw problem("ends inside an escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw problem("has an unpaired surrogate escape")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw problem("has an unpaired surrogate escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw problem("has an escape that is not a character") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw problem("has an unknown escape `\\\(Character(Unicode.Scalar(escape)))`")
                }
            case 0..<0x20:
                throw problem("has a control character inside a string")
            default:
                out.append(byte)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw problem("has a short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw problem("has a bad \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// A number as JSON writes it. Integers that fit 64 bits stay integers; others must be a
    /// finite double that equals the written number exactly (for integers) or is the nearest
    /// double to it (for decimals); anything else is refused, naming the key.
    private mutating func number() throws -> StructuredValue {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let from = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
            return position - from
        }
        let integerStart = position
        guard digits() > 0 else { throw problem("has a `-` without digits") }
        if bytes[integerStart] == UInt8(ascii: "0"), position - integerStart > 1 { throw problem("has a number with a leading zero", at: start) }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard digits() > 0 else { throw problem("has a number without digits after `.`") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw problem("has a number without digits in its exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger {
            if let value = ExactNumber.integer(text) { return value }
            throw problem("gives \(keyName) the number \(text.prefix(40)), which mlv cannot hold exactly; write it as a decimal or a string", at: start)
        }
        guard let double = Double(text), double.isFinite else {
            throw problem("gives \(keyName) the number \(text.prefix(40)), which is out of range", at: start)
        }
        return .double(double)
    }
}

/// Integers written in a file, read without rounding.
enum ExactNumber {
    /// `.int` when `text` (optional `-`, decimal digits) fits 64 bits, `.double` when a double
    /// holds it exactly, nil when neither can (the caller refuses it).
    static func integer(_ text: String) -> StructuredValue? {
        if let int = Int(text) { return .int(int) }
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        while digits.count > 1, digits.first == "0" { digits = digits.dropFirst() }
        guard let double = Double(text), double.isFinite, let exact = ExactInteger(double),
              exact.decimal == (text.first == "-" && digits != "0" ? "-" : "") + digits else { return nil }
        return .double(double)
    }

    /// Whether `text` is written as a whole number (what YAML and CSV read as an integer).
    static func looksInteger(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// The exact decimal digits of an integral double (Double's own description rounds).
private struct ExactInteger {
    let decimal: String

    init?(_ value: Double) {
        guard value.isFinite, value == value.rounded(.towardZero) else { return nil }
        // value = significand * 2^exponent with an integral significand below 2^53.
        var digits: [UInt32] = [0]   // little-endian base 1e9
        func multiply(_ factor: UInt64) {
            var carry: UInt64 = 0
            for i in digits.indices {
                let product = UInt64(digits[i]) * factor + carry
                digits[i] = UInt32(product % 1_000_000_000)
                carry = product / 1_000_000_000
            }
            while carry > 0 { digits.append(UInt32(carry % 1_000_000_000)); carry /= 1_000_000_000 }
        }
        let magnitude = abs(value)
        let exponent = magnitude.exponent - 52
        let significand = magnitude.significandBitPattern | (1 << 52)
        // Start from the significand, then double `exponent` times (or shift right).
        if exponent >= 0 {
            digits = [UInt32(significand % 1_000_000_000), UInt32((significand / 1_000_000_000) % 1_000_000_000), UInt32(significand / 1_000_000_000_000_000_000)]
            for _ in 0..<exponent { multiply(2) }
        } else {
            let shifted = significand >> UInt64(-exponent)
            digits = [UInt32(shifted % 1_000_000_000), UInt32((shifted / 1_000_000_000) % 1_000_000_000), UInt32(shifted / 1_000_000_000_000_000_000)]
        }
        while digits.count > 1, digits.last == 0 { digits.removeLast() }
        var text = String(digits.last!)
        for chunk in digits.dropLast().reversed() {
            let part = String(chunk)
            text += String(repeating: "0", count: 9 - part.count) + part
        }
        decimal = (value < 0 ? "-" : "") + text
    }
}
