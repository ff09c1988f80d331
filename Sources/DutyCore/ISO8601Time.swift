import Foundation

/// A date or a date-time as written in ISO 8601 (extended format), before a time zone is applied: the one reader
/// of ISO 8601 text in dutyd. Schedules, `dutyd --clock-start`, the query socket's `from`/`to`/`deadline` and
/// `dutyctl` (`agenda --from`, `rrule --after`, ...) all read through it.
///
/// Accepted forms (ASCII, nothing else around them):
///
/// | form | example | reads as |
/// | --- | --- | --- |
/// | `YYYY-MM-DD` | `2018-09-17` | the start (00:00) of that day in the default zone |
/// | `YYYY-MM-DDTHH:MM:SS` | `2018-09-17T09:00:00` | that wall time in the default zone |
/// | `YYYY-MM-DDTHH:MM` | `2018-10-10T15:00` | the same with 00 seconds (ISO 8601's reduced precision) |
/// | … with an offset | `2018-09-17T09:00:00+08:00`, `…T01:00:00Z` | that instant; the default zone plays no part |
///
/// A space may stand for the `T`, `z` for `Z`; seconds may carry a fraction (`09:00:00.250`, kept to the
/// nanosecond). Hours are 00…23, minutes and seconds 00…59 (no leap second), offsets at most ±23:59, years four
/// digits; the date must exist (`2018-02-29` does not).
///
/// **The one rule:** a bare date or a local date-time names a wall time, and is read in the *default zone the
/// caller states* (`instant(defaultZone:)`); nothing here guesses a zone. A wall time that a DST change skips is
/// read with the offset before the gap (it lands after the gap, `02:30` → `03:30` on a spring-forward night); one
/// that a DST change repeats resolves to its first instance. Which zone a caller states is its documented choice:
/// the plan's zone for the socket and the CLI's schedule commands, UTC for `dutyd --clock-start`, the floating zone
/// for `dutyctl rrule --after`.
///
/// `description` is the canonical form (`T`, `Z` for a zero offset, the fraction without trailing zeros); it
/// re-parses to an equal value.
public struct ISO8601Time: Sendable, Hashable, CustomStringConvertible {
    /// A wall-clock time of day.
    public struct TimeOfDay: Sendable, Hashable {
        public var hour: Int
        public var minute: Int
        public var second: Int
        /// 0 ..< 1_000_000_000.
        public var nanosecond: Int

        public init(hour: Int, minute: Int, second: Int = 0, nanosecond: Int = 0) {
            self.hour = hour
            self.minute = minute
            self.second = second
            self.nanosecond = nanosecond
        }
    }

    public var date: CivilDate
    /// nil for a bare date.
    public var timeOfDay: TimeOfDay?
    /// Seconds east of UTC; nil for a local (zone-less) date or date-time.
    public var utcOffset: Int?

    public init(date: CivilDate, timeOfDay: TimeOfDay? = nil, utcOffset: Int? = nil) {
        self.date = date
        self.timeOfDay = timeOfDay
        self.utcOffset = utcOffset
    }

    /// The instant written as the wall time of `zone`, with that zone's offset then (`…T09:00:00+08:00`).
    public init(_ instant: Date, in zone: TimeZone) {
        let whole = instant.timeIntervalSince1970.rounded(.down)
        let local = LocalTime(instant, in: zone)
        let nanosecond = min(999_999_999, Int(((instant.timeIntervalSince1970 - whole) * 1e9).rounded()))
        self.init(
            date: local.date, timeOfDay: TimeOfDay(hour: local.hour, minute: local.minute, second: local.second, nanosecond: nanosecond),
            utcOffset: zone.secondsFromGMT(for: instant))
    }

    /// True for `YYYY-MM-DD` without a time.
    public var isDateOnly: Bool { timeOfDay == nil }

    /// True when the text names an instant by itself (it has an offset or `Z`).
    public var isAbsolute: Bool { utcOffset != nil }

    /// The instant: with an offset, that one; otherwise the wall time (a bare date: its 00:00) in `zone`.
    public func instant(defaultZone zone: TimeZone) -> Date {
        let t = timeOfDay ?? TimeOfDay(hour: 0, minute: 0)
        let fraction = Double(t.nanosecond) / 1e9
        if let utcOffset {
            let wall = date.dayNumber * 86_400 + t.hour * 3600 + t.minute * 60 + t.second
            return Date(timeIntervalSince1970: Double(wall - utcOffset) + fraction)
        }
        return LocalTime.instant(date: date, hour: t.hour, minute: t.minute, second: t.second, in: zone)
            .addingTimeInterval(fraction)
    }

    /// `2018-09-17`, `2018-09-17T09:00:00`, `2018-09-17T09:00:00.25+08:00`, `2018-09-17T01:00:00Z`.
    public var description: String {
        guard let t = timeOfDay else { return date.description }
        var out = "\(date)T\(Self.two(t.hour)):\(Self.two(t.minute)):\(Self.two(t.second))"
        if t.nanosecond > 0 {
            var digits = String(t.nanosecond)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            out += "." + digits
        }
        if let utcOffset {
            if utcOffset == 0 {
                out += "Z"
            } else {
                let a = abs(utcOffset)
                out += (utcOffset < 0 ? "-" : "+") + Self.two(a / 3600) + ":" + Self.two(a % 3600 / 60)
            }
        }
        return out
    }

    private static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    // MARK: - Reading

    /// Reads a date or date-time (see the type documentation); the error names the column and what was expected.
    public init(_ text: String) throws(ISO8601TimeError) {
        var scanner = Scanner(text)
        let date = try scanner.date()
        guard !scanner.atEnd else {
            self.init(date: date)
            return
        }
        guard scanner.peek == "T" || scanner.peek == " " else {
            throw scanner.error(.expectedTime, "expected 'T' and a time HH:MM:SS, or the end of a date YYYY-MM-DD")
        }
        scanner.advance()
        let time = try scanner.time()
        var offset: Int? = nil
        if !scanner.atEnd {
            offset = try scanner.offset()
        }
        guard scanner.atEnd else {
            throw scanner.error(.trailingCharacters, "unexpected text after the \(offset == nil ? "time" : "offset")")
        }
        self.init(date: date, timeOfDay: time, utcOffset: offset)
    }

    /// Reads a calendar date `YYYY-MM-DD` and nothing else (a time is refused with its column).
    public static func date(_ text: String) throws(ISO8601TimeError) -> CivilDate {
        var scanner = Scanner(text)
        let date = try scanner.date()
        guard scanner.atEnd else { throw scanner.error(.trailingCharacters, "expected the end of a date YYYY-MM-DD") }
        return date
    }

    /// Reads a calendar month `YYYY-MM`; returns its first day.
    public static func month(_ text: String) throws(ISO8601TimeError) -> CivilDate {
        var scanner = Scanner(text)
        let (year, month) = try scanner.yearMonth()
        guard scanner.atEnd else { throw scanner.error(.trailingCharacters, "expected the end of a month YYYY-MM") }
        return CivilDate(year: year, month: month, day: 1)
    }

    /// A cursor over the characters of the input; columns are 1-based and count characters.
    private struct Scanner {
        let input: String
        let chars: [Character]
        var index = 0

        init(_ input: String) {
            self.input = input
            self.chars = Array(input)
        }

        var atEnd: Bool { index >= chars.count }
        var peek: Character? { atEnd ? nil : chars[index] }
        mutating func advance() { index += 1 }

        func error(_ code: ISO8601TimeError.Code, _ message: String, from start: Int? = nil) -> ISO8601TimeError {
            let lower = (start ?? index) + 1
            let upper = max(lower + 1, index + 1)
            return ISO8601TimeError(input: input, code: code, columns: lower..<(start == nil ? lower + 1 : upper), message: message)
        }

        /// Exactly `count` ASCII digits.
        mutating func digits(_ count: Int, _ code: ISO8601TimeError.Code, _ what: String) throws(ISO8601TimeError) -> Int {
            var value = 0
            for _ in 0..<count {
                guard let c = peek, c.isASCII, let d = c.wholeNumberValue else {
                    throw error(code, atEnd ? "\(what), but the text ends here" : what)
                }
                value = value * 10 + d
                advance()
            }
            return value
        }

        mutating func expect(_ c: Character, _ code: ISO8601TimeError.Code, _ what: String) throws(ISO8601TimeError) {
            guard peek == c else { throw error(code, atEnd ? "\(what), but the text ends here" : what) }
            advance()
        }

        mutating func yearMonth() throws(ISO8601TimeError) -> (Int, Int) {
            guard !chars.isEmpty else { throw error(.empty, "expected a date YYYY-MM-DD, got nothing") }
            let year = try digits(4, .expectedDate, "expected a four-digit year (YYYY-MM-DD)")
            try expect("-", .expectedDate, "expected '-' after the year (YYYY-MM-DD)")
            let monthStart = index
            let month = try digits(2, .expectedDate, "expected a two-digit month (YYYY-MM-DD)")
            guard (1...12).contains(month) else { throw error(.invalidDate, "month must be 01…12, got \(month)", from: monthStart) }
            return (year, month)
        }

        mutating func date() throws(ISO8601TimeError) -> CivilDate {
            let (year, month) = try yearMonth()
            try expect("-", .expectedDate, "expected '-' after the month (YYYY-MM-DD)")
            let dayStart = index
            let day = try digits(2, .expectedDate, "expected a two-digit day (YYYY-MM-DD)")
            let last = CivilDate.daysInMonth(year: year, month: month)
            guard (1...last).contains(day) else {
                let monthText = CivilDate(year: year, month: month, day: 1).description.prefix(7)
                throw error(.invalidDate, "day must be 01…\(last) in \(monthText), got \(day)", from: dayStart)
            }
            return CivilDate(year: year, month: month, day: day)
        }

        mutating func time() throws(ISO8601TimeError) -> TimeOfDay {
            let hourStart = index
            let hour = try digits(2, .expectedTime, "expected a two-digit hour (HH:MM:SS)")
            guard hour < 24 else { throw error(.outOfRange, "hour must be 00…23, got \(hour)", from: hourStart) }
            try expect(":", .expectedTime, "expected ':' after the hour (HH:MM:SS)")
            let minuteStart = index
            let minute = try digits(2, .expectedTime, "expected a two-digit minute (HH:MM:SS)")
            guard minute < 60 else { throw error(.outOfRange, "minute must be 00…59, got \(minute)", from: minuteStart) }
            // Seconds may be left out (`15:00`): 00.
            guard peek == ":" else { return TimeOfDay(hour: hour, minute: minute) }
            try expect(":", .expectedTime, "expected ':' and seconds after the minute (HH:MM:SS)")
            let secondStart = index
            let second = try digits(2, .expectedTime, "expected two-digit seconds (HH:MM:SS)")
            guard second < 60 else { throw error(.outOfRange, "second must be 00…59, got \(second)", from: secondStart) }
            var nanosecond = 0
            if peek == "." {
                advance()
                var count = 0
                while let c = peek, c.isASCII, let d = c.wholeNumberValue {
                    if count < 9 { nanosecond = nanosecond * 10 + d }
                    count += 1
                    advance()
                }
                guard count > 0 else { throw error(.expectedTime, "expected digits of a fraction of a second") }
                for _ in min(count, 9)..<9 { nanosecond *= 10 }
            }
            return TimeOfDay(hour: hour, minute: minute, second: second, nanosecond: nanosecond)
        }

        mutating func offset() throws(ISO8601TimeError) -> Int {
            guard let c = peek else { return 0 }
            if c == "Z" || c == "z" {
                advance()
                return 0
            }
            guard c == "+" || c == "-" else { throw error(.expectedOffset, "expected Z, +HH:MM or -HH:MM after the time") }
            let start = index
            advance()
            let hours = try digits(2, .expectedOffset, "expected a two-digit offset hour (+HH:MM)")
            try expect(":", .expectedOffset, "expected ':' in the offset (+HH:MM)")
            let minutes = try digits(2, .expectedOffset, "expected two-digit offset minutes (+HH:MM)")
            guard hours < 24, minutes < 60 else {
                throw error(.outOfRange, "offset must be at most ±23:59", from: start)
            }
            return (hours * 3600 + minutes * 60) * (c == "-" ? -1 : 1)
        }
    }
}

/// Why ISO 8601 text was refused, and where: the 1-based column range (in characters), a code and a message.
///
/// `description` renders it compiler-style, like the other core errors:
///
/// ```
/// iso8601:1:6: error: month must be 01…12, got 13
///  | 2018-13-01
///  |      ^~
/// ```
public struct ISO8601TimeError: Error, PositionedError, Sendable, Hashable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Nothing to read.
        case empty
        /// The date is not `YYYY-MM-DD`.
        case expectedDate
        /// A month or day that does not exist (`2018-13-01`, `2018-02-29`).
        case invalidDate
        /// The time is not `HH:MM:SS[.fraction]`.
        case expectedTime
        /// Neither `Z` nor `±HH:MM` follows the time.
        case expectedOffset
        /// An hour, minute, second or offset outside its range.
        case outOfRange
        /// Text after a complete date, date-time or offset.
        case trailingCharacters
    }

    public var input: String
    public var code: Code
    /// 1-based, half-open column range of the offending text; never empty.
    public var columns: Range<Int>
    public var message: String

    public var column: Int { columns.lowerBound }

    public init(input: String, code: Code, columns: Range<Int>, message: String) {
        self.input = input
        self.code = code
        self.columns = columns
        self.message = message
    }

    public var description: String { rendered(source: "iso8601") }

    /// `SOURCE:1:COLUMN: error: MESSAGE`, the input and a caret line under the columns.
    public func rendered(source: String) -> String {
        caretRendering(source: source, input: input, columns: columns, message: message)
    }
}

/// The compiler-style rendering shared by the core's positioned errors: a `source:1:column: error:` line, the
/// input (control characters shown as `?`) and a caret line.
func caretRendering(source: String, input: String, columns: Range<Int>, message: String) -> String {
    let shown = String(input.map { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7F) ? "?" : $0 })
    return "\(source):1:\(columns.lowerBound): error: \(message)\n | \(shown)\n | "
        + String(repeating: " ", count: max(0, columns.lowerBound - 1)) + "^"
        + String(repeating: "~", count: max(0, columns.count - 1))
}
