import Foundation

extension CalendarSpec {
    /// The outcome of a next-elapse computation.
    public enum Elapse: Sendable, Hashable {
        /// Microseconds since the epoch.
        case at(Int64)
        /// The expression never elapses again after the base time.
        case never
        /// systemd's safety valve (1000 search steps) tripped; systemd reports `EDEADLK`. Treat as never.
        case iterationLimit
    }

    /// The next instant strictly after `after` at which the expression elapses, or nil if it never does again.
    /// `zone` is used when the expression names no zone itself.
    public func nextElapse(after: Date, in zone: TimeZone) -> Date? {
        let us = after.timeIntervalSince1970 * 1_000_000
        let base: Int64 = us.rounded(.down) >= 9.2e18 ? Int64.max : Int64(us.rounded(.down))
        guard let next = nextElapse(afterMicroseconds: base, in: zone) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(next / 1_000_000) + TimeInterval(next % 1_000_000) / 1e6)
    }

    /// Microsecond-exact variant: `after` and the result are microseconds since the epoch.
    public func nextElapse(afterMicroseconds after: Int64, in zone: TimeZone) -> Int64? {
        var z = ZonedTime(evaluationZone(default: zone))
        if case .at(let t) = nextElapse(afterMicroseconds: after, zone: &z) { return t }
        return nil
    }

    /// The zone the expression is evaluated in when the caller's zone is `zone`.
    public func evaluationZone(default zone: TimeZone) -> TimeZone {
        if utc { return TimeZone(identifier: "UTC")! }
        if let timeZoneName, let tz = TimeZone(identifier: timeZoneName) { return tz }
        return zone
    }

    /// The hot-loop variant: `zone` must be a `ZonedTime` of `evaluationZone(default:)`; its cache is reused.
    ///
    /// With `systemd252Quirks` the known systemd 252 next-elapse bugs are reproduced too, for byte-identical
    /// comparisons with `systemd-analyze` 252:
    /// - systemd#40260: after a carry into the next month or year only the next lower field is reset, so
    ///   `*-*-1/11 23:00` skips 1 January (upstream fixed it; by default we fire on 1 January).
    public func nextElapse(afterMicroseconds after: Int64, zone: inout ZonedTime, systemd252Quirks: Bool = false)
        -> Elapse
    {
        var last: Int64? = nil
        return nextElapse(
            afterMicroseconds: after, zone: &zone, systemd252Quirks: systemd252Quirks, lastLocalConversion: &last)
    }

    /// As above; `lastLocalConversion` is set to the instant (seconds) of the last local-time conversion the search
    /// made, in libc's order (`systemd-analyze` emulation needs it: glibc rewrites `tzname` on every conversion).
    /// Unchanged when the search ran in UTC.
    public func nextElapse(
        afterMicroseconds after: Int64, zone: inout ZonedTime, systemd252Quirks: Bool = false,
        lastLocalConversion: inout Int64?
    ) -> Elapse {
        if after < 0 || after >= 253_402_300_800_000_000 { return .never }
        var engine = ElapseEngine(
            spec: self, utc: utc || zone.isFixed && zone.offset(at: 0) == 0, zone: zone, quirks252: systemd252Quirks)
        let r = engine.next(after: after)
        zone = engine.zone
        if let c = engine.lastConversion { lastLocalConversion = c }
        return r
    }
}

/// Successive elapses of one expression in one zone, reusing the zone cache and the search state between calls
/// (the hot loop of `dutyctl calendar --iterations=N`).
public struct CalendarSpecElapses: Sendable {
    var engine: ElapseEngine

    /// `zone` is the caller's zone, used when the expression names none.
    public init(_ spec: CalendarSpec, in zone: TimeZone, systemd252Quirks: Bool = false) {
        let z = ZonedTime(spec.evaluationZone(default: zone))
        engine = ElapseEngine(
            spec: spec, utc: spec.isUTC || z.isFixed && z.fixedUTCOffset == 0, zone: z, quirks252: systemd252Quirks)
    }

    /// The next elapse strictly after `after` (microseconds since the epoch).
    public mutating func next(afterMicroseconds after: Int64) -> CalendarSpec.Elapse {
        engine.lastConversion = nil
        if after < 0 || after >= 253_402_300_800_000_000 { return .never }
        return engine.next(after: after)
    }

    /// The last instant (seconds) the previous `next` converted in local time, in libc's order; nil if it ran in
    /// UTC. (`systemd-analyze` emulation: glibc rewrites `tzname` on every conversion.)
    public var lastLocalConversion: Int64? { engine.lastConversion }
}

/// A C `struct tm` as systemd's `find_next` manipulates it: fields may be out of range until normalized.
struct BrokenDownTime {
    var year: Int  // full year
    var mon: Int  // 0...11
    var mday: Int
    var hour: Int
    var min: Int
    var sec: Int
    var isdst: Int
}

/// Reproduces systemd 252 `find_next` step by step (including its normalization quirks and known bugs), with
/// `mktime`/`localtime` replaced by `ZonedTime` and an emulation of glibc's `mktime` offset guessing.
struct ElapseEngine: Sendable {
    let spec: CalendarSpec
    let utc: Bool
    /// Reproduce systemd 252's known next-elapse bugs (see `CalendarSpec.Quirks`).
    let quirks252: Bool
    var zone: ZonedTime
    /// glibc's `localtime_offset`: the offset its last `mktime` used, the first guess of the next.
    var guess = 0
    /// The last instant converted in local time (libc's `localtime`/`mktime` calls).
    var lastConversion: Int64? = nil

    static let usecPerSec = 1_000_000
    static let maxIterations = 1000
    static let maxYear = 2199

    init(spec: CalendarSpec, utc: Bool, zone: ZonedTime, quirks252: Bool) {
        self.spec = spec
        self.utc = utc
        self.quirks252 = quirks252
        self.zone = zone
    }

    // A one-month cache of civil <-> day-number conversions: the search mostly stays within one month.
    var cacheYear = Int.min
    var cacheMonth = 0  // 0...11
    var cacheStart = 0  // day number of the 1st
    var cacheLength = 0

    @inline(__always)
    mutating func monthStart(_ year: Int, _ mon: Int) -> Int {
        if year == cacheYear && mon == cacheMonth { return cacheStart }
        cacheYear = year
        cacheMonth = mon
        cacheStart = CivilDate(year: year, month: mon + 1, day: 1).dayNumber
        cacheLength = CivilDate.daysInMonth(year: year, month: mon + 1)
        return cacheStart
    }

    @inline(__always)
    mutating func localSeconds(_ tm: BrokenDownTime) -> Int64 {
        var y = tm.year
        var m = tm.mon
        if m < 0 || m > 11 {
            let carry = m >= 0 ? m / 12 : (m - 11) / 12
            y += carry
            m -= carry * 12
        }
        let days = monthStart(y, m) + tm.mday - 1
        return Int64(days) * 86400 + Int64(tm.hour) * 3600 + Int64(tm.min) * 60 + Int64(tm.sec)
    }

    @inline(__always)
    mutating func fields(_ l: Int64, isdst: Int) -> BrokenDownTime {
        let days64 = l >= 0 ? l / 86400 : (l - 86399) / 86400
        let rem = Int(l - days64 * 86400)
        let days = Int(days64)
        if !(days >= cacheStart && days < cacheStart + cacheLength && cacheYear != Int.min) {
            let d = CivilDate(dayNumber: days)
            cacheYear = d.year
            cacheMonth = d.month - 1
            cacheStart = days - d.day + 1
            cacheLength = CivilDate.daysInMonth(year: d.year, month: d.month)
        }
        return BrokenDownTime(
            year: cacheYear, mon: cacheMonth, mday: days - cacheStart + 1, hour: rem / 3600, min: rem / 60 % 60,
            sec: rem % 60, isdst: isdst)
    }

    mutating func localtime(_ t: Int64) -> BrokenDownTime {
        if utc { return fields(t, isdst: 0) }
        lastConversion = t
        let iv = zone.interval(at: t)
        return fields(t + Int64(iv.offset), isdst: iv.isDaylightSavingTime ? 1 : 0)
    }

    /// `mktime_or_timegm`: normalizes `tm` in place and returns the instant.
    mutating func mktime(_ tm: inout BrokenDownTime) -> Int64 {
        let l = localSeconds(tm)
        // Fast path: fields already in range (localSeconds just cached their month) need no re-normalization.
        let inRange =
            tm.mon >= 0 && tm.mon <= 11 && tm.mday >= 1 && tm.mday <= cacheLength && tm.hour >= 0 && tm.hour <= 23
            && tm.min >= 0 && tm.min <= 59 && tm.sec >= 0 && tm.sec <= 59
        if inRange {
            if utc {
                tm.isdst = 0
                return l
            }
            if tm.isdst < 0 {
                let t = l - Int64(guess)
                let iv = zone.interval(at: t)
                if iv.offset == guess {
                    // glibc's first probe already matches: no gap, and the guessed side of an overlap.
                    lastConversion = t
                    tm.isdst = iv.isDaylightSavingTime ? 1 : 0
                    return t
                }
            }
        }
        if utc {
            tm = fields(l, isdst: 0)
            return l
        }
        let t = resolve(l, isdst: tm.isdst)
        tm = localtime(t)
        return t
    }

    /// glibc `__mktime_internal`: fixed-point search from the previous offset; in a gap it settles on the side
    /// whose `tm_isdst` is set; with an explicit `isdst` that the result contradicts, it borrows the offset of the
    /// nearest time that has it.
    mutating func resolve(_ l: Int64, isdst: Int) -> Int64 {
        var t = l - Int64(guess)
        var prev: Int64? = nil
        var found = false
        for _ in 0..<8 {
            let gt = l - Int64(zone.offset(at: t))
            if gt == t {
                found = true
                break
            }
            if let p = prev, gt == p {
                // Oscillating between t and p: a gap.
                let dt = zone.isDaylightSavingTime(at: t)
                let dp = zone.isDaylightSavingTime(at: p)
                if isdst < 0 {
                    if dt != dp { t = dt ? t : p } else { t = max(t, p) }
                } else {
                    let want = isdst != 0
                    if dt != dp { t = dt != want ? t : p } else { t = max(t, p) }
                }
                guess = Int(l - t)
                return t
            }
            prev = t
            t = gt
        }
        if found && isdst >= 0 && zone.isDaylightSavingTime(at: t) != (isdst != 0) {
            let want = isdst != 0
            let stride: Int64 = 601_200
            var delta = stride
            var found = false
            search: while delta < 536_454_000 {
                for dir: Int64 in [-1, 1] {
                    let probe = t + dir * delta
                    let iv = zone.interval(at: probe)
                    if iv.isDaylightSavingTime == want {
                        t = l - Int64(iv.offset)
                        found = true
                        break search
                    }
                }
                delta += stride
            }
            if !found {
                // glibc: "No unusual DST offset was found nearby. Assume one-hour DST."
                t += want ? -3600 : 3600
            }
        }
        guess = Int(l - t)
        return t
    }

    /// `find_end_of_month`.
    mutating func endOfMonth(_ tm: BrokenDownTime, _ day: Int) -> Int {
        var t = tm
        t.mon += 1
        t.mday = 1 - day
        if mktime(&t) < 0 || t.mon != tm.mon { return -1 }
        return t.mday
    }

    /// `find_matching_component`: 1 if `val` changed, 0 if it matched, nil for no match.
    mutating func findMatching(_ chain: [CalendarSpec.Component]?, isDay: Bool, _ tm: BrokenDownTime, _ val: inout Int)
        -> Int?
    {
        guard let chain else { return 0 }
        let eom = spec.endOfMonth && isDay
        var d = -1
        var dSet = false
        for c in chain {
            var start = c.start
            var stop = c.stop
            if eom {
                start = endOfMonth(tm, c.start)
                stop = endOfMonth(tm, c.stop)
                if stop > 0 { swap(&start, &stop) }
            }
            if start >= val {
                if !dSet || start < d {
                    d = start
                    dSet = true
                }
            } else if c.repeatValue > 0 {
                let k = start + c.repeatValue * ((val - start + c.repeatValue - 1) / c.repeatValue)
                if (!dSet || k < d) && (stop < 0 || k <= stop) {
                    d = k
                    dSet = true
                }
            }
        }
        if !dSet { return nil }
        let r = val != d ? 1 : 0
        val = d
        return r
    }

    /// `tm_within_bounds`: nil = error (refuses to go backwards, or out of range), 0 = normalized (moved), 1 = ok.
    mutating func withinBounds(_ tm: inout BrokenDownTime) -> Int? {
        if tm.year > Self.maxYear { return nil }
        var t = tm
        if mktime(&t) < 0 { return nil }
        var cmp: Int
        // systemd 252 resets only the next lower field after a carry, so `*-*-1/11` carried from Dec 34 to
        // Jan 3 never considers Jan 1 (systemd#40260). Without quirks every lower field is reset.
        let all = !quirks252
        if t.year != tm.year {
            cmp = t.year < tm.year ? -1 : 1
            t.mon = 0
            if all { t.mday = 1; t.hour = 0; t.min = 0; t.sec = 0 }
        } else if t.mon != tm.mon {
            cmp = t.mon < tm.mon ? -1 : 1
            t.mday = 1
            if all { t.hour = 0; t.min = 0; t.sec = 0 }
        } else if t.mday != tm.mday {
            cmp = t.mday < tm.mday ? -1 : 1
            t.hour = 0
            if all { t.min = 0; t.sec = 0 }
        } else if t.hour != tm.hour {
            cmp = t.hour < tm.hour ? -1 : 1
            t.min = 0
            if all { t.sec = 0 }
        } else if t.min != tm.min {
            cmp = t.min < tm.min ? -1 : 1
            t.sec = 0
        } else {
            cmp = t.sec == tm.sec ? 0 : (t.sec < tm.sec ? -1 : 1)
        }
        if cmp < 0 { return nil }
        if cmp > 0 { tm = t }
        return cmp == 0 ? 1 : 0
    }

    mutating func matchesWeekday(_ tm: BrokenDownTime) -> Bool {
        let bits = spec.weekdayBits
        if bits < 0 || bits >= 127 { return true }
        var t = tm
        if mktime(&t) < 0 { return false }
        let days = monthStart(t.year, t.mon) + t.mday - 1
        let wd = ((days % 7) + 7 + 3) % 7  // 1970-01-01 was a Thursday; 0 = Monday
        return bits & (1 << wd) != 0
    }

    mutating func next(after: Int64) -> CalendarSpec.Elapse {
        let u = after + 1
        let t0 = u / Int64(Self.usecPerSec)
        var usec = Int(u % Int64(Self.usecPerSec))
        var c = localtime(t0)
        if !utc { guess = zone.offset(at: t0) }
        var first = true

        for _ in 0..<Self.maxIterations {
            if first {
                first = false  // localtime() output is already normalized.
            } else {
                _ = mktime(&c)
            }
            c.isdst = spec.dst

            var v = c.year
            guard let ry = findMatching(spec.year, isDay: false, c, &v) else { return .never }
            c.year = v
            if ry > 0 {
                c.mon = 0
                c.mday = 1
                c.hour = 0
                c.min = 0
                c.sec = 0
                usec = 0
            }
            guard let b = withinBounds(&c), b > 0 else { return .never }

            v = c.mon + 1
            let rm = findMatching(spec.month, isDay: false, c, &v)
            c.mon = v - 1
            if let rm, rm > 0 {
                c.mday = 1
                c.hour = 0
                c.min = 0
                c.sec = 0
                usec = 0
            }
            var wb: Int? = nil
            if rm != nil { wb = withinBounds(&c) }
            if rm == nil || wb == nil {
                c.year += 1
                c.mon = 0
                c.mday = 1
                c.hour = 0
                c.min = 0
                c.sec = 0
                usec = 0
                continue
            }
            if wb == 0 { continue }

            v = c.mday
            let rd = findMatching(spec.day, isDay: true, c, &v)
            c.mday = v
            if let rd, rd > 0 {
                c.hour = 0
                c.min = 0
                c.sec = 0
                usec = 0
            }
            wb = nil
            if rd != nil { wb = withinBounds(&c) }
            if rd == nil || wb == nil {
                c.mon += 1
                c.mday = 1
                c.hour = 0
                c.min = 0
                c.sec = 0
                usec = 0
                continue
            }
            if wb == 0 { continue }

            if !matchesWeekday(c) {
                c.mday += 1
                c.hour = 0
                c.min = 0
                c.sec = 0
                usec = 0
                continue
            }

            v = c.hour
            let rh = findMatching(spec.hour, isDay: false, c, &v)
            c.hour = v
            if let rh, rh > 0 {
                c.min = 0
                c.sec = 0
                usec = 0
            }
            wb = nil
            if rh != nil { wb = withinBounds(&c) }
            if rh == nil || wb == nil {
                c.mday += 1
                c.hour = 0
                c.min = 0
                c.sec = 0
                usec = 0
                continue
            }
            if wb == 0 { continue }

            v = c.min
            let rmin = findMatching(spec.minute, isDay: false, c, &v)
            c.min = v
            if let rmin, rmin > 0 {
                c.sec = 0
                usec = 0
            }
            wb = nil
            if rmin != nil { wb = withinBounds(&c) }
            if rmin == nil || wb == nil {
                c.hour += 1
                c.min = 0
                c.sec = 0
                usec = 0
                continue
            }
            if wb == 0 { continue }

            v = c.sec * Self.usecPerSec + usec
            let rs = findMatching(spec.microsecond, isDay: false, c, &v)
            usec = v % Self.usecPerSec
            c.sec = v / Self.usecPerSec
            wb = nil
            if rs != nil { wb = withinBounds(&c) }
            if rs == nil || wb == nil {
                c.min += 1
                c.sec = 0
                usec = 0
                continue
            }
            if wb == 0 { continue }

            let t = mktime(&c)
            if t < 0 { return .never }
            return .at(t * Int64(Self.usecPerSec) + Int64(usec))
        }
        return .iterationLimit
    }
}
