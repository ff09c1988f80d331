import Foundation

/// An advance warning: how long before an occurrence a reminder is sent.
///
/// Accepted forms (spaces between number and unit are optional, units are case-sensitive lower case):
/// `30m` (`min`, `minute(s)`), `2h` (`hour(s)`), `3d` (`day(s)`), `1w` (`week(s)`), `2 workdays` (`2wd`,
/// `workday`). The amount is a positive integer with a per-unit upper bound (`maximumAmount`). The canonical
/// form (`description`) is `30m`, `2h`, `3d`, `1w`, `2 workdays` / `1 workday`; it re-parses to an equal value.
///
/// Codable as its canonical string.
///
/// Semantics (`warningInstant(for:in:calendar:)`):
/// - `m`, `h`: that many seconds before the occurrence instant (absolute time).
/// - `d`, `w`: that many local calendar days (7 per week) before, at the same local wall time, counting every day
///   like remind's `++N`; a DST change in between does not move the wall time.
/// - `workdays`: that many workdays before the occurrence's local date, not counting the occurrence day and
///   skipping days off, like remind's `+N`; same local wall time.
/// A wall time that does not exist on the warning day (DST gap) is moved forward by the length of the gap; a
/// repeated wall time (DST fold) resolves to its earlier instant.
public struct AdvanceWarning: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, Codable, CaseIterable {
        case minutes, hours, days, weeks, workdays
    }

    public let amount: Int
    public let unit: Unit

    /// Upper bound of `amount` per unit (about a year each).
    public static func maximumAmount(_ unit: Unit) -> Int {
        switch unit {
        case .minutes: return 527_040
        case .hours: return 8_784
        case .days: return 366
        case .weeks: return 53
        case .workdays: return 260
        }
    }

    public init(amount: Int, unit: Unit) throws(AdvanceWarningError) {
        guard amount >= 1, amount <= AdvanceWarning.maximumAmount(unit) else {
            throw AdvanceWarningError(
                code: .outOfRange, input: "\(amount)", column: 1,
                expected: "an amount between 1 and \(AdvanceWarning.maximumAmount(unit))")
        }
        self.amount = amount
        self.unit = unit
    }

    /// Parses `3d`, `2h`, `30m`, `1w`, `2 workdays`, `2wd` (see the type documentation).
    public init(_ text: String) throws(AdvanceWarningError) {
        let chars = Array(text)
        var i = 0
        func fail(_ code: AdvanceWarningError.Code, at index: Int, _ expected: String) -> AdvanceWarningError {
            AdvanceWarningError(code: code, input: text, column: index + 1, expected: expected)
        }
        while i < chars.count, chars[i] == " " { i += 1 }
        let numberStart = i
        var value = 0
        var overflow = false
        while i < chars.count, let digit = chars[i].wholeNumberValue, chars[i].isASCII {
            if value > 10_000_000 { overflow = true } else { value = value * 10 + digit }
            i += 1
        }
        guard i > numberStart else {
            throw fail(.expectedNumber, at: numberStart, "a number of minutes, hours, days, weeks or workdays")
        }
        while i < chars.count, chars[i] == " " { i += 1 }
        let unitStart = i
        while i < chars.count, chars[i].isASCII, chars[i].isLetter { i += 1 }
        let word = String(chars[unitStart..<i])
        let unit: Unit
        switch word {
        case "m", "min", "minute", "minutes": unit = .minutes
        case "h", "hour", "hours": unit = .hours
        case "d", "day", "days": unit = .days
        case "w", "week", "weeks": unit = .weeks
        case "wd", "workday", "workdays": unit = .workdays
        default:
            throw fail(
                word.isEmpty ? .expectedUnit : .unknownUnit, at: unitStart,
                "a unit: m, h, d, w or workdays (wd)")
        }
        while i < chars.count, chars[i] == " " { i += 1 }
        guard i == chars.count else { throw fail(.trailingCharacters, at: i, "end of input") }
        let maximum = AdvanceWarning.maximumAmount(unit)
        guard !overflow, value >= 1, value <= maximum else {
            throw fail(.outOfRange, at: numberStart, "an amount between 1 and \(maximum)")
        }
        self.amount = value
        self.unit = unit
    }

    /// Encoded as the canonical string (`"2 workdays"`); decoding parses and validates it.
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

    public var description: String {
        switch unit {
        case .minutes: return "\(amount)m"
        case .hours: return "\(amount)h"
        case .days: return "\(amount)d"
        case .weeks: return "\(amount)w"
        case .workdays: return amount == 1 ? "1 workday" : "\(amount) workdays"
        }
    }

    /// The instant the warning fires for an occurrence at `occurrence`, whose wall time is read in `timeZone`.
    /// `calendar` only matters for `workdays` (the default counts every day).
    public func warningInstant(
        for occurrence: Date, in timeZone: TimeZone, calendar: WorkdayCalendar = .everyDay
    ) -> Date {
        switch unit {
        case .minutes: return occurrence.addingTimeInterval(-60 * Double(amount))
        case .hours: return occurrence.addingTimeInterval(-3600 * Double(amount))
        case .days, .weeks, .workdays:
            let local = WallTime(occurrence, in: timeZone)
            return local.instant(onDay: shiftedDay(local.dayNumber, calendar: calendar), in: timeZone)
        }
    }

    /// A lower bound of `warningInstant(for: o)` over all occurrences `o >= occurrence` (used by the merge).
    func lowerBound(forOccurrencesFrom occurrence: Date, in timeZone: TimeZone, calendar: WorkdayCalendar) -> Date {
        switch unit {
        case .minutes, .hours: return warningInstant(for: occurrence, in: timeZone, calendar: calendar)
        case .days, .weeks, .workdays:
            // The local date is monotone in the instant up to a DST fold at midnight: one spare day covers it.
            let local = WallTime(occurrence, in: timeZone)
            let start = WallTime(dayNumber: shiftedDay(local.dayNumber - 1, calendar: calendar), secondOfDay: 0)
            return start.instant(onDay: start.dayNumber, in: timeZone)
        }
    }

    private func shiftedDay(_ day: Int, calendar: WorkdayCalendar) -> Int {
        switch unit {
        case .days: return day - amount
        case .weeks: return day - 7 * amount
        case .workdays: return calendar.adding(workdays: -amount, to: CivilDate(dayNumber: day)).dayNumber
        case .minutes, .hours: return day
        }
    }
}

/// A parse error of an advance warning, with the 1-based column (in characters) and what was expected there.
public struct AdvanceWarningError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case expectedNumber, expectedUnit, unknownUnit, trailingCharacters, outOfRange
    }
    public var code: Code
    public var input: String
    public var column: Int
    public var expected: String

    public init(code: Code, input: String, column: Int, expected: String) {
        self.code = code
        self.input = input
        self.column = column
        self.expected = expected
    }

    /// `column N: expected X` followed by the input and a caret under the column.
    public var description: String {
        "column \(column): expected \(expected)\n  \(input)\n  \(String(repeating: " ", count: column - 1))^"
    }
}

extension AdvanceWarning {
    /// A local wall time: day number (days since 1970-01-01) and seconds into that day, in some time zone.
    struct WallTime: Sendable, Hashable {
        var dayNumber: Int
        var secondOfDay: Double

        init(dayNumber: Int, secondOfDay: Double) {
            self.dayNumber = dayNumber
            self.secondOfDay = secondOfDay
        }

        init(_ date: Date, in timeZone: TimeZone) {
            let whole = date.timeIntervalSince1970.rounded(.down)
            let offset = ZoneRegistry.withZone(timeZone) { $0.offset(at: Int64(whole)) }
            let local = date.timeIntervalSince1970 + Double(offset)
            let day = (local / 86_400).rounded(.down)
            dayNumber = Int(day)
            secondOfDay = local - day * 86_400
        }

        /// The instant of this wall time of day on `day` in `timeZone`: a time inside a DST gap moves forward by the
        /// gap, a repeated time resolves to the earlier instant.
        func instant(onDay day: Int, in timeZone: TimeZone) -> Date {
            let whole = secondOfDay.rounded(.down)
            let local = LocalDateTime(localSeconds: Int64(day) * 86_400 + Int64(whole))
            let instant = ZoneRegistry.withZone(timeZone) { $0.instant(for: local, policy: .earlierOrShiftForward) }
            return Date(timeIntervalSince1970: Double(instant ?? local.localSeconds) + (secondOfDay - whole))
        }
    }
}
