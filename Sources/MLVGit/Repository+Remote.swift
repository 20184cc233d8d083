import CGit2
import Foundation

/// A reference a Git remote advertises; for an annotated tag, `commit` is what it peels to.
public struct AdvertisedReference: Sendable, Equatable {
    public let name: String
    public let commit: GitObjectID
}

extension Repository {
    /// What the Git repository at `url` advertises (`git_remote_ls`), annotated tags peeled,
    /// plus `HEAD`'s target branch when it says. Nothing is downloaded.
    public func advertisedReferences(url: String) throws -> (references: [AdvertisedReference], head: String?) {
        try withAnonymousRemote(url) { remote in
            var callbacks = git_remote_callbacks()
            git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
            try check(git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nil, nil), "connect to \(url)")
            defer { git_remote_disconnect(remote) }
            var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
            var count = 0
            try check(git_remote_ls(&heads, &count, remote), "list references of \(url)")
            var direct: [String: GitObjectID] = [:], peeled: [String: GitObjectID] = [:]
            var head: String?
            for index in 0..<count {
                guard let entry = heads?[index]?.pointee else { continue }
                let name = String(cString: entry.name)
                let id = GitObjectID(entry.oid)
                if name.hasSuffix("^{}") { peeled[String(name.dropLast(3))] = id } else { direct[name] = id }
                if name == "HEAD", let target = entry.symref_target { head = String(cString: target) }
            }
            let references = direct.map { AdvertisedReference(name: $0.key, commit: peeled[$0.key] ?? $0.value) }.sorted { $0.name < $1.name }
            return (references, head)
        }
    }

    /// Downloads what `refspecs` name from the Git repository at `url` into this one
    /// (`git_remote_fetch`), following no other tags.
    public func fetch(url: String, refspecs: [String]) throws {
        try withAnonymousRemote(url) { remote in
            var options = git_fetch_options()
            git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            try withStrArray(refspecs) { specs in
                try check(git_remote_fetch(remote, &specs, &options, "mlv fetch"), "fetch from \(url)")
            }
        }
    }

    private func withAnonymousRemote<T>(_ url: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        var remote: OpaquePointer?
        try check(git_remote_create_anonymous(&remote, pointer, url), "use \(url) as a Git remote")
        defer { git_remote_free(remote) }
        return try body(remote!)
    }
}
