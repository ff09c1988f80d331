/// A CSV roster (RFC 4180: comma-separated, double-quoted fields with `""` escapes, CRLF or LF line ends) with a
/// header row naming the columns.
struct CSVTable {
    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var column: Int
        var message: String
        var description: String { message }
    }

    var header: [String]
    var records: [[String: String]]

    init(text: String, maxRows: Int) throws(ParseError) {
        var rows: [([String], Int)] = []
        var field = ""
        var row: [String] = []
        var line = 1
        var column = 0
        var rowLine = 1
        var inQuotes = false
        var fieldStartedQuoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending {
                pending = nil
                return p
            }
            return iterator.next()
        }
        while let c = next() {
            column += 1
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" {
                            field.unicodeScalars.append("\"")
                            column += 1
                        } else {
                            inQuotes = false
                            pending = n
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" {
                        line += 1
                        column = 0
                    }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty, !fieldStartedQuoted else {
                    throw ParseError(line: line, column: column, message: "unexpected '\"' inside an unquoted field")
                }
                inQuotes = true
                fieldStartedQuoted = true
            case ",":
                row.append(field)
                field = ""
                fieldStartedQuoted = false
            case "\r":
                continue
            case "\n":
                row.append(field)
                if !(row.count == 1 && row[0].isEmpty) { rows.append((row, rowLine)) }
                row = []
                field = ""
                fieldStartedQuoted = false
                line += 1
                column = 0
                rowLine = line
                if rows.count > maxRows + 1 {
                    throw ParseError(line: line, column: 1, message: "roster has more than \(maxRows) rows")
                }
            default:
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw ParseError(line: line, column: column, message: "unterminated quoted field") }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append((row, rowLine))
        }
        guard let first = rows.first else {
            throw ParseError(line: 1, column: 1, message: "empty roster: expected a header row naming the columns")
        }
        header = first.0.map { $0.trimmingCharacters(in: [" "]) }
        var seen = Set<String>()
        for (i, name) in header.enumerated() {
            if name.isEmpty || !seen.insert(name).inserted {
                throw ParseError(line: 1, column: i + 1, message: "header column \(i + 1) is empty or repeated")
            }
        }
        records = []
        records.reserveCapacity(rows.count - 1)
        for (values, lineNumber) in rows.dropFirst() {
            guard values.count == header.count else {
                throw ParseError(
                    line: lineNumber, column: 1,
                    message: "roster row has \(values.count) fields, the header has \(header.count)")
            }
            var record: [String: String] = [:]
            for (name, value) in zip(header, values) { record[name] = value }
            records.append(record)
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
