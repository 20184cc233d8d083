import Foundation
import MLVCore

/// Output to the user: colour and progress only on a terminal, never with `NO_COLOR`.
enum Terminal {
    static let stdoutIsTTY = isatty(STDOUT_FILENO) == 1
    static let stderrIsTTY = isatty(STDERR_FILENO) == 1
    static let colorEnabled = stdoutIsTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    static func paint(_ text: String, _ code: String) -> String {
        colorEnabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
    static func green(_ text: String) -> String { paint(text, "32") }
    static func red(_ text: String) -> String { paint(text, "31") }
    static func yellow(_ text: String) -> String { paint(text, "33") }
    static func bold(_ text: String) -> String { paint(text, "1") }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("mlv: error: \(DisplayText.escaped(message, keepNewlines: true))\n".utf8))
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("mlv: warning: \(DisplayText.escaped(message, keepNewlines: true))\n".utf8))
    }

    /// A result type's own JSON (see `JSONOutput`).
    static func printJSON<T: Encodable>(encoding value: T) throws {
        do { print(try JSONOutput.encode(value)) } catch {
            throw OutputError(reason: "could not write the result as JSON (\(error.localizedDescription))")
        }
    }


    /// 1.5 KiB, 20.0 MiB, ... (binary units, as `du -h`).
    static func size(_ bytes: Int64) -> String { DiskSpace.describe(bytes) }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], visibleLength(cell)) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - visibleLength(cell))
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    private static func visibleLength(_ text: String) -> Int {
        var count = 0
        var inEscape = false
        for c in text.unicodeScalars {
            if c == "\u{1B}" { inEscape = true; continue }
            if inEscape { if c == "m" { inEscape = false }; continue }
            count += 1
        }
        return count
    }
}

/// Output the CLI could not produce.
struct OutputError: UserFacingError {
    let reason: String
    var description: String { reason }
}

/// Shows a progress bar on stderr for work that lasts over a second, on a terminal only.
final class ProgressBar: Reporter, @unchecked Sendable {
    private let lock = NSLock()
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let enabled: Bool
    private let quiet: Bool

    init(quiet: Bool) {
        self.quiet = quiet
        enabled = Terminal.stderrIsTTY && !quiet
    }

    func progress(phase: String, done: Int64, total: Int64) {
        guard enabled else { return }
        lock.withLock {
            let now = Date()
            guard now.timeIntervalSince(start) > 1, now.timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
            lastDraw = now
            let fraction = total > 0 ? Double(done) / Double(total) : 1
            let filled = Int(fraction * 30)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
            FileHandle.standardError.write(Data("\r\(DisplayText.escaped(phase)) [\(bar)] \(done)/\(total)\u{1B}[K".utf8))
            drawn = true
        }
    }

    func warning(_ message: String) {
        guard !quiet else { return }
        finish()
        Terminal.warn(message)
    }

    /// Clears the bar line before normal output.
    func finish() {
        lock.withLock {
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); drawn = false }
        }
    }
}

extension String {
    /// Drops spaces at the end (a table's empty last column).
    func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
