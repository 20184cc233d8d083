import Yams

/// One entry of `models:` in mlv.yaml: where the model file is, and what it is.
public struct ModelDeclaration: Equatable, Sendable {
    public let name: String
    public let path: String
    public let description: String?
    public let labels: [String]

    static func parse(_ name: String, keyNode: Node, node: Node, at: (Node, String) -> StructuredFileError,
                      fail: @escaping YAMLSupport.Fail) throws -> ModelDeclaration {
        if let problem = RegistryName.problem(name) { throw at(keyNode, "model name `\(name.prefix(100))` \(problem)") }
        guard node.mapping != nil else { throw at(node, "model `\(name)` must be a mapping with `path`") }
        var path: String?, description: String?, labels: [String] = []
        for pair in try YAMLSupport.pairs(of: node, fail: fail) {
            switch pair.key {
            case "path":
                guard let text = pair.value.scalar?.string else { throw at(pair.value, "model `\(name)`: `path` must be a path") }
                guard let normalized = ModelPath.normalize(text) else {
                    throw at(pair.value, "model `\(name)`: `\(text.prefix(200))` must be a path inside the repository")
                }
                path = normalized
            case "description":
                guard let text = pair.value.scalar?.string else { throw at(pair.value, "model `\(name)`: `description` must be text") }
                description = text
            case "labels":
                guard let items = pair.value.sequence, items.allSatisfy({ $0.scalar != nil }) else {
                    throw at(pair.value, "model `\(name)`: `labels` must be a list of words")
                }
                labels = items.compactMap { $0.scalar?.string }
            default:
                throw at(pair.keyNode, "model `\(name)` has unknown key `\(pair.key)`; expected path, description or labels")
            }
        }
        guard let path else { throw at(node, "model `\(name)` needs `path`") }
        return ModelDeclaration(name: name, path: path, description: description, labels: labels)
    }
}

/// Model paths, from mlv.yaml, a command line or a tag message (all untrusted): relative,
/// no `..`, not in .git or .mlv, names mlv can store.
public enum ModelPath {
    public static func normalize(_ text: String) -> String? {
        guard !text.hasPrefix("/"), text.utf8.count <= 4096 else { return nil }
        var parts: [Substring] = []
        for part in text.split(separator: "/") where part != "." {
            if part == ".." { return nil }
            parts.append(part)
        }
        let path = parts.joined(separator: "/")
        guard !path.isEmpty, parts.first != ".git", parts.first != ".mlv", RelativePath.problem(with: path) == nil else { return nil }
        if path.hasSuffix(PointerFile.suffix) { return String(path.dropLast(PointerFile.suffix.count)) }
        return path
    }
}
