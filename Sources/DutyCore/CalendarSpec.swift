import Foundation

/// A calendar event expression in the syntax of systemd.time(7) (`OnCalendar=`), as implemented by systemd 252.
///
/// ```swift
/// let spec = try CalendarSpec("Mon..Fri *-*-* 09:00")
/// spec.description                     // "Mon..Fri *-*-* 09:00:00"
/// spec.nextElapse(after: now, in: zone) // strictly after `now`, nil if it never elapses again
/// ```
///
/// `description` is byte-identical to the `Normalized form:` of `systemd-analyze calendar` and re-parses to an equal
/// value. Two specs are equal when their normalized forms are equal.
///
/// Acceptance follows systemd 252 exactly, quirks included (e.g. the n-th item of a sorted `~` list must be
/// <= 31 - 3n, so `*~19,28/1` is refused like systemd does). Next elapses reproduce systemd's `find_next` step by
/// step, with glibc's `mktime` behaviour in DST gaps (the side whose `tm_isdst` is set wins) and overlaps (the
/// offset of the previous conversion wins), so results match `systemd-analyze` to the microsecond. Known and
/// deliberate differences:
/// - systemd#40260 (a 252 bug): after a carry into the next day/month/year systemd resets only the next lower
///   field, so `*-*-1/11 23:00` skips 1 January. We reset all lower fields (upstream's behaviour);
///   `nextElapse(afterMicroseconds:zone:systemd252Quirks: true)` reproduces 252.
/// - Zones come from Foundation (ICU data), which agrees with /usr/share/zoneinfo on every transition 1970-2100
///   for the zones tested (see ZonedTimeTests), except the DST *flag* of zones with negative DST in tzdata's main
///   format (Europe/Dublin: glibc calls winter GMT "daylight"), which changes which side of a gap glibc picks;
///   zone names Foundation does not know (`posixrules`, POSIX rule strings such as `IST-1GMT-0,M10.5.0/1,...`)
///   are not supported.
public struct CalendarSpec: Sendable, Hashable, CustomStringConvertible {
    /// One comma-separated item of a field: `start[..stop][/repeat]`. `stop` is -1 when absent, `repeat` 0.
    /// Seconds are stored in microseconds.
    struct Component: Sendable, Hashable {
        var start: Int
        var stop: Int
        var repeatValue: Int
        /// Byte offsets of the item in the input (for error columns); not part of the value.
        var span: Range<Int>

        static func == (a: Component, b: Component) -> Bool {
            a.start == b.start && a.stop == b.stop && a.repeatValue == b.repeatValue
        }
        func hash(into h: inout Hasher) {
            h.combine(start)
            h.combine(stop)
            h.combine(repeatValue)
        }
        static func constant(_ v: Int) -> Component { Component(start: v, stop: -1, repeatValue: 0, span: 0..<0) }
    }

    /// Bit n set = weekday n (0 = Monday); -1 = any weekday.
    var weekdayBits: Int = -1
    /// `~`: days count back from the end of the month.
    var endOfMonth = false
    /// nil = `*`.
    var year: [Component]? = nil
    var month: [Component]? = nil
    var day: [Component]? = nil
    var hour: [Component]? = nil
    var minute: [Component]? = nil
    var microsecond: [Component]? = nil
    /// The expression ends in ` UTC` (or is an `@epoch`).
    var utc = false
    /// -1 = not pinned; 0/1 = the local standard/daylight abbreviation was given (`... CET`, `... CEST`).
    var dst = -1
    /// The local abbreviation that was given, printed back verbatim in the normalized form.
    var dstName: String? = nil
    /// IANA zone name given as suffix.
    var timeZoneName: String? = nil

    /// The zone the expression names (`UTC` or an IANA suffix); nil means "the caller's zone".
    public var timeZone: TimeZone? {
        if utc { return TimeZone(identifier: "UTC") }
        if let timeZoneName { return TimeZone(identifier: timeZoneName) }
        return nil
    }

    /// The IANA zone name given as suffix, if any (`UTC` suffixes give nil, see `isUTC`).
    public var timeZoneIdentifier: String? { timeZoneName }
    /// The expression is evaluated in UTC (` UTC` suffix or `@epoch`).
    public var isUTC: Bool { utc }

    /// Parses an expression. Local time-zone abbreviations (`CET`/`CEST`) are not recognised: use
    /// `init(_:localZoneNames:)` for that.
    public init(_ text: String) throws(CalendarSpecError) {
        try self.init(text, localZoneNames: nil)
    }

    /// Parses an expression; `localZoneNames` are the caller's zone abbreviations for standard and daylight time
    /// (libc's `tzname[0]`, `tzname[1]`), accepted as a suffix like systemd does.
    ///
    /// `zoneExists` decides whether a trailing word names a zone (systemd checks for a TZif file under
    /// /usr/share/zoneinfo); by default a zone Foundation knows, minus ICU's legacy three-letter aliases (`IST`,
    /// `PST`) that tzdata does not ship.
    public init(
        _ text: String, localZoneNames: (standard: String, daylight: String)?,
        zoneExists: ((String) -> Bool)? = nil
    ) throws(CalendarSpecError) {
        var parser = CalendarSpecParser(text: text, localZoneNames: localZoneNames, zoneExists: zoneExists)
        self = try parser.parse()
    }

    init() {}

    // MARK: - Normalized form

    public var description: String {
        var out = ""
        out.reserveCapacity(32)
        if weekdayBits > 0 && weekdayBits <= 127 {
            formatWeekdays(into: &out)
            out.append(" ")
        }
        Self.formatChain(year, width: 4, usec: false, into: &out)
        out.append("-")
        Self.formatChain(month, width: 2, usec: false, into: &out)
        out.append(endOfMonth ? "~" : "-")
        Self.formatChain(day, width: 2, usec: false, into: &out)
        out.append(" ")
        Self.formatChain(hour, width: 2, usec: false, into: &out)
        out.append(":")
        Self.formatChain(minute, width: 2, usec: false, into: &out)
        out.append(":")
        Self.formatChain(microsecond, width: 2, usec: true, into: &out)
        if utc {
            out.append(" UTC")
        } else if let timeZoneName {
            out.append(" ")
            out.append(timeZoneName)
        } else if dst >= 0, let dstName, !dstName.isEmpty {
            out.append(" ")
            out.append(dstName)
        }
        return out
    }

    public static func == (a: CalendarSpec, b: CalendarSpec) -> Bool { a.description == b.description }
    public func hash(into h: inout Hasher) { h.combine(description) }

    static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    private func formatWeekdays(into out: inout String) {
        var needComma = false
        var l = -1
        var x = 0
        while x < 7 {
            if weekdayBits & (1 << x) != 0 {
                if l < 0 {
                    if needComma { out.append(",") } else { needComma = true }
                    out.append(Self.weekdayNames[x])
                    l = x
                }
            } else if l >= 0 {
                if x > l + 1 {
                    out.append(x > l + 2 ? ".." : ",")
                    out.append(Self.weekdayNames[x - 1])
                }
                l = -1
            }
            x += 1
        }
        if l >= 0 && x > l + 1 {
            out.append(x > l + 2 ? ".." : ",")
            out.append(Self.weekdayNames[x - 1])
        }
    }

    private static func pad(_ v: Int, _ width: Int, into out: inout String) {
        let s = String(v)
        if s.utf8.count < width { out.append(String(repeating: "0", count: width - s.utf8.count)) }
        out.append(s)
    }

    private static func isStar(_ chain: [Component]?, usec: Bool) -> Bool {
        guard let chain else { return true }
        if usec {
            for c in chain where c.start == 0 && c.stop < 0 && c.repeatValue == 1_000_000 { return true }
        }
        return false
    }

    private static func formatChain(_ chain: [Component]?, width: Int, usec: Bool, into out: inout String) {
        if isStar(chain, usec: usec) {
            out.append("*")
            return
        }
        let d = usec ? 1_000_000 : 1
        for (i, c) in chain!.enumerated() {
            if i > 0 { out.append(",") }
            pad(c.start / d, width, into: &out)
            if c.start % d > 0 {
                out.append(".")
                pad(c.start % d, 6, into: &out)
            }
            if c.stop > 0 {
                out.append("..")
                pad(c.stop / d, width, into: &out)
            }
            if c.stop > 0 && c.stop % d > 0 {
                out.append(".")
                pad(c.stop % d, 6, into: &out)
            }
            if c.repeatValue > 0 && !(c.stop > 0 && c.repeatValue == d) {
                out.append("/")
                out.append(String(c.repeatValue / d))
            }
            if c.repeatValue % d > 0 {
                out.append(".")
                pad(c.repeatValue % d, 6, into: &out)
            }
        }
    }
}
