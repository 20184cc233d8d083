import Foundation
import MLVCore

/// Every line the CLI prints goes through here (this `print` shadows the standard one in the
/// module): text from the repository is untrusted, so control characters are made visible
/// unless they are mlv's own colour codes.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(Terminal.safe(text), terminator: terminator)
}

extension Terminal {
    /// mlv's own colour sequences, the only escapes allowed through.
    static let ownSequences = ["\u{1B}[32m", "\u{1B}[31m", "\u{1B}[33m", "\u{1B}[1m", "\u{1B}[0m"]

    /// `text` with control characters escaped, keeping newlines, tabs and mlv's colours.
    static func safe(_ text: String) -> String {
        guard colorEnabled, text.contains("\u{1B}") else { return DisplayText.escaped(text, keepNewlines: true) }
        var out = ""
        var rest = Substring(text)
        while let escape = rest.firstIndex(of: "\u{1B}") {
            out += DisplayText.escaped(rest[..<escape], keepNewlines: true)
            let tail = rest[escape...]
            if let own = ownSequences.first(where: { tail.hasPrefix($0) }) {
                out += own
                rest = tail.dropFirst(own.count)
            } else {
                out += DisplayText.escaped(tail.prefix(1))
                rest = tail.dropFirst()
            }
        }
        return out + DisplayText.escaped(rest, keepNewlines: true)
    }
}
