import Foundation

/// The name of an experiment: one reference-name component, safe on every terminal and
/// filesystem (letters, digits, `.`, `_`, `-`; not starting with `.` or `-`; at most 64
/// bytes), or a short readable generated one.
public enum ExperimentName {
    public static let maximumLength = 64

    /// Refuses names that could not be one component of `refs/mlv/exps/<baseline>/<name>`.
    public static func validate(_ name: String) throws {
        func refuse(_ reason: String) -> ExperimentError { .invalidName(DisplayText.escaped(name.prefix(100)), reason: reason) }
        guard !name.isEmpty else { throw refuse("it is empty") }
        guard name.utf8.count <= maximumLength else { throw refuse("it is longer than \(maximumLength) bytes") }
        for scalar in name.unicodeScalars {
            let allowed = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || scalar == "." || scalar == "_" || scalar == "-"
            if !allowed {
                if scalar == "/" { throw refuse("it holds `/`") }
                if scalar == " " { throw refuse("it holds a space") }
                if scalar.value < 0x20 || scalar.value == 0x7f { throw refuse("it holds a control character") }
                throw refuse("only letters, digits, `.`, `_` and `-` are allowed")
            }
        }
        if name.hasPrefix(".") || name.hasPrefix("-") { throw refuse("it starts with `\(name.first!)`") }
        if name.contains("..") { throw refuse("it holds `..`") }
        if name.hasSuffix(".lock") || name.hasSuffix(".") { throw refuse("Git does not allow a reference name ending in `\(name.hasSuffix(".") ? "." : ".lock")`") }
    }

    private static let adjectives = [
        "amber", "brisk", "calm", "dusky", "eager", "fleet", "gentle", "hazy", "ivory", "jolly", "keen", "lucid",
        "mellow", "nimble", "ochre", "proud", "quiet", "rapid", "sunny", "tidy", "urban", "vivid", "witty", "young",
    ]
    private static let nouns = [
        "alder", "badger", "cedar", "dingo", "egret", "finch", "gecko", "heron", "ibex", "jackal", "koala", "lemur",
        "marten", "newt", "otter", "puffin", "quail", "raven", "stoat", "tapir", "urchin", "vole", "wombat", "yak",
    ]

    /// `adjective-noun`, or with a number when that is taken (`taken` says which names are).
    public static func generate(taken: (String) -> Bool) -> String {
        var generator = SystemRandomNumberGenerator()
        for attempt in 0..<200 {
            let base = adjectives.randomElement(using: &generator)! + "-" + nouns.randomElement(using: &generator)!
            let name = attempt < 50 ? base : base + "-" + String(Int.random(in: 2...9999, using: &generator))
            if !taken(name) { return name }
        }
        return "exp-" + UUID().uuidString.prefix(8).lowercased()
    }
}
