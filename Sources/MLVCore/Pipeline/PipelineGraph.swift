/// The stages of a pipeline as a DAG: a stage depends on the stages whose outputs its deps
/// name (or lie inside, or contain).
public struct PipelineGraph: Sendable {
    public let definition: PipelineDefinition
    /// Stage name -> names of the stages it reads from.
    public let upstream: [String: [String]]
    /// Stage names with every stage after the stages it reads from (file order breaks ties).
    public let order: [String]

    public init(_ definition: PipelineDefinition, file: String = PipelineDefinition.fileName) throws {
        self.definition = definition
        var upstream: [String: [String]] = [:]
        for stage in definition.stages {
            var from: [String] = []
            for dep in stage.deps {
                for other in definition.stages where other.name != stage.name && !from.contains(other.name) {
                    if other.writes.contains(where: { PipelineGraph.overlaps($0, dep.path) }) { from.append(other.name) }
                }
            }
            upstream[stage.name] = from
        }
        self.upstream = upstream
        // Depth-first topological sort; a grey node met again is a cycle, reported in order.
        var order: [String] = []
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var path: [String] = []
        func visit(_ name: String) throws {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let cycle = path[path.firstIndex(of: name)!...] + [name]
                let line = definition.stage(named: name)?.line
                throw StructuredFileError(file: file, revision: nil, line: line, column: nil,
                                          reason: "stages form a cycle: \(cycle.joined(separator: " -> ")); a stage cannot depend on its own outputs")
            }
            state[name] = 1
            path.append(name)
            for parent in upstream[name] ?? [] { try visit(parent) }
            path.removeLast()
            state[name] = 2
            order.append(name)
        }
        for stage in definition.stages { try visit(stage.name) }
        self.order = order
    }

    /// The named stages and everything downstream of them, in run order.
    public func downstream(of names: Set<String>) -> [String] {
        var selected = names
        for name in order where !selected.contains(name) {
            if (upstream[name] ?? []).contains(where: selected.contains) { selected.insert(name) }
        }
        return order.filter(selected.contains)
    }

    /// The named stages and everything upstream of them, in run order.
    public func upstreamClosure(of names: Set<String>) -> [String] {
        var selected = names
        for name in order.reversed() where selected.contains(name) {
            for parent in upstream[name] ?? [] { selected.insert(parent) }
        }
        return order.filter(selected.contains)
    }

    /// The stage whose outputs hold `path` (an output, a file inside one, or a metrics file).
    public func producer(of path: String) -> StageDefinition? {
        definition.stages.first { stage in stage.writes.contains { $0 == path || path.hasPrefix($0 + "/") } }
    }

    /// Whether one path equals the other or lies inside it.
    static func overlaps(_ a: String, _ b: String) -> Bool {
        a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/")
    }
}
