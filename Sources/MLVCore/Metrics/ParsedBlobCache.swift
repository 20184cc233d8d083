import MLVGit

/// Pipelines and params or metrics files already parsed in this process, by Git blob: the
/// commits of a history or of many experiments mostly share the same `mlv.yaml` and params
/// files, so each distinct blob is parsed once. Only successes are kept (an error names the
/// revision it was read at).
final class ParsedBlobCache {
    var pipelines: [GitObjectID: PipelineDefinition] = [:]
    var files: [GitObjectID: [(key: String, value: StructuredValue)]] = [:]
}

extension Revision {
    /// A structured file's leaves at this revision, or nil when it has no such file.
    func flattenedFile(_ path: String, project: Project) throws -> [(key: String, value: StructuredValue)]? {
        guard case .commit(let id, let label) = self else {
            guard let bytes = try read(path, project: project) else { return nil }
            return try StructuredFile.parse(bytes, file: path).flattened()
        }
        guard let blob = try project.git.blobID(path, at: id) else { return nil }
        if let cached = project.parsedBlobs.files[blob] { return cached }
        let parsed = try StructuredFile.parse(Array(try project.git.readBlob(id: blob)), file: path, revision: label).flattened()
        project.parsedBlobs.files[blob] = parsed
        return parsed
    }
}
