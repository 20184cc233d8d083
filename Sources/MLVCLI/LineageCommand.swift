import ArgumentParser
import Foundation
import MLVCore

struct LineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Show where a file came from (stage, command, params, deps, commit) or what was made from it.",
        discussion: """
        Upstream (default): the chain from PATH back to data added by hand and files in Git, read \
        from mlv.lock in the work tree or at --rev. Downstream (--used-by PATH|ID): every output \
        made from that data version, found in mlv.lock across the history of HEAD (or every ref \
        with --all-commits).
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A file or directory (or, with --used-by, an object id).")
    var target: String

    @Option(help: "Read the lineage at this commit instead of the work tree.")
    var rev: String?

    @Flag(help: "List what was made from TARGET instead of where it came from.")
    var usedBy = false

    @Flag(help: "With --used-by: search the history of every ref, not just HEAD.")
    var allCommits = false

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print a Graphviz DOT graph.")
    var dot = false

    @Flag(help: "Print a Mermaid flowchart.")
    var mermaid = false

    func validate() throws {
        if [json, dot, mermaid].filter({ $0 }).count > 1 { throw ValidationError("choose one of --json, --dot, --mermaid") }
        if allCommits && !usedBy { throw ValidationError("--all-commits goes with --used-by") }
        if usedBy && (dot || mermaid) { throw ValidationError("--used-by prints text or --json") }
    }

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            var query = LineageQuery(project: project)
            if usedBy {
                let found = try query.downstream(of: target, cwd: currentDirectory, revision: rev, allCommits: allCommits)
                try printDownstream(found.start, found.outputs)
            } else {
                let node = try query.upstream(of: target, cwd: currentDirectory, revision: rev)
                if json {
                    try Terminal.printJSON(encoding: node)
                } else if dot {
                    print(LineageRendering.graph(node, style: .dot))
                } else if mermaid {
                    print(LineageRendering.graph(node, style: .mermaid))
                } else {
                    print(LineageRendering.text(node), terminator: "")
                }
            }
        }
    }

    private func printDownstream(_ start: [ObjectID], _ outputs: [DownstreamOutput]) throws {
        if json {
            try Terminal.printJSON(encoding: DownstreamReport(target: target, ids: start, outputs: outputs))
            return
        }
        guard !outputs.isEmpty else {
            print("Nothing recorded in mlv.lock was made from \(target) (\(start.first.map { $0.short } ?? "")).")
            return
        }
        var rows = [["OUTPUT", "ID", "STAGE", "FROM", "COMMIT"]]
        for output in outputs {
            let commit = output.commit.map { "\($0.short) \($0.summary)" } ?? "(work tree, not committed)"
            rows.append([output.path, output.id.short, output.stage, output.madeFrom, commit])
        }
        print("Made from \(target) (\(start.first.map { $0.short } ?? "")):")
        print(Terminal.table(rows))
    }
}

/// Text, JSON and graph forms of an upstream lineage.
enum LineageRendering {
    static func describe(_ node: LineageNode) -> String {
        var parts = [node.kind.rawValue]
        if let id = node.id { parts.append(id.short) }
        if let size = node.size { parts.append(Terminal.size(size)) }
        return "\(node.path)  (\(parts.joined(separator: ", ")))"
    }

    /// The graph as an indented tree; a version met again is one line pointing back at where
    /// it was shown (a DAG would otherwise print 2^depth lines).
    static func text(_ graph: LineageGraph) -> String {
        var out = ""
        var shown = Set<Int>()
        // An explicit stack: chains of thousands of stages do not recurse.
        var stack: [(index: Int, indent: String)] = [(graph.root, "")]
        while let (index, indent) = stack.popLast() {
            let node = graph.nodes[index]
            guard shown.insert(index).inserted else {
                out += indent + describe(node) + "  (shown above)\n"
                continue
            }
            out += indent + describe(node) + "\n"
            let inner = indent + "    "
            switch node.origin {
            case .stage(let stage):
                out += inner + "made by stage \(stage.name): \(stage.cmd)\n"
                let code = stage.run.commit.map { String($0.prefix(8)) } ?? "no commit"
                out += inner + "ran \(stage.run.started) for \(String(format: "%.2f", stage.run.duration)) s on code \(code)"
                    + (stage.run.dirty ? " with uncommitted changes to its deps" : " (clean)") + ", mlv \(stage.run.mlvVersion)\n"
                if let commit = node.recordedIn {
                    out += inner + "recorded in commit \(commit.short) \"\(commit.summary)\"\n"
                } else {
                    out += inner + "not committed yet\n"
                }
                if !stage.params.isEmpty {
                    out += inner + "params: " + stage.params.map { "\($0.key)=\($0.value.display)" }.joined(separator: ", ") + "\n"
                }
                if !node.inputs.isEmpty { out += inner + "from:\n" }
                for input in node.inputs.reversed() { stack.append((input, inner + "  ")) }
            case .added(let pointer):
                out += inner + "added with mlv add (\(pointer))\n"
            case .git:
                out += inner + "kept in Git\n"
            case .untracked:
                out += inner + "not tracked by mlv or Git (id as recorded when the stage ran)\n"
            }
        }
        return out
    }

    enum GraphStyle { case dot, mermaid }

    /// Files are boxes, stages are ellipses (DOT) or rounded nodes (Mermaid); edges run from
    /// inputs to stages to outputs.
    static func graph(_ graph: LineageGraph, style: GraphStyle) -> String {
        var lines: [String] = []
        var edges: [String] = []
        var seenEdges = Set<String>()
        var stageIDs: [String: String] = [:]
        let lineBreak = style == .dot ? "\\n" : "<br/>"
        func addNode(_ id: String, _ label: String, stage: Bool) {
            let escaped = label.replacingOccurrences(of: "\"", with: "'")
            switch style {
            case .dot: lines.append("  \(id) [label=\"\(escaped)\", shape=\(stage ? "ellipse" : "box")];")
            case .mermaid: lines.append(stage ? "  \(id)([\"\(escaped)\"])" : "  \(id)[\"\(escaped)\"]")
            }
        }
        func edge(_ from: String, _ to: String) {
            let line = style == .dot ? "  \(from) -> \(to);" : "  \(from) --> \(to)"
            if seenEdges.insert(line).inserted { edges.append(line) }
        }
        // Nodes in the order a walk from the root meets them: the root first.
        var order: [Int] = []
        var met = Set<Int>()
        var stack = [graph.root]
        while let index = stack.popLast() {
            guard met.insert(index).inserted else { continue }
            order.append(index)
            stack += graph.nodes[index].inputs.reversed()
        }
        for index in order {
            let node = graph.nodes[index]
            let id = "f\(index + 1)"
            addNode(id, node.path + (node.id.map { lineBreak + $0.short } ?? ""), stage: false)
            guard case .stage(let stage) = node.origin else { continue }
            let stageID: String
            if let known = stageIDs[stage.name] {
                stageID = known
            } else {
                stageID = "s\(stageIDs.count + 1)"
                stageIDs[stage.name] = stageID
                addNode(stageID, "stage " + stage.name, stage: true)
            }
            edge(stageID, id)
            for input in node.inputs { edge("f\(input + 1)", stageID) }
        }
        let body = lines + edges
        switch style {
        case .dot: return "digraph lineage {\n  rankdir=LR;\n" + body.joined(separator: "\n") + "\n}"
        case .mermaid: return "flowchart LR\n" + body.joined(separator: "\n")
        }
    }
}
