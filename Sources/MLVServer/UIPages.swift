import Foundation
import MLVCore

/// How pages link to each other: to the live server's routes, or to files of an export.
public enum UILinks: Sendable {
    case server
    case export

    func runs(branch: String?) -> String {
        switch self {
        case .server: return "/" + (branch.map { "?branch=" + UIPages.query($0) } ?? "")
        case .export: return "index.html"
        }
    }

    func compare(_ revisions: [String]) -> String { compare(revisions, separator: "&") }

    /// The compare link ready for an HTML attribute (query parts are percent-encoded, so the
    /// separator is the only character to escape): history pages write thousands of them.
    func compareAttribute(_ revisions: [String]) -> String { compare(revisions, separator: "&amp;") }

    private func compare(_ revisions: [String], separator: String) -> String {
        switch self {
        case .server: return "/compare?" + revisions.map { "rev=" + UIPages.query($0) }.joined(separator: separator)
        case .export: return "compare-" + UIPages.fileKey(revisions.joined(separator: "-")) + ".html"
        }
    }

    func history(_ metric: String) -> String {
        switch self {
        case .server: return "/history?metric=" + UIPages.query(metric)
        case .export: return "history-" + UIPages.fileKey(metric) + ".html"
        }
    }

    func lineage(_ path: String) -> String {
        switch self {
        case .server: return "/lineage?path=" + UIPages.query(path)
        case .export: return "lineage-" + UIPages.fileKey(path) + ".html"
        }
    }

    func data(_ revision: String?) -> String {
        switch self {
        case .server: return "/data" + (revision.map { "?rev=" + UIPages.query($0) } ?? "")
        case .export: return "data.html"
        }
    }

    var script: String { self == .server ? "/app.js" : "app.js" }
}

/// The web app's pages, rendered on the server as HTML with inline SVG: every one readable
/// without script (the script only sorts, filters and hides columns), every string from the
/// repository escaped.
public struct UIPages {
    let project: Project
    let links: UILinks
    /// Set when the server takes experiment requests (`--allow-queue`): the form's token.
    let queueToken: String?

    public init(project: Project, links: UILinks, queueToken: String? = nil) {
        self.project = project
        self.links = links
        self.queueToken = queueToken
    }

    static func escape(_ text: String) -> String { PlotsPage.escape(text) }

    /// Percent-encodes everything but ASCII letters, digits and `-._~` (each UTF-8 byte).
    static func query(_ text: String) -> String {
        func unreserved(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
            default: return false
            }
        }
        if text.utf8.allSatisfy(unreserved) { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if unreserved(byte) { out.append(byte) } else { out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A file name part for an export: readable characters kept, the rest replaced, plus a
    /// short hash so different names never collide.
    static func fileKey(_ text: String) -> String {
        let readable = String(text.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "_" }.prefix(40))
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return readable + "-" + String(hash % 0xFFFFFF, radix: 16)
    }

    func layout(_ title: String, _ body: String) -> String {
        let navigation = [("Runs", links.runs(branch: nil)), ("Data", links.data(nil))]
            .map { "<a href=\"\($0.1)\">\($0.0)</a>" }.joined(separator: " · ")
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>\(Self.escape(title)) · mlv</title>
        <style>
        \(PlotsPage.style)
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border-bottom: 1px solid #e4e4e4; padding: 4px 8px; text-align: left; white-space: nowrap; }
        th { background: #f6f6f6; cursor: pointer; position: sticky; top: 0; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.best { font-weight: bold; background: #eef7ee; }
        tr.experiment td:first-child { padding-left: 24px; }
        .pass { color: #1a7f37; } .fail { color: #cf222e; }
        nav { margin-bottom: 12px; } code { background: #f3f3f3; padding: 1px 4px; }
        .controls { margin: 8px 0; display: flex; gap: 12px; flex-wrap: wrap; align-items: center; }
        .hidden { display: none; }
        </style>
        <script src="\(links.script)" defer></script>
        </head>
        <body>
        <nav>\(navigation)</nav>
        \(body)
        </body></html>

        """
    }

    func number(_ value: StructuredValue?) -> String {
        guard let value else { return "" }
        if let number = value.number { return PlotsPage.number(number) == "0" && number != 0 ? String(format: "%.3g", number) : String(format: "%.6g", number) }
        return Self.escape(value.display)
    }

    // MARK: Runs

    /// Commits of a branch (first-parent, newest first) with their experiments under them.
    /// The branch the runs page shows and its table (nil when the branch has no commits).
    public func runsTable(branch requested: String?, limit: Int = 100) throws -> (branch: String, table: ExperimentTable?) {
        let branch = requested ?? project.git.currentBranch() ?? "HEAD"
        project.loadHistoryIndex()
        let commits = try project.firstParentHistory(from: branch, limit: limit)
        var options = ExperimentShowOptions()
        options.revisions = commits.map(\.hex)
        options.gateBaselinesAgainstParent = true
        return (branch, commits.isEmpty ? nil : try experimentTable(options, project: project))
    }

    public func runs(branch requested: String?, limit: Int = 100) throws -> String {
        let branches = try project.branchNames()
        let (branch, table) = try runsTable(branch: requested, limit: limit)
        var body = "<h1>Runs of <code>\(Self.escape(branch))</code></h1>\n"
        if links == .server {
            body += "<form method=\"get\" action=\"/\" class=\"controls\"><label>Branch <select name=\"branch\">"
            body += branches.map { "<option\($0 == branch ? " selected" : "")>\(Self.escape($0))</option>" }.joined()
            body += "</select></label><button>Show</button></form>\n"
        }
        guard let table else { return layout("Runs", body + "<p>No commits yet.</p>") }
        body += "<div class=\"controls\" id=\"controls\"><label>Filter <input id=\"filter\" placeholder=\"text, or accuracy > 0.9\"></label> <span id=\"columns\"></span></div>\n"
        body += "<p>Metrics: " + table.metricColumns.map { "<a href=\"\(links.history($0))\">\(Self.escape($0))</a>" }.joined(separator: ", ") + "</p>\n"
        if links == .server { body += "<form method=\"get\" action=\"/compare\">\n" }
        body += "<table id=\"runs\"><thead><tr><th data-type=\"text\">Select</th><th data-type=\"text\">Run</th><th data-type=\"text\">Commit</th><th data-type=\"text\">Date</th><th data-type=\"text\">State</th>"
        for column in table.paramColumns { body += "<th data-type=\"num\" data-column=\"\(Self.escape(column))\">\(Self.escape(column))</th>" }
        for column in table.metricColumns { body += "<th data-type=\"num\" data-column=\"\(Self.escape(column))\" data-direction=\"\(table.directions[column]?.rawValue ?? "")\">\(Self.escape(column))</th>" }
        body += "<th data-type=\"text\">Gate</th></tr></thead>\n<tbody>\n"
        let dates = DateFormatter()
        dates.locale = Locale(identifier: "en_US_POSIX")
        dates.dateFormat = "yyyy-MM-dd HH:mm"
        for (index, row) in table.rows.enumerated() {
            let revision = row.commit ?? ""
            var name = row.name
            if row.isBaseline, let id = row.commit, let summary = try? project.commitSummary(hex: id) {
                name = summary.summary
            }
            let compareTarget: [String] = row.isBaseline ? [] : [row.baseline, revision]
            body += "<tr class=\"\(row.isBaseline ? "commit" : "experiment")\" data-baseline=\"\(Self.escape(row.baseline))\">"
            body += "<td>" + (row.commit == nil ? "" : "<input type=\"checkbox\" name=\"rev\" value=\"\(Self.escape(revision))\" aria-label=\"select\">") + "</td>"
            body += "<td>\(Self.escape(name))" + (compareTarget.isEmpty ? "" : " <a href=\"\(links.compare(compareTarget))\">vs baseline</a>") + "</td>"
            body += "<td><code>\(Self.escape(String(revision.prefix(8))))</code></td><td>\(row.created.map(dates.string) ?? "")</td><td>\(Self.escape(row.state))</td>"
            for column in table.paramColumns { body += "<td class=\"num\">\(number(row.params[column]))</td>" }
            for column in table.metricColumns {
                let best = table.best[column]?.contains(index) == true
                body += "<td class=\"num\(best ? " best" : "")\">\(number(row.metrics[column]))</td>"
            }
            body += "<td class=\"\(row.gate ?? "")\">\(row.gate ?? "")</td></tr>\n"
        }
        body += "</tbody></table>\n"
        if links == .server { body += "<p><button type=\"submit\">Compare selected</button></p></form>\n" }
        if let token = queueToken {
            body += """
            <h2>Queue an experiment</h2>
            <form method="post" action="/queue">
            <input type="hidden" name="token" value="\(Self.escape(token))">
            <label>Overrides (one <code>KEY=VALUE</code> per line) <textarea name="overrides" rows="3" cols="40"></textarea></label>
            <label>Name <input name="name"></label> <button type="submit">Queue</button>
            </form>
            <p>Run queued experiments with <code>mlv exp queue start</code>.</p>

            """
        }
        return layout("Runs", body)
    }

    // MARK: Compare

    /// Params and metrics of each revision against the first, and their plots overlaid.
    public func compare(_ revisions: [String]) throws -> String {
        guard revisions.count >= 2 else {
            return layout("Compare", "<h1>Compare</h1><p>Select two or more runs on the <a href=\"\(links.runs(branch: nil))\">runs</a> page.</p>")
        }
        let resolved = try revisions.prefix(8).map { try Revision.resolve($0, project: project) }
        let title = resolved.map { short($0.label) }.joined(separator: " vs ")
        var body = "<h1>Compare \(Self.escape(title))</h1>\n"
        for other in resolved.dropFirst() {
            let base = resolved[0]
            body += "<h2>Params: \(Self.escape(short(base.label))) → \(Self.escape(short(other.label)))</h2>\n"
            body += changesTable(try paramsDiff(base, other, project: project), what: "param")
            body += "<h2>Metrics: \(Self.escape(short(base.label))) → \(Self.escape(short(other.label)))</h2>\n"
            body += changesTable(try metricsDiff(base, other, project: project), what: "metric")
        }
        let plots = try readPlots(resolved.map { $0.commit.map { Revision.commit($0, label: "") } == nil ? $0 : Revision.commit($0.commit!, label: short($0.label)) }, project: project)
        body += "<h2>Plots</h2>\n" + PlotsPage.sections(plots)
        return layout("Compare", body)
    }

    func short(_ label: String) -> String { label.count == 40 && label.allSatisfy(\.isHexDigit) ? String(label.prefix(8)) : label }

    func changesTable(_ changes: [ValueChange], what: String) -> String {
        let changed = changes.filter { $0.verdict != .unchanged }
        guard !changed.isEmpty else { return "<p>No \(what) changed.</p>\n" }
        var html = "<table class=\"changes\"><thead><tr><th>Path</th><th>\(what == "metric" ? "Metric" : "Param")</th><th>Old</th><th>New</th><th>Change</th><th></th></tr></thead><tbody>\n"
        for change in changed {
            html += "<tr><td>\(Self.escape(change.file))</td><td>\(Self.escape(change.key))</td><td class=\"num\">\(number(change.old))</td><td class=\"num\">\(number(change.new))</td>"
            html += "<td class=\"num\">\(change.change.map { ($0 > 0 ? "+" : "") + String(format: "%.6g", $0) } ?? "")</td>"
            let verdict = change.verdict.rawValue
            html += "<td class=\"\(verdict == "improved" ? "pass" : verdict == "regressed" ? "fail" : "")\">\(verdict)</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    // MARK: History

    /// A metric along first-parent history: each point links to its commit's comparison with
    /// its parent, and its title gives id, subject, date and value.
    public func history(metric: String, branch: String?, limit: Int = 1000) throws -> String {
        let points = try metricHistory(metric, range: branch, limit: limit, project: project)
        var body = "<h1>History of <code>\(Self.escape(metric))</code></h1>\n"
        let valued = points.enumerated().filter { $0.element.value != nil }
        guard !valued.isEmpty else { return layout("History", body + "<p>No commit has this metric.</p>") }
        let width = 760.0, height = 320.0, left = 60.0, right = 20.0, top = 20.0, bottom = 40.0
        let values = valued.map { $0.element.value! }
        var low = values.min()!, high = values.max()!
        if low == high { low -= 1; high += 1 }
        func px(_ index: Int) -> String { Self.coordinate(left + Double(index) / Double(max(points.count - 1, 1)) * (width - left - right)) }
        func py(_ value: Double) -> String { Self.coordinate(top + (height - top - bottom) * (1 - (value - low) / (high - low))) }
        var svg = "<svg class=\"chart history\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        svg.reserveCapacity(valued.count * 300)
        svg += "<g class=\"axis x\"><line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\"/><text class=\"label\" x=\"\(width / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">commits, oldest first</text></g>"
        svg += "<g class=\"axis y\"><line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\"/>"
        for tick in PlotsPage.ticks(low, high) {
            svg += "<line class=\"grid\" x1=\"\(left)\" y1=\"\(py(tick))\" x2=\"\(width - right)\" y2=\"\(py(tick))\"/><text x=\"\(left - 6)\" y=\"\(py(tick))\" dy=\"4\" text-anchor=\"end\">\(PlotsPage.number(tick))</text>"
        }
        svg += "<text class=\"label\" transform=\"translate(14 \((height - bottom) / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(metric))</text></g>"
        svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\""
        for (index, point) in valued { svg += px(index); svg += ","; svg += py(point.value!); svg += " " }
        svg += "\"/>"
        for (index, point) in valued {
            let previous = index > 0 ? points[index - 1].commit.id : nil
            let target = previous.map { links.compareAttribute([$0, point.commit.id]) } ?? Self.escape(links.data(point.commit.id))
            svg += "<a class=\"point\" href=\""
            svg += target
            svg += "\"><circle cx=\""
            svg += px(index)
            svg += "\" cy=\""
            svg += py(point.value!)
            svg += "\" r=\"4\" fill=\"#1f77b4\"><title>"
            svg += point.commit.short
            svg += " "
            svg += Self.escape(point.commit.summary)
            svg += " ("
            svg += UTCTimestamp.string(point.commit.time)
            svg += "): "
            svg += "\(point.value!)"
            svg += "</title></circle></a>"
        }
        body += svg + "</svg>\n"
        return layout("History", body)
    }

    /// A chart coordinate to a tenth of a pixel: finer is invisible and makes pages longer.
    static func coordinate(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let whole = tenths / 10, fraction = abs(tenths % 10)
        return (tenths < 0 && whole == 0 ? "-" : "") + String(whole) + (fraction == 0 ? "" : "." + String(fraction))
    }

    // MARK: Lineage

    /// The graph upstream of an output, drawn as layers (the output on the right, what it was
    /// made from to its left), stage commands on hover; and what was made from it.
    public func lineage(path: String, revision: String?) throws -> String {
        var query = LineageQuery(project: project)
        let graph = try query.upstream(of: path, cwd: project.root, revision: revision)
        // Depth of each node from the root.
        var depth = [Int](repeating: -1, count: graph.nodes.count)
        depth[graph.root] = 0
        var queue = [graph.root]
        while let node = queue.first {
            queue.removeFirst()
            for input in graph.nodes[node].inputs where depth[input] < depth[node] + 1 {
                depth[input] = depth[node] + 1
                queue.append(input)
            }
        }
        let layers = (depth.max() ?? 0) + 1
        var rowInLayer = [Int](repeating: 0, count: graph.nodes.count), counts = [Int](repeating: 0, count: layers)
        for index in graph.nodes.indices where depth[index] >= 0 { rowInLayer[index] = counts[depth[index]]; counts[depth[index]] += 1 }
        let boxWidth = 200.0, boxHeight = 44.0, gapX = 70.0, gapY = 18.0
        let width = Double(layers) * (boxWidth + gapX) + 20, height = Double(max(counts.max() ?? 1, 1)) * (boxHeight + gapY) + 20
        func x(_ node: Int) -> Double { 10 + Double(layers - 1 - depth[node]) * (boxWidth + gapX) }
        func y(_ node: Int) -> Double { 10 + Double(rowInLayer[node]) * (boxHeight + gapY) }
        var svg = "<svg class=\"lineage\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        for (index, node) in graph.nodes.enumerated() where depth[index] >= 0 {
            for input in node.inputs where depth[input] >= 0 {
                svg += "<line class=\"edge\" x1=\"\(x(input) + boxWidth)\" y1=\"\(y(input) + boxHeight / 2)\" x2=\"\(x(index))\" y2=\"\(y(index) + boxHeight / 2)\" stroke=\"#999\"/>"
            }
        }
        for (index, node) in graph.nodes.enumerated() where depth[index] >= 0 {
            let kind: String, hover: String
            switch node.origin {
            case .stage(let stage): kind = "stage " + stage.name; hover = "$ " + stage.cmd
            case .added: kind = "mlv add"; hover = "added with mlv add"
            case .git: kind = "git"; hover = "kept in Git"
            case .untracked: kind = "untracked"; hover = "not tracked"
            }
            let id = node.id.map { " " + $0.short } ?? ""
            svg += "<g class=\"node\"><rect x=\"\(x(index))\" y=\"\(y(index))\" width=\"\(boxWidth)\" height=\"\(boxHeight)\" rx=\"6\" fill=\"\(index == graph.root ? "#dbeafe" : "#f6f6f6")\" stroke=\"#888\"/>"
            svg += "<text x=\"\(x(index) + 8)\" y=\"\(y(index) + 18)\">\(Self.escape(String(node.path.suffix(30))))</text>"
            svg += "<text x=\"\(x(index) + 8)\" y=\"\(y(index) + 34)\" style=\"fill:#666\">\(Self.escape(kind + id))</text>"
            svg += "<title>\(Self.escape(node.path)): \(Self.escape(hover))</title></g>"
        }
        svg += "</svg>"
        var body = "<h1>Lineage of <code>\(Self.escape(path))</code>\(revision.map { " at " + Self.escape($0) } ?? "")</h1>\n\(svg)\n"
        let downstream = try query.downstream(of: path, cwd: project.root, revision: revision, allCommits: false)
        body += "<h2>Made from it</h2>\n"
        if downstream.outputs.isEmpty {
            body += "<p>Nothing recorded.</p>\n"
        } else {
            body += "<ul class=\"downstream\">" + downstream.outputs.map {
                "<li><a href=\"\(links.lineage($0.path))\">\(Self.escape($0.path))</a> by stage <code>\(Self.escape($0.stage))</code>\($0.commit.map { " in " + $0.short } ?? "")</li>"
            }.joined() + "</ul>\n"
        }
        return layout("Lineage", body)
    }

    // MARK: Data

    public static let pageSize = 500

    /// Tracked paths at a revision (size, files); or, with `from`, the data diff between two
    /// revisions, a page of files at a time.
    public func data(revision: String?, from: String?, page: Int) throws -> String {
        var body = ""
        if let from {
            let to = revision
            let diffs = try diff(from: .revision(from), to: to.map(DiffSide.revision) ?? .workspace, project: project)
            body += "<h1>Data: \(Self.escape(from)) → \(Self.escape(to ?? "workspace"))</h1>\n"
            var rows: [(String, String, String, String)] = []
            for path in diffs {
                rows.append((path.dataPath, path.change.rawValue, size(path.oldSize), size(path.newSize)))
                for file in path.added { rows.append((path.dataPath + "/" + file.path, "added", "", size(file.newSize))) }
                for file in path.modified { rows.append((path.dataPath + "/" + file.path, "modified", size(file.oldSize), size(file.newSize))) }
                for file in path.deleted { rows.append((path.dataPath + "/" + file.path, "deleted", size(file.oldSize), "")) }
            }
            let pages = max(1, (rows.count + Self.pageSize - 1) / Self.pageSize)
            let current = min(max(page, 1), pages)
            body += "<p>\(rows.count) change(s); page \(current) of \(pages).</p>\n<table id=\"datadiff\"><thead><tr><th>Path</th><th>Change</th><th>Old size</th><th>New size</th></tr></thead><tbody>\n"
            for row in rows.dropFirst((current - 1) * Self.pageSize).prefix(Self.pageSize) {
                body += "<tr><td>\(Self.escape(row.0))</td><td>\(row.1)</td><td class=\"num\">\(row.2)</td><td class=\"num\">\(row.3)</td></tr>\n"
            }
            body += "</tbody></table>\n"
            if links == .server && pages > 1 {
                var base = "/data?from=" + Self.query(from) + (to.map { "&rev=" + Self.query($0) } ?? "")
                base += "&page="
                body += "<p>" + (current > 1 ? "<a href=\"\(base)\(current - 1)\">previous</a> " : "") + (current < pages ? "<a href=\"\(base)\(current + 1)\">next</a>" : "") + "</p>\n"
            }
            return layout("Data diff", body)
        }
        let tracked = try project.trackedPaths(at: revision)
        body += "<h1>Data at \(Self.escape(revision ?? "the work tree"))</h1>\n<table id=\"data\"><thead><tr><th>Path</th><th>Kind</th><th>Size</th><th>Files</th><th>Id</th><th></th></tr></thead><tbody>\n"
        for item in tracked {
            body += "<tr><td>\(Self.escape(item.dataPath))</td><td>\(item.pointer.kind.rawValue)</td><td class=\"num\">\(size(item.pointer.size))</td>"
            body += "<td class=\"num\">\(item.pointer.fileCount ?? 1)</td><td><code>\(item.pointer.id.short)</code></td><td><a href=\"\(links.lineage(item.dataPath))\">lineage</a></td></tr>\n"
        }
        body += "</tbody></table>\n"
        if links == .server {
            body += "<form method=\"get\" action=\"/data\" class=\"controls\"><label>Diff from <input name=\"from\" value=\"HEAD~1\"></label><label>to <input name=\"rev\" value=\"HEAD\"></label><button>Show</button></form>\n"
        }
        return layout("Data", body)
    }

    func size(_ bytes: Int64?) -> String { bytes.map { DiskSpace.describe($0) } ?? "" }
}
