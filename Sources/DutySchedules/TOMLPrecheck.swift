/// A guard in front of TOMLKit's parser (toml++ 3.x), found by fuzzing (Fuzz/Sources/FuzzScheduleLoader).
///
/// toml++ parses a table header by skipping `[` (or `[[`) and blanks and then *asserting* that a key starts there:
/// `TOML_ASSERT_ASSUME(is_bare_key_character(*cp) || is_string_delimiter(*cp))`. Without NDEBUG (SwiftPM builds
/// C++ without it) that is `assert`, so a schedule file containing a line such as ``[`x]``, `[=`, `[é]` or a lone
/// `[` aborts the whole process (dutyd on start or on SIGHUP, dutyctl validate); with NDEBUG it is undefined
/// behaviour. This scanner finds such a header first, so the loader reports an ordinary syntax error.
///
/// The second case, found the same way: a date-time value whose time does not start with a digit
/// (`dtstart = 2018-01-01TL09:00:00`) trips `TOML_ASSERT_ASSUME(is_decimal_digit(*cp))` in `parse_time`.
///
/// The third: an array in which a `}` stands where a value is expected (`members = ["a",}`) trips
/// `TOML_ASSERT_ASSUME(!is_value_terminator(*cp))` in `parse_value`.
///
/// The fourth: a date whose day is not two digits (`start = 2018-01-el`) trips the same assertion.
///
/// It tracks just enough of TOML to tell a table header (a `[` first on a line, outside strings, comments and
/// array or inline-table values) from an array value, and a value position (after `=`, or an array's `[` or `,`)
/// from a key; it never rejects a document toml++ would accept.
enum TOMLPrecheck {
    struct Problem: Equatable {
        var line: Int
        var column: Int
        var found: String
        var message: String
    }

    /// The first table header whose key does not start with a bare-key character, a quote or `]`, or the first
    /// date-time value whose time part does not start with a digit.
    static func invalidTableHeader(in text: String) -> Problem? {
        let bytes = Array(text.utf8)
        let n = bytes.count
        var i = 0
        var line = 1
        var lineStartIndex = 0
        var atLineStart = true
        var stack: [UInt8] = []  // open `[` and `{` of values
        var previous: UInt8 = 0  // the last significant character outside strings and comments
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

        func column(_ index: Int) -> Int {
            // 1-based, in Unicode scalars (continuation bytes 10xxxxxx are not counted).
            bytes[lineStartIndex..<index].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        }
        func newline(at index: Int) {
            line += 1
            lineStartIndex = index + 1
        }
        /// Skips a string starting at `i` (a quote); returns the index after it.
        func skipString(_ start: Int) -> Int {
            let quote = bytes[start]
            let escapes = quote == UInt8(ascii: "\"")
            let multiline = start + 2 < n && bytes[start + 1] == quote && bytes[start + 2] == quote
            var j = start + (multiline ? 3 : 1)
            while j < n {
                let c = bytes[j]
                if escapes && c == UInt8(ascii: "\\") {
                    if j + 1 < n && bytes[j + 1] == UInt8(ascii: "\n") { newline(at: j + 1) }
                    j += 2
                    continue
                }
                if c == UInt8(ascii: "\n") {
                    if !multiline { return j }  // unterminated: toml++ reports it
                    newline(at: j)
                } else if c == quote {
                    if !multiline { return j + 1 }
                    if j + 2 < n && bytes[j + 1] == quote && bytes[j + 2] == quote {
                        // Up to two more quotes may belong to the content (`""""` ends with one quote inside).
                        var end = j + 3
                        while end < n && end < j + 5 && bytes[end] == quote { end += 1 }
                        return end
                    }
                }
                j += 1
            }
            return n
        }

        while i < n {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\n"):
                newline(at: i)
                atLineStart = true
                i += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
            case UInt8(ascii: "#"):
                while i < n && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                atLineStart = false
                previous = c
                i = skipString(i)
            case UInt8(ascii: "[") where stack.isEmpty && atLineStart:
                atLineStart = false
                var j = i + 1
                while j < n && (bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t")) { j += 1 }
                if j < n && bytes[j] == UInt8(ascii: "[") {
                    j += 1
                    while j < n && (bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t")) { j += 1 }
                }
                guard j < n else { return nil }  // toml++ reports the end of input itself
                let k = bytes[j]
                let isBare =
                    (k >= UInt8(ascii: "a") && k <= UInt8(ascii: "z")) || (k >= UInt8(ascii: "A") && k <= UInt8(ascii: "Z"))
                    || (k >= UInt8(ascii: "0") && k <= UInt8(ascii: "9")) || k == UInt8(ascii: "_") || k == UInt8(ascii: "-")
                if !(isBare || k == UInt8(ascii: "\"") || k == UInt8(ascii: "'") || k == UInt8(ascii: "]")) {
                    var end = j + 1
                    while end < n && bytes[end] & 0xC0 == 0x80 { end += 1 }
                    let found = k == UInt8(ascii: "\n") ? "end of line" : String(decoding: bytes[j..<end], as: UTF8.self).debugDescription
                    return Problem(line: line, column: column(j), found: found, message: "expected a key in the table header, saw \(found)")
                }
                previous = UInt8(ascii: "[")
                i = j
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                atLineStart = false
                stack.append(c)
                previous = c
                i += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                atLineStart = false
                if c == UInt8(ascii: "}") && stack.last == UInt8(ascii: "[")
                    && (previous == UInt8(ascii: "[") || previous == UInt8(ascii: ","))
                {
                    return Problem(line: line, column: column(i), found: "\"}\"", message: "expected a value or ']' in the array, saw \"}\"")
                }
                if !stack.isEmpty { stack.removeLast() }
                previous = c
                i += 1
            default:
                atLineStart = false
                let valuePosition =
                    previous == UInt8(ascii: "=")
                    || (stack.last == UInt8(ascii: "[") && (previous == UInt8(ascii: "[") || previous == UInt8(ascii: ",")))
                if valuePosition && isDigit(c) && i + 11 < n
                    && bytes[i..<(i + 10)].enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 ? $0.element == UInt8(ascii: "-") : isDigit($0.element) })
                    && (bytes[i + 10] == UInt8(ascii: "T") || bytes[i + 10] == UInt8(ascii: "t")) && !isDigit(bytes[i + 11])
                {
                    var end = i + 12
                    while end < n && bytes[end] & 0xC0 == 0x80 { end += 1 }
                    let found = bytes[i + 11] == UInt8(ascii: "\n") ? "end of line" : String(decoding: bytes[(i + 11)..<end], as: UTF8.self).debugDescription
                    return Problem(line: line, column: column(i + 11), found: found, message: "expected the hour of a date-time, saw \(found)")
                }
                // A value starting `DDDD-DD-` is a date to toml++: the day must be two digits, or
                // `TOML_ASSERT_ASSUME(!is_value_terminator(*cp))` fires while it scans the rest (`2018-01-el`).
                if valuePosition && isDigit(c) && i + 7 < n
                    && bytes[i..<(i + 8)].enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 ? $0.element == UInt8(ascii: "-") : isDigit($0.element) })
                    && !(i + 9 < n && isDigit(bytes[i + 8]) && isDigit(bytes[i + 9]))
                {
                    let at = i + 8 < n && isDigit(bytes[i + 8]) ? i + 9 : i + 8
                    var end = min(at + 1, n)
                    while end < n && bytes[end] & 0xC0 == 0x80 { end += 1 }
                    let found = at >= n || bytes[at] == UInt8(ascii: "\n") ? "end of line" : String(decoding: bytes[at..<end], as: UTF8.self).debugDescription
                    return Problem(line: line, column: column(at), found: found, message: "expected the two-digit day of a date, saw \(found)")
                }
                previous = c
                i += 1
            }
        }
        return nil
    }
}
