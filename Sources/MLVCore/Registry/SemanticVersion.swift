/// A model version, `vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, ordered as Semantic Versioning 2.0
/// orders versions (build metadata ignored; a pre-release sorts before its release).
public struct SemanticVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let major: Int, minor: Int, patch: Int
    public let prerelease: [String]
    public let build: String?
    /// As written, with its `v`.
    public let text: String

    public var description: String { text }

    /// Parses `text`; nil unless it is exactly a `v`-prefixed semantic version.
    public init?(_ text: String) {
        guard text.utf8.count <= 128, text.hasPrefix("v") else { return nil }
        var body = Substring(text.dropFirst())
        var build: String?
        if let plus = body.firstIndex(of: "+") {
            let metadata = body[body.index(after: plus)...]
            guard Self.identifiers(metadata, numericRule: false) != nil else { return nil }
            build = String(metadata)
            body = body[..<plus]
        }
        var prerelease: [String] = []
        if let dash = body.firstIndex(of: "-") {
            guard let parts = Self.identifiers(body[body.index(after: dash)...], numericRule: true) else { return nil }
            prerelease = parts
            body = body[..<dash]
        }
        let numbers = body.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { return nil }
        var values: [Int] = []
        for number in numbers {
            guard !number.isEmpty, number.count <= 9, number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber),
                  number == "0" || !number.hasPrefix("0"), let value = Int(number) else { return nil }
            values.append(value)
        }
        (major, minor, patch) = (values[0], values[1], values[2])
        self.prerelease = prerelease
        self.build = build
        self.text = text
    }

    /// Dot-separated identifiers of `[0-9A-Za-z-]`; numeric pre-release ones without leading zeros.
    private static func identifiers(_ text: Substring, numericRule: Bool) -> [String]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        for part in parts {
            guard !part.isEmpty, part.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }) else { return nil }
            if numericRule, part.allSatisfy(\.isNumber), part.count > 1, part.hasPrefix("0") { return nil }
        }
        return parts.map(String.init)
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
        if a.prerelease.isEmpty != b.prerelease.isEmpty { return !a.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (Int(x), Int(y)) {
            case let (i?, j?): return i < j
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }

    /// Equal precedence (build metadata ignored), as the ordering sees it.
    public static func == (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) == (b.major, b.minor, b.patch) && a.prerelease == b.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major); hasher.combine(minor); hasher.combine(patch); hasher.combine(prerelease)
    }
}
