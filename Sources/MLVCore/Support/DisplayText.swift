/// Makes untrusted text (file names, metric keys, commit subjects, messages built from them)
/// safe to show on a terminal: control characters become visible escapes, so a name cannot
/// change the window title, clear the screen or reorder text.
public enum DisplayText {
    /// `text` with C0 and C1 control characters, DEL and bidirectional overrides written as
    /// `\x1b` / `\u{202e}`; newlines (and tabs) are kept when `keepNewlines` is set.
    public static func escaped<S: StringProtocol>(_ text: S, keepNewlines: Bool = false) -> String {
        // The common case has nothing to escape: return it without rebuilding.
        if !text.unicodeScalars.contains(where: { needsEscape($0, keepNewlines: keepNewlines) }) { return String(text) }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar, keepNewlines: keepNewlines) {
                out += scalar.value < 0x100 ? "\\x" + hex(scalar.value, width: 2) : "\\u{" + hex(scalar.value, width: 4) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return !keepNewlines
        case 0x00..<0x20, 0x7F, 0x80..<0xA0: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
