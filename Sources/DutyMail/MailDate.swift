import Foundation

/// Date renderings used in mail: RFC 5322 `Date:` and the `asctime()` form of the mbox `From_` line. Both are
/// computed from an instant passed in; nothing here reads the clock.
enum MailDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    struct Fields {
        var year, month, day, hour, minute, second, weekday: Int
        var offsetSeconds: Int
    }

    static func fields(_ instant: Date, in zone: TimeZone) -> Fields {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: instant)
        return Fields(
            year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1, hour: c.hour ?? 0, minute: c.minute ?? 0,
            second: c.second ?? 0, weekday: (c.weekday ?? 1) - 1, offsetSeconds: zone.secondsFromGMT(for: instant))
    }

    /// `Mon, 17 Sep 2018 09:00:00 +0800` (RFC 5322 §3.3).
    static func rfc5322(_ instant: Date, in zone: TimeZone) -> String {
        let f = fields(instant, in: zone)
        let sign = f.offsetSeconds < 0 ? "-" : "+"
        let offset = abs(f.offsetSeconds) / 60
        return "\(days[f.weekday]), \(f.day) \(months[f.month - 1]) \(pad(f.year, 4)) "
            + "\(pad(f.hour)):\(pad(f.minute)):\(pad(f.second)) \(sign)\(pad(offset / 60))\(pad(offset % 60))"
    }

    /// `Mon Sep 17 09:00:00 2018` (asctime, day padded with a space), as the mbox `From_` line wants it.
    static func asctime(_ instant: Date, in zone: TimeZone) -> String {
        let f = fields(instant, in: zone)
        let day = f.day < 10 ? " \(f.day)" : "\(f.day)"
        return "\(days[f.weekday]) \(months[f.month - 1]) \(day) \(pad(f.hour)):\(pad(f.minute)):\(pad(f.second)) "
            + pad(f.year, 4)
    }

    /// `2018-09-17 09:00` in the given zone, for bodies.
    static func civil(_ instant: Date, in zone: TimeZone) -> String {
        let f = fields(instant, in: zone)
        return "\(pad(f.year, 4))-\(pad(f.month))-\(pad(f.day)) \(pad(f.hour)):\(pad(f.minute))"
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
