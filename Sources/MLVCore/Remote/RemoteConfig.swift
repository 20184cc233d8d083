import Foundation
import MLVGit

/// A configured remote, from `[remote "NAME"]` in the committed `.mlvconfig`.
public struct RemoteSettings: Equatable, Sendable {
    public let name: String
    public var url: String
    /// Other settings (endpoint, region, pathstyle, jobs), lower-case keys.
    public var options: [String: String]
    public var isDefault: Bool
}

/// Settings `mlv remote modify` accepts.
public let remoteOptionKeys = ["url", "endpoint", "region", "pathstyle", "jobs"]

/// Every configured remote, sorted by name.
public func listRemotes(project: Project) throws -> [RemoteSettings] {
    let path = project.root + "/.mlvconfig"
    guard FileSystem.exists(path) else { return [] }
    let config = try GitConfig.open(file: path)
    let defaultName = try config.string("core.remote")
    var byName: [String: RemoteSettings] = [:]
    for (key, value) in try config.entries(matching: "^remote\\.") {
        // remote.NAME.key: the name may itself contain dots.
        let body = key.dropFirst("remote.".count)
        guard let dot = body.lastIndex(of: ".") else { continue }
        let name = String(body[..<dot]), option = String(body[body.index(after: dot)...]).lowercased()
        // The name becomes a folder under .mlv/remotes: a cloned .mlvconfig is untrusted.
        if let problem = RemoteName.problem(name) {
            throw ConfigError(file: path, reason: "remote name `\(name.prefix(100))` \(problem)")
        }
        var settings = byName[name] ?? RemoteSettings(name: name, url: "", options: [:], isDefault: name == defaultName)
        if option == "url" { settings.url = value } else { settings.options[option] = value }
        byName[name] = settings
    }
    return byName.values.sorted { $0.name < $1.name }
}

/// Rules for remote names, which mlv uses as folder names.
enum RemoteName {
    /// Why `name` cannot name a remote, or nil.
    static func problem(_ name: String) -> String? {
        if name.isEmpty || name.utf8.count > 100 { return "must be 1 to 100 characters" }
        guard name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }) else {
            return "may hold only ASCII letters, digits, `-`, `_` and `.`"
        }
        if name.hasPrefix(".") || name.hasPrefix("-") { return "may not start with `.` or `-`" }
        return nil
    }
}

/// Adds a remote (`mlv remote add`). A directory remote is created when missing.
public func addRemote(name: String, url: String, makeDefault: Bool, options: [String: String] = [:], project: Project) throws {
    if let problem = RemoteName.problem(name) {
        throw ConfigError(file: ".mlvconfig", reason: "remote name `\(name.prefix(100))` \(problem)")
    }
    if try listRemotes(project: project).contains(where: { $0.name == name }) { throw RemoteError.exists(name) }
    if case .directory(let path) = try RemoteLocation(url: url, root: project.root) {
        try FileSystem.createDirectory(path)
    }
    let config = try GitConfig.open(file: project.root + "/.mlvconfig")
    try config.set("remote.\(name).url", to: url)
    for (key, value) in options.sorted(by: { $0.key < $1.key }) { try config.set("remote.\(name).\(key)", to: value) }
    let hasDefault = try config.string("core.remote") != nil
    if makeDefault || !hasDefault { try config.set("core.remote", to: name) }
    try project.git.stage([".mlvconfig"])
}

/// Removes a remote's settings (`mlv remote remove`); its data is left where it is.
public func removeRemote(name: String, project: Project) throws {
    let remotes = try listRemotes(project: project)
    guard let remote = remotes.first(where: { $0.name == name }) else { throw RemoteError.unknownRemote(name, known: remotes.map(\.name)) }
    let config = try GitConfig.open(file: project.root + "/.mlvconfig")
    try config.remove("remote.\(name).url")
    for key in remote.options.keys { try config.remove("remote.\(name).\(key)") }
    if remote.isDefault { try config.remove("core.remote") }
    try project.git.stage([".mlvconfig"])
}

/// Changes one setting of a remote (`mlv remote modify NAME KEY VALUE`).
public func modifyRemote(name: String, key: String, value: String, project: Project) throws {
    let remotes = try listRemotes(project: project)
    guard remotes.contains(where: { $0.name == name }) else { throw RemoteError.unknownRemote(name, known: remotes.map(\.name)) }
    let option = key.lowercased()
    guard remoteOptionKeys.contains(option) else {
        throw ConfigError(file: ".mlvconfig", reason: "unknown remote setting `\(key)`; expected one of \(remoteOptionKeys.joined(separator: ", "))")
    }
    if option == "url" { _ = try RemoteLocation(url: value, root: project.root) }
    if option == "jobs", Int(value).map({ $0 > 0 }) != true {
        throw ConfigError(file: ".mlvconfig", reason: "jobs must be a positive whole number, not `\(value)`")
    }
    try GitConfig.open(file: project.root + "/.mlvconfig").set("remote.\(name).\(option)", to: value)
    try project.git.stage([".mlvconfig"])
}

/// Where a remote URL points.
enum RemoteLocation: Equatable {
    case directory(String)
    case s3(bucket: String, prefix: String)

    init(url: String, root: String) throws {
        if url.hasPrefix("s3://") {
            let rest = url.dropFirst(5)
            let bucket = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard !bucket.isEmpty else { throw RemoteError.unsupportedURL(url) }
            let prefix = rest.dropFirst(bucket.count).trimmingCharacters(in: "/")
            self = .s3(bucket: bucket, prefix: prefix)
        } else if url.hasPrefix("file://") {
            self = .directory(String(url.dropFirst(7)))
        } else if url.contains("://") {
            throw RemoteError.unsupportedURL(url)
        } else {
            self = .directory(url.hasPrefix("/") ? url : root + "/" + url)
        }
    }
}

/// The named remote's settings, or the default one's (the only one when there is one).
func selectRemote(_ name: String?, project: Project) throws -> RemoteSettings {
    let remotes = try listRemotes(project: project)
    if let name {
        guard let found = remotes.first(where: { $0.name == name }) else { throw RemoteError.unknownRemote(name, known: remotes.map(\.name)) }
        return found
    }
    guard let found = remotes.first(where: \.isDefault) ?? (remotes.count == 1 ? remotes.first : nil) else { throw RemoteError.noDefaultRemote }
    return found
}

/// Opens the named remote, or the default one.
func openRemote(_ name: String?, project: Project) throws -> (settings: RemoteSettings, store: RemoteStore) {
    let settings = try selectRemote(name, project: project)
    switch try RemoteLocation(url: settings.url, root: project.root) {
    case .directory(let path):
        return (settings, LocalRemote(name: settings.name, root: path))
    case .s3(let bucket, let prefix):
        let source = CredentialSource(environment: project.environment.variables, gitConfig: try? project.git.config(),
                                      callerConfig: try? project.callerRepository?.config(), url: settings.url)
        guard let credentials = try source.credentials(for: settings.name) else {
            throw RemoteError.noCredentials(remote: "\(settings.name) (\(settings.url))", name: settings.name)
        }
        let pathStyle = settings.options["pathstyle"].map { ["true", "yes", "1", "on"].contains($0.lowercased()) }
        let remote = try S3Remote(name: settings.name, bucket: bucket, prefix: prefix, endpoint: settings.options["endpoint"],
                                  region: source.region(configured: settings.options["region"]), pathStyle: pathStyle,
                                  credentials: credentials, environment: project.environment)
        return (settings, remote)
    }
}
