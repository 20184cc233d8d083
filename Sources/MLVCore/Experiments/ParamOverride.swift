import Foundation

/// One `-S [FILE:]KEY=VALUE` as the user wrote it: a key in a params file and the values to
/// try (one, or several for a sweep).
public struct ParamOverride: Equatable, Sendable, Codable {
    public let file: String
    public let key: String
    /// `+key=value`: the key may be new.
    public let allowNew: Bool
    /// The values, each as canonical YAML flow text (what `mlv.lock` records).
    public let values: [String]

    /// The most experiments one `exp run` may make.
    public static let maximumSweep = 1000

    /// Parses one override. `defaultFile` is used when no `FILE:` is given.
    public static func parse(_ text: String, defaultFile: (String) -> String) throws -> ParamOverride {
        func refuse(_ reason: String) -> ExperimentError { .badOverride(DisplayText.escaped(text.prefix(200)), reason: reason) }
        guard let equals = text.firstIndex(of: "=") else { throw refuse("expected [FILE:]KEY=VALUE") }
        var left = String(text[..<equals])
        let right = String(text[text.index(after: equals)...])
        var allowNew = false
        if left.hasPrefix("+") { allowNew = true; left.removeFirst() }
        var file: String?
        if let colon = left.firstIndex(of: ":") {
            file = String(left[..<colon])
            left = String(left[left.index(after: colon)...])
            if left.hasPrefix("+") { allowNew = true; left.removeFirst() }
            guard !(file ?? "").isEmpty else { throw refuse("the file before `:` is empty") }
        }
        guard !left.isEmpty else { throw refuse("the key before `=` is empty") }
        guard !left.hasPrefix("."), !left.hasSuffix("."), !left.contains(".."),
              !left.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw refuse("`\(DisplayText.escaped(left))` is not a dotted key such as train.lr")
        }
        let values = try sweepValues(right, refuse: refuse)
        let chosen = file ?? defaultFile(left)
        guard StructuredFile.format(of: chosen).map({ [.yaml, .json, .toml].contains($0) }) == true else {
            throw refuse("params file `\(DisplayText.escaped(chosen))` is not YAML, JSON or TOML; only those can be changed")
        }
        return ParamOverride(file: chosen, key: left, allowNew: allowNew, values: values.map(\.canonical))
    }

    /// `a,b,c`, `range(START,STOP[,STEP])`, `choice(a,b)` or one value; each typed as a YAML scalar.
    static func sweepValues(_ text: String, refuse: (String) -> ExperimentError) throws -> [StructuredValue] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("range("), trimmed.hasSuffix(")") {
            let arguments = try splitTopLevel(String(trimmed.dropFirst(6).dropLast()), refuse: refuse).map { try scalar($0, refuse: refuse) }
            guard (2...3).contains(arguments.count), arguments.allSatisfy({ $0.number != nil }) else {
                throw refuse("range takes two or three numbers: range(START,STOP[,STEP])")
            }
            let numbers = arguments.map { $0.number! }
            let step = numbers.count == 3 ? numbers[2] : 1
            guard step != 0, step.isFinite, numbers[0].isFinite, numbers[1].isFinite else { throw refuse("range needs finite numbers and a step that is not 0") }
            let integral = arguments.allSatisfy { if case .int = $0 { return true }; return false }
            // STOP is excluded, also when binary rounding puts it a hair past the last step.
            let count = Int((((numbers[1] - numbers[0]) / step) - 1e-9).rounded(.up))
            guard count > 0 else { throw refuse("the range is empty") }
            guard count <= maximumSweep else { throw refuse("the range has \(count) values; at most \(maximumSweep)") }
            return (0..<count).map { index in
                let value = numbers[0] + Double(index) * step
                // Decimal steps accumulate binary error; keep what a person would have typed.
                return integral ? .int(Int(value)) : .double((value * 1e12).rounded() / 1e12)
            }
        }
        if trimmed.hasPrefix("choice("), trimmed.hasSuffix(")") {
            let items = try splitTopLevel(String(trimmed.dropFirst(7).dropLast()), refuse: refuse)
            guard !items.isEmpty else { throw refuse("choice needs at least one value") }
            return try items.map { try scalar($0, refuse: refuse) }
        }
        let items = try splitTopLevel(text, refuse: refuse)
        guard !items.isEmpty else { throw refuse("the value after `=` is empty") }
        return try items.map { try scalar($0, refuse: refuse) }
    }

    /// Splits on commas outside brackets and quotes.
    static func splitTopLevel(_ text: String, refuse: (String) -> ExperimentError) throws -> [String] {
        var items: [String] = [], current = ""
        var depth = 0
        var quote: Character?
        for character in text {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character; current.append(character)
            case "[", "{": depth += 1; current.append(character)
            case "]", "}": depth -= 1; current.append(character)
            case "," where depth == 0: items.append(current); current = ""
            default: current.append(character)
            }
            if depth < 0 { throw refuse("a `]` or `}` has no opening bracket") }
        }
        guard quote == nil, depth == 0 else { throw refuse("a quote or bracket is not closed") }
        items.append(current)
        let trimmed = items.map { $0.trimmingCharacters(in: .whitespaces) }
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        guard !trimmed.contains(where: \.isEmpty) else { throw refuse("a value in the list is empty") }
        return trimmed
    }

    /// One value read as YAML reads a scalar (`0.1` a number, `true` a bool, `[1, 2]` a list).
    static func scalar(_ text: String, refuse: (String) -> ExperimentError) throws -> StructuredValue {
        do {
            let wrapped = try StructuredFile.parse(Array("v: \(text)\n".utf8), file: "override.yaml")
            return wrapped.value(at: "v") ?? .null
        } catch let error as StructuredFileError {
            throw refuse("`\(DisplayText.escaped(text.prefix(80)))` is not a YAML value (\(error.reason))")
        }
    }

    /// The cartesian product of several overrides' values, in the order given (the last varies
    /// fastest): one assignment list per experiment.
    public static func expand(_ overrides: [ParamOverride]) throws -> [[ParamAssignment]] {
        var combinations: [[ParamAssignment]] = [[]]
        for override in overrides {
            var next: [[ParamAssignment]] = []
            for combination in combinations {
                for value in override.values {
                    var row = combination.filter { !($0.file == override.file && $0.key == override.key) }
                    row.append(ParamAssignment(file: override.file, key: override.key, value: value, allowNew: override.allowNew))
                    next.append(row)
                }
            }
            guard next.count <= maximumSweep else { throw ExperimentError.sweepTooLarge(next.count, limit: maximumSweep) }
            combinations = next
        }
        return combinations
    }
}

/// One param set for one experiment.
public struct ParamAssignment: Equatable, Sendable, Codable {
    public let file: String
    public let key: String
    /// Canonical YAML flow text.
    public let value: String
    public let allowNew: Bool

    /// `train.lr=0.1` (the file shown only when it is not params.yaml).
    public var display: String {
        (file == PipelineDefinition.defaultParamsFile ? "" : file + ":") + key + "=" + value
    }
}
