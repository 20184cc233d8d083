import Foundation

/// A self-contained HTML page of plots with inline SVG: no script, nothing from the network
/// (a Content-Security-Policy forbids it), every text from a repository escaped. Charts have
/// axes with ticks and labels, a legend, and hover titles with exact values.
public enum PlotsPage {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    public static func html(title: String, _ revisions: [RevisionPlots]) -> String {
        var body = "<h1>\(escape(title))</h1>\n"
        body += "<p class=\"revisions\">" + revisions.map { "<span>\(escape($0.revision))</span>" }.joined(separator: " · ") + "</p>\n"
        body += sections(revisions)
        return page(title: title, body: body)
    }

    /// The plot sections of several revisions (a confusion heatmap per revision, other kinds
    /// overlaid), for a page of mlv's.
    public static func sections(_ revisions: [RevisionPlots]) -> String {
        var body = ""
        var paths: [String] = []
        for revision in revisions { for file in revision.files where !paths.contains(file.path) { paths.append(file.path) } }
        if paths.isEmpty { body += "<p>No plot files: declare them under a stage's <code>plots:</code> in mlv.yaml.</p>\n" }
        for path in paths {
            body += "<section class=\"plot\" data-path=\"\(escape(path))\">\n<h2>\(escape(path))</h2>\n"
            let present = revisions.compactMap { revision in revision.files.first { $0.path == path }.map { (revision.revision, $0.content) } }
            if case .confusion? = present.first?.1 {
                body += "<div class=\"side-by-side\">\n"
                for (revision, content) in present {
                    if case .confusion(let labels, let matrix) = content { body += heatmap(revision: revision, labels: labels, matrix: matrix) }
                }
                body += "</div>\n"
            } else {
                var series: [PlotSeries] = []
                var axes = ("x", "y"), unitSquare = true, diagonal = false, bars = false
                for (revision, content) in present {
                    guard case .lines(let lines, let xLabel, let yLabel, let square, let diag, let isBars) = content else { continue }
                    axes = (xLabel, yLabel)
                    unitSquare = unitSquare && square
                    diagonal = diagonal || diag
                    bars = bars || isBars
                    for line in lines {
                        let label = lines.count == 1 && present.count > 1 ? revision : (present.count > 1 ? "\(revision): \(line.label)" : line.label)
                        series.append(PlotSeries(label: label, x: line.x, y: line.y))
                    }
                }
                body += chart(series, xLabel: axes.0, yLabel: axes.1, unitSquare: unitSquare, diagonal: diagonal, bars: bars)
            }
            body += "</section>\n"
        }
        let problems = revisions.flatMap { revision in revision.problems.map { "\(revision.revision): \($0)" } }
        if !problems.isEmpty {
            body += "<section class=\"problems\"><h2>Not shown</h2><ul>" + problems.map { "<li>\(escape($0))</li>" }.joined() + "</ul></section>\n"
        }
        return body
    }

    /// The stylesheet the plots use.
    public static let style = """
        body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
        h1 { font-size: 20px; } h2 { font-size: 15px; font-family: monospace; }
        .side-by-side { display: flex; flex-wrap: wrap; gap: 24px; }
        svg { background: #fff; border: 1px solid #ddd; }
        svg text { font: 11px system-ui, sans-serif; fill: #333; }
        .axis line, .axis path { stroke: #444; } .axis line.grid { stroke: #e8e8e8; }
        .revisions span { font-family: monospace; background: #f3f3f3; padding: 1px 4px; }
        """

    static func page(title: String, body: String) -> String {
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <title>\(escape(title))</title>
        <style>
        \(style)
        </style></head>
        <body>
        \(body)</body></html>

        """
    }

    /// Text safe in HTML content and quoted attributes: control and direction characters shown
    /// as escapes (`DisplayText`), then the five markup characters as entities.
    public static func escape(_ text: String) -> String {
        let shown = DisplayText.escaped(text)
        func entity(_ byte: UInt8) -> String? {
            switch byte {
            case UInt8(ascii: "&"): return "&amp;"
            case UInt8(ascii: "<"): return "&lt;"
            case UInt8(ascii: ">"): return "&gt;"
            case UInt8(ascii: "\""): return "&quot;"
            case UInt8(ascii: "'"): return "&#39;"
            default: return nil
            }
        }
        // The common case has no markup characters: return it without rebuilding.
        guard shown.utf8.contains(where: { entity($0) != nil }) else { return shown }
        // The five are ASCII, so replacing bytes keeps every other UTF-8 sequence whole.
        var out: [UInt8] = []
        out.reserveCapacity(shown.utf8.count + 16)
        for byte in shown.utf8 {
            if let replacement = entity(byte) { out += replacement.utf8 } else { out.append(byte) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Up to 4 significant digits, no trailing zeros.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf") }
        if value != 0 && (abs(value) >= 1e6 || abs(value) < 1e-3) { return String(format: "%.3g", value) }
        var text = String(format: "%.4f", value)
        while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// Evenly spaced round tick values covering `low...high`.
    public static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard high > low else { return [low] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var value = ceil(low / step) * step
        while value <= high + step * 1e-9 && ticks.count < 50 { ticks.append(abs(value) < step * 1e-9 ? 0 : value); value += step }
        return ticks
    }

    public static func chart(_ series: [PlotSeries], xLabel: String, yLabel: String, unitSquare: Bool, diagonal: Bool, bars: Bool) -> String {
        let width = 560.0, height = 360.0, left = 60.0, right = 170.0, top = 20.0, bottom = 50.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let xs = series.flatMap(\.x).filter(\.isFinite), ys = series.flatMap(\.y).filter(\.isFinite)
        var xRange = unitSquare ? (0.0, 1.0) : (xs.min() ?? 0, xs.max() ?? 1)
        var yRange = unitSquare ? (0.0, 1.0) : (min(bars ? 0 : .infinity, ys.min() ?? 0), ys.max() ?? 1)
        if xRange.0 == xRange.1 { xRange = (xRange.0 - 1, xRange.1 + 1) }
        if yRange.0 == yRange.1 { yRange = (yRange.0 - 1, yRange.1 + 1) }
        func px(_ x: Double) -> Double { left + (x - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - (y - yRange.0) / (yRange.1 - yRange.0) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">\n"
        svg += "<g class=\"axis x\"><line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(top + plotHeight))\"/>"
        for tick in ticks(xRange.0, xRange.1) {
            svg += "<line class=\"tick\" x1=\"\(f(px(tick)))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(px(tick)))\" y2=\"\(f(top + plotHeight + 5))\"/>"
            svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(number(tick))</text>"
        }
        svg += "<text class=\"label\" x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(escape(xLabel))</text></g>\n"
        svg += "<g class=\"axis y\"><line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotHeight))\"/>"
        for tick in ticks(yRange.0, yRange.1) {
            svg += "<line class=\"grid\" x1=\"\(f(left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(tick)))\"/>"
            svg += "<line class=\"tick\" x1=\"\(f(left - 5))\" y1=\"\(f(py(tick)))\" x2=\"\(f(left))\" y2=\"\(f(py(tick)))\"/>"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(number(tick))</text>"
        }
        svg += "<text class=\"label\" transform=\"translate(14 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text></g>\n"
        if diagonal {
            let low = max(xRange.0, yRange.0), high = min(xRange.1, yRange.1)
            if high > low { svg += "<line class=\"diagonal\" x1=\"\(f(px(low)))\" y1=\"\(f(py(low)))\" x2=\"\(f(px(high)))\" y2=\"\(f(py(high)))\" stroke=\"#bbb\" stroke-dasharray=\"4 4\"/>\n" }
        }
        for (index, line) in series.enumerated() {
            let color = palette[index % palette.count]
            let points = zip(line.x, line.y).filter { $0.0.isFinite && $0.1.isFinite }
            svg += "<g class=\"curve\" data-label=\"\(escape(line.label))\" stroke=\"\(color)\" fill=\"\(color)\">"
            if bars {
                let barWidth = max(1, plotWidth / Double(max(points.count, 1)) / Double(max(series.count, 1)) * 0.8)
                for (x, y) in points {
                    let offset = Double(index) * barWidth
                    svg += "<rect x=\"\(f(px(x) - barWidth * Double(series.count) / 2 + offset))\" y=\"\(f(min(py(y), py(0))))\" width=\"\(f(barWidth))\" height=\"\(f(abs(py(0) - py(y))))\" opacity=\"0.7\"><title>\(escape(line.label)): \(escape(xLabel)) \(number(x)), \(escape(yLabel)) \(number(y))</title></rect>"
                }
            } else {
                svg += "<polyline fill=\"none\" stroke-width=\"2\" points=\"" + points.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ") + "\"/>"
                // Hover markers with exact values (thinned on long curves).
                let every = max(1, points.count / 60)
                for (position, point) in points.enumerated() where position % every == 0 || position == points.count - 1 {
                    svg += "<circle cx=\"\(f(px(point.0)))\" cy=\"\(f(py(point.1)))\" r=\"2\"><title>\(escape(line.label)): \(escape(xLabel)) \(point.0), \(escape(yLabel)) \(point.1)</title></circle>"
                }
            }
            svg += "</g>\n"
        }
        svg += "<g class=\"legend\">"
        for (index, line) in series.enumerated() {
            let y = top + 10 + Double(index) * 18
            svg += "<g class=\"legend-entry\"><rect x=\"\(f(left + plotWidth + 14))\" y=\"\(f(y - 8))\" width=\"12\" height=\"10\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(f(left + plotWidth + 32))\" y=\"\(f(y + 1))\">\(escape(String(line.label.prefix(24))))</text></g>"
        }
        return svg + "</g>\n</svg>\n"
    }

    static func heatmap(revision: String, labels: [String], matrix: [[Int]]) -> String {
        let cell = max(18.0, min(60.0, 360.0 / Double(max(labels.count, 1))))
        let left = 90.0, top = 40.0
        let size = cell * Double(labels.count)
        let width = left + size + 20, height = top + size + 60
        let maximum = max(1, matrix.flatMap { $0 }.max() ?? 1)
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = "<figure><figcaption>\(escape(revision))</figcaption>"
        svg += "<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">\n"
        for (i, row) in matrix.enumerated() {
            for (j, count) in row.enumerated() {
                let share = Double(count) / Double(maximum)
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                svg += "<g class=\"cell\"><rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"rgba(31,119,180,\(String(format: "%.3f", 0.08 + 0.92 * share)))\" stroke=\"#fff\"/>"
                svg += "<title>true \(escape(labels[i])), predicted \(escape(labels[j])): \(count)</title>"
                if cell >= 24 { svg += "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + 4))\" text-anchor=\"middle\"\(share > 0.6 ? " style=\"fill:#fff\"" : "")>\(count)</text>" }
                svg += "</g>"
            }
        }
        svg += "<g class=\"axis x\">"
        for (j, label) in labels.enumerated() {
            svg += "<text x=\"\(f(left + (Double(j) + 0.5) * cell))\" y=\"\(f(top - 8))\" text-anchor=\"middle\">\(escape(String(label.prefix(12))))</text>"
        }
        svg += "<text class=\"label\" x=\"\(f(left + size / 2))\" y=\"\(f(top + size + 24))\" text-anchor=\"middle\">predicted</text></g>"
        svg += "<g class=\"axis y\">"
        for (i, label) in labels.enumerated() {
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(top + (Double(i) + 0.5) * cell + 4))\" text-anchor=\"end\">\(escape(String(label.prefix(12))))</text>"
        }
        svg += "<text class=\"label\" transform=\"translate(14 \(f(top + size / 2))) rotate(-90)\" text-anchor=\"middle\">true</text></g>"
        return svg + "\n</svg></figure>\n"
    }
}
