import Foundation

/// A CSV roster (RFC 4180: comma-separated, double-quoted fields with `""` escapes, CRLF or LF line ends) with a
/// header row naming the columns. It is read as a stream of bytes and kept as one flat array of cells (row-major):
/// the 55,166-household roster holds 660,000 cells, and a dictionary per row would cost more than the cells.
struct CSVTable {
    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var column: Int
        var message: String
        var description: String { message }
    }

    private(set) var header: [String] = []
    /// Column name to its index in `header`.
    private(set) var columns: [String: Int] = [:]
    private(set) var cells: [String] = []

    var rowCount: Int { header.isEmpty ? 0 : cells.count / header.count }

    /// The cells of data row `index` (0-based; the header is not a data row).
    func row(_ index: Int) -> ArraySlice<String> {
        cells[index * header.count..<(index + 1) * header.count]
    }

    /// The rows as dictionaries, column name to value (for tests and small tables).
    var records: [[String: String]] {
        (0..<rowCount).map { i in Dictionary(uniqueKeysWithValues: zip(header, row(i))) }
    }

    private init() {}

    init(text: String, maxRows: Int) throws(ParseError) {
        var parser = Parser(maxRows: maxRows)
        try parser.feed(text.utf8)
        self = try parser.finish()
    }

    /// Reads the file at `path` in chunks; `maxBytes` bounds what is read even if the file grows meanwhile.
    /// Errors: `ParseError` for the contents (with the line and column), `ReadError` when the file cannot be read.
    static func read(path: String, maxRows: Int, maxBytes: Int) throws -> CSVTable {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ReadError.cannotOpen }
        defer { try? handle.close() }
        var parser = Parser(maxRows: maxRows)
        var total = 0
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            total += chunk.count
            if total > maxBytes { throw ReadError.tooLarge(total) }
            try parser.feed(chunk)
        }
        return try parser.finish()
    }

    enum ReadError: Error {
        case cannotOpen
        case tooLarge(Int)
    }

    /// The byte-level state machine. Lines and columns count as editors do: a column is a Unicode scalar (UTF-8
    /// continuation bytes do not count), quoted newlines advance the line.
    struct Parser {
        private enum State { case unquoted, quoted, quoteInQuoted }
        private var table = CSVTable()
        private let maxRows: Int
        private var state = State.unquoted
        private var field: [UInt8] = []
        private var fieldStartedQuoted = false
        private var fieldLine = 1
        private var fieldColumn = 1
        private var row: [String] = []
        private var rowLine = 1
        private var line = 1
        private var column = 0
        private var atStart = true
        private var bomBytesSeen = 0

        init(maxRows: Int) {
            self.maxRows = maxRows
            field.reserveCapacity(256)
        }

        mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(ParseError) {
            for byte in bytes {
                // A UTF-8 byte order mark (spreadsheets write one) is not part of the first column's name.
                if atStart {
                    if bomBytesSeen < 3, byte == [0xEF, 0xBB, 0xBF][bomBytesSeen] {
                        bomBytesSeen += 1
                        if bomBytesSeen == 3 { atStart = false }
                        continue
                    }
                    atStart = false
                    if bomBytesSeen > 0 {
                        for b in [UInt8]([0xEF, 0xBB, 0xBF]).prefix(bomBytesSeen) { try consume(b) }
                    }
                }
                try consume(byte)
            }
        }

        private mutating func consume(_ byte: UInt8) throws(ParseError) {
            if byte & 0xC0 != 0x80 { column += 1 }
            if field.isEmpty && !fieldStartedQuoted && state == .unquoted {
                fieldLine = line
                fieldColumn = column
            }
            switch state {
            case .quoted:
                if byte == UInt8(ascii: "\"") {
                    state = .quoteInQuoted
                } else {
                    if byte == UInt8(ascii: "\n") {
                        line += 1
                        column = 0
                    }
                    field.append(byte)
                }
                return
            case .quoteInQuoted:
                if byte == UInt8(ascii: "\"") {
                    field.append(byte)
                    state = .quoted
                    return
                }
                state = .unquoted
            case .unquoted:
                break
            }
            switch byte {
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldStartedQuoted else {
                    throw ParseError(line: line, column: column, message: "unexpected '\"' inside an unquoted field")
                }
                state = .quoted
                fieldStartedQuoted = true
            case UInt8(ascii: ","):
                try endField()
            case UInt8(ascii: "\r"):
                return
            case UInt8(ascii: "\n"):
                try endField()
                try endRow()
                line += 1
                column = 0
                rowLine = line
            default:
                field.append(byte)
            }
        }

        private mutating func endField() throws(ParseError) {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw ParseError(line: fieldLine, column: fieldColumn, message: "the field is not valid UTF-8")
            }
            row.append(text)
            field.removeAll(keepingCapacity: true)
            fieldStartedQuoted = false
        }

        private mutating func endRow() throws(ParseError) {
            defer { row.removeAll(keepingCapacity: true) }
            if row.count == 1 && row[0].isEmpty { return }  // a blank line
            if table.header.isEmpty {
                table.header = row.map { $0.trimmingCharacters(in: [" "]) }
                for (i, name) in table.header.enumerated() {
                    if name.isEmpty || table.columns.updateValue(i, forKey: name) != nil {
                        throw ParseError(line: rowLine, column: i + 1, message: "header column \(i + 1) is empty or repeated")
                    }
                }
                return
            }
            guard row.count == table.header.count else {
                throw ParseError(
                    line: rowLine, column: 1, message: "roster row has \(row.count) fields, the header has \(table.header.count)")
            }
            guard table.rowCount < maxRows else {
                throw ParseError(line: rowLine, column: 1, message: "roster has more than \(maxRows) rows")
            }
            table.cells.append(contentsOf: row)
        }

        mutating func finish() throws(ParseError) -> CSVTable {
            if state == .quoted { throw ParseError(line: line, column: column, message: "unterminated quoted field") }
            if !field.isEmpty || !row.isEmpty || fieldStartedQuoted {
                try endField()
                try endRow()
            }
            guard !table.header.isEmpty else {
                throw ParseError(line: 1, column: 1, message: "empty roster: expected a header row naming the columns")
            }
            return table
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
