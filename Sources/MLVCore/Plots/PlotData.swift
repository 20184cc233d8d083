import Foundation

/// One series of a chart: points, drawn as a line (or bars), with a legend label.
public struct PlotSeries: Sendable, Equatable {
    public let label: String
    public let x: [Double]
    public let y: [Double]
}

/// What a plot file holds, by kind.
public enum PlotContent: Sendable, Equatable {
    /// Counts: rows are true classes, columns predicted ones.
    case confusion(labels: [String], matrix: [[Int]])
    /// Lines on shared axes: ROC and PR curves, calibration, per-epoch series, bars.
    case lines(series: [PlotSeries], xLabel: String, yLabel: String, unitSquare: Bool, diagonal: Bool, bars: Bool)
}

/// A plot file at one revision.
public struct PlotFile: Sendable, Equatable {
    public let path: String
    public let content: PlotContent
}

/// The plot files of one revision, and the ones that could not be read (with why).
public struct RevisionPlots: Sendable {
    public let revision: String
    public let files: [PlotFile]
    public let problems: [String]
}

/// Reads the plot files the stages of each revision declare under `plots:` (files, or every
/// file of a folder): the evaluator's confusion matrices, ROC/PR curves and calibration bins,
/// and series of the stages' own (CSV/TSV with a header, or JSON: a list of objects, or an
/// object holding such lists), whose first column named step, epoch, iteration or x (else the
/// first column) is the x axis. Files are untrusted: sizes and point counts are bounded.
public func readPlots(_ revisions: [Revision], project: Project) throws -> [RevisionPlots] {
    try revisions.map { revision in
        var files: [PlotFile] = [], problems: [String] = []
        let declared = (try revision.pipeline(project: project)?.stages.flatMap { $0.plots.map(\.path) }) ?? []
        for path in try plotPaths(declared, revision: revision, project: project) {
            do {
                guard let bytes = try revision.read(path, project: project) else { continue }
                guard bytes.count <= PlotReader.maximumSize else { problems.append("\(path): larger than \(PlotReader.maximumSize) bytes"); continue }
                if let content = try PlotReader.content(bytes, path: path) { files.append(PlotFile(path: path, content: content)) }
            } catch let error as UserFacingError {
                problems.append(error.description)
            }
        }
        return RevisionPlots(revision: revision.label, files: files, problems: problems)
    }
}

/// Every file under the declared plot paths at a revision, sorted.
func plotPaths(_ declared: [String], revision: Revision, project: Project) throws -> [String] {
    var found = Set<String>()
    switch revision {
    case .workspace:
        for path in declared {
            guard let st = FileSystem.lstatFile(project.absolute(path)) else { continue }
            if st.kind == .directory {
                for file in try WorkspaceScanner.scan(project.absolute(path), displayPath: path, cacheRoot: project.store.root, foreignLinks: .refuse) {
                    found.insert(path + "/" + file.path)
                }
            } else if st.kind == .file {
                found.insert(path)
            }
        }
    case .commit(let id, _):
        let files = try project.git.listFiles(at: id) { file in declared.contains { file == $0 || file.hasPrefix($0 + "/") } }
        found.formUnion(files.map(\.path))
    }
    return found.sorted()
}

/// Turns a plot file's bytes into chart content.
enum PlotReader {
    static let maximumSize = 32 << 20
    static let maximumPoints = 2000

    static func content(_ bytes: [UInt8], path: String) throws -> PlotContent? {
        switch StructuredFile.format(of: path) {
        case .json?:
            let value: StructuredValue
            do { value = try JSONReader.parse(bytes) } catch let problem as JSONReader.Problem {
                throw StructuredFileError(file: path, revision: nil, line: problem.line, column: problem.column, reason: "is not valid JSON: it \(problem.reason)")
            }
            return try fromJSON(value, path: path)
        case .csv?, .tsv?:
            let separator = StructuredFile.format(of: path) == .csv ? UInt8(ascii: ",") : UInt8(ascii: "\t")
            let lines = bytes.split(separator: 10, omittingEmptySubsequences: true).map { Array($0.last == 13 ? $0.dropLast() : $0) }
            guard let header = lines.first else { return nil }
            let names = try PredictionsReader.fields(header, separator: separator, file: path, line: 1)
            var rows: [[String: StructuredValue]] = []
            for (index, line) in lines.dropFirst().enumerated() {
                let fields = try PredictionsReader.fields(line, separator: separator, file: path, line: index + 2)
                var row: [String: StructuredValue] = [:]
                for (name, field) in zip(names, fields) { row[name] = StructuredFile.scalar(field) }
                rows.append(row)
            }
            return series(rows, columns: names, path: path)
        default:
            return nil
        }
    }

    static func numbers(_ value: StructuredValue?) -> [Double] {
        guard case .list(let items)? = value else { return [] }
        return items.map { $0.number ?? .nan }
    }

    static func fromJSON(_ value: StructuredValue, path: String) throws -> PlotContent? {
        switch value {
        case .list(let items):
            return series(items.compactMap { if case .map(_, let values) = $0 { return values }; return nil }, columns: nil, path: path)
        case .map(let keys, let values):
            switch values["kind"]?.display {
            case "confusion"?:
                guard case .list(let labelItems)? = values["labels"], case .list(let rows)? = values["matrix"] else { return nil }
                let labels = labelItems.map(\.display)
                let matrix = rows.prefix(200).map { row -> [Int] in
                    guard case .list(let cells) = row else { return [] }
                    return cells.prefix(200).map { $0.number.map { Int(max(0, min($0, 1e15))) } ?? 0 }
                }
                guard labels.count <= 200, matrix.count == labels.count, matrix.allSatisfy({ $0.count == labels.count }) else { return nil }
                return .confusion(labels: labels, matrix: matrix)
            case "roc"?, "pr"?:
                let roc = values["kind"]?.display == "roc"
                guard case .list(let curves)? = values["curves"] else { return nil }
                let series = curves.prefix(100).compactMap { curve -> PlotSeries? in
                    guard case .map(_, let fields) = curve else { return nil }
                    let x = numbers(fields[roc ? "fpr" : "recall"]), y = numbers(fields[roc ? "tpr" : "precision"])
                    return thin(PlotSeries(label: fields["name"]?.display ?? "", x: x, y: y))
                }
                return .lines(series: series, xLabel: roc ? "false positive rate" : "recall", yLabel: roc ? "true positive rate" : "precision",
                              unitSquare: true, diagonal: roc, bars: false)
            case "calibration"?:
                guard case .list(let bins)? = values["bins"] else { return nil }
                var x: [Double] = [], y: [Double] = []
                for bin in bins.prefix(1000) {
                    guard case .map(_, let fields) = bin else { continue }
                    x.append(fields["mean_predicted"]?.number ?? .nan)
                    y.append(fields["fraction_positive"]?.number ?? .nan)
                }
                return .lines(series: [PlotSeries(label: "calibration", x: x, y: y)], xLabel: "mean predicted probability",
                              yLabel: "fraction of positives", unitSquare: true, diagonal: true, bars: false)
            case "scatter"?:
                return .lines(series: [thin(PlotSeries(label: "predicted", x: numbers(values["truth"]), y: numbers(values["predicted"])))],
                              xLabel: "true value", yLabel: "predicted value", unitSquare: false, diagonal: true, bars: false)
            case "bars"?:
                return .lines(series: [thin(PlotSeries(label: "count", x: numbers(values["x"]), y: numbers(values["y"])))],
                              xLabel: values["x_label"]?.display ?? "x", yLabel: values["y_label"]?.display ?? "y", unitSquare: false, diagonal: false, bars: true)
            default:
                // An object holding a list of rows (`{"train": [{"epoch": 1, "loss": 0.5}, ...]}`).
                for key in keys {
                    if case .list(let items) = values[key]!, let content = series(items.compactMap { if case .map(_, let v) = $0 { return v }; return nil }, columns: nil, path: path) {
                        return content
                    }
                }
                return nil
            }
        default:
            return nil
        }
    }

    /// Rows of named numbers as line series against the x column.
    static func series(_ rows: [[String: StructuredValue]], columns: [String]?, path: String) -> PlotContent? {
        guard !rows.isEmpty else { return nil }
        var names = columns ?? []
        if columns == nil { for row in rows { for key in row.keys.sorted() where !names.contains(key) { names.append(key) } } }
        let xName = names.first { ["step", "epoch", "iteration", "iter", "x"].contains($0.lowercased()) } ?? names.first!
        let xs = rows.enumerated().map { index, row in row[xName]?.number ?? Double(index) }
        let series = names.filter { $0 != xName }.prefix(50).compactMap { name -> PlotSeries? in
            let ys = rows.map { $0[name]?.number ?? .nan }
            guard ys.contains(where: { !$0.isNaN }) else { return nil }
            return thin(PlotSeries(label: name, x: xs, y: ys))
        }
        guard !series.isEmpty else { return nil }
        return .lines(series: series, xLabel: xName, yLabel: "value", unitSquare: false, diagonal: false, bars: false)
    }

    static func thin(_ series: PlotSeries) -> PlotSeries {
        let count = min(series.x.count, series.y.count)
        guard count > maximumPoints else { return PlotSeries(label: series.label, x: Array(series.x.prefix(count)), y: Array(series.y.prefix(count))) }
        let step = Double(count - 1) / Double(maximumPoints - 1)
        let picks = (0..<maximumPoints).map { min(count - 1, Int((Double($0) * step).rounded())) }
        return PlotSeries(label: series.label, x: picks.map { series.x[$0] }, y: picks.map { series.y[$0] })
    }
}
