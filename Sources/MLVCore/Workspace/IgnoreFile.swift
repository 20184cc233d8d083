/// Adds entries to a `.gitignore`, keeping what is there.
enum IgnoreFile {
    /// Appends `/entry` to the `.gitignore` at `path` unless that exact line is present.
    /// Returns true when the file changed.
    @discardableResult
    static func ensure(_ entries: [String], in path: String) throws -> Bool {
        var text = FileSystem.exists(path) ? String(decoding: try FileSystem.readFile(path, limit: 16 << 20), as: UTF8.self) : ""
        let existing = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: " ") })
        let missing = entries.filter { !existing.contains($0) }
        guard !missing.isEmpty else { return false }
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        for entry in missing { text += entry + "\n" }
        try FileSystem.writeAtomically(Array(text.utf8), to: path)
        return true
    }

    /// The ignore line for a name: anchored to its folder, with special characters escaped.
    static func anchored(_ name: String) -> String {
        var escaped = ""
        for character in name {
            if "*?[]!#\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return "/" + escaped
    }
}
