/// Finds where tables, keys and values sit in a TOML document, so that errors found after parsing (unknown keys,
/// bad expressions, unknown references) can name `line:column`.
///
/// DutyTOML parses the document and reports syntax errors with positions, but its values carry no positions. The
/// locator is a lexical scan of the same text, run only once the text has parsed: it tracks strings, comments and
/// bracket depth, and records for each table instance (`duty[3]`, `template[0].duty`, `defaults`) the position of
/// each key and of the string literals in its value. It never decides what the document means; DutyTOML does.
struct SourceLocator: Sendable {
    struct Position: Sendable, Hashable {
        var line: Int
        var column: Int
    }

    struct KeyInfo: Sendable {
        var key: Position
        var value: Position
        /// The start of each string literal's content in the value (for arrays: one per element, in order).
        var strings: [Position]
        /// Whether those strings contain escapes, which make in-string column arithmetic approximate.
        var stringsHaveEscapes: [Bool]
    }

    struct Table: Sendable {
        var header: Position
        var keys: [String: KeyInfo] = [:]
        var keyOrder: [String] = []
    }

    /// Table instances by path; the root table is "".
    private(set) var tables: [String: Table] = [:]

    init(text: String) {
        scan(Array(text.unicodeScalars))
    }

    func table(_ path: String) -> Table? { tables[path] }

    func key(_ key: String, in path: String) -> KeyInfo? { tables[path]?.keys[key] }

    // MARK: - Scanning

    private mutating func scan(_ s: [Unicode.Scalar]) {
        var i = 0
        var line = 1
        var lineStart = 0
        var arrayCounts: [String: Int] = [:]
        var currentArrayIndex: [String: Int] = [:]  // header name -> current instance index
        var current = ""
        tables[""] = Table(header: Position(line: 1, column: 1))

        func column(_ at: Int) -> Int { at - lineStart + 1 }
        func isBare(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
        }

        // Resolve a dotted header name like "trigger.level" into an instance path like "trigger[2].level[0]".
        func instancePath(_ name: String) -> String {
            let parts = name.split(separator: ".").map(String.init)
            var path = ""
            var prefix = ""
            for part in parts {
                prefix = prefix.isEmpty ? part : prefix + "." + part
                path = path.isEmpty ? part : path + "." + part
                if let index = currentArrayIndex[prefix] { path += "[\(index)]" }
            }
            return path
        }

        while i < s.count {
            // At the start of a logical line: skip blanks.
            while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 }
            guard i < s.count else { break }
            let c = s[i]
            if c == "\n" {
                i += 1
                line += 1
                lineStart = i
                continue
            }
            if c == "#" {
                while i < s.count, s[i] != "\n" { i += 1 }
                continue
            }
            if c == "[" {
                let headerPos = Position(line: line, column: column(i))
                let isArray = i + 1 < s.count && s[i + 1] == "["
                i += isArray ? 2 : 1
                var name = ""
                while i < s.count, s[i] != "]", s[i] != "\n" {
                    if s[i] != " " && s[i] != "\t" && s[i] != "\"" && s[i] != "'" { name.unicodeScalars.append(s[i]) }
                    i += 1
                }
                while i < s.count, s[i] != "\n" { i += 1 }
                if isArray {
                    let n = arrayCounts[name, default: 0]
                    arrayCounts[name] = n + 1
                    currentArrayIndex[name] = n
                    // A new parent instance resets the counters of its sub-arrays.
                    for key in arrayCounts.keys where key.hasPrefix(name + ".") {
                        arrayCounts[key] = 0
                        currentArrayIndex[key] = nil
                    }
                }
                current = instancePath(name)
                if tables[current] == nil { tables[current] = Table(header: headerPos) }
                continue
            }
            // A key (bare, quoted or dotted) followed by "=".
            let keyPos = Position(line: line, column: column(i))
            var key = ""
            while i < s.count, s[i] != "=", s[i] != "\n" {
                if s[i] == "\"" || s[i] == "'" {
                    let quote = s[i]
                    i += 1
                    while i < s.count, s[i] != quote, s[i] != "\n" {
                        key.unicodeScalars.append(s[i])
                        i += 1
                    }
                    i += 1
                    continue
                }
                if isBare(s[i]) || s[i] == "." { key.unicodeScalars.append(s[i]) }
                i += 1
            }
            guard i < s.count, s[i] == "=" else { continue }
            i += 1
            while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 }
            let valuePos = Position(line: line, column: column(i))
            var strings: [Position] = []
            var escapes: [Bool] = []
            var depth = 0
            // Scan the value up to the end of its logical line (arrays and inline tables may span lines).
            valueLoop: while i < s.count {
                let v = s[i]
                switch v {
                case "\n":
                    if depth == 0 { break valueLoop }
                    i += 1
                    line += 1
                    lineStart = i
                case "#":
                    while i < s.count, s[i] != "\n" { i += 1 }
                case "[", "{":
                    depth += 1
                    i += 1
                case "]", "}":
                    depth -= 1
                    i += 1
                case "\"", "'":
                    let quote = v
                    let triple = i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote
                    i += triple ? 3 : 1
                    strings.append(Position(line: line, column: column(i)))
                    var sawEscape = false
                    while i < s.count {
                        if s[i] == "\\" && quote == "\"" {
                            sawEscape = true
                            i += 2
                            continue
                        }
                        if s[i] == "\n" {
                            line += 1
                            lineStart = i + 1
                        }
                        if s[i] == quote {
                            if !triple {
                                i += 1
                                break
                            }
                            if i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote {
                                i += 3
                                break
                            }
                        }
                        i += 1
                    }
                    escapes.append(sawEscape)
                default:
                    i += 1
                }
            }
            var table = tables[current] ?? Table(header: Position(line: 1, column: 1))
            if table.keys[key] == nil { table.keyOrder.append(key) }
            table.keys[key] = KeyInfo(key: keyPos, value: valuePos, strings: strings, stringsHaveEscapes: escapes)
            tables[current] = table
        }
    }
}
