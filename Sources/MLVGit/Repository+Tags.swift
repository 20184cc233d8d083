import CGit2
import Foundation

/// A tag as the registry reads it: its name, the commit it leads to and, for an annotated tag,
/// who made it, when, and its message.
public struct TagRecord: Sendable, Equatable {
    /// Without `refs/tags/`.
    public let name: String
    public let commit: GitObjectID
    public let taggerName: String?
    public let taggerEmail: String?
    public let time: Date?
    public let message: String?

    public init(name: String, commit: GitObjectID, taggerName: String?, taggerEmail: String?, time: Date?, message: String?) {
        self.name = name
        self.commit = commit
        self.taggerName = taggerName
        self.taggerEmail = taggerEmail
        self.time = time
        self.message = message
    }
}

extension Repository {
    /// Every tag whose name starts with `prefix` (after `refs/tags/`) that leads to a commit,
    /// with annotations read from the tag objects; one pass over the references.
    public func tags(prefix: String = "") throws -> [TagRecord] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_glob_new(&iterator, pointer, "refs/tags/" + prefix + "*"), "list tags")
        defer { git_reference_iterator_free(iterator) }
        var result: [TagRecord] = []
        var ref: OpaquePointer?
        while true {
            let rc = git_reference_next(&ref, iterator)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "list tags")
            defer { git_reference_free(ref) }
            let name = String(String(cString: git_reference_name(ref)).dropFirst("refs/tags/".count))
            guard let target = git_reference_target(ref) else { continue }
            var object: OpaquePointer?
            var oid = target.pointee
            guard try git_object_lookup(&object, pointer, &oid, GIT_OBJECT_ANY) == 0 else { continue }
            defer { git_object_free(object) }
            if git_object_type(object) == GIT_OBJECT_TAG {
                let tag = object
                var peeled: OpaquePointer?
                guard git_tag_peel(&peeled, tag) == 0 else { continue }
                defer { git_object_free(peeled) }
                guard git_object_type(peeled) == GIT_OBJECT_COMMIT else { continue }
                let tagger = git_tag_tagger(tag)?.pointee
                result.append(TagRecord(
                    name: name, commit: GitObjectID(git_object_id(peeled).pointee),
                    taggerName: tagger.map { String(cString: $0.name) }, taggerEmail: tagger.map { String(cString: $0.email) },
                    time: tagger.map { Date(timeIntervalSince1970: TimeInterval($0.when.time)) },
                    message: git_tag_message(tag).map { String(cString: $0) }))
            } else if git_object_type(object) == GIT_OBJECT_COMMIT {
                result.append(TagRecord(name: name, commit: GitObjectID(oid), taggerName: nil, taggerEmail: nil, time: nil, message: nil))
            }
        }
        return result
    }

    /// Creates the annotated tag `name` on `commit`, tagged by the configured user; an existing
    /// tag of that name is an error whose `isExists` is true (`git_tag_create`).
    public func createAnnotatedTag(_ name: String, on commit: GitObjectID, message: String) throws {
        var oid = commit.raw
        var target: OpaquePointer?
        try check(git_object_lookup(&target, pointer, &oid, GIT_OBJECT_COMMIT), "look up commit \(commit.short)")
        defer { git_object_free(target) }
        let signature = try defaultSignature()
        defer { git_signature_free(signature) }
        var created = git_oid()
        try check(git_tag_create(&created, pointer, name, target, signature, message, 0), "create tag \(name)")
    }
}
