/// An RFC 5545 recurrence rule (the value of an `RRULE` property, §3.3.10).
///
/// The rule is pure data: it is expanded against a start (`DTSTART`) by `RecurrenceSet`. `description` prints the
/// rule back as rule text that parses to an equal value (parts in RFC order, lists in the order given).
public struct RecurrenceRule: Sendable, Hashable, CustomStringConvertible {
    public enum Frequency: Int, Sendable, Hashable, CaseIterable, Comparable {
        case secondly, minutely, hourly, daily, weekly, monthly, yearly

        public var name: String {
            ["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"][rawValue]
        }

        public static func < (lhs: Frequency, rhs: Frequency) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A `BYDAY` entry: a weekday with an optional ordinal (`1MO`, `-1FR`); `ordinal == nil` means every one.
    public struct WeekdayNumber: Sendable, Hashable, CustomStringConvertible {
        public var weekday: Weekday
        public var ordinal: Int?

        public init(_ weekday: Weekday, ordinal: Int? = nil) {
            self.weekday = weekday
            self.ordinal = ordinal
        }

        public var description: String {
            (ordinal.map { String($0) } ?? "") + weekday.icalName
        }
    }

    /// The `UNTIL` bound (inclusive).
    public enum Until: Sendable, Hashable, CustomStringConvertible {
        /// `UNTIL=20260131`: compared as 00:00 local time of that date (dateutil's reading).
        case date(CivilDate)
        /// `UNTIL=20260131T090000`: a local (floating) date-time in the start's time zone.
        case local(CivilDate, secondOfDay: Int)
        /// `UNTIL=20260131T090000Z`.
        case utc(CivilDate, secondOfDay: Int)

        public var description: String {
            switch self {
            case .date(let d): return RecurrenceRule.compact(d)
            case .local(let d, let s): return RecurrenceRule.compact(d) + "T" + RecurrenceRule.compactTime(s)
            case .utc(let d, let s): return RecurrenceRule.compact(d) + "T" + RecurrenceRule.compactTime(s) + "Z"
            }
        }
    }

    public var frequency: Frequency
    public var interval: Int
    public var count: Int?
    public var until: Until?
    public var bySecond: [Int]
    public var byMinute: [Int]
    public var byHour: [Int]
    public var byDay: [WeekdayNumber]
    public var byMonthDay: [Int]
    public var byYearDay: [Int]
    public var byWeekNumber: [Int]
    public var byMonth: [Int]
    public var bySetPosition: [Int]
    public var weekStart: Weekday

    /// A rule from its parts. No validation happens here; `init(parsing:)` validates text.
    public init(
        frequency: Frequency, interval: Int = 1, count: Int? = nil, until: Until? = nil,
        bySecond: [Int] = [], byMinute: [Int] = [], byHour: [Int] = [], byDay: [WeekdayNumber] = [],
        byMonthDay: [Int] = [], byYearDay: [Int] = [], byWeekNumber: [Int] = [], byMonth: [Int] = [],
        bySetPosition: [Int] = [], weekStart: Weekday = .monday
    ) {
        self.frequency = frequency
        self.interval = interval
        self.count = count
        self.until = until
        self.bySecond = bySecond
        self.byMinute = byMinute
        self.byHour = byHour
        self.byDay = byDay
        self.byMonthDay = byMonthDay
        self.byYearDay = byYearDay
        self.byWeekNumber = byWeekNumber
        self.byMonth = byMonth
        self.bySetPosition = bySetPosition
        self.weekStart = weekStart
    }

    /// Canonical rule text without the `RRULE:` prefix.
    public var description: String {
        var parts = ["FREQ=" + frequency.name]
        if interval != 1 { parts.append("INTERVAL=\(interval)") }
        if let count { parts.append("COUNT=\(count)") }
        if let until { parts.append("UNTIL=\(until)") }
        func list(_ name: String, _ values: [Int]) {
            if !values.isEmpty { parts.append(name + "=" + values.map(String.init).joined(separator: ",")) }
        }
        list("BYMONTH", byMonth)
        list("BYWEEKNO", byWeekNumber)
        list("BYYEARDAY", byYearDay)
        list("BYMONTHDAY", byMonthDay)
        if !byDay.isEmpty { parts.append("BYDAY=" + byDay.map(\.description).joined(separator: ",")) }
        list("BYHOUR", byHour)
        list("BYMINUTE", byMinute)
        list("BYSECOND", bySecond)
        list("BYSETPOS", bySetPosition)
        if weekStart != .monday { parts.append("WKST=" + weekStart.icalName) }
        return parts.joined(separator: ";")
    }

    static func pad(_ v: Int, _ w: Int) -> String {
        let s = String(v)
        return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
    }

    static func compact(_ d: CivilDate) -> String { pad(d.year, 4) + pad(d.month, 2) + pad(d.day, 2) }

    static func compactTime(_ s: Int) -> String { pad(s / 3600, 2) + pad(s / 60 % 60, 2) + pad(s % 60, 2) }
}
