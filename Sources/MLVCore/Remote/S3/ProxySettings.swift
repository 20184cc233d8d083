import Foundation

/// The HTTP proxy an S3 endpoint is reached through, from the usual environment variables:
/// `HTTPS_PROXY`/`https_proxy` for https endpoints, `HTTP_PROXY`/`http_proxy` for http ones,
/// and `NO_PROXY`/`no_proxy` (comma-separated hosts or domain suffixes, `*` for all) to bypass.
struct ProxySettings: Equatable {
    let host: String
    let port: Int

    static func proxy(for endpoint: URL, environment: [String: String]) -> ProxySettings? {
        guard let scheme = endpoint.scheme?.lowercased(), let host = endpoint.host?.lowercased() else { return nil }
        let names = scheme == "https" ? ["HTTPS_PROXY", "https_proxy"] : ["HTTP_PROXY", "http_proxy"]
        guard let value = names.lazy.compactMap({ environment[$0] }).first(where: { !$0.isEmpty }) else { return nil }
        let bypass = (environment["NO_PROXY"] ?? environment["no_proxy"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        for entry in bypass {
            if entry == "*" { return nil }
            let suffix = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            let bare = suffix.split(separator: ":").first.map(String.init) ?? suffix
            if host == bare || host.hasSuffix("." + bare) { return nil }
        }
        let text = value.contains("://") ? value : "http://" + value
        guard let url = URL(string: text), let proxyHost = url.host else { return nil }
        return ProxySettings(host: proxyHost, port: url.port ?? (url.scheme == "https" ? 443 : 80))
    }
}
