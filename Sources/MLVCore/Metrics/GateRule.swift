import Foundation

/// One gate from `mlv.yaml`, such as `accuracy >= 0.85` or `loss <= baseline + 0.01`.
///
/// Grammar (spaces allowed between tokens):
///
///     rule     := metric comparison bound
///     metric   := name | file ":" name        name: letters, digits, _ . - /
///     comparison := ">=" | "<=" | ">" | "<" | "==" | "!="
///     bound    := number | "baseline" [ ("+" | "-" | "*") number ]
public struct GateRule: Equatable, Sendable {
    public enum Comparison: String, Sendable, CaseIterable {
        case greaterOrEqual = ">=", lessOrEqual = "<=", greater = ">", less = "<", equal = "==", notEqual = "!="

        func holds(_ value: Double, _ bound: Double) -> Bool {
            switch self {
            case .greaterOrEqual: return value >= bound
            case .lessOrEqual: return value <= bound
            case .greater: return value > bound
            case .less: return value < bound
            case .equal: return value == bound
            case .notEqual: return value != bound
            }
        }
    }

    public enum Bound: Equatable, Sendable {
        case number(Double)
        /// The metric at the baseline revision, then `operation` with `operand` (nil: as is).
        case baseline(operation: Character?, operand: Double)

        func value(baseline: Double?) -> Double? {
            switch self {
            case .number(let n): return n
            case .baseline(let operation, let operand):
                guard let baseline else { return nil }
                switch operation {
                case "+": return baseline + operand
                case "-": return baseline - operand
                case "*": return baseline * operand
                default: return baseline
                }
            }
        }

        var needsBaseline: Bool { if case .baseline = self { return true }; return false }
    }

    public let text: String
    public let metric: String
    public let comparison: Comparison
    public let bound: Bound

    public static let maximumLength = 300

    /// Parses one rule; errors point at the character.
    public static func parse(_ text: String) throws -> GateRule {
        var parser = GateParser(text: text)
        return try parser.rule()
    }
}

/// A rule that does not parse: where and what was expected.
public struct GateSyntaxError: UserFacingError, Equatable {
    public let rule: String
    /// 1-based character position.
    public let column: Int
    public let expected: String
    /// Where the rule was written (`mlv.yaml:12:5`), when known.
    public var place: String?

    public var description: String {
        let shown = rule.count > 120 ? String(rule.prefix(120)) + "…" : rule
        let printable = String(shown.map { $0.isASCII && ($0.asciiValue! < 32 || $0.asciiValue! == 127) ? "?" : $0 })
        let caret = String(repeating: " ", count: min(column - 1, 121)) + "^"
        return "\(place.map { $0 + ": " } ?? "")gate `\(printable)`: \(expected) at character \(column)\n    \(printable)\n    \(caret)"
    }
}

private struct GateParser {
    let text: String
    let characters: [Character]
    var position = 0

    init(text: String) {
        self.text = text
        characters = Array(text)
    }

    func fail(_ expected: String, at index: Int? = nil) -> GateSyntaxError {
        GateSyntaxError(rule: text, column: (index ?? position) + 1, expected: expected, place: nil)
    }

    mutating func skipSpaces() { while position < characters.count, characters[position] == " " || characters[position] == "\t" { position += 1 } }

    mutating func rule() throws -> GateRule {
        guard characters.count <= GateRule.maximumLength else { throw fail("a rule of at most \(GateRule.maximumLength) characters", at: GateRule.maximumLength) }
        if let bad = characters.firstIndex(where: { $0.isNewline || ($0.isASCII && $0.asciiValue! < 32 && $0 != "\t") }) {
            throw fail("a rule on one line, without control characters", at: bad)
        }
        skipSpaces()
        let metric = try name()
        skipSpaces()
        let comparison = try comparisonOperator()
        skipSpaces()
        let bound = try self.bound()
        skipSpaces()
        guard position == characters.count else { throw fail("the end of the rule") }
        return GateRule(text: text, metric: metric, comparison: comparison, bound: bound)
    }

    static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "." || c == "-" || c == "/")
    }

    /// A name character, or a `=` inside a name that a name character follows (the evaluator's
    /// slices: `slices.language=de.f1`); `==` still ends a name.
    func continuesName(at index: Int) -> Bool {
        guard index < characters.count else { return false }
        if Self.isNameCharacter(characters[index]) { return true }
        return characters[index] == "=" && index > 0 && Self.isNameCharacter(characters[index - 1])
            && index + 1 < characters.count && Self.isNameCharacter(characters[index + 1])
    }

    mutating func name() throws -> String {
        let start = position
        guard position < characters.count, characters[position].isASCII, characters[position].isLetter || characters[position] == "_" else {
            throw fail("a metric name (letters, digits, _ . - /, starting with a letter or _)")
        }
        while continuesName(at: position) { position += 1 }
        if position < characters.count, characters[position] == ":" {
            position += 1
            guard position < characters.count, Self.isNameCharacter(characters[position]) else { throw fail("a metric name after `file:`") }
            while position < characters.count, Self.isNameCharacter(characters[position]) { position += 1 }
        }
        let name = String(characters[start..<position])
        if name == "baseline" { throw fail("a metric name (`baseline` belongs on the right of the comparison)", at: start) }
        return name
    }

    mutating func comparisonOperator() throws -> GateRule.Comparison {
        for comparison in GateRule.Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }) {
            let symbol = Array(comparison.rawValue)
            if position + symbol.count <= characters.count, Array(characters[position..<position + symbol.count]) == symbol {
                position += symbol.count
                return comparison
            }
        }
        if position < characters.count, characters[position] == "=" { throw fail("`==` (one `=` is not a comparison)") }
        throw fail("a comparison: >=, <=, >, <, == or !=")
    }

    mutating func bound() throws -> GateRule.Bound {
        let word = Array("baseline")
        if position + word.count <= characters.count, Array(characters[position..<position + word.count]) == word {
            position += word.count
            if position < characters.count, Self.isNameCharacter(characters[position]) { throw fail("an operator or the end after `baseline`") }
            skipSpaces()
            guard position < characters.count else { return .baseline(operation: nil, operand: 0) }
            let operation = characters[position]
            guard "+-*".contains(operation) else { throw fail("+, - or * after `baseline`, or the end of the rule") }
            position += 1
            skipSpaces()
            return .baseline(operation: operation, operand: try number())
        }
        guard position < characters.count else { throw fail("a number or `baseline`") }
        return .number(try number())
    }

    mutating func number() throws -> Double {
        let start = position
        if position < characters.count, characters[position] == "-" || characters[position] == "+" { position += 1 }
        var digits = 0
        while position < characters.count, characters[position].isASCII, characters[position].isNumber { position += 1; digits += 1 }
        if position < characters.count, characters[position] == "." {
            position += 1
            while position < characters.count, characters[position].isASCII, characters[position].isNumber { position += 1; digits += 1 }
        }
        guard digits > 0 else { throw fail(start == characters.count ? "a number or `baseline`" : "a number", at: start) }
        if position < characters.count, characters[position] == "e" || characters[position] == "E" {
            position += 1
            if position < characters.count, characters[position] == "-" || characters[position] == "+" { position += 1 }
            let exponentStart = position
            while position < characters.count, characters[position].isASCII, characters[position].isNumber { position += 1 }
            guard position > exponentStart else { throw fail("digits of the exponent") }
        }
        guard let value = Double(String(characters[start..<position])), value.isFinite else {
            throw fail("a finite number", at: start)
        }
        return value
    }
}
