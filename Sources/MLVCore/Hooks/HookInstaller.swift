import Foundation

/// What `mlv hooks install/uninstall/status` found or did for one hook.
public struct HookState: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// mlv's script is installed.
        case installed
        /// Nothing is installed.
        case absent
        /// Another program's hook is there and mlv's is not.
        case foreign
    }

    public let name: String
    public let kind: Kind
    /// The user's earlier hook, run first by mlv's (`NAME.mlv-chained`), when there is one.
    public let chained: Bool
    public let path: String
}

/// Installs mlv's hooks into the repository's hooks folder (honouring `core.hooksPath`),
/// keeping any existing hook: it is renamed `NAME.mlv-chained` and run first.
public struct HookInstaller {
    let project: Project

    public init(project: Project) { self.project = project }

    static let chainedSuffix = ".mlv-chained"

    func directory() throws -> String {
        let directory = try project.git.hooksDirectory()
        try FileSystem.createDirectory(directory)
        return directory
    }

    static func isMLVHook(_ path: String) -> Bool {
        guard let bytes = try? FileSystem.readFile(path, limit: 1 << 20) else { return false }
        return String(decoding: bytes, as: UTF8.self).contains(HookScripts.marker)
    }

    public func status() throws -> [HookState] {
        let directory = try directory()
        return HookScripts.all.map { name in
            let path = directory + "/" + name
            let kind: HookState.Kind = !FileSystem.exists(path) ? .absent : Self.isMLVHook(path) ? .installed : .foreign
            return HookState(name: name, kind: kind, chained: FileSystem.exists(path + Self.chainedSuffix), path: path)
        }
    }

    /// Installs the standard hooks, and `post-commit` with `evaluate`. mlv's own scripts are
    /// rewritten only with `force` (or when their text changed).
    public func install(evaluate: Bool, force: Bool) throws -> [HookState] {
        let directory = try directory()
        var result: [HookState] = []
        for name in HookScripts.standard + (evaluate ? HookScripts.evaluating : []) {
            let path = directory + "/" + name
            let script = Array(HookScripts.script(for: name).utf8)
            if FileSystem.exists(path) && !Self.isMLVHook(path) {
                guard !FileSystem.exists(path + Self.chainedSuffix) else {
                    throw HookError.cannotChain(name: name, path: path)
                }
                guard rename(path, path + Self.chainedSuffix) == 0 else {
                    throw FileError(path: path, operation: "keep the existing hook", errno: errno)
                }
            }
            let current = try? FileSystem.readFile(path, limit: 1 << 20)
            if force || current != script {
                try FileSystem.writeAtomically(script, to: path, mode: 0o755)
            }
            result.append(HookState(name: name, kind: .installed, chained: FileSystem.exists(path + Self.chainedSuffix), path: path))
        }
        return result
    }

    /// Removes mlv's hooks and puts chained ones back.
    public func uninstall() throws -> [HookState] {
        let directory = try directory()
        var result: [HookState] = []
        for name in HookScripts.all {
            let path = directory + "/" + name
            if FileSystem.exists(path) && Self.isMLVHook(path) { unlink(path) }
            if FileSystem.exists(path + Self.chainedSuffix) && !FileSystem.exists(path) {
                guard rename(path + Self.chainedSuffix, path) == 0 else {
                    throw FileError(path: path, operation: "restore the earlier hook", errno: errno)
                }
            }
            let kind: HookState.Kind = FileSystem.exists(path) ? .foreign : .absent
            result.append(HookState(name: name, kind: kind, chained: false, path: path))
        }
        return result
    }

    /// The user's earlier hook for `name`, if mlv chained one.
    func chainedHook(_ name: String) throws -> String? {
        let path = try directory() + "/" + name + Self.chainedSuffix
        return FileSystem.exists(path) ? path : nil
    }
}

/// Problems with hooks.
public enum HookError: UserFacingError, Equatable {
    case cannotChain(name: String, path: String)
    case unknownHook(String)
    case chainedHookFailed(name: String, code: Int32)
    case noDataRemote(objects: Int)
    case missingData(count: Int, example: String)

    public var description: String {
        switch self {
        case .cannotChain(let name, let path):
            return "\(path) is not mlv's, and an earlier hook is already kept as \(name).mlv-chained; merge them by hand, then run `mlv hooks install` again."
        case .unknownHook(let name):
            return "mlv has no `\(name)` hook; it handles \(HookScripts.all.joined(separator: ", "))."
        case .chainedHookFailed(let name, let code):
            return "your earlier \(name) hook (kept as \(name).mlv-chained) exited with code \(code)."
        case .noDataRemote(let objects):
            return "the pushed commits reference \(objects) object(s) of tracked data, but no mlv remote is configured to upload them to; run `mlv remote add NAME URL --default`, or push with --no-verify to skip mlv."
        case .missingData(let count, let example):
            return "\(count) object(s) the pushed commits need are neither in the cache nor on the mlv remote (e.g. \(example)); the push would share pointers to data nobody has. Run `mlv fetch --all-commits` or re-add the data, or push with --no-verify."
        }
    }
}
