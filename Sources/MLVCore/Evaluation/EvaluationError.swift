/// Problems with a predictions file or an evaluation request; each names the file, and where it
/// applies the row and the column.
public enum EvaluationError: UserFacingError, Equatable {
    case unknownFormat(String)
    case empty(String)
    case missingColumn(file: String, column: String, available: [String])
    case missingField(file: String, row: Int, column: String)
    case rowLength(file: String, row: Int, found: Int, expected: Int)
    case badRow(file: String, row: Int, reason: String)
    case lineTooLong(file: String, row: Int, limit: Int)
    case notNumber(file: String, row: Int, column: String, value: String)
    case tooManyClasses(file: String, row: Int, column: String, value: String, classes: [String])
    case scoreColumns(expected: Int, found: Int, classes: [String])
    case noRows(String)
    case badSpec(String)
    case unknownTask(String)

    public var description: String {
        switch self {
        case .unknownFormat(let file):
            return "\(file): predictions must be CSV (.csv), TSV (.tsv) or JSON Lines (.jsonl, .ndjson)."
        case .empty(let file):
            return "\(file) is empty; it needs a header (CSV/TSV) or a JSON object per line."
        case .missingColumn(let file, let column, let available):
            return "\(file) has no column `\(DisplayText.escaped(column))`; its columns are: \(available.map { DisplayText.escaped($0.prefix(100)) }.joined(separator: ", "))."
        case .missingField(let file, let row, let column):
            return "\(file):\(row): the object has no `\(DisplayText.escaped(column))`."
        case .rowLength(let file, let row, let found, let expected):
            return "\(file):\(row): the row has \(found) field(s); the header has \(expected)."
        case .badRow(let file, let row, let reason):
            return "\(file):\(row): the row \(reason)."
        case .lineTooLong(let file, let row, let limit):
            return "\(file):\(row): the line is longer than \(limit) bytes; that is not a row of predictions."
        case .notNumber(let file, let row, let column, let value):
            return "\(file):\(row): column `\(DisplayText.escaped(column))` holds `\(DisplayText.escaped(value.prefix(60)))`, which is not a number."
        case .tooManyClasses(let file, let row, let column, let value, let classes):
            return "\(file):\(row): column `\(DisplayText.escaped(column))` holds `\(DisplayText.escaped(value.prefix(60)))`, a third class for a binary task (already seen: \(classes.map { DisplayText.escaped($0.prefix(40)) }.joined(separator: ", "))); use --task multiclass."
        case .scoreColumns(let expected, let found, let classes):
            return "a multiclass evaluation needs one --score column per class, in class order (\(classes.map { DisplayText.escaped($0.prefix(40)) }.joined(separator: ", "))): \(expected) expected, \(found) given."
        case .noRows(let file):
            return "\(file) has no rows with both a label and a prediction; nothing to evaluate."
        case .badSpec(let reason):
            return reason
        case .unknownTask(let task):
            return "unknown task `\(DisplayText.escaped(task))`; use binary, multiclass, regression or text."
        }
    }
}
