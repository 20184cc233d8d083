import Foundation
import MLVCore

/// Sparklines for the terminal and a self-contained HTML page of SVG charts.
enum HistoryChart {
    static let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One bar per commit; a gap (space) where the metric is missing.
    static func sparkline(_ values: [Double?]) -> String {
        let present = values.compactMap { $0 }.filter(\.isFinite)
        guard let low = present.min(), let high = present.max() else { return "" }
        return String(values.map { value -> Character in
            guard let value, value.isFinite else { return " " }
            if high == low { return bars[3] }
            return bars[min(bars.count - 1, max(0, Int(position(value, low, high) * Double(bars.count - 1) + 0.5)))]
        })
    }

    /// Where `value` sits between `low` and `high`, 0...1. Halved first: the span of two
    /// finite doubles (-1.7e308 to 1.7e308) overflows to infinity, and then to NaN.
    static func position(_ value: Double, _ low: Double, _ high: Double) -> Double {
        let span = high / 2 - low / 2
        guard span > 0 else { return 0.5 }
        let result = (value / 2 - low / 2) / span
        return result.isFinite ? min(1, max(0, result)) : 0.5
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// An SVG line chart: commits on the x axis (short id), the value on the y axis; each point
    /// shows the commit's id, subject and value on hover.
    static func svg(_ name: String, _ points: [HistoryPoint]) -> String {
        let width = 860.0, height = 300.0, left = 70.0, right = 20.0, top = 30.0, bottom = 70.0
        let values = points.compactMap(\.value).filter(\.isFinite)
        var low = values.min() ?? 0, high = values.max() ?? 1
        if low == high { low -= 1; high += 1 }
        let format = NumberFormat(precision: 5)
        func x(_ index: Int) -> Double { points.count < 2 ? left + (width - left - right) / 2 : left + Double(index) / Double(points.count - 1) * (width - left - right) }
        func y(_ value: Double) -> Double { top + (1 - position(value, low, high)) * (height - top - bottom) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(name))\">\n"
        svg += "<text x=\"\(left)\" y=\"18\" class=\"title\">\(escape(name))</text>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" class=\"axis\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" class=\"axis\"/>\n"
        for fraction in [0.0, 0.5, 1.0] {
            let value = low * (1 - fraction) + high * fraction
            svg += "<text x=\"\(left - 6)\" y=\"\(y(value) + 4)\" class=\"ylabel\">\(escape(format.string(value)))</text>\n"
        }
        var segment: [String] = []
        var lines: [[String]] = []
        for (index, point) in points.enumerated() {
            if let value = point.value, value.isFinite {
                segment.append(String(format: "%.1f,%.1f", x(index), y(value)))
            } else if !segment.isEmpty {
                lines.append(segment); segment = []
            }
        }
        if !segment.isEmpty { lines.append(segment) }
        for line in lines { svg += "<polyline points=\"\(line.joined(separator: " "))\" class=\"line\"/>\n" }
        let labelEvery = max(1, points.count / 12)
        for (index, point) in points.enumerated() {
            if index % labelEvery == 0 || index == points.count - 1 {
                svg += "<text x=\"\(x(index))\" y=\"\(height - bottom + 14)\" class=\"xlabel\" transform=\"rotate(45 \(x(index)) \(height - bottom + 14))\">\(point.commit.short)</text>\n"
            }
            guard let value = point.value, value.isFinite else { continue }
            let note = point.source == .note ? " (from a note)" : ""
            svg += "<circle cx=\"\(String(format: "%.1f", x(index)))\" cy=\"\(String(format: "%.1f", y(value)))\" r=\"4\"><title>\(escape(point.commit.short + " " + point.commit.summary + ": " + format.string(value) + note))</title></circle>\n"
        }
        return svg + "</svg>"
    }

    static func html(_ series: [(String, [HistoryPoint])]) -> String {
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>mlv metrics history</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; }
        .title { font-size: 15px; font-weight: bold; }
        .axis { stroke: #888; }
        .ylabel { font-size: 11px; text-anchor: end; fill: #555; }
        .xlabel { font-size: 10px; fill: #555; font-family: monospace; }
        .line { fill: none; stroke: #2a6fdb; stroke-width: 2; }
        circle { fill: #2a6fdb; } circle:hover { fill: #e0542e; }
        </style></head><body>
        <h1>Metrics history</h1>

        """
        for (name, points) in series { page += "<section>\n" + svg(name, points) + "\n</section>\n" }
        return page + "</body></html>\n"
    }
}
