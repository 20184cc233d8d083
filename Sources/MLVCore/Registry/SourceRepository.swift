import Foundation
import MLVGit
#if canImport(Glibc)
import Glibc
#endif

/// Another Git repository mlv tracks data in, read at one commit without a work tree or a
/// clone: only the references needed are fetched into a scratch repository (made beside where
/// the output goes, so the output arrives by rename), and that repository's committed remote
/// is used for the data. Everything read from it is untrusted input, checked as a clone's is.
public final class SourceRepository {
    public let url: String
    /// Where the scratch repository lives; removed by `close`.
    let scratch: String
    let git: Repository
    public let commit: GitObjectID
    /// How the revision was named, as resolved: a branch, tag, commit, or a model version.
    public let resolvedFrom: String
    /// The model version, when the revision named one.
    public let modelVersion: ModelRegistry.Version?
    let project: Project
    /// Whether the object cache is the scratch repository's own (`get`), not a project's.
    let ownsCache: Bool

    static let scratchPrefix = ".mlv-get-"

    /// Fetches what `revision` needs from `url` (nil: the remote's HEAD) into a scratch
    /// repository under `parent`; `cache` is the object cache to use (nil: the scratch's own).
    public init(url: String, revision: String?, parent: String, cache: String? = nil, cwd: String) throws {
        self.url = Self.absolute(url, cwd: cwd)
        ownsCache = cache == nil
        Self.removeAbandonedScratch(in: parent)
        scratch = parent + "/" + Self.scratchPrefix + TemporaryName.suffix()
        try FileSystem.createDirectory(scratch)
        do {
            git = try Repository.create(at: scratch)
            if let local = Self.localPath(of: self.url), !FileSystem.exists(local) {
                throw SourceError.unreachable(url: url, reason: "there is no such folder")
            }
            let advertised: (references: [AdvertisedReference], head: String?)
            do { advertised = try git.advertisedReferences(url: self.url) } catch let error as GitError {
                throw SourceError.unreachable(url: url, reason: error.message)
            }
            var modelVersion: ModelRegistry.Version?
            let refName: String
            if let revision, ModelSpecifier.looksLike(revision) {
                guard let specifier = ModelSpecifier(revision) else { throw RegistryError.badSpecifier(revision) }
                // The model's own tags only: the registry of that model, nothing else.
                let tags = advertised.references.filter { $0.name.hasPrefix("refs/tags/" + specifier.model + "@") || $0.name.hasPrefix("refs/tags/" + specifier.model + "#") }
                guard !tags.isEmpty else { throw RegistryError.unknownModel(specifier.model) }
                try git.fetch(url: self.url, refspecs: tags.map { "+\($0.name):\($0.name)" })
                let version = try specifier.resolve(in: ModelRegistry.read(git, model: specifier.model))
                modelVersion = version
                commit = version.commit
                refName = version.tag.name
            } else if let revision, let found = advertised.references.first(where: { ["refs/heads/" + revision, "refs/tags/" + revision, revision].contains($0.name) }) {
                try git.fetch(url: self.url, refspecs: ["+\(found.name):refs/mlv-source/ref"])
                commit = found.commit
                refName = found.name
            } else if let revision {
                // A commit id: bring every branch and tag, then look for it.
                guard revision.count >= 4, revision.count <= 40, revision.allSatisfy(\.isHexDigit) else { throw SourceError.unknownRevision(revision, url: url) }
                try git.fetch(url: self.url, refspecs: ["+refs/heads/*:refs/mlv-source/heads/*", "+refs/tags/*:refs/mlv-source/tags/*"])
                guard let id = try? git.resolveCommit(revision) else { throw SourceError.unknownRevision(revision, url: url) }
                commit = id
                refName = id.hex
            } else {
                guard let head = Self.defaultReference(advertised.references) else {
                    throw SourceError.unknownRevision("HEAD", url: url)
                }
                try git.fetch(url: self.url, refspecs: ["+\(head.name):refs/mlv-source/head"])
                commit = head.commit
                refName = head.name == "HEAD" ? advertised.head.map { String($0.dropFirst("refs/heads/".count)) } ?? "HEAD" : String(head.name.dropFirst("refs/heads/".count))
            }
            self.modelVersion = modelVersion
            resolvedFrom = refName
            for folder in Project.privateFolders { try FileSystem.createDirectory(scratch + "/" + folder) }
            // The remote as the commit configures it; a commit from before a remote was added
            // uses the one the repository's HEAD configures.
            var configCommit = commit
            if try !Self.configuresRemote(git.readFile(".mlvconfig", at: commit)),
               let head = Self.defaultReference(advertised.references),
               head.commit != commit {
                try git.fetch(url: self.url, refspecs: ["+\(head.name):refs/mlv-source/head"])
                configCommit = head.commit
            }
            try Self.writeConfig(commit: configCommit, git: git, scratch: scratch, sourcePath: Self.localPath(of: self.url), cache: cache)
            project = try Project.open(from: scratch)
            project.callerRepository = try? Repository.discover(from: cwd)
        } catch {
            try? FileSystem.removeTree(scratch, display: scratch)
            throw error
        }
    }

    /// Removes the scratch repository.
    public func close() { try? FileSystem.removeTree(scratch, display: scratch) }

    /// What the source tracks at the commit: pointers and stage outputs, sorted by path.
    public func trackedPaths() throws -> [TrackedPath] {
        try project.committedTrackedPaths(at: commit, revision: commit.short).sorted { $0.dataPath < $1.dataPath }
    }

    /// Fetches the data for `path` (tracked, or inside a tracked directory) from the source's
    /// remote and writes it to `output` by rename; a file kept in Git is copied from Git.
    /// `output` must not exist unless `force`. Returns the tracked path the data came from.
    @discardableResult
    public func download(_ path: String, remote: String?, to output: String, force: Bool) throws -> SourceDownload {
        guard let wanted = ModelPath.normalize(path) else { throw SourceError.badPath(path) }
        if FileSystem.lstatFile(output) != nil && !force { throw SourceError.outputExists(output) }
        let tracked = try trackedPaths()
        let staged: String
        var result: SourceDownload
        if let owner = tracked.first(where: { $0.dataPath == wanted || wanted.hasPrefix($0.dataPath + "/") }) {
            // The pointer (or mlv.lock) into the scratch work tree, then fetch and check out
            // there: the checkout verifies every byte against its id.
            if remote == nil, try listRemotes(project: project).isEmpty { throw SourceError.noRemote(url: url) }
            try writeTrackingFile(for: owner)
            let fetched = try fetch(TransferOptions(remote: remote, paths: [wanted], revisions: [commit.hex]), cwd: scratch, project: project)
            if !fetched.missing.isEmpty { throw SourceError.missingOnRemote(path: wanted, count: fetched.missing.count, url: url) }
            let object = project.store.path(for: owner.pointer.id)
            if ownsCache, owner.dataPath == wanted, owner.pointer.kind == .file, FileSystem.lstatFile(object)?.kind == .file {
                // One file whose object this scratch cache alone holds: the verified object
                // itself becomes the output (no second copy of the bytes).
                staged = object
                guard chmod(object, 0o644) == 0 else { throw FileError(path: object, operation: "make writable", errno: errno) }
            } else {
                _ = try checkout([wanted], cwd: scratch, options: CheckoutOptions(force: true), project: project)
                staged = scratch + "/" + wanted
            }
            guard FileSystem.lstatFile(staged) != nil else { throw SourceError.missingOnRemote(path: wanted, count: 1, url: url) }
            result = SourceDownload(path: wanted, trackedPath: owner.dataPath, pointer: owner.pointer, objects: fetched.objects, bytes: fetched.bytes)
        } else if let blob = try git.blobID(wanted, at: commit) {
            staged = scratch + "/.mlv/cache/tmp/git-file"
            try FileSystem.writeAtomically(Array(try git.readBlob(id: blob)), to: staged)
            result = SourceDownload(path: wanted, trackedPath: nil, pointer: nil, objects: 0, bytes: 0)
        } else {
            throw SourceError.notTracked(path: wanted, commit: commit.short)
        }
        try FileSystem.createDirectory(PathName.parent(of: output))
        if FileSystem.lstatFile(output) != nil {
            // --force: the old output goes aside first, so a failure leaves one or the other.
            let aside = scratch + "/.mlv/cache/tmp/replaced"
            try FileSystem.rename(output, to: aside)
        }
        try FileSystem.rename(staged, to: output)
        result.output = output
        return result
    }

    func writeTrackingFile(for owner: TrackedPath) throws {
        let pointerPath = owner.dataPath + PointerFile.suffix
        if let bytes = try git.readFile(pointerPath, at: commit) {
            try FileSystem.createDirectory(PathName.parent(of: scratch + "/" + pointerPath))
            try FileSystem.writeAtomically(Array(bytes), to: scratch + "/" + pointerPath)
        } else if let lock = try git.readFile(LockFile.fileName, at: commit) {
            try FileSystem.writeAtomically(Array(lock), to: scratch + "/" + LockFile.fileName)
        }
    }

    /// The source's committed `.mlvconfig`, with directory remotes given relative to the source
    /// made absolute (they are relative to its work tree), and this machine's cache setting.
    static func writeConfig(commit: GitObjectID, git: Repository, scratch: String, sourcePath: String?, cache: String?) throws {
        if let bytes = try git.readFile(".mlvconfig", at: commit) {
            guard bytes.count <= 1 << 20 else { throw FileSystem.FileTooLarge(path: ".mlvconfig", limit: 1 << 20) }
            try FileSystem.writeAtomically(Array(bytes), to: scratch + "/.mlvconfig")
            let config = try GitConfig.open(file: scratch + "/.mlvconfig")
            for (key, value) in try config.entries(matching: "^remote\\..*\\.url$") where !value.contains("://") && !value.hasPrefix("/") {
                guard let sourcePath else { throw SourceError.relativeRemote(value) }
                try config.set(key, to: sourcePath + "/" + value)
            }
        }
        var local = "[core]\n\tlinkMode = copy\n"
        if let cache { local += "\tcache = \(cache)\n" }
        try FileSystem.writeAtomically(Array(local.utf8), to: scratch + "/.mlv/config")
    }

    /// HEAD, else (a bare repository whose HEAD names an unborn branch) main or master.
    static func defaultReference(_ references: [AdvertisedReference]) -> AdvertisedReference? {
        ["HEAD", "refs/heads/main", "refs/heads/master"].lazy.compactMap { name in references.first { $0.name == name } }.first
    }

    static func configuresRemote(_ bytes: Data?) -> Bool {
        guard let bytes, let text = String(data: bytes.prefix(1 << 20), encoding: .utf8) else { return false }
        return text.contains("[remote")
    }

    /// The local path a Git URL names (a path or `file://`), else nil.
    static func localPath(of url: String) -> String? {
        if url.hasPrefix("file://") { return String(url.dropFirst(7)) }
        if url.contains("://") { return nil }
        return url
    }

    static func absolute(_ url: String, cwd: String) -> String {
        guard !url.contains("://"), !url.hasPrefix("/") else { return url }
        // scp-like `host:path` stays as written.
        if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") { return url }
        return FileSystem.realPath(cwd + "/" + url) ?? cwd + "/" + url
    }

    /// Scratch repositories of `get`s that were killed.
    static func removeAbandonedScratch(in parent: String) {
        guard let names = try? FileSystem.listDirectory(parent) else { return }
        for name in names where name.hasPrefix(scratchPrefix) && TemporaryName.ownerIsGone(name.dropFirst(scratchPrefix.count)) {
            try? FileSystem.removeTree(parent + "/" + name, display: name)
        }
    }
}

/// What `download` brought.
public struct SourceDownload: Sendable, Encodable {
    public let path: String
    /// The tracked path it belongs to (nil: a file kept in Git).
    public let trackedPath: String?
    public let pointer: PointerFile?
    public let objects: Int
    public let bytes: Int64
    public var output = ""

    enum CodingKeys: String, CodingKey { case path, trackedPath = "tracked_path", objects, bytes, output }
}

/// Why another repository's data cannot be read.
public enum SourceError: UserFacingError, Equatable {
    case unreachable(url: String, reason: String)
    case unknownRevision(String, url: String)
    case badPath(String)
    case notTracked(path: String, commit: String)
    case outputExists(String)
    case missingOnRemote(path: String, count: Int, url: String)
    case relativeRemote(String)
    case noRemote(url: String)

    public var description: String {
        func shown(_ text: String) -> String { DisplayText.escaped(String(text.prefix(300))) }
        switch self {
        case .unreachable(let url, let reason): return "cannot read the Git repository \(shown(url)): \(shown(reason))."
        case .unknownRevision(let revision, let url): return "\(shown(url)) has no branch, tag or commit `\(shown(revision))`."
        case .badPath(let path): return "`\(shown(path))` is not a path inside a repository."
        case .notTracked(let path, let commit): return "`\(shown(path))` is neither tracked by mlv nor kept in Git at \(commit) (see mlv ls)."
        case .outputExists(let path): return "\(shown(path)) exists; pass --force to replace it."
        case .missingOnRemote(let path, let count, let url): return "the data remote of \(shown(url)) lacks \(count) object(s) of `\(shown(path))`; it was pushed incompletely."
        case .noRemote(let url): return "\(shown(url)) configures no mlv remote in its .mlvconfig, so its data cannot be fetched from here."
        case .relativeRemote(let value): return "the repository's remote `\(shown(value))` is a path relative to its work tree, which only a local repository has."
        }
    }
}
