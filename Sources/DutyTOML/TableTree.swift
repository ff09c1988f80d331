/// The tables of a document while it is parsed, each with how it came into being, so that TOML's rules against
/// defining a table twice can be enforced.
///
/// What may happen to a table later depends on how it was made:
/// - `implicit`: as a parent named in a header (`[a.b]` makes `a`). Its own header `[a]` may still define it, once, and
///   dotted keys may extend it (which defines it).
/// - `header`: by its header `[a]`, or as an element of `[[a]]`. No header may define it again and no dotted key from
///   another table may add to it; headers may define tables below it (`[a.c]`).
/// - `dotted`: by a dotted key (`a.b = 1` makes `a`). More dotted keys of the same table may extend it; its own header
///   may not define it, though headers may define tables below it.
///
/// Inline tables and arrays written as values are complete as written: they are stored as values, and a header or
/// dotted key that reaches into one is an error. An inline table is parsed with a tree of its own.
struct TableTree {
    typealias ID = Int

    static let root: ID = 0

    enum Origin {
        case implicit, header, dotted
    }

    enum Entry {
        case value(TOMLValue, offset: Int)
        case table(ID)
        case arrayOfTables([ID], offset: Int)
    }

    struct Table {
        var origin: Origin
        /// Where it was created or defined, for messages such as "first defined at line 3".
        var offset: Int
        /// How many tables it is below the root (the root is 0).
        var depth: Int
        var entries: [String: Entry] = [:]
    }

    /// The document, to turn offsets into line numbers for messages.
    let bytes: [UInt8]
    private var tables = [Table(origin: .header, offset: 0, depth: 0)]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func depth(of id: ID) -> Int { tables[id].depth }

    /// The root table with everything in it, as values.
    func rootTable() -> [String: TOMLValue] { dictionary(of: Self.root) }

    private func dictionary(of id: ID) -> [String: TOMLValue] {
        tables[id].entries.mapValues { entry in
            switch entry {
            case .value(let value, _): value
            case .table(let child): .table(dictionary(of: child))
            case .arrayOfTables(let elements, _): .array(elements.map { .table(dictionary(of: $0)) })
            }
        }
    }

    // MARK: - Headers

    /// `[a.b]`: defines the table and returns it.
    mutating func defineTable(at key: [KeyPart]) throws(TOMLSyntaxError) -> ID {
        let parent = try headerParent(of: key)
        let last = key[key.count - 1]
        let name = Self.display(key)
        switch tables[parent].entries[last.name] {
        case nil:
            return addTable(.header, for: last, in: parent)
        case .table(let id):
            switch tables[id].origin {
            case .implicit:
                tables[id].origin = .header
                tables[id].offset = last.offset
                return id
            case .header:
                throw error(
                    .tableRedefined,
                    "cannot redefine table '\(name)' (first defined at line \(line(of: tables[id].offset)))", at: last)
            case .dotted:
                throw error(
                    .tableRedefined,
                    "cannot redefine table '\(name)' with a header: "
                        + "dotted keys defined it at line \(line(of: tables[id].offset))",
                    at: last)
            }
        case .arrayOfTables(_, let offset):
            throw error(
                .tableRedefined,
                "cannot redefine array of tables '\(name)' as a table (first defined at line \(line(of: offset)))",
                at: last)
        case .value(let value, let offset):
            throw conflict(with: value, named: name, definedAt: offset, at: last)
        }
    }

    /// `[[a.b]]`: appends a table to the array of tables (creating it) and returns the new table.
    mutating func appendArrayElement(at key: [KeyPart]) throws(TOMLSyntaxError) -> ID {
        let parent = try headerParent(of: key)
        let last = key[key.count - 1]
        switch tables[parent].entries[last.name] {
        case nil:
            let id = newTable(.header, at: last.offset, below: parent)
            tables[parent].entries[last.name] = .arrayOfTables([id], offset: last.offset)
            return id
        case .arrayOfTables:
            let id = newTable(.header, at: last.offset, below: parent)
            // Taken out of the table while it grows: appending in place would copy the whole array each time, which
            // is quadratic in the number of `[[a]]` headers of a (hostile) file.
            if case .arrayOfTables(var elements, let offset)? = tables[parent].entries.removeValue(forKey: last.name) {
                elements.append(id)
                tables[parent].entries[last.name] = .arrayOfTables(elements, offset: offset)
            }
            return id
        case .table(let id):
            throw error(
                .tableRedefined,
                "cannot redefine table '\(Self.display(key))' as an array of tables "
                    + "(first defined at line \(line(of: tables[id].offset)))",
                at: last)
        case .value(let value, let offset):
            throw conflict(with: value, named: Self.display(key), definedAt: offset, at: last)
        }
    }

    /// The table that holds a header's last key part, making missing tables on the way as implicit ones. Through an
    /// array of tables, the path continues in its last element.
    private mutating func headerParent(of key: [KeyPart]) throws(TOMLSyntaxError) -> ID {
        var id = Self.root
        for (index, part) in key.dropLast().enumerated() {
            switch tables[id].entries[part.name] {
            case nil:
                id = addTable(.implicit, for: part, in: id)
            case .table(let child):
                id = child
            case .arrayOfTables(let elements, _):
                id = elements.last ?? id
            case .value(let value, let offset):
                throw conflict(with: value, named: Self.display(key.prefix(index + 1)), definedAt: offset, at: part)
            }
        }
        return id
    }

    // MARK: - Key/value pairs

    /// `a.b.c = value` in `table`: the parts before the last name tables, made or extended as dotted ones.
    mutating func insert(_ value: TOMLValue, at key: [KeyPart], in table: ID) throws(TOMLSyntaxError) {
        var id = table
        for (index, part) in key.dropLast().enumerated() {
            var name: String { Self.display(key.prefix(index + 1)) }
            switch tables[id].entries[part.name] {
            case nil:
                id = addTable(.dotted, for: part, in: id)
            case .table(let child):
                switch tables[child].origin {
                case .implicit:
                    tables[child].origin = .dotted
                    tables[child].offset = part.offset
                case .dotted:
                    break
                case .header:
                    throw error(
                        .tableRedefined,
                        "cannot add to table '\(name)' with a dotted key: "
                            + "its header defined it at line \(line(of: tables[child].offset))",
                        at: part)
                }
                id = child
            case .arrayOfTables(_, let offset):
                throw error(
                    .tableRedefined,
                    "cannot add to array of tables '\(name)' with a dotted key (defined at line \(line(of: offset)))",
                    at: part)
            case .value(let existing, let offset):
                throw conflict(with: existing, named: name, definedAt: offset, at: part)
            }
        }
        let last = key[key.count - 1]
        if let existing = tables[id].entries[last.name] {
            throw error(
                .duplicateKey,
                "duplicate key '\(Self.display(key))' (first defined at line \(line(of: offset(of: existing))))",
                at: last)
        }
        tables[id].entries[last.name] = .value(value, offset: last.offset)
    }

    // MARK: - Helpers

    private mutating func addTable(_ origin: Origin, for part: KeyPart, in parent: ID) -> ID {
        let id = newTable(origin, at: part.offset, below: parent)
        tables[parent].entries[part.name] = .table(id)
        return id
    }

    private mutating func newTable(_ origin: Origin, at offset: Int, below parent: ID) -> ID {
        tables.append(Table(origin: origin, offset: offset, depth: tables[parent].depth + 1))
        return tables.count - 1
    }

    private func offset(of entry: Entry) -> Int {
        switch entry {
        case .value(_, let offset), .arrayOfTables(_, let offset): offset
        case .table(let id): tables[id].offset
        }
    }

    private func line(of offset: Int) -> Int { SourcePosition(offset: offset, in: bytes).line }

    private func error(_ code: TOMLSyntaxError.Code, _ message: String, at part: KeyPart) -> TOMLSyntaxError {
        TOMLSyntaxError(code, message, at: part.offset, in: bytes)
    }

    /// A header or dotted key that needs `name` to be a table, where it is a value.
    private func conflict(with value: TOMLValue, named name: String, definedAt offset: Int, at part: KeyPart)
        -> TOMLSyntaxError
    {
        let line = line(of: offset)
        switch value {
        case .table:
            return error(
                .immutableValue, "cannot add to '\(name)': it is an inline table (line \(line)), complete as written",
                at: part)
        case .array:
            return error(
                .immutableValue,
                "cannot add to '\(name)': it is an array written as a value (line \(line)); "
                    + "only [[\(name)]] arrays of tables grow",
                at: part)
        default:
            return error(
                .notATable, "cannot use '\(name)' as a table: it is \(value.kindDescription) (line \(line))", at: part)
        }
    }

    /// A key as written in a document: bare parts as they are, others quoted.
    static func display(_ key: some Collection<KeyPart>) -> String {
        key.map { part in
            guard part.name.isEmpty || !part.name.utf8.allSatisfy(ASCII.isBareKeyCharacter) else { return part.name }
            var quoted = "\""
            for scalar in part.name.unicodeScalars {
                switch scalar {
                case "\"", "\\": quoted += "\\\(scalar)"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F: quoted += scalar.escaped(asASCII: true)
                default: quoted.unicodeScalars.append(scalar)
                }
            }
            return quoted + "\""
        }.joined(separator: ".")
    }
}

extension TOMLValue {
    /// "a string", "an integer", ...: for messages.
    var kindDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .offsetDateTime, .localDateTime: "a date-time"
        case .localDate: "a date"
        case .localTime: "a time"
        case .array: "an array"
        case .table: "a table"
        }
    }
}
