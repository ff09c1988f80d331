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

    /// Parses `2018-09-13T08:00:00+08:00`, `2018-09-13T00:00:00Z`, or a local `2018-09-13T08:00:00` / `2018-09-13`
    /// (read in `zone`).
    public static func parseISO8601(_ text: String, defaultZone zone: TimeZone) -> Date? {
        let chars = Array(text)
        guard chars.count >= 10, let day = CivilDate(iso: String(chars[0..<10])) else { return nil }
        if chars.count == 10 { return instant(day, in: zone) }
        guard chars.count >= 19, chars[10] == "T" || chars[10] == " ",
            let h = Int(String(chars[11..<13])), let m = Int(String(chars[14..<16])), let s = Int(String(chars[17..<19])),
            chars[13] == ":", chars[16] == ":", (0...23).contains(h), (0...59).contains(m), (0...60).contains(s)
        else { return nil }
        var rest = chars[19...]
        var fraction = 0.0
        if rest.first == "." {
            var digits = "0."
            rest = rest.dropFirst()
            while let c = rest.first, c.isASCII, c.isNumber {
                digits.append(c)
                rest = rest.dropFirst()
            }
            fraction = Double(digits) ?? 0
        }
        let wall = day.dayNumber * 86_400 + h * 3600 + m * 60 + s
        if rest.isEmpty { return instant(day, hour: h, minute: m, second: s, in: zone).addingTimeInterval(fraction) }
        if rest == ["Z"] { return Date(timeIntervalSince1970: TimeInterval(wall) + fraction) }
        let tail = String(rest)
        guard tail.count == 6, let sign = tail.first, sign == "+" || sign == "-",
            let oh = Int(tail.dropFirst().prefix(2)), let om = Int(tail.suffix(2)), tail[tail.index(tail.startIndex, offsetBy: 3)] == ":"
        else { return nil }
        let offset = (oh * 3600 + om * 60) * (sign == "-" ? -1 : 1)
        return Date(timeIntervalSince1970: TimeInterval(wall - offset) + fraction)
    }

    @inline(__always) static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
