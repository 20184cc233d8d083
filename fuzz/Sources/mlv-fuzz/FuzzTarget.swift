import Foundation
import MLVCore

/// One fuzz target per parser of untrusted input, chosen by `MLV_FUZZ_TARGET`. A parser may
/// refuse any input with an error; a crash, trap, hang or runaway allocation is a finding.
enum FuzzTarget: String, CaseIterable {
    case pointer, manifest, packIndex = "pack-index", chunkList = "chunk-list", lock, pipeline, gate
    case paramsYAML = "params-yaml", paramsJSON = "params-json", paramsTOML = "params-toml", metricsCSV = "metrics-csv", note

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["MLV_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("set MLV_FUZZ_TARGET to one of: \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()

    func run(_ bytes: [UInt8]) {
        switch self {
        case .pointer: _ = try? PointerFile.parse(bytes, file: "data.mlv")
        case .manifest: _ = try? DirectoryManifest.parse(bytes, source: "fuzz")
        case .packIndex: _ = try? PackIndex.parse(bytes)
        case .chunkList: _ = try? ChunkList.parse(bytes)
        case .lock: _ = try? LockFile.parse(bytes)
        case .pipeline: _ = try? PipelineDefinition.parse(bytes)
        case .gate: _ = try? GateRule.parse(String(decoding: bytes, as: UTF8.self))
        case .paramsYAML: flatten(try? StructuredFile.parse(bytes, file: "params.yaml"))
        case .paramsJSON: flatten(try? StructuredFile.parse(bytes, file: "metrics.json"))
        case .paramsTOML: flatten(try? StructuredFile.parse(bytes, file: "params.toml"))
        case .metricsCSV: flatten(try? StructuredFile.parse(bytes, file: "metrics.csv"))
        case .note: _ = try? MetricsNote.parse(String(decoding: bytes, as: UTF8.self), commit: "fuzz")
        }
    }

    /// What the commands do next with a parsed file: flatten it and print its values.
    private func flatten(_ value: StructuredValue?) {
        guard let value else { return }
        for (key, item) in value.flattened() { _ = key.count + item.canonical.count + item.display.count }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.selected.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
