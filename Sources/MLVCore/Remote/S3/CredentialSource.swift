import Foundation
import MLVGit

/// Finds S3 credentials and region for a remote without ever reading committed files:
/// the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then the
/// repository's uncommitted `.git/config` (`[mlv "NAME"] accessKeyId = …, secretAccessKey = …`),
/// then the shared files `~/.aws/credentials` and `~/.aws/config` for `AWS_PROFILE` (or `default`).
struct CredentialSource {
    let environment: [String: String]
    let gitConfig: GitConfig?
    /// Another repository's uncommitted config (the one `mlv get` runs in), read for
    /// `mlv.<remote URL>.accessKeyId`: a remote of a repository read from elsewhere has no
    /// name here.
    let callerConfig: GitConfig?
    /// The remote's URL, for that lookup.
    let url: String?
    let home: String

    init(environment: [String: String], gitConfig: GitConfig?, callerConfig: GitConfig? = nil, url: String? = nil) {
        self.environment = environment
        self.gitConfig = gitConfig
        self.callerConfig = callerConfig
        self.url = url
        home = environment["HOME"] ?? NSHomeDirectory()
    }

    var profile: String { environment["AWS_PROFILE"] ?? "default" }

    func credentials(for remote: String) throws -> AWSCredentials? {
        if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !key.isEmpty {
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
        }
        if let gitConfig, let key = try gitConfig.string("mlv.\(remote).accessKeyId"),
           let secret = try gitConfig.string("mlv.\(remote).secretAccessKey") {
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: try gitConfig.string("mlv.\(remote).sessionToken"))
        }
        for config in [gitConfig, callerConfig].compactMap({ $0 }) {
            guard let url, let key = try config.string("mlv.\(url).accessKeyId"), let secret = try config.string("mlv.\(url).secretAccessKey") else { continue }
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: try config.string("mlv.\(url).sessionToken"))
        }
        let file = ini(home + "/.aws/credentials")[profile] ?? [:]
        if let key = file["aws_access_key_id"], let secret = file["aws_secret_access_key"] {
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: file["aws_session_token"])
        }
        return nil
    }

    func region(configured: String?) -> String {
        if let configured, !configured.isEmpty { return configured }
        if let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"], !region.isEmpty { return region }
        let config = ini(home + "/.aws/config")
        if let region = (config[profile == "default" ? "default" : "profile " + profile] ?? [:])["region"] { return region }
        return "us-east-1"
    }

    /// `[section]` and `key = value` lines of an AWS-style INI file; missing files are empty.
    func ini(_ path: String) -> [String: [String: String]] {
        guard let bytes = try? FileSystem.readFile(path, limit: 1 << 20) else { return [:] }
        var result: [String: [String: String]] = [:]
        var section = ""
        for raw in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: " ")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: " ")
            } else if let equals = line.firstIndex(of: "=") {
                let key = String(line[..<equals]).trimmingCharacters(in: " ").lowercased()
                result[section, default: [:]][key] = String(line[line.index(after: equals)...]).trimmingCharacters(in: " ")
            }
        }
        return result
    }
}
