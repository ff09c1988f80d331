import Foundation

/// A length of time in whole seconds, `90m`, `1.5d`, `1d12h`, `2w`: the one reader of durations in dutyd.
/// Schedules (`grace`, `due_within`), `dutyd --catch-up` and `--retention` and dutyctl read through it, and
/// its `abbreviated` form is how the daemon's `STATUS=` line and `dutyctl status`/`show` print spans.
///
/// Grammar (units are lower case; spaces may go anywhere between the parts):
///
/// ```
/// span      = "0" / component *component
/// component = number unit
/// number    = 1*DIGIT [ "." 1*DIGIT ]
/// unit      = "s" / "sec" / "second" / "seconds"        ; 1 s
///           / "m" / "min" / "minute" / "minutes"        ; 60 s
///           / "h" / "hour" / "hours"                    ; 3600 s
///           / "d" / "day" / "days"                      ; 86400 s
///           / "w" / "week" / "weeks"                    ; 604800 s
/// ```
///
/// - **Compound forms** add up: `1d12h`, `1d 12h` and `36h` are equal; units may come in any order and repeat.
/// - **Fractions** are allowed in any component (`1.5d` = `36h`, `0.5m` = `30s`) as long as the whole span comes
///   to a whole number of seconds (`0.5s` is refused).
/// - A bare `0` is the zero span; any other number needs a unit. Negative spans do not exist.
/// - At most `maximum` (36,500 days, about a century); callers bound it further where they need to (schedules
///   take `grace` and `due_within` below 400 days).
///
/// The unit words are those of `AdvanceWarning` (`30m`, `2 hours`, `1w`); an advance warning also knows
/// workdays and keeps the wall time across DST, so it stays a type of its own.
///
/// `description` is the canonical form, days first and without weeks or spaces (`1d12h`, `1h30m`, `0`); it
/// re-parses to an equal value. Codable as that string.
public struct TimeSpan: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Whole seconds, never negative.
    public let seconds: Int64

    /// 36,500 days.
    public static let maximum = TimeSpan(seconds: 36_500 * 86_400)
    public static let zero = TimeSpan(seconds: 0)

    public init(seconds: Int64) {
        precondition(seconds >= 0, "a time span is never negative")
        self.seconds = seconds
    }

    /// The span nearest to `interval` seconds, negative ones as zero (for showing measured times, not for input).
    public init(rounding interval: TimeInterval) {
        let rounded = interval.rounded()
        self.init(seconds: rounded.isNaN || rounded <= 0 ? 0 : (rounded >= 9.2e18 ? Int64.max : Int64(rounded)))
    }

    public var timeInterval: TimeInterval { TimeInterval(seconds) }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds < rhs.seconds }

    /// A unit of the grammar and its length.
    public enum Unit: Int64, Sendable, Hashable, CaseIterable {
        case second = 1
        case minute = 60
        case hour = 3600
        case day = 86_400
        case week = 604_800

        /// The unit a word of the grammar names (`m`, `min`, `minute`, `minutes` ...), nil for any other word.
        public init?(word: some StringProtocol) {
            switch word {
            case "s", "sec", "second", "seconds": self = .second
            case "m", "min", "minute", "minutes": self = .minute
            case "h", "hour", "hours": self = .hour
            case "d", "day", "days": self = .day
            case "w", "week", "weeks": self = .week
            default: return nil
            }
        }

        /// The one-letter symbol of the canonical form.
        public var symbol: String {
            switch self {
            case .second: "s"
            case .minute: "m"
            case .hour: "h"
            case .day: "d"
            case .week: "w"
            }
        }
    }

    /// Canonical: `1d12h`, `1h30m`, `45s`, `0` (days first; weeks are written as days).
    public var description: String {
        guard seconds > 0 else { return "0" }
        var rest = seconds
        var out = ""
        for unit in [Unit.day, .hour, .minute, .second] where rest >= unit.rawValue {
            out += "\(rest / unit.rawValue)\(unit.symbol)"
            rest %= unit.rawValue
        }
        return out
    }

    /// The two largest units, for people: `2d 3h`, `5h 2m`, `4m 10s`, `40s` (the smaller unit is cut, not
    /// rounded). The daemon's `STATUS=` line and `dutyctl status`/`show` print spans this way.
    public var abbreviated: String {
        let d = seconds / 86_400
        let h = seconds % 86_400 / 3600
        let m = seconds % 3600 / 60
        let s = seconds % 60
        if d > 0 { return "\(d)d \(h)h" }
        if h > 0 { return "\(h)h \(m)m" }
        if m > 0 { return "\(m)m \(s)s" }
        return "\(s)s"
    }

    // MARK: - Reading

    /// Reads a span (see the type documentation); the error names the columns and what was expected.
    public init(_ text: String) throws(TimeSpanError) {
        let chars = Array(text)
        let limit = Self.maximum.seconds
        var i = 0
        /// An error over the columns `start ..< end` (0-based character indices; one column when `end` is nil).
        func fail(_ code: TimeSpanError.Code, _ start: Int, _ end: Int? = nil, _ message: String) -> TimeSpanError {
            TimeSpanError(input: text, code: code, columns: (start + 1)..<(max(start, (end ?? start + 1) - 1) + 2), message: message)
        }
        func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }
        func digit(_ at: Int) -> Int64? {
            guard at < chars.count, chars[at].isASCII, let d = chars[at].wholeNumberValue else { return nil }
            return Int64(d)
        }
        let tooLong = "a time span is at most \(Self.maximum) (\(limit / 86_400) days)"
        skipSpaces()
        guard i < chars.count else {
            throw fail(.empty, i, nil, "expected a time span like 90m, 12h, 1.5d or 1d12h, got nothing")
        }
        var total: Int64 = 0
        var components = 0
        while true {
            // number = 1*DIGIT [ "." 1*DIGIT ], kept exactly as whole + fraction / scale.
            let numberStart = i
            var whole: Int64 = 0
            var tooLarge = false
            while let d = digit(i) {
                if whole > limit { tooLarge = true } else { whole = whole * 10 + d }
                i += 1
            }
            guard i > numberStart else {
                throw fail(
                    .expectedNumber, i, nil,
                    components == 0
                        ? "expected a number (a time span is like 90m, 12h, 1.5d or 1d12h)"
                        : "expected a number or the end of the time span")
            }
            var fraction: Int64 = 0
            var scale: Int64 = 1
            var inexact = false  // a nonzero digit beyond the ninth decimal never comes to whole seconds
            if i < chars.count, chars[i] == "." {
                i += 1
                let fractionStart = i
                while let d = digit(i) {
                    if scale < 1_000_000_000 {
                        fraction = fraction * 10 + d
                        scale *= 10
                    } else if d != 0 {
                        inexact = true
                    }
                    i += 1
                }
                guard i > fractionStart else { throw fail(.expectedNumber, i, nil, "expected digits after the decimal point") }
            }
            let number = String(chars[numberStart..<i])
            skipSpaces()
            // unit
            let unitStart = i
            while i < chars.count, chars[i].isASCII, chars[i].isLetter { i += 1 }
            let word = String(chars[unitStart..<i])
            if word.isEmpty {
                skipSpaces()
                if components == 0, i == chars.count, whole == 0, fraction == 0, !tooLarge, !inexact { break }  // a bare 0
                throw fail(.expectedUnit, unitStart, nil, "expected a unit after '\(number)': s, m, h, d or w (only 0 stands without one)")
            }
            guard let unit = Unit(word: word) else {
                throw fail(.unknownUnit, unitStart, i, "unknown unit '\(word)': expected s, m, h, d or w")
            }
            let (wholeSeconds, overflow) = whole.multipliedReportingOverflow(by: unit.rawValue)
            guard !tooLarge, !overflow, wholeSeconds <= limit else { throw fail(.outOfRange, numberStart, i, tooLong) }
            let fractionUnits = fraction * unit.rawValue  // < 10^9 × 604800: no overflow
            guard !inexact, fractionUnits % scale == 0 else {
                throw fail(.fractionalSecond, numberStart, i, "\(number)\(unit.symbol) is not a whole number of seconds")
            }
            total += wholeSeconds + fractionUnits / scale
            guard total <= limit else { throw fail(.outOfRange, numberStart, i, tooLong) }
            components += 1
            skipSpaces()
            if i == chars.count { break }
        }
        self.seconds = total
    }

    /// Encoded as the canonical string (`"1d12h"`); decoding reads and validates it.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a time span was refused, and where: the 1-based column range (in characters), a code and a message.
///
/// ```
/// timespan:1:2: error: unknown unit 'x': expected s, m, h, d or w
///  | 3x
///  |  ^
/// ```
public struct TimeSpanError: Error, PositionedError, Sendable, Hashable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Nothing but spaces.
        case empty
        /// A number was expected (at the start, or after a component).
        case expectedNumber
        /// A number without a unit (other than a bare 0).
        case expectedUnit
        /// A word that names no unit (`3x`, `3D`, `2 workdays`).
        case unknownUnit
        /// The span does not come to whole seconds (`0.5s`, `1.0000001m`).
        case fractionalSecond
        /// Longer than `TimeSpan.maximum`.
        case outOfRange
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

    public var description: String { rendered(source: "timespan") }

    /// `SOURCE:1:COLUMN: error: MESSAGE`, the input and a caret line under the columns.
    public func rendered(source: String) -> String {
        caretRendering(source: source, input: input, columns: columns, message: message)
    }
}
