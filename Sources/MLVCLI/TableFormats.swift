import Foundation
import MLVCore

/// Tables as aligned text, Markdown or CSV.
enum TableFormat {
    case text, markdown, csv

    static func pick(markdown: Bool, csv: Bool = false) -> TableFormat { markdown ? .markdown : csv ? .csv : .text }

    func render(_ header: [String], _ rows: [[String]]) -> String {
        switch self {
        case .text:
            return Terminal.table([header] + rows)
        case .markdown:
            let escape = { (cell: String) in cell.replacingOccurrences(of: "|", with: "\\|") }
            var lines = ["| " + header.map(escape).joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
            lines += rows.map { "| " + $0.map(escape).joined(separator: " | ") + " |" }
            return lines.joined(separator: "\n")
        case .csv:
            let quote = { (cell: String) in
                cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
            }
            return ([header] + rows).map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n")
        }
    }
}

/// Numbers rounded to `precision` decimal places, without trailing zeros.
struct NumberFormat {
    var precision = 5

    func string(_ value: Double) -> String {
        if !value.isFinite { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var text = String(format: "%.\(min(max(precision, 0), 15))f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    func string(_ value: StructuredValue?) -> String {
        guard let value else { return "-" }
        if let number = value.number { return string(number) }
        return value.display
    }

    func signed(_ value: Double) -> String { (value > 0 ? "+" : "") + string(value) }
}

