import DutyTOML
import Testing

/// Each construct of TOML 1.0 in its spellings, parsed to the expected values.
@Suite struct TOMLDocumentTests {
    struct Vector: Sendable, CustomStringConvertible {
        var id: String
        var text: String
        var expected: [String: TOMLValue]
        var description: String { id }
    }

    static func date(_ year: Int, _ month: Int, _ day: Int) -> TOMLDate { TOMLDate(year: year, month: month, day: day) }

    static func time(_ hour: Int, _ minute: Int, _ second: Int, _ nanosecond: Int = 0) -> TOMLTime {
        TOMLTime(hour: hour, minute: minute, second: second, nanosecond: nanosecond)
    }

    static let keys: [Vector] = [
        Vector(id: "bare", text: "key = 1\nbare_key-2 = 2\n1234 = 3\n", expected: ["key": .integer(1), "bare_key-2": .integer(2), "1234": .integer(3)]),
        Vector(
            id: "quoted", text: "\"127.0.0.1\" = 1\n\"ʎǝʞ\" = 2\n'key \"two\"' = 3\n\"\\u0041\\t\" = 4\n\"\" = 5\n",
            expected: ["127.0.0.1": .integer(1), "ʎǝʞ": .integer(2), "key \"two\"": .integer(3), "A\t": .integer(4), "": .integer(5)]),
        Vector(
            id: "dotted", text: "site . \"google.com\" .x = true\na.b = 1\na.c = 2\n3.14 = 'pi'\n",
            expected: [
                "site": .table(["google.com": .table(["x": .boolean(true)])]),
                "a": .table(["b": .integer(1), "c": .integer(2)]),
                "3": .table(["14": .string("pi")]),
            ]),
        Vector(
            id: "keywords-as-keys", text: "true = 1\ninf = 2\nnan = 3\n1979-05-27 = 4\n",
            expected: ["true": .integer(1), "inf": .integer(2), "nan": .integer(3), "1979-05-27": .integer(4)]),
    ]

    static let strings: [Vector] = [
        Vector(
            id: "basic-escapes", text: #"s = "\b\t\n\f\r\"\\\u00E9\U0001F600 tab:"# + "\t\"\n",
            expected: ["s": .string("\u{8}\t\n\u{C}\r\"\\é😀 tab:\t")]),
        Vector(id: "basic-unicode", text: "s = \"中文 \u{85} é\"\n", expected: ["s": .string("中文 \u{85} é")]),
        Vector(id: "literal", text: #"s = 'C:\Users\nodejs\templates'"# + "\nq = '<\\i\\c*\\s*>'\n", expected: ["s": .string(#"C:\Users\nodejs\templates"#), "q": .string(#"<\i\c*\s*>"#)]),
        Vector(
            id: "multi-line-basic", text: "s = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n",
            expected: ["s": .string("Roses are red\nViolets are blue")]),
        Vector(
            id: "line-ending-backslash", text: "s = \"\"\"\nThe quick \\\n\n   brown \\   \n  fox.\\\n\"\"\"\n",
            expected: ["s": .string("The quick brown fox.")]),
        Vector(
            id: "multi-line-quotes", text: "a = \"\"\"Here are two quotation marks: \"\". Simple.\"\"\"\nb = \"\"\"\"This,\" she said.\"\"\"\"\nc = \"\"\"x\"\"\"\"\"\n",
            expected: ["a": .string("Here are two quotation marks: \"\". Simple."), "b": .string("\"This,\" she said.\""), "c": .string("x\"\"")]),
        Vector(
            id: "multi-line-literal", text: "s = '''\nThe first newline is\ntrimmed in raw strings.\n   \\n stays '' '''\nt = ''''That's it,' he said.''''\n",
            expected: ["s": .string("The first newline is\ntrimmed in raw strings.\n   \\n stays '' "), "t": .string("'That's it,' he said.'")]),
        Vector(id: "multi-line-crlf", text: "s = \"\"\"\r\na\r\nb\"\"\"\r\n", expected: ["s": .string("a\nb")]),
        Vector(id: "empty", text: "a = \"\"\nb = ''\nc = \"\"\"\"\"\"\nd = ''''''\n", expected: ["a": .string(""), "b": .string(""), "c": .string(""), "d": .string("")]),
    ]

    static let numbers: [Vector] = [
        Vector(
            id: "decimal", text: "a = +99\nb = 42\nc = 0\nd = -17\ne = 1_000\nf = 5_349_221\ng = -0\nh = +0\n",
            expected: ["a": .integer(99), "b": .integer(42), "c": .integer(0), "d": .integer(-17), "e": .integer(1000), "f": .integer(5_349_221), "g": .integer(0), "h": .integer(0)]),
        Vector(
            id: "extremes", text: "max = 9223372036854775807\nmin = -9223372036854775808\nhex = 0x7FFF_FFFF_FFFF_FFFF\n",
            expected: ["max": .integer(.max), "min": .integer(.min), "hex": .integer(.max)]),
        Vector(
            id: "radix", text: "a = 0xDEADBEEF\nb = 0xdead_beef\nc = 0o01234567\nd = 0o755\ne = 0b11010110\nf = 0x0\n",
            expected: ["a": .integer(0xDEAD_BEEF), "b": .integer(0xDEAD_BEEF), "c": .integer(0o1234567), "d": .integer(0o755), "e": .integer(0b1101_0110), "f": .integer(0)]),
        Vector(
            id: "float", text: "a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\nf = -2E-2\ng = 6.626e-34\nh = 224_617.445_991_228\ni = 0e0\nj = 1e400\n",
            expected: ["a": .float(1), "b": .float(3.1415), "c": .float(-0.01), "d": .float(5e22), "e": .float(1e6), "f": .float(-0.02), "g": .float(6.626e-34), "h": .float(224_617.445_991_228), "i": .float(0), "j": .float(.infinity)]),
        Vector(id: "infinity", text: "a = inf\nb = +inf\nc = -inf\n", expected: ["a": .float(.infinity), "b": .float(.infinity), "c": .float(-.infinity)]),
        Vector(id: "booleans", text: "t = true\nf = false\n", expected: ["t": .boolean(true), "f": .boolean(false)]),
    ]

    static let dates: [Vector] = [
        Vector(
            id: "offset-date-time",
            text: "a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00-07:00\nc = 1979-05-27T00:32:00.999999-07:00\nd = 1979-05-27 07:32:00z\ne = 1979-05-27t07:32:00+23:59\n",
            expected: [
                "a": .offsetDateTime(date(1979, 5, 27), time(7, 32, 0), offsetMinutes: 0),
                "b": .offsetDateTime(date(1979, 5, 27), time(0, 32, 0), offsetMinutes: -420),
                "c": .offsetDateTime(date(1979, 5, 27), time(0, 32, 0, 999_999_000), offsetMinutes: -420),
                "d": .offsetDateTime(date(1979, 5, 27), time(7, 32, 0), offsetMinutes: 0),
                "e": .offsetDateTime(date(1979, 5, 27), time(7, 32, 0), offsetMinutes: 23 * 60 + 59),
            ]),
        Vector(
            id: "local", text: "a = 1979-05-27T07:32:00\nb = 1979-05-27\nc = 07:32:00\nd = 00:32:00.5\ne = 1979-05-27 # a date, then a comment\n",
            expected: [
                "a": .localDateTime(date(1979, 5, 27), time(7, 32, 0)), "b": .localDate(date(1979, 5, 27)),
                "c": .localTime(time(7, 32, 0)), "d": .localTime(time(0, 32, 0, 500_000_000)), "e": .localDate(date(1979, 5, 27)),
            ]),
        Vector(
            id: "fraction-beyond-nanoseconds", text: "t = 23:59:59.1234567891234\n",
            expected: ["t": .localTime(time(23, 59, 59, 123_456_789))]),
        Vector(
            id: "leap-days", text: "a = 2000-02-29\nb = 2024-02-29T15:15:15Z\nc = 1600-02-29\nd = 0000-01-01\ne = 9999-12-31\n",
            expected: [
                "a": .localDate(date(2000, 2, 29)), "b": .offsetDateTime(date(2024, 2, 29), time(15, 15, 15), offsetMinutes: 0),
                "c": .localDate(date(1600, 2, 29)), "d": .localDate(date(0, 1, 1)), "e": .localDate(date(9999, 12, 31)),
            ]),
    ]

    static let arraysAndInlineTables: [Vector] = [
        Vector(
            id: "arrays", text: "a = []\nb = [ 1, 2, 3, ]\nc = [ \"red\", 'yellow', 1.5, [1, [2]], {x = 1} ]\nd = [\n  1, # one\n\n  2 # two\n  ,\r\n]\n",
            expected: [
                "a": .array([]), "b": .array([.integer(1), .integer(2), .integer(3)]),
                "c": .array([.string("red"), .string("yellow"), .float(1.5), .array([.integer(1), .array([.integer(2)])]), .table(["x": .integer(1)])]),
                "d": .array([.integer(1), .integer(2)]),
            ]),
        Vector(
            id: "inline-tables", text: "a = {}\nb = { first = \"Tom\", last = 'Preston-Werner' }\nc = { type.name = \"pug\", type.size = 1, x = { y = [ 1,\n 2 ] } }\n",
            expected: [
                "a": .table([:]), "b": .table(["first": .string("Tom"), "last": .string("Preston-Werner")]),
                "c": .table(["type": .table(["name": .string("pug"), "size": .integer(1)]), "x": .table(["y": .array([.integer(1), .integer(2)])])]),
            ]),
    ]

    static let tables: [Vector] = [
        Vector(
            id: "headers", text: "top = 1\n[table-1]\nkey1 = \"some string\"\n[ dog . \"tater.man\" ]\ntype.name = \"pug\"\n[x.y.z.w]\n[x]\n",
            expected: [
                "top": .integer(1), "table-1": .table(["key1": .string("some string")]),
                "dog": .table(["tater.man": .table(["type": .table(["name": .string("pug")])])]),
                "x": .table(["y": .table(["z": .table(["w": .table([:])])])]),
            ]),
        Vector(
            id: "dotted-keys-then-subtable", text: "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n",
            expected: ["fruit": .table(["apple": .table(["color": .string("red"), "taste": .table(["sweet": .boolean(true)]), "texture": .table(["smooth": .boolean(true)])])])]),
        Vector(
            id: "implicit-table-extended-by-dotted-key", text: "[a.b.c]\nd = 1\n[a]\nb.e = 2\n",
            expected: ["a": .table(["b": .table(["c": .table(["d": .integer(1)]), "e": .integer(2)])])]),
        Vector(
            id: "arrays-of-tables", text: "[[fruits]]\nname = \"apple\"\n[fruits.physical]\ncolor = \"red\"\n[[fruits.varieties]]\nname = \"red delicious\"\n[[fruits.varieties]]\nname = \"granny smith\"\n[[fruits]]\nname = \"banana\"\n[[fruits.varieties]]\nname = \"plantain\"\n",
            expected: [
                "fruits": .array([
                    .table([
                        "name": .string("apple"), "physical": .table(["color": .string("red")]),
                        "varieties": .array([.table(["name": .string("red delicious")]), .table(["name": .string("granny smith")])]),
                    ]),
                    .table(["name": .string("banana"), "varieties": .array([.table(["name": .string("plantain")])])]),
                ])
            ]),
        Vector(id: "implicit-parent-of-array-defined-later", text: "[[a.b]]\nx = 1\n[a]\ny = 2\n", expected: ["a": .table(["b": .array([.table(["x": .integer(1)])]), "y": .integer(2)])]),
    ]

    static let layout: [Vector] = [
        Vector(id: "empty", text: "", expected: [:]),
        Vector(id: "blank-and-comments", text: " \t\n# only a comment\n\n   # another\t é\n", expected: [:]),
        Vector(id: "crlf", text: "a = 1\r\n[t]\r\nb = 'x' # c\r\n", expected: ["a": .integer(1), "t": .table(["b": .string("x")])]),
        Vector(id: "byte-order-mark", text: "\u{FEFF}a = 1\n", expected: ["a": .integer(1)]),
        Vector(id: "no-final-newline", text: "a = 1 # c", expected: ["a": .integer(1)]),
        Vector(id: "blanks-around", text: "\t a\t=\t1\t\n[\tt\t]\t\n", expected: ["a": .integer(1), "t": .table([:])]),
    ]

    @Test(arguments: keys + strings + numbers + dates + arraysAndInlineTables + tables + layout)
    func parses(vector: Vector) throws {
        #expect(try TOMLDocument.parse(vector.text) == vector.expected)
    }

    @Test func nanIsAFloat() throws {
        for text in ["a = nan", "a = +nan", "a = -nan"] {
            guard case .float(let value)? = try TOMLDocument.parse(text)["a"] else {
                Issue.record("\(text) did not give a float")
                continue
            }
            #expect(value.isNaN)
        }
    }

    @Test func negativeZeroKeepsItsSign() throws {
        guard case .float(let value)? = try TOMLDocument.parse("a = -0.0")["a"] else { return #expect(Bool(false)) }
        #expect(value == 0 && value.sign == .minus)
    }

    @Test func nestingUpToTheLimitParses() throws {
        let depth = TOMLDocument.defaultMaxDepth
        // The value of `a` is at depth 1, so the innermost of 128 nested arrays is at depth 128.
        let arrays = "a = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try TOMLDocument.parse(arrays) }
        let header = "[" + (1...depth).map { "k\($0)" }.joined(separator: ".") + "]\n"
        #expect(throws: Never.self) { try TOMLDocument.parse(header) }
        #expect(throws: Never.self) { try TOMLDocument.parse("x = 1", maxDepth: 1) }
    }
}
