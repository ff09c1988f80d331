import DutyTestSupport
import DutyTOML
import Testing

/// Each way a document can fail, with the code, the position and the message a clerk sees.
@Suite struct TOMLSyntaxErrorTests {
    struct Vector: Sendable, CustomStringConvertible {
        var id: String
        var text: String
        var code: TOMLSyntaxError.Code
        var line: Int
        var column: Int
        /// The whole message: vectors pin the wording, which the schedule loader shows as is.
        var message: String
        var description: String { id }
    }

    static let syntax: [Vector] = [
        Vector(id: "missing-equals", text: "title \"x\"\n", code: .unexpectedCharacter, line: 1, column: 7, message: "expected '=' after the key, found '\"'"),
        Vector(id: "missing-value", text: "a =\n", code: .unexpectedCharacter, line: 1, column: 4, message: "expected a value, found the end of the line"),
        Vector(id: "unquoted-text", text: "title = Standup\n", code: .unexpectedCharacter, line: 1, column: 9, message: "expected a value, found 'Standup'; text must be in quotes"),
        Vector(id: "two-pairs-on-a-line", text: "a = 1 b = 2\n", code: .unexpectedCharacter, line: 1, column: 7, message: "expected the end of the line after the value, found 'b'"),
        Vector(id: "key-start", text: "=1\n", code: .unexpectedCharacter, line: 1, column: 1, message: "expected a key, found '='"),
        Vector(id: "empty-dotted-part", text: "a..b = 1\n", code: .unexpectedCharacter, line: 1, column: 3, message: "expected a key after '.', found '.'"),
        Vector(id: "non-ascii-bare-key", text: "clé = 1\n", code: .unexpectedCharacter, line: 1, column: 3, message: "expected '=' after the key, found 'é'"),
        Vector(id: "multi-line-key", text: "\"\"\"k\"\"\" = 1\n", code: .unexpectedCharacter, line: 1, column: 1, message: "a key cannot be a multi-line string"),
        Vector(id: "header-missing-key", text: "[]\n", code: .unexpectedCharacter, line: 1, column: 2, message: "expected a key in the table header, found ']'"),
        Vector(id: "header-unclosed", text: "[a\nb = 1\n", code: .unexpectedCharacter, line: 1, column: 3, message: "expected ']' to close the table header, found the end of the line"),
        Vector(id: "array-header-spaced", text: "[[a] ]\n", code: .unexpectedCharacter, line: 1, column: 4, message: "expected ']]' to close the array-of-tables header, found ']'"),
        Vector(id: "text-after-header", text: "[a] b = 1\n", code: .unexpectedCharacter, line: 1, column: 5, message: "expected the end of the line after the table header, found 'b'"),
        Vector(id: "array-missing-comma", text: "a = [1 2]\n", code: .unexpectedCharacter, line: 1, column: 8, message: "expected ',' or ']' after an array element, found '2'"),
        Vector(id: "array-double-comma", text: "a = [1,,2]\n", code: .unexpectedCharacter, line: 1, column: 8, message: "expected a value, found ','"),
        Vector(id: "array-unterminated", text: "a = [1,\n2\n", code: .unexpectedCharacter, line: 1, column: 5, message: "unterminated array: no ']' before the end of the file"),
        Vector(id: "inline-newline", text: "a = { b = 1,\nc = 2 }\n", code: .unexpectedCharacter, line: 1, column: 13, message: "expected a key in the inline table, found the end of the line"),
        Vector(id: "inline-unclosed", text: "a = { b = 1\n", code: .unexpectedCharacter, line: 1, column: 12, message: "expected ',' or '}': an inline table must be on one line, found the end of the line"),
        Vector(id: "inline-trailing-comma", text: "a = { b = 1, }\n", code: .unexpectedCharacter, line: 1, column: 14, message: "expected a key after ',' in the inline table: a trailing comma is not allowed"),
        Vector(id: "bad-boolean", text: "a = True\n", code: .unexpectedCharacter, line: 1, column: 5, message: "expected a value, found 'True'; text must be in quotes"),
    ]

    static let strings: [Vector] = [
        Vector(id: "unterminated", text: "id = \"meeting\ntitle = 1\n", code: .unterminatedString, line: 1, column: 6, message: "unterminated string: no closing '\"' on its line (a string of several lines starts with \"\"\")"),
        Vector(id: "unterminated-literal", text: "a = 'x", code: .unterminatedString, line: 1, column: 5, message: "unterminated string: no closing \"'\" on its line (a string of several lines starts with ''')"),
        Vector(id: "unterminated-multi-line", text: "a = 1\nb = \"\"\"\nx\n\"\"\n", code: .unterminatedString, line: 2, column: 5, message: "unterminated multi-line string: no closing \"\"\" before the end of the file"),
        Vector(id: "bad-escape", text: "a = \"C:\\Windows\"\n", code: .invalidEscape, line: 1, column: 8, message: "invalid escape sequence: '\\' followed by 'W'; the escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX and \\UXXXXXXXX"),
        Vector(id: "short-unicode-escape", text: "a = \"\\u12\"\n", code: .invalidEscape, line: 1, column: 6, message: "expected 4 hexadecimal digits after '\\u'"),
        Vector(id: "surrogate-escape", text: "a = \"\\uD800\"\n", code: .invalidEscape, line: 1, column: 6, message: "\\uD800 is not a Unicode scalar value (surrogates and values above 10FFFF are not)"),
        Vector(id: "escape-beyond-unicode", text: "a = \"\\U00110000\"\n", code: .invalidEscape, line: 1, column: 6, message: "\\U00110000 is not a Unicode scalar value (surrogates and values above 10FFFF are not)"),
        Vector(id: "backslash-blank-text", text: "a = \"\"\"x\\  y\"\"\"\n", code: .invalidEscape, line: 1, column: 9, message: "a '\\' followed by blanks must be the last thing on its line"),
        Vector(id: "line-ending-backslash-in-basic", text: "a = \"x\\\ny\"\n", code: .invalidEscape, line: 1, column: 7, message: "invalid escape sequence: '\\' followed by the end of the line; the escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX and \\UXXXXXXXX"),
        Vector(id: "control-in-string", text: "a = \"x\u{1}\"\n", code: .controlCharacter, line: 1, column: 7, message: "control character U+0001 is not allowed in a string; write it as an escape such as \\u0001"),
        Vector(id: "delete-in-literal", text: "a = 'x\u{7F}'\n", code: .controlCharacter, line: 1, column: 7, message: "control character U+007F is not allowed in a string; write it as an escape such as \\u0001"),
        Vector(id: "control-in-comment", text: "a = 1 # \u{0}\n", code: .controlCharacter, line: 1, column: 9, message: "control character U+0000 is not allowed in a comment"),
        Vector(id: "lone-carriage-return", text: "a = 1\rb = 2\n", code: .controlCharacter, line: 1, column: 6, message: "a carriage return (U+000D) must be followed by a line feed"),
        Vector(id: "lone-carriage-return-in-multi-line", text: "a = '''x\ry'''\n", code: .controlCharacter, line: 1, column: 9, message: "a carriage return (U+000D) must be followed by a line feed"),
        Vector(id: "byte-order-mark-later", text: "a = 1\n\u{FEFF}b = 2\n", code: .unexpectedCharacter, line: 2, column: 1, message: "expected a key, found '\u{FEFF}'"),
    ]

    static let numbers: [Vector] = [
        Vector(id: "leading-zero", text: "a = 0123\n", code: .invalidNumber, line: 1, column: 5, message: "leading zeros are not allowed in a number"),
        Vector(id: "leading-zero-float", text: "a = -01.5\n", code: .invalidNumber, line: 1, column: 6, message: "leading zeros are not allowed in a number"),
        Vector(id: "double-underscore", text: "a = 1__000\n", code: .invalidNumber, line: 1, column: 6, message: "an underscore in a number must stand between two digits"),
        Vector(id: "trailing-underscore", text: "a = 0xff_\n", code: .invalidNumber, line: 1, column: 9, message: "an underscore in a number must stand between two digits"),
        Vector(id: "signed-hex", text: "a = -0x1\n", code: .invalidNumber, line: 1, column: 5, message: "a hexadecimal, octal or binary integer cannot have a sign"),
        Vector(id: "capital-prefix", text: "a = 0X1F\n", code: .invalidNumber, line: 1, column: 6, message: "invalid number: unexpected 'X'"),
        Vector(id: "bad-octal-digit", text: "a = 0o8\n", code: .invalidNumber, line: 1, column: 7, message: "expected an octal digit, found '8'"),
        Vector(id: "trailing-dot", text: "a = 1.\n", code: .invalidNumber, line: 1, column: 7, message: "expected a digit after the decimal point, found the end of the line"),
        Vector(id: "dot-then-exponent", text: "a = 1.e5\n", code: .invalidNumber, line: 1, column: 7, message: "expected a digit after the decimal point, found 'e'"),
        Vector(id: "empty-exponent", text: "a = 1e\n", code: .invalidNumber, line: 1, column: 7, message: "expected a digit in the exponent, found the end of the line"),
        Vector(id: "two-dots", text: "a = 1.2.3\n", code: .invalidNumber, line: 1, column: 8, message: "invalid number: unexpected '.'"),
        Vector(id: "sign-alone", text: "a = +\n", code: .invalidNumber, line: 1, column: 6, message: "expected a digit after the sign, found the end of the line"),
        Vector(id: "infinity-spelled-out", text: "a = infinity\n", code: .invalidNumber, line: 1, column: 8, message: "invalid number: unexpected 'i'"),
        Vector(id: "overflow", text: "a = 9223372036854775808\n", code: .integerOutOfRange, line: 1, column: 5, message: "integer out of range: TOML integers must lie within -9223372036854775808...9223372036854775807"),
        Vector(id: "underflow", text: "a = -9_223_372_036_854_775_809\n", code: .integerOutOfRange, line: 1, column: 5, message: "integer out of range: TOML integers must lie within -9223372036854775808...9223372036854775807"),
        Vector(id: "hex-overflow", text: "a = 0x8000000000000000\n", code: .integerOutOfRange, line: 1, column: 5, message: "integer out of range: TOML integers must lie within -9223372036854775808...9223372036854775807"),
        Vector(id: "huge", text: "a = " + String(repeating: "9", count: 5000) + "\n", code: .integerOutOfRange, line: 1, column: 5, message: "integer out of range: TOML integers must lie within -9223372036854775808...9223372036854775807"),
    ]

    static let dateTimes: [Vector] = [
        Vector(id: "not-a-leap-year", text: "d = 2021-02-29\n", code: .invalidDateTime, line: 1, column: 13, message: "invalid date: there is no day 29 in 2021-02 (2021 is not a leap year)"),
        Vector(id: "century-not-leap", text: "d = 1900-02-29T00:00:00Z\n", code: .invalidDateTime, line: 1, column: 13, message: "invalid date: there is no day 29 in 1900-02 (1900 is not a leap year)"),
        Vector(id: "day-31-in-april", text: "d = 2018-04-31\n", code: .invalidDateTime, line: 1, column: 13, message: "invalid date: there is no day 31 in 2018-04 (that month has 30 days)"),
        Vector(id: "month-13", text: "d = 2018-13-01\n", code: .invalidDateTime, line: 1, column: 10, message: "invalid date: there is no month 13"),
        Vector(id: "day-one-digit", text: "d = 2018-01-1\n", code: .invalidDateTime, line: 1, column: 14, message: "expected the two-digit day of the date, found the end of the line"),
        Vector(id: "hour-24", text: "d = 2018-01-01T24:00:00\n", code: .invalidDateTime, line: 1, column: 16, message: "invalid time: there is no hour 24 (00 to 23)"),
        Vector(id: "second-60", text: "t = 23:59:60\n", code: .invalidDateTime, line: 1, column: 11, message: "invalid time: there is no second 60 (00 to 59)"),
        Vector(id: "no-seconds", text: "t = 2018-01-01T09:00\n", code: .invalidDateTime, line: 1, column: 21, message: "expected ':' and the seconds after the minute: TOML times have seconds (07:30:00), found the end of the line"),
        Vector(id: "empty-fraction", text: "t = 09:00:00.\n", code: .invalidDateTime, line: 1, column: 14, message: "expected a digit after the decimal point of the seconds, found the end of the line"),
        Vector(id: "offset-without-colon", text: "t = 2018-01-01T09:00:00+0800\n", code: .invalidDateTime, line: 1, column: 27, message: "expected ':' between the hours and minutes of the offset, found '00'"),
        Vector(id: "offset-24", text: "t = 2018-01-01T09:00:00+24:00\n", code: .invalidDateTime, line: 1, column: 24, message: "invalid offset: it must lie within -23:59...+23:59"),
        Vector(id: "time-letter", text: "t = 2018-01-01TL09:00:00\n", code: .invalidDateTime, line: 1, column: 16, message: "expected the two-digit hour of the time, found 'L'"),
        Vector(id: "space-then-no-time", text: "d = 2018-01-01 9\n", code: .unexpectedCharacter, line: 1, column: 16, message: "expected the end of the line after the value, found '9'"),
    ]

    static let tables: [Vector] = [
        Vector(id: "duplicate-key", text: "a = 1\n\nb = 2\na = 3\n", code: .duplicateKey, line: 4, column: 1, message: "duplicate key 'a' (first defined at line 1)"),
        Vector(id: "duplicate-quoted-key", text: "spelling = 1\n\"spelling\" = 2\n", code: .duplicateKey, line: 2, column: 1, message: "duplicate key 'spelling' (first defined at line 1)"),
        Vector(id: "duplicate-dotted-key", text: "[t]\na.b = 1\na.b = 2\n", code: .duplicateKey, line: 3, column: 3, message: "duplicate key 'a.b' (first defined at line 2)"),
        Vector(id: "key-over-table", text: "[a.b]\n[a]\nb = 1\n", code: .duplicateKey, line: 3, column: 1, message: "duplicate key 'b' (first defined at line 1)"),
        Vector(id: "table-twice", text: "[a]\nx = 1\n\n[a]\n", code: .tableRedefined, line: 4, column: 2, message: "cannot redefine table 'a' (first defined at line 1)"),
        Vector(id: "table-twice-implicit-first", text: "[a.b]\n[a]\n[a]\n", code: .tableRedefined, line: 3, column: 2, message: "cannot redefine table 'a' (first defined at line 2)"),
        Vector(id: "header-after-dotted-keys", text: "a.b = 1\n[a]\n", code: .tableRedefined, line: 2, column: 2, message: "cannot redefine table 'a' with a header: dotted keys defined it at line 1"),
        Vector(id: "dotted-key-into-header-table", text: "[a.b]\nx = 1\n[a]\nb.y = 2\n", code: .tableRedefined, line: 4, column: 1, message: "cannot add to table 'b' with a dotted key: its header defined it at line 1"),
        Vector(id: "dotted-key-into-array-of-tables", text: "[[a.b]]\n[a]\nb.c = 1\n", code: .tableRedefined, line: 3, column: 1, message: "cannot add to array of tables 'b' with a dotted key (defined at line 1)"),
        Vector(id: "table-then-array-of-tables", text: "[a]\n[[a]]\n", code: .tableRedefined, line: 2, column: 3, message: "cannot redefine table 'a' as an array of tables (first defined at line 1)"),
        Vector(id: "array-of-tables-then-table", text: "[[a]]\n[a]\n", code: .tableRedefined, line: 2, column: 2, message: "cannot redefine array of tables 'a' as a table (first defined at line 1)"),
        Vector(id: "append-to-static-array", text: "a = [{ x = 1 }]\n[[a]]\n", code: .immutableValue, line: 2, column: 3, message: "cannot add to 'a': it is an array written as a value (line 1); only [[a]] arrays of tables grow"),
        Vector(id: "extend-inline-table-by-header", text: "a = { x = 1 }\n[a.b]\n", code: .immutableValue, line: 2, column: 2, message: "cannot add to 'a': it is an inline table (line 1), complete as written"),
        Vector(id: "extend-inline-table-by-dotted-key", text: "a = { x = 1 }\na.y = 2\n", code: .immutableValue, line: 2, column: 1, message: "cannot add to 'a': it is an inline table (line 1), complete as written"),
        Vector(id: "extend-inline-table-inside", text: "a = { b = { x = 1 }, b.y = 2 }\n", code: .immutableValue, line: 1, column: 22, message: "cannot add to 'b': it is an inline table (line 1), complete as written"),
        Vector(id: "duplicate-in-inline-table", text: "a = { b = 1, b = 2 }\n", code: .duplicateKey, line: 1, column: 14, message: "duplicate key 'b' (first defined at line 1)"),
        Vector(id: "value-as-table", text: "a = 1\n[a.b]\n", code: .notATable, line: 2, column: 2, message: "cannot use 'a' as a table: it is an integer (line 1)"),
        Vector(id: "value-as-table-dotted", text: "a.b = 'x'\na.b.c = 1\n", code: .notATable, line: 2, column: 3, message: "cannot use 'a.b' as a table: it is a string (line 1)"),
        Vector(id: "value-as-array-of-tables", text: "a = 2018-01-01\n[[a]]\n", code: .notATable, line: 2, column: 3, message: "cannot use 'a' as a table: it is a date (line 1)"),
        Vector(id: "quoted-name-in-message", text: "[\"a b\".c]\n[\"a b\".c]\n", code: .tableRedefined, line: 2, column: 8, message: "cannot redefine table '\"a b\".c' (first defined at line 1)"),
    ]

    static let positions: [Vector] = [
        // Columns count Unicode scalars: é and 中 are one column each though two and three bytes in UTF-8.
        Vector(id: "columns-in-scalars", text: "a = \"é中\" x\n", code: .unexpectedCharacter, line: 1, column: 10, message: "expected the end of the line after the value, found 'x'"),
        Vector(id: "tab-is-one-column", text: "\ta =\t@\n", code: .unexpectedCharacter, line: 1, column: 6, message: "expected a value, found '@'"),
        Vector(id: "crlf-lines", text: "a = 1\r\nb = 2\r\nc = @\r\n", code: .unexpectedCharacter, line: 3, column: 5, message: "expected a value, found '@'"),
        Vector(id: "lines-inside-multi-line-values", text: "a = [\n1,\n]\ns = '''\n\n'''\n@\n", code: .unexpectedCharacter, line: 7, column: 1, message: "expected a key, found '@'"),
        Vector(id: "byte-order-mark-is-no-column", text: "\u{FEFF}@\n", code: .unexpectedCharacter, line: 1, column: 1, message: "expected a key, found '@'"),
    ]

    @Test(arguments: syntax + strings + numbers + dateTimes + tables + positions)
    func reports(vector: Vector) throws {
        let error = try #require(throws: TOMLSyntaxError.self) { try TOMLDocument.parse(vector.text) }
        #expect(error.code == vector.code)
        #expect("\(error.line):\(error.column)" == "\(vector.line):\(vector.column)")
        #expect(error.message == vector.message)
        #expect(error.description == "\(vector.line):\(vector.column): \(vector.message)")
    }

    // MARK: - Limits

    @Test func nestingBeyondTheLimitIsAnErrorNotAStackOverflow() throws {
        let depth = TOMLDocument.defaultMaxDepth
        let cases: [(String, Int)] = [
            ("a = " + String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1), 5 + depth),
            ("a = " + String(repeating: "{b=", count: depth) + "1" + String(repeating: "}", count: depth), 6 + 3 * (depth - 1)),
            ("[" + (0...depth).map { "k\($0)" }.joined(separator: ".") + "]", 2),
            ((0...depth).map { "k\($0)" }.joined(separator: ".") + " = 1", 1),
            // Far beyond any stack: refused at the limit, long before recursion could hurt.
            ("a = " + String(repeating: "[", count: 1_000_000), 5 + depth),
            (String(repeating: "a.", count: 200_000) + "a = 1", 1),
        ]
        for (text, column) in cases {
            let error = try #require(throws: TOMLSyntaxError.self) { try TOMLDocument.parse(text) }
            #expect(error.code == .nestingTooDeep)
            #expect(error.line == 1 && error.column == column, "\(error)")
            #expect(error.message == "nested too deeply: tables and arrays may nest at most \(depth) levels")
        }
    }

    @Test func limitIsConfigurable() throws {
        let error = try #require(throws: TOMLSyntaxError.self) { try TOMLDocument.parse("a.b = 1", maxDepth: 1) }
        #expect(error.code == .nestingTooDeep && error.column == 1)
        #expect(try TOMLDocument.parse("a = [[1]]", maxDepth: 3) == ["a": .array([.array([.integer(1)])])])
    }

    /// Random bytes and random splices of TOML tokens: every input parses or throws; none traps.
    @Test func arbitraryInputNeverTraps() {
        var random = SeededRandom(seed: 0x5EED)
        let tokens = DocumentGenerator.tokens
        for _ in 0..<20_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...24, using: &random) {
                if Bool.random(using: &random) {
                    text += tokens[Int.random(in: 0..<tokens.count, using: &random)]
                } else {
                    text.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0...127, using: &random)))
                }
            }
            _ = try? TOMLDocument.parse(text)
        }
    }
}
