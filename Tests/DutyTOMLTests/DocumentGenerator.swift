import DutyTestSupport
import DutyTOML


/// Writes random TOML for the differential test: documents that use every construct in its different spellings
/// (mostly valid), documents that stress the rules on defining tables (often invalid), and mutations of valid
/// documents (mostly invalid). The generator only writes text; tomllib decides what it means.
struct DocumentGenerator {
    private var random: SeededRandom
    /// Makes key names unique within a document, so that most generated documents are valid.
    private var counter = 0

    init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    // MARK: - Documents

    /// Key/value pairs at the root, then tables and arrays of tables with theirs; comments, blank lines and CR LF
    /// line ends here and there.
    mutating func document() -> String {
        let newline = chance(0.15) ? "\r\n" : "\n"
        var lines: [String] = []
        if chance(0.3) { lines.append(comment()) }
        for _ in 0..<int(0...4) { lines.append(keyValue(depth: 1)) }
        for _ in 0..<int(0...4) {
            if chance(0.3) { lines.append(chance(0.5) ? "" : comment()) }
            let isArray = chance(0.35)
            let key = self.key(parts: int(1...3))
            let (open, close) = isArray ? ("[[", "]]") : ("[", "]")
            lines.append(
                blanks() + open + blanks() + key + blanks() + close + (chance(0.2) ? blanks() + comment() : ""))
            for _ in 0..<int(0...3) { lines.append(keyValue(depth: 1)) }
        }
        return lines.joined(separator: newline) + (chance(0.8) ? newline : "")
    }

    /// Headers, dotted keys, inline tables and arrays over the same three names, so that tables meet again in every
    /// combination the specification rules on: defined twice, extended by dotted keys, appended to, ...
    mutating func tableStructureDocument() -> String {
        var lines: [String] = []
        for _ in 0..<int(2...7) {
            let path = (0..<int(1...3)).map { _ in pick(["a", "b", "c"]) }.joined(separator: pick([".", ".", " . "]))
            switch int(0...4) {
            case 0: lines.append("[\(path)]")
            case 1: lines.append("[[\(path)]]")
            default:
                lines.append(
                    "\(path) = " + pick(["1", "'s'", "{}", "{ x = 1 }", "{ x.y = 1 }", "[]", "[1]", "[{ x = 1 }]"]))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One to three edits of a document: a character deleted, a token inserted or put in place of a character, a line
    /// repeated, a piece cut out, the end cut off.
    mutating func mutation(of text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<int(1...3) {
            let at = int(0...scalars.count)
            switch int(0...5) {
            case 0 where at < scalars.count:
                scalars.remove(at: at)
            case 1:
                scalars.insert(contentsOf: pick(Self.tokens).unicodeScalars, at: at)
            case 2 where at < scalars.count:
                scalars.replaceSubrange(at...at, with: pick(Self.tokens).unicodeScalars)
            case 3:
                let start = scalars[..<at].lastIndex(of: "\n").map { $0 + 1 } ?? 0
                let end = scalars[at...].firstIndex(of: "\n").map { $0 + 1 } ?? scalars.count
                scalars.insert(contentsOf: scalars[start..<end], at: end)
            case 4:
                scalars.removeSubrange(at..<min(scalars.count, at + int(1...6)))
            default:
                scalars.removeSubrange(at...)
            }
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    static let tokens = [
        "[", "]", "[[", "]]", "{", "}", "=", ",", ".", "\"", "'", "\"\"\"", "'''", "#", "\\", "\n", "\r", "\r\n", "\t",
        " ", "0", "1", "_", ":", "-", "+", "T", "Z", "z", "e", "E", "x", "o", "b", "inf", "nan", "true", "\u{0}",
        "\u{7F}", "\u{1F}", "\u{8}", "é", "\u{FEFF}", "\u{85}", "\u{2028}", "9223372036854775808", "0000-01-01",
        "2021-02-29", "24:00:00", "\\u", "\\U0010FFFF", "\\uD800", "a.b", "[a]", "[[a]]", "a = 1", "x = {",
    ]

    // MARK: - Keys

    mutating func key(parts: Int) -> String {
        (0..<parts).map { _ in keyPart() }.joined(separator: pick([".", ".", " . ", ".\t"]))
    }

    mutating func keyPart() -> String {
        counter += 1
        switch int(0...9) {
        case 0: return pick(["a", "b"])  // may repeat a key: a duplicate key or a redefined table
        case 1: return "\"" + basicContent(length: int(0...6)) + "\(counter)\""
        case 2: return "'" + literalContent(length: int(0...6)) + "\(counter)'"
        case 3: return pick(["1234", "true", "inf", "-", "_", "1979-05-27", "0x1"]) + "\(counter)"
        default: return pick(["key", "name", "x", "A-b_c", "t"]) + "\(counter)"
        }
    }

    mutating func keyValue(depth: Int) -> String {
        blanks() + key(parts: int(1...3)) + blanks() + "=" + blanks() + value(depth: depth)
            + (chance(0.2) ? blanks() + comment() : "")
    }

    // MARK: - Values

    mutating func value(depth: Int) -> String {
        switch int(0...19) {
        case 0...4: return string()
        case 5...7: return integer()
        case 8...9: return float()
        case 10: return pick(["true", "false"])
        case 11...13: return dateTime()
        case 14...16 where depth < 5: return array(depth: depth)
        case 17...18 where depth < 5: return inlineTable(depth: depth)
        default: return integer()
        }
    }

    mutating func string() -> String {
        switch int(0...5) {
        case 0...1: return "\"" + basicContent(length: int(0...12)) + "\""
        case 2: return "'" + literalContent(length: int(0...12)) + "'"
        case 3...4: return multiLineBasicString()
        default: return multiLineLiteralString()
        }
    }

    static let plain: [String] = [
        "a", "Z", "0", " ", " ", "#", "=", "[", "]", "{", "}", ",", ".", "é", "中", "😀", "\u{85}", "\u{A0}",
        "\u{FEFF}", "\u{E000}", "\u{10FFFF}", "\t", "e\u{301}",
    ]

    mutating func basicContent(length: Int) -> String {
        (0..<length).map { _ in
            if chance(0.3) {
                return pick([
                    "\\n", "\\t", "\\\"", "\\\\", "\\b", "\\f", "\\r", "\\u00E9", "\\u4e2D", "\\U0001F600", "\\u0000",
                    "\\u007F", "\\uFEFF", "\\U0010FFFF", "\\u001f", "'",
                ])
            }
            return pick(Self.plain)
        }.joined()
    }

    mutating func literalContent(length: Int) -> String {
        (0..<length).map { _ in pick(Self.plain + ["\\", "\"", "\\n"]) }.joined()
    }

    mutating func multiLineBasicString() -> String {
        var content = chance(0.5) ? "\n" : ""
        for _ in 0..<int(0...8) {
            switch int(0...5) {
            case 0: content += "\n"
            case 1: content += pick(["\"", "\"\""])
            case 2: content += "\\" + blanks() + "\n" + blanks() + (chance(0.3) ? "\n  " : "")
            default: content += basicContent(length: int(1...4))
            }
        }
        while let run = content.range(of: "\"\"\"") { content.replaceSubrange(run, with: "\"\"\\\"") }
        return "\"\"\"" + content + pick(["", "\"", "\"\""]) + "\"\"\""
    }

    mutating func multiLineLiteralString() -> String {
        var content = chance(0.5) ? "\n" : ""
        for _ in 0..<int(0...8) {
            content += chance(0.25) ? pick(["\n", "'", "''", "\\", "\\\n"]) : literalContent(length: int(1...4))
        }
        while let run = content.range(of: "'''") { content.replaceSubrange(run, with: "''") }
        return "'''" + content + pick(["", "'", "''"]) + "'''"
    }

    mutating func integer() -> String {
        switch int(0...9) {
        case 0:
            return pick(["9223372036854775807", "-9223372036854775808", "+9_223_372_036_854_775_807", "0", "-0", "+0"])
        case 1: return "0x" + digits(count: int(1...15), from: "0123456789abcdefABCDEF")
        case 2: return "0o" + digits(count: int(1...20), from: "01234567")
        case 3: return "0b" + digits(count: int(1...62), from: "01")
        default: return pick(["", "", "+", "-"]) + decimal(count: int(1...18))
        }
    }

    mutating func float() -> String {
        switch int(0...9) {
        case 0: return pick(["inf", "+inf", "-inf", "nan", "+nan", "-nan", "-0.0", "+0.0", "0e0", "1e400", "-1e-400"])
        default:
            let sign = pick(["", "", "+", "-"])
            let fraction = chance(0.8) ? "." + digits(count: int(1...17), from: "0123456789") : ""
            let exponent =
                fraction.isEmpty || chance(0.3)
                ? pick(["e", "E"]) + pick(["", "+", "-"]) + digits(count: int(1...3), from: "0123456789") : ""
            return sign + decimal(count: int(1...6)) + fraction + exponent
        }
    }

    /// Decimal digits with no leading zero and, sometimes, single underscores between digits.
    mutating func decimal(count: Int) -> String {
        count == 1
            ? digits(count: 1, from: "0123456789")
            : digits(count: 1, from: "123456789") + digits(count: count - 1, from: "0123456789", underscores: true)
    }

    mutating func digits(count: Int, from alphabet: String, underscores: Bool = true) -> String {
        let characters = Array(alphabet)
        var text = ""
        for index in 0..<count {
            if index > 0 && underscores && chance(0.1) { text += "_" }
            text.append(pick(characters))
        }
        return text
    }

    mutating func dateTime() -> String {
        let year = chance(0.1) ? pick([1, 1600, 1900, 2000, 2024, 2100, 9999]) : int(1...9999)
        let month = int(1...12)
        let day = chance(0.1) && month == 2 ? 29 : int(1...28)
        let date = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        let fraction = chance(0.3) ? "." + digits(count: int(1...9), from: "0123456789", underscores: false) : ""
        let time = pad(int(0...23), 2) + ":" + pad(int(0...59), 2) + ":" + pad(int(0...59), 2) + fraction
        let offset = pick([
            "Z", "z", "+" + pad(int(0...23), 2) + ":" + pad(int(0...59), 2),
            "-" + pad(int(0...23), 2) + ":" + pad(int(0...59), 2),
        ])
        switch int(0...3) {
        case 0: return date + pick(["T", "t", " "]) + time + offset
        case 1: return date + pick(["T", "t", " "]) + time
        case 2: return date
        default: return time
        }
    }

    mutating func array(depth: Int) -> String {
        let count = int(0...4)
        var text = "[" + arrayGap()
        for index in 0..<count {
            text += value(depth: depth + 1)
            if index < count - 1 || chance(0.3) { text += arrayGap() + "," }
            text += arrayGap()
        }
        return text + "]"
    }

    mutating func inlineTable(depth: Int) -> String {
        let pairs = (0..<int(0...3)).map { _ in
            key(parts: int(1...2)) + blanks() + "=" + blanks() + value(depth: depth + 1)
        }
        return "{" + blanks() + pairs.joined(separator: blanks() + "," + blanks()) + blanks() + "}"
    }

    // MARK: - Trivia

    mutating func blanks() -> String { pick(["", "", " ", " ", "\t", "  "]) }

    mutating func arrayGap() -> String { pick(["", " ", " ", "\n", "\n  ", " # note\n", "\t", "\r\n"]) }

    mutating func comment() -> String { "#" + pick(["", " comment", " é 中 \t [x] = \"", "#", " ' '''"]) }

    // MARK: - Randomness

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
