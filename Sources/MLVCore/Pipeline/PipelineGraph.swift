/// The stages of a pipeline as a DAG: a stage depends on the stages whose outputs its deps
/// name (or lie inside, or contain).
public struct PipelineGraph: Sendable {
    public let definition: PipelineDefinition
    /// Stage name -> names of the stages it reads from.
    public let upstream: [String: [String]]
    /// Stage names with every stage after the stages it reads from (file order breaks ties).
    public let order: [String]

    /// Who writes which paths, for lookups of "what overlaps this path" in time proportional
    /// to the path's depth, not to the number of stages.
    let writers: PathOwners

    public init(_ definition: PipelineDefinition, file: String = PipelineDefinition.fileName) throws {
        self.definition = definition
        var writers = PathOwners()
        for stage in definition.stages { for path in stage.writes { writers.add(path, owner: stage.name) } }
        self.writers = writers
        var upstream: [String: [String]] = [:]
        for stage in definition.stages {
            var from: [String] = []
            var seen = Set<String>()
            for dep in stage.deps {
                for other in writers.overlapping(dep.path) where other != stage.name && seen.insert(other).inserted { from.append(other) }
            }
            upstream[stage.name] = from
        }
        self.upstream = upstream
        // Depth-first topological sort with its own stack (a chain of 20,000 stages must not
        // exhaust the thread's); a stage met again while in progress is a cycle, reported in order.
        var order: [String] = []
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        for start in definition.stages.map(\.name) where state[start] == nil {
            var stack: [(name: String, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                let parents = upstream[top.name] ?? []
                if top.next < parents.count {
                    stack[stack.count - 1].next += 1
                    let parent = parents[top.next]
                    if state[parent] == 2 { continue }
                    if state[parent] == 1 {
                        let names = stack.map(\.name)
                        let cycle = names[names.firstIndex(of: parent)!...] + [parent]
                        let line = definition.stage(named: parent)?.line
                        throw StructuredFileError(file: file, revision: nil, line: line, column: nil,
                                                  reason: "stages form a cycle: \(cycle.joined(separator: " -> ")); a stage cannot depend on its own outputs")
                    }
                    state[parent] = 1
                    stack.append((parent, 0))
                } else {
                    state[top.name] = 2
                    order.append(top.name)
                    stack.removeLast()
                }
            }
        }
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
        writers.containing(path).first.flatMap(definition.stage(named:))
    }

    /// Whether some stage writes inside `path` (a dep naming a folder of outputs).
    public func writesInside(_ path: String) -> Bool { !writers.inside(path).isEmpty }

    /// Whether one path equals the other or lies inside it.
    static func overlaps(_ a: String, _ b: String) -> Bool {
        a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/")
    }
}

/// Paths and who owns each, answering "which owners' paths equal, contain or lie inside this
/// one" by walking the query's ancestors (and a map of every owned path's ancestors) instead
/// of comparing against every path.
struct PathOwners: Sendable {
    private var exact: [String: [String]] = [:]
    /// Each folder above an owned path, with the owners below it.
    private var below: [String: [String]] = [:]

    mutating func add(_ path: String, owner: String) {
        exact[path, default: []].append(owner)
        var folder = PathName.parent(of: path)
        while !folder.isEmpty {
            below[folder, default: []].append(owner)
            folder = PathName.parent(of: folder)
        }
    }

    /// Owners of `path` itself or of a folder holding it.
    func containing(_ path: String) -> [String] {
        var result: [String] = []
        var current = path
        while !current.isEmpty {
            result += exact[current] ?? []
            current = PathName.parent(of: current)
        }
        return result
    }

    /// Owners of paths strictly inside `path`.
    func inside(_ path: String) -> [String] { below[path] ?? [] }

    /// Owners of paths that equal, contain or lie inside `path`.
    func overlapping(_ path: String) -> [String] { containing(path) + inside(path) }
}
