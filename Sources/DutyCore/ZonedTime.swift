import Foundation

/// A wall-clock date and time without a zone (seconds precision).
public struct LocalDateTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var date: CivilDate
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(date: CivilDate, hour: Int, minute: Int, second: Int) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.init(date: CivilDate(year: year, month: month, day: day), hour: hour, minute: minute, second: second)
    }

    /// Seconds since 1970-01-01 00:00:00 of the same wall clock (fields may be out of range: they carry over).
    public var localSeconds: Int64 {
        Int64(date.dayNumber) * 86400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
    }

    public init(localSeconds s: Int64) {
        let days = s >= 0 ? s / 86400 : (s - 86399) / 86400
        let rem = Int(s - days * 86400)
        self.init(date: CivilDate(dayNumber: Int(days)), hour: rem / 3600, minute: rem / 60 % 60, second: rem % 60)
    }

    public static func < (a: LocalDateTime, b: LocalDateTime) -> Bool { a.localSeconds < b.localSeconds }

    /// `YYYY-MM-DD HH:MM:SS`.
    public var description: String {
        var buf = [UInt8]()
        buf.reserveCapacity(19)
        ZonedTime.appendDateTime(self, separator: UInt8(ascii: " "), to: &buf)
        return String(decoding: buf, as: UTF8.self)
    }
}

/// Fast local time <-> instant conversion for one `TimeZone`, on top of Foundation's offsets and transitions but
/// with its own cache, so hot loops never call into Foundation (`Calendar`/`DateFormatter` are slow on Linux).
///
/// Instants are whole seconds since the epoch (`Int64`). The cache is a small table of the zone's offset intervals
/// around the most recent lookups; it is rebuilt transparently, so a `ZonedTime` is cheap to keep in a `var` and
/// reuse.
public struct ZonedTime: Sendable {
    /// An interval of constant UTC offset: `[start, end)`.
    public struct Interval: Sendable, Hashable {
        public var start: Int64
        public var end: Int64
        /// Seconds east of UTC.
        public var offset: Int
        public var isDaylightSavingTime: Bool
    }

    /// How a wall-clock time maps to instants.
    public enum Resolution: Sendable, Hashable {
        /// Exactly one instant.
        case unique(Int64)
        /// The wall clock shows this time twice (fall back): earlier and later instant.
        case repeated(Int64, Int64)
        /// The wall clock skips this time (spring forward): `before` uses the offset before the gap, `after` the
        /// offset after it (`before > after` as instants: `after` is earlier).
        case skipped(before: Int64, after: Int64)
    }

    /// What to do with a skipped or repeated wall-clock time.
    public enum Policy: Sendable, Hashable {
        /// Repeated: the first occurrence; skipped: nil (systemd's calendar semantics).
        case earlierOrSkip
        /// Repeated: the first occurrence; skipped: shifted forward by the gap (RFC 5545 / most calendars).
        case earlierOrShiftForward
        /// Repeated: the second occurrence; skipped: shifted forward.
        case laterOrShiftForward
    }

    public let timeZone: TimeZone
    /// True for zones with one constant offset (UTC, Etc/GMT+5): no table needed.
    public let isFixed: Bool
    private let fixedOffset: Int
    /// The offset of a fixed zone (0 otherwise).
    public var fixedUTCOffset: Int { fixedOffset }
    private var intervals: [Interval] = []
    private var hint = 0
    private var abbreviations: [Int64: String] = [:]
    private var lastAbbreviation: (start: Int64, end: Int64, name: String) = (0, 0, "")

    static let windowBefore: Int64 = 200 * 86400
    static let windowAfter: Int64 = 800 * 86400

    public init(_ timeZone: TimeZone) {
        self.timeZone = timeZone
        let now = Date(timeIntervalSince1970: 0)
        let id = timeZone.identifier
        if id == "UTC" || id == "GMT" || id == "Etc/UTC" || id == "Etc/GMT" || id == "Etc/Universal" || id == "Zulu"
            || id == "Etc/Zulu" || id == "Universal" || id == "UCT" || id == "Etc/UCT" || id == "GMT0"
        {
            isFixed = true
            fixedOffset = 0
        } else if timeZone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: -2_208_988_800))
            == nil
        {
            isFixed = true
            fixedOffset = timeZone.secondsFromGMT(for: now)
        } else {
            isFixed = false
            fixedOffset = 0
        }
    }

    public static let utc = ZonedTime(TimeZone(identifier: "UTC")!)

    // MARK: instant -> offset

    /// The offset interval containing `instant`.
    public mutating func interval(at instant: Int64) -> Interval {
        if isFixed { return Interval(start: Int64.min, end: Int64.max, offset: fixedOffset, isDaylightSavingTime: false) }
        if hint < intervals.count {
            let iv = intervals[hint]
            if instant >= iv.start && instant < iv.end { return iv }
            if hint + 1 < intervals.count {
                let nx = intervals[hint + 1]
                if instant >= nx.start && instant < nx.end {
                    hint += 1
                    return nx
                }
            }
        }
        if intervals.isEmpty || instant < intervals[0].start || instant >= intervals[intervals.count - 1].end {
            rebuild(around: instant)
        }
        var lo = 0
        var hi = intervals.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if intervals[mid].start <= instant { lo = mid } else { hi = mid - 1 }
        }
        hint = lo
        return intervals[lo]
    }

    /// Seconds east of UTC at `instant`.
    @inline(__always)
    public mutating func offset(at instant: Int64) -> Int {
        if isFixed { return fixedOffset }
        return interval(at: instant).offset
    }

    public mutating func isDaylightSavingTime(at instant: Int64) -> Bool { interval(at: instant).isDaylightSavingTime }

    private mutating func rebuild(around instant: Int64) {
        let lo = instant &- Self.windowBefore
        let hi = instant &+ Self.windowAfter
        var list: [Interval] = []
        var cur = lo
        var curDate = Date(timeIntervalSince1970: TimeInterval(cur))
        var off = timeZone.secondsFromGMT(for: curDate)
        var dst = timeZone.isDaylightSavingTime(for: curDate)
        while cur < hi {
            var next = hi
            if let tr = timeZone.nextDaylightSavingTimeTransition(after: curDate) {
                let t = Int64(tr.timeIntervalSince1970.rounded())
                if t > cur && t < hi { next = t }
            }
            list.append(Interval(start: cur, end: next, offset: off, isDaylightSavingTime: dst))
            if next >= hi { break }
            cur = next
            curDate = Date(timeIntervalSince1970: TimeInterval(cur))
            off = timeZone.secondsFromGMT(for: curDate)
            dst = timeZone.isDaylightSavingTime(for: curDate)
        }
        // Merge neighbours that differ in nothing (Foundation reports some no-op transitions).
        var merged: [Interval] = []
        for iv in list {
            if var last = merged.last, last.offset == iv.offset, last.isDaylightSavingTime == iv.isDaylightSavingTime {
                last.end = iv.end
                merged[merged.count - 1] = last
            } else {
                merged.append(iv)
            }
        }
        intervals = merged
        hint = 0
    }

    // MARK: instant <-> wall clock

    /// Wall-clock seconds (seconds since 1970-01-01 00:00 of the local calendar) at `instant`.
    @inline(__always)
    public mutating func localSeconds(at instant: Int64) -> Int64 { instant + Int64(offset(at: instant)) }

    public mutating func localDateTime(at instant: Int64) -> LocalDateTime {
        LocalDateTime(localSeconds: localSeconds(at: instant))
    }

    /// All the ways a wall-clock time (as local seconds) maps to instants.
    public mutating func resolve(localSeconds l: Int64) -> Resolution {
        if isFixed { return .unique(l - Int64(fixedOffset)) }
        // Candidate offsets: those in effect a day before and after.
        let probe = l - Int64(offset(at: l))
        let iv = interval(at: probe)
        var candidates: [Int64] = []
        for o in [interval(at: iv.start - 1).offset, iv.offset, interval(at: iv.end).offset] {
            let t = l - Int64(o)
            if offset(at: t) == o && !candidates.contains(t) { candidates.append(t) }
        }
        candidates.sort()
        if candidates.count == 1 { return .unique(candidates[0]) }
        if candidates.count >= 2 { return .repeated(candidates[0], candidates[candidates.count - 1]) }
        // In a gap: the offsets on both sides of the transition next to l.
        let a = interval(at: probe)
        let before = a.start > Int64.min ? interval(at: a.start - 1) : a
        let tBefore = l - Int64(before.offset)
        let tAfter = l - Int64(a.offset)
        if before.offset < a.offset {
            return .skipped(before: tBefore, after: tAfter)
        }
        let nx = interval(at: a.end)
        return .skipped(before: l - Int64(a.offset), after: l - Int64(nx.offset))
    }

    /// The instant of a wall-clock time under `policy` (nil for a skipped time under `.earlierOrSkip`).
    public mutating func instant(for local: LocalDateTime, policy: Policy = .earlierOrShiftForward) -> Int64? {
        switch resolve(localSeconds: local.localSeconds) {
        case .unique(let t): return t
        case .repeated(let a, let b): return policy == .laterOrShiftForward ? b : a
        case .skipped(let before, _): return policy == .earlierOrSkip ? nil : before
        }
    }

    // MARK: formatting

    /// Appends `YYYY-MM-DD<sep>HH:MM:SS`.
    public static func appendDateTime(_ t: LocalDateTime, separator: UInt8, to buf: inout [UInt8]) {
        appendPadded(t.date.year, 4, to: &buf)
        buf.append(UInt8(ascii: "-"))
        appendPadded(t.date.month, 2, to: &buf)
        buf.append(UInt8(ascii: "-"))
        appendPadded(t.date.day, 2, to: &buf)
        buf.append(separator)
        appendPadded(t.hour, 2, to: &buf)
        buf.append(UInt8(ascii: ":"))
        appendPadded(t.minute, 2, to: &buf)
        buf.append(UInt8(ascii: ":"))
        appendPadded(t.second, 2, to: &buf)
    }

    @inline(__always)
    public static func appendPadded(_ v: Int, _ width: Int, to buf: inout [UInt8]) {
        if width == 2 && v >= 0 && v < 100 {
            buf.append(UInt8(truncatingIfNeeded: v / 10) &+ 0x30)
            buf.append(UInt8(truncatingIfNeeded: v % 10) &+ 0x30)
            return
        }
        if width == 4 && v >= 1000 && v < 10000 {
            buf.append(UInt8(truncatingIfNeeded: v / 1000) &+ 0x30)
            buf.append(UInt8(truncatingIfNeeded: v / 100 % 10) &+ 0x30)
            buf.append(UInt8(truncatingIfNeeded: v / 10 % 10) &+ 0x30)
            buf.append(UInt8(truncatingIfNeeded: v % 10) &+ 0x30)
            return
        }
        if v < 0 {
            buf.append(UInt8(ascii: "-"))
            appendPadded(-v, width - 1, to: &buf)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(truncatingIfNeeded: x % 10) + 0x30
                x /= 10
                n += 1
            } while x > 0
            var k = n
            while k < width {
                buf.append(0x30)
                k += 1
            }
            while n > 0 {
                n -= 1
                buf.append(d[n])
            }
        }
    }

    /// `YYYY-MM-DD HH:MM:SS` of `instant` in this zone.
    public mutating func format(_ instant: Int64) -> String { localDateTime(at: instant).description }

    /// ISO 8601 with offset: `2026-03-29T03:30:00+02:00` (`Z` for UTC offset 0 in fixed UTC zones).
    public mutating func iso8601(_ instant: Int64) -> String {
        let off = offset(at: instant)
        var buf = [UInt8]()
        Self.appendDateTime(LocalDateTime(localSeconds: instant + Int64(off)), separator: UInt8(ascii: "T"), to: &buf)
        if off == 0 && isFixed {
            buf.append(UInt8(ascii: "Z"))
        } else {
            buf.append(off < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let a = abs(off)
            Self.appendPadded(a / 3600, 2, to: &buf)
            buf.append(UInt8(ascii: ":"))
            Self.appendPadded(a / 60 % 60, 2, to: &buf)
            if a % 60 != 0 {
                buf.append(UInt8(ascii: ":"))
                Self.appendPadded(a % 60, 2, to: &buf)
            }
        }
        return String(decoding: buf, as: UTF8.self)
    }

    private static let enUS = Locale(identifier: "en_US")

    private static func alphabetic(_ s: String?) -> String? {
        guard let s, !s.isEmpty, s.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) })
        else { return nil }
        return s
    }

    /// The zone abbreviation at `instant` (`CET`, `CST`, `EDT`), cached per offset interval. Foundation's own names
    /// (through ICU) are used when they are alphabetic; otherwise (`GMT+1`) a numeric `+01` like tzdata's.
    /// Callers that must match libc exactly (the CLI) pass their own `provider`.
    public mutating func abbreviation(at instant: Int64, provider: ((_ instant: Int64, _ offset: Int) -> String?)? = nil)
        -> String
    {
        if instant >= lastAbbreviation.start && instant < lastAbbreviation.end { return lastAbbreviation.name }
        let iv = interval(at: instant)
        if let s = abbreviations[iv.start] {
            lastAbbreviation = (iv.start, iv.end, s)
            return s
        }
        var name: String
        if let p = provider?(instant, iv.offset) {
            name = p
        } else if let a = Self.alphabetic(timeZone.abbreviation(for: Date(timeIntervalSince1970: TimeInterval(instant))))
            ?? Self.alphabetic(
                timeZone.localizedName(
                    for: iv.isDaylightSavingTime ? .shortDaylightSaving : .shortStandard, locale: Self.enUS))
        {
            name = a
        } else {
            let o = iv.offset
            var buf = [UInt8(ascii: o < 0 ? "-" : "+")]
            Self.appendPadded(abs(o) / 3600, 2, to: &buf)
            if abs(o) % 3600 != 0 { Self.appendPadded(abs(o) / 60 % 60, 2, to: &buf) }
            name = String(decoding: buf, as: UTF8.self)
        }
        abbreviations[iv.start] = name
        lastAbbreviation = (iv.start, iv.end, name)
        return name
    }
}
