/// A TOML 1.0 value, detached from the text it came from.
///
/// The four date and time types stay distinct, as the specification defines them: only an offset date-time names an
/// instant, and a consumer must decide itself what a local one means (usually: in a configured time zone).
public enum TOMLValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// `1979-05-27T07:32:00-07:00`; the offset is in minutes east of UTC (`Z` is 0).
    case offsetDateTime(TOMLDate, TOMLTime, offsetMinutes: Int)
    /// `1979-05-27T07:32:00`
    case localDateTime(TOMLDate, TOMLTime)
    /// `1979-05-27`
    case localDate(TOMLDate)
    /// `07:32:00`
    case localTime(TOMLTime)
    case array([TOMLValue])
    case table([String: TOMLValue])
}

/// A calendar date as written, already checked: month 1...12, day within the month (leap years included).
public struct TOMLDate: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }
}

/// A time of day as written, already checked: hour 0...23, minute 0...59, second 0...59.
public struct TOMLTime: Sendable, Hashable {
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// The fractional seconds; digits beyond the ninth are dropped, as the specification allows.
    public var nanosecond: Int

    public init(hour: Int, minute: Int, second: Int, nanosecond: Int = 0) {
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
    }
}
