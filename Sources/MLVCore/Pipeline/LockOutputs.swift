/// The outputs `mlv.lock` records, as tracked paths: what the pipeline adds to "what a commit
/// tracks" (status, checkout, push, fetch, gc and fsck see them like added data).
public struct LockOutputs: TrackedPathSource {
    public init() {}
    public var fileName: String { LockFile.fileName }
    public var maximumSize: Int { StructuredFile.maximumSize * 4 }

    public func trackedPaths(in bytes: [UInt8], revision: String?) throws -> [TrackedPath] {
        try LockFile.parse(bytes, revision: revision).outputs
    }
}
