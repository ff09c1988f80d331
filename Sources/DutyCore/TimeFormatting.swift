import Foundation

/// Text forms of instants in a time zone, computed with integer arithmetic (no `DateFormatter`).
public enum TimeFormatting {
    /// `2018-09-17T09:00:00+08:00` (seconds resolution; `Z` is never used, the offset is always numeric).
    public static func iso8601(_ date: Date, in zone: TimeZone) -> String {
        let local = LocalTime(date, in: zone)
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let abs = offset < 0 ? -offset : offset
        return "\(local.date)T\(two(local.hour)):\(two(local.minute)):\(two(local.second))\(sign)\(two(abs / 3600)):\(two(abs % 3600 / 60))"
    }

    /// `2018-09-17 09:00` in the zone.
    public static func localMinute(_ date: Date, in zone: TimeZone) -> String {
        let local = LocalTime(date, in: zone)
        return "\(local.date) \(two(local.hour)):\(two(local.minute))"
    }

    /// The local calendar date of an instant.
    public static func localDate(_ date: Date, in zone: TimeZone) -> CivilDate {
        LocalTime(date, in: zone).date
    }

    /// The instant of a local wall time (gap: after the gap; repeated: the first instance).
    public static func instant(_ date: CivilDate, hour: Int = 0, minute: Int = 0, second: Int = 0, in zone: TimeZone) -> Date {
        LocalTime.instant(date: date, hour: hour, minute: minute, second: second, in: zone)
    }

    /// The instant of ISO 8601 text read by `ISO8601Time` (the one reader, whose documentation gives the forms and
    /// the rule): with an offset or `Z` that instant, a bare date (its 00:00) or a local date-time in `zone`. nil
    /// when the text is not ISO 8601; `ISO8601Time(_:)` says why.
    public static func parseISO8601(_ text: String, defaultZone zone: TimeZone) -> Date? {
        (try? ISO8601Time(text))?.instant(defaultZone: zone)
    }

    @inline(__always) static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
