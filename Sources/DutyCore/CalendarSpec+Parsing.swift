import Foundation

/// Recursive-descent parser following systemd 252 `calendar_spec_from_string` acceptance exactly (same inputs
/// accepted, same errno class on refusal), but reporting where and why.
struct CalendarSpecParser {
    typealias Component = CalendarSpec.Component

    let input: String
    let bytes: [UInt8]
    /// Length of the expression once a zone suffix is cut off.
    var end: Int
    var p = 0
    let localZoneNames: (standard: String, daylight: String)?

    static let intMax = Int(Int32.max)
    static let usecPerSec = 1_000_000
    static let maxComponents = 240

    init(text: String, localZoneNames: (standard: String, daylight: String)?) {
        input = text
        var b = Array(text.utf8)
        // A C string ends at the first NUL.
        if let nul = b.firstIndex(of: 0) { b.removeSubrange(nul...) }
        bytes = b
        end = b.count
        self.localZoneNames = localZoneNames
    }

    // MARK: errors

    func error(
        _ code: CalendarSpecError.Code, _ range: Range<Int>, _ message: String,
        _ errno: CalendarSpecError.SystemdErrno = .invalidArgument
    ) -> CalendarSpecError {
        let lo = min(range.lowerBound, max(bytes.count, 0))
        let hi = max(lo + 1, range.upperBound)
        return CalendarSpecError(
            input: input, code: code, columns: (lo + 1)..<(hi + 1), message: message, systemdErrno: errno)
    }

    func at(_ i: Int) -> UInt8 { i < end ? bytes[i] : 0 }

    func describe(_ i: Int) -> String {
        let c = at(i)
        if c == 0 { return "end of input" }
        if c < 0x20 || c >= 0x7F { return "byte 0x" + String(c, radix: 16) }
        return "'" + String(UnicodeScalar(c)) + "'"
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c + 32 : c }

    func hasSuffixNoCase(_ suffix: [UInt8], within n: Int) -> Int? {
        guard suffix.count <= n else { return nil }
        let s = n - suffix.count
        for k in 0..<suffix.count where Self.lower(bytes[s + k]) != Self.lower(suffix[k]) { return nil }
        return s
    }

    func equalsNoCase(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard w.count == end else { return false }
        for k in 0..<end where Self.lower(bytes[k]) != Self.lower(w[k]) { return false }
        return true
    }

    // MARK: top level

    mutating func parse() throws(CalendarSpecError) -> CalendarSpec {
        var spec = CalendarSpec()
        if let s = hasSuffixNoCase(Array(" UTC".utf8), within: end) {
            spec.utc = true
            end = s
        } else {
            var found = false
            if let names = localZoneNames {
                for (j, name) in [names.standard, names.daylight].enumerated() where !name.isEmpty {
                    guard let s = hasSuffixNoCase(Array(name.utf8), within: end), s > 0, bytes[s - 1] == 0x20
                    else { continue }
                    spec.dst = j
                    spec.dstName = name
                    end = s - 1
                    found = true
                    break
                }
            }
            if !found, let space = bytes[..<end].lastIndex(of: 0x20) {
                let name = String(decoding: bytes[(space + 1)..<end], as: UTF8.self)
                if Self.isValidZoneName(name) {
                    spec.timeZoneName = name
                    end = space
                }
            }
        }
        if end == 0 {
            throw error(.empty, 0..<max(1, bytes.count), "expected a calendar expression")
        }

        if equalsNoCase("minutely") {
            spec.microsecond = [.constant(0)]
        } else if equalsNoCase("hourly") {
            spec.minute = [.constant(0)]
            spec.microsecond = [.constant(0)]
        } else if equalsNoCase("daily") {
            spec.hour = [.constant(0)]
            spec.minute = [.constant(0)]
            spec.microsecond = [.constant(0)]
        } else if equalsNoCase("monthly") {
            spec.day = [.constant(1)]
            spec.hour = [.constant(0)]
            spec.minute = [.constant(0)]
            spec.microsecond = [.constant(0)]
        } else if equalsNoCase("annually") || equalsNoCase("yearly") || equalsNoCase("anually") {
            spec.month = [.constant(1)]
            spec.day = [.constant(1)]
            spec.hour = [.constant(0)]
            spec.minute = [.constant(0)]
            spec.microsecond = [.constant(0)]
        } else if equalsNoCase("weekly") {
            spec.weekdayBits = 1
            spec.hour = [.constant(0)]
            spec.minute = [.constant(0)]
            spec.microsecond = [.constant(0)]
        } else if equalsNoCase("quarterly") {
            spec.month = [.constant(1), .constant(4), .constant(7), .constant(10)]
            spec.day = [.constant(1)]
            spec.hour = [.constant(0)]
            spec.minute = [.constant(0)]
            spec.microsecond = [.constant(0)]
        } else if equalsNoCase("biannually") || equalsNoCase("bi-annually") || equalsNoCase("semiannually")
            || equalsNoCase("semi-annually")
        {
            spec.month = [.constant(1), .constant(7)]
            spec.day = [.constant(1)]
            spec.hour = [.constant(0)]
            spec.minute = [.constant(0)]
            spec.microsecond = [.constant(0)]
        } else {
            spec.weekdayBits = 0
            try parseWeekdays(&spec)
            let epoch = try parseDate(&spec)
            if !epoch { try parseTime(&spec) }
            if p < end {
                throw error(.unexpectedCharacter, p..<end, "unexpected \(describe(p)) after the expression")
            }
        }
        normalize(&spec)
        try validate(spec)
        return spec
    }

    /// systemd's `timezone_is_valid` syntax, then Foundation must know the zone.
    static func isValidZoneName(_ name: String) -> Bool {
        if name == "UTC" { return true }
        let u = Array(name.utf8)
        guard let first = u.first, first != UInt8(ascii: "/") else { return false }
        var slash = false
        for c in u {
            let ok =
                isDigit(c) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "-")
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "+") || c == UInt8(ascii: "/")
            if !ok { return false }
            if c == UInt8(ascii: "/") {
                if slash { return false }
                slash = true
            } else {
                slash = false
            }
        }
        if slash { return false }
        return ZoneNames.isKnown(name)
    }

    // MARK: weekdays

    static let dayNames: [(String, Int)] = [
        ("monday", 0), ("mon", 0), ("tuesday", 1), ("tue", 1), ("wednesday", 2), ("wed", 2), ("thursday", 3),
        ("thu", 3), ("friday", 4), ("fri", 4), ("saturday", 5), ("sat", 5), ("sunday", 6), ("sun", 6),
    ]

    func matchDay(at i: Int) -> (length: Int, nr: Int)? {
        for (name, nr) in Self.dayNames {
            let n = Array(name.utf8)
            guard i + n.count <= end else { continue }
            var ok = true
            for k in 0..<n.count where Self.lower(bytes[i + k]) != n[k] {
                ok = false
                break
            }
            if ok { return (n.count, nr) }
        }
        return nil
    }

    mutating func skipSpaces() { while p < end && bytes[p] == 0x20 { p += 1 } }

    mutating func parseWeekdays(_ spec: inout CalendarSpec) throws(CalendarSpecError) {
        var l = -1
        var lStart = 0
        var first = true
        while true {
            let nameStart = p
            guard let (len, nr) = matchDay(at: p) else {
                if first {
                    spec.weekdayBits = 0
                    return
                }
                throw error(.invalidWeekday, p..<max(p + 1, wordEnd(p)), "expected a weekday name, found \(describe(p))")
            }
            let next = at(p + len)
            guard next == 0 || next == UInt8(ascii: "-") || next == UInt8(ascii: ".") || next == UInt8(ascii: ",")
                || next == 0x20
            else {
                throw error(
                    .invalidWeekday, nameStart..<wordEnd(nameStart),
                    "unknown weekday name (expected Mon..Sun or Monday..Sunday)")
            }
            spec.weekdayBits |= 1 << nr
            if l >= 0 {
                if l > nr {
                    throw error(
                        .invalidWeekday, lStart..<(p + len),
                        "weekday range must ascend (Mon..Sun); \(CalendarSpec.weekdayNames[l]) comes after "
                            + CalendarSpec.weekdayNames[nr])
                }
                if l + 1 < nr { for j in (l + 1)..<nr { spec.weekdayBits |= 1 << j } }
            }
            p += len
            if p >= end { return }
            if bytes[p] == 0x20 {
                skipSpaces()
                return
            }
            if bytes[p] == UInt8(ascii: ".") {
                if l >= 0 { throw error(.invalidWeekday, p..<(p + 2), "a weekday range cannot be chained") }
                if at(p + 1) != UInt8(ascii: ".") {
                    throw error(.invalidWeekday, p..<(p + 1), "expected '..' for a weekday range")
                }
                l = nr
                lStart = nameStart
                p += 2
            } else if bytes[p] == UInt8(ascii: "-") {
                if l >= 0 { throw error(.invalidWeekday, p..<(p + 1), "a weekday range cannot be chained") }
                l = nr
                lStart = nameStart
                p += 1
            } else if bytes[p] == UInt8(ascii: ",") {
                l = -1
                p += 1
            }
            if p >= end || bytes[p] == 0x20 {
                if l >= 0 {
                    throw error(.invalidWeekday, lStart..<p, "weekday range has no end (write Mon..Fri)")
                }
                skipSpaces()
                return
            }
            first = false
        }
    }

    func wordEnd(_ i: Int) -> Int {
        var j = i
        while j < end, bytes[j] != 0x20, bytes[j] != UInt8(ascii: ","), bytes[j] != UInt8(ascii: ".") { j += 1 }
        return max(j, i + 1)
    }

    // MARK: numbers

    /// strtoul on a run of digits: nil on overflow of 64 bits.
    mutating func digits(_ e: inout Int) -> UInt64? {
        var v: UInt64 = 0
        var overflow = false
        while e < end, Self.isDigit(bytes[e]) {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(bytes[e] - 0x30))
            if o1 || o2 { overflow = true }
            v = a
            e += 1
        }
        return overflow ? nil : v
    }

    mutating func parseDecimal(_ e: inout Int, usec: Bool, what: String) throws(CalendarSpecError) -> Int {
        let s = e
        guard Self.isDigit(at(e)) else {
            throw error(.expectedNumber, e..<(e + 1), "expected a number for the \(what), found \(describe(e))")
        }
        guard var value = digits(&e) else {
            throw error(.numberOutOfRange, s..<e, "number too large for the \(what)", .outOfRange)
        }
        if usec {
            let (m, o) = value.multipliedReportingOverflow(by: 1_000_000)
            if o { throw error(.numberOutOfRange, s..<e, "number too large for the \(what)", .outOfRange) }
            value = m
            if at(e) == UInt8(ascii: ".") && at(e + 1) != UInt8(ascii: ".") {
                e += 1
                var add: UInt64 = 0
                var i = 0
                while i < 6 {
                    if !Self.isDigit(at(e)) {
                        if i == 0 {
                            throw error(.expectedNumber, e..<(e + 1), "expected digits after the decimal point")
                        }
                        while i < 6 {
                            add *= 10
                            i += 1
                        }
                        break
                    }
                    add = add * 10 + UInt64(bytes[e] - 0x30)
                    e += 1
                    i += 1
                }
                if Self.isDigit(at(e)) && at(e) >= UInt8(ascii: "5") { add += 1 }
                while Self.isDigit(at(e)) { e += 1 }
                let (sum, o2) = value.addingReportingOverflow(add)
                if o2 { throw error(.numberOutOfRange, s..<e, "number too large for the \(what)", .outOfRange) }
                value = sum
            }
        }
        if value > UInt64(Self.intMax) {
            throw error(.numberOutOfRange, s..<e, "number too large for the \(what)", .outOfRange)
        }
        return Int(value)
    }

    mutating func parseComponents(usec: Bool, what: String) throws(CalendarSpecError) -> [Component] {
        var out: [Component] = []
        var nesting = 0
        while true {
            if nesting > Self.maxComponents {
                throw error(
                    .tooManyValues, p..<(p + 1), "too many values in the \(what) (at most 241)", .noBufferSpace)
            }
            var e = p
            let itemStart = p
            let start = try parseDecimal(&e, usec: usec, what: what)
            var stop = -1
            var rep = 0
            if at(e) == UInt8(ascii: ".") && at(e + 1) == UInt8(ascii: ".") {
                e += 2
                stop = try parseDecimal(&e, usec: usec, what: what + " range end")
                rep = usec ? Self.usecPerSec : 1
            }
            if at(e) == UInt8(ascii: "/") {
                e += 1
                let rs = e
                rep = try parseDecimal(&e, usec: usec, what: what + " repeat")
                if rep == 0 {
                    throw error(.numberOutOfRange, rs..<e, "the \(what) repeat must be greater than 0", .outOfRange)
                }
            } else {
                if start > Self.intMax - rep {
                    throw error(.numberOutOfRange, itemStart..<e, "number too large for the \(what)", .outOfRange)
                }
                if usec && stop >= 0 && start + rep > stop {
                    throw error(
                        .invalidRange, itemStart..<e,
                        "a seconds range must span at least one second, or give a repeat (e.g. 00.0..00.9/0.1)")
                }
            }
            let c = at(e)
            guard c == 0 || c == 0x20 || c == UInt8(ascii: ",") || c == UInt8(ascii: "-") || c == UInt8(ascii: "~")
                || c == UInt8(ascii: ":")
            else {
                throw error(.unexpectedCharacter, e..<(e + 1), "unexpected \(describe(e)) in the \(what)")
            }
            out.append(Component(start: start, stop: stop, repeatValue: rep, span: itemStart..<e))
            p = e
            if c == UInt8(ascii: ",") {
                p += 1
                nesting += 1
                continue
            }
            return out
        }
    }

    /// `*` (nil, or `0/1s` for seconds) or a list.
    mutating func parseChain(usec: Bool, what: String) throws(CalendarSpecError) -> [Component]? {
        if at(p) == UInt8(ascii: "*") {
            p += 1
            return usec ? [Component(start: 0, stop: -1, repeatValue: Self.usecPerSec, span: (p - 1)..<p)] : nil
        }
        return try parseComponents(usec: usec, what: what)
    }

    // MARK: date and time

    /// Returns true for `@epoch` (no time may follow).
    mutating func parseDate(_ spec: inout CalendarSpec) throws(CalendarSpecError) -> Bool {
        if p >= end { return false }
        if bytes[p] == UInt8(ascii: "@") {
            try parseEpoch(&spec)
            return true
        }
        let begin = p
        let first = try parseChain(usec: false, what: "year or month")
        if p >= end || bytes[p] == UInt8(ascii: ":") {
            p = begin
            return false
        }
        if bytes[p] == UInt8(ascii: "~") {
            spec.endOfMonth = true
        } else if bytes[p] != UInt8(ascii: "-") {
            throw error(.unexpectedCharacter, p..<(p + 1), "expected '-', '~' or ':' after \(describeNumber(begin)), found \(describe(p))")
        }
        p += 1
        let second = try parseChain(usec: false, what: spec.endOfMonth ? "day" : "month or day")
        if p >= end || bytes[p] == 0x20 {
            skipSpaces()
            spec.month = first
            spec.day = second
            return false
        } else if spec.endOfMonth {
            throw error(.unexpectedCharacter, p..<(p + 1), "'~' may only separate month and day")
        }
        if bytes[p] == UInt8(ascii: "~") {
            spec.endOfMonth = true
        } else if bytes[p] != UInt8(ascii: "-") {
            throw error(.unexpectedCharacter, p..<(p + 1), "expected '-' or '~' before the day, found \(describe(p))")
        }
        p += 1
        let third = try parseChain(usec: false, what: "day")
        if p < end && bytes[p] != 0x20 {
            throw error(.unexpectedCharacter, p..<(p + 1), "expected a space after the date, found \(describe(p))")
        }
        skipSpaces()
        spec.year = first
        spec.month = second
        spec.day = third
        return false
    }

    func describeNumber(_ i: Int) -> String { "'" + String(decoding: bytes[i..<min(end, p)], as: UTF8.self) + "'" }

    mutating func parseEpoch(_ spec: inout CalendarSpec) throws(CalendarSpecError) {
        let s = p
        var e = p + 1
        // strtoul: leading white space, an optional sign, digits.
        while e < end, [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains(bytes[e]) { e += 1 }
        var negative = false
        if at(e) == UInt8(ascii: "+") || at(e) == UInt8(ascii: "-") {
            negative = at(e) == UInt8(ascii: "-")
            e += 1
        }
        guard Self.isDigit(at(e)) else {
            throw error(.expectedNumber, e..<(e + 1), "expected seconds since the epoch after '@'")
        }
        guard var v = digits(&e) else {
            throw error(.invalidTimestamp, s..<e, "timestamp too large", .outOfRange)
        }
        if negative { v = 0 &- v }
        let t = Int64(bitPattern: v)
        let days = Int(t >= 0 ? t / 86400 : (t - 86399) / 86400)
        let secs = Int(t - Int64(days) * 86400)
        // gmtime_r fails when the year does not fit tm_year (an int counting from 1900).
        let dayLimit = 784_352_296_000  // ~ (INT_MAX years) * 365.2425
        guard abs(days) < dayLimit else { throw error(.invalidTimestamp, s..<e, "timestamp too large", .outOfRange) }
        let date = CivilDate(dayNumber: days)
        guard date.year - 1900 <= Self.intMax, date.year - 1900 >= Int(Int32.min) else {
            throw error(.invalidTimestamp, s..<e, "timestamp too large", .outOfRange)
        }
        var y = Component.constant(date.year)
        y.span = s..<e
        spec.year = [y]
        spec.month = [.constant(date.month)]
        spec.day = [.constant(date.day)]
        spec.hour = [.constant(secs / 3600)]
        spec.minute = [.constant(secs / 60 % 60)]
        spec.microsecond = [.constant(secs % 60 * Self.usecPerSec)]
        spec.utc = true
        p = e
    }

    mutating func parseTime(_ spec: inout CalendarSpec) throws(CalendarSpecError) {
        if p >= end {
            spec.hour = [.constant(0)]
            spec.minute = [.constant(0)]
            spec.microsecond = [.constant(0)]
            return
        }
        let h = try parseChain(usec: false, what: "hour")
        guard p < end, bytes[p] == UInt8(ascii: ":") else {
            throw error(.unexpectedCharacter, p..<(p + 1), "expected ':' after the hour, found \(describe(p))")
        }
        p += 1
        let m = try parseChain(usec: false, what: "minute")
        if p >= end {
            spec.hour = h
            spec.minute = m
            spec.microsecond = [.constant(0)]
            return
        }
        guard bytes[p] == UInt8(ascii: ":") else {
            throw error(.unexpectedCharacter, p..<(p + 1), "expected ':' after the minute, found \(describe(p))")
        }
        p += 1
        let s = try parseChain(usec: true, what: "second")
        if p < end {
            throw error(.unexpectedCharacter, p..<end, "unexpected \(describe(p)) after the seconds")
        }
        spec.hour = h
        spec.minute = m
        spec.microsecond = s
    }

    // MARK: normalization and validation

    func normalize(_ spec: inout CalendarSpec) {
        if spec.weekdayBits <= 0 || spec.weekdayBits >= 127 { spec.weekdayBits = -1 }
        if spec.endOfMonth && spec.day == nil { spec.endOfMonth = false }
        if var y = spec.year {
            for i in y.indices {
                for k in 0..<2 {
                    var v = k == 0 ? y[i].start : y[i].stop
                    if v >= 0 && v < 70 { v += 2000 } else if v >= 70 && v < 100 { v += 1900 }
                    if k == 0 { y[i].start = v } else { y[i].stop = v }
                }
            }
            spec.year = y
        }
        Self.normalizeChain(&spec.year)
        Self.normalizeChain(&spec.month)
        Self.normalizeChain(&spec.day)
        Self.normalizeChain(&spec.hour)
        Self.normalizeChain(&spec.minute)
        Self.normalizeChain(&spec.microsecond)
    }

    static func normalizeChain(_ chain: inout [Component]?) {
        guard var c = chain else { return }
        for i in c.indices {
            if c[i].stop > c[i].start && c[i].repeatValue > 0 {
                c[i].stop -= (c[i].stop - c[i].start) % c[i].repeatValue
            }
            if (c[i].stop > c[i].start && c[i].repeatValue > 0 && c[i].start + c[i].repeatValue > c[i].stop)
                || c[i].start == c[i].stop
            {
                c[i].repeatValue = 0
                c[i].stop = -1
            }
        }
        if c.count > 1 {
            // Stable sort keeps the first-written item's span for duplicates.
            c = c.enumerated().sorted { a, b in
                (a.element.start, a.element.stop, a.element.repeatValue, a.offset)
                    < (b.element.start, b.element.stop, b.element.repeatValue, b.offset)
            }.map(\.element)
            var out: [Component] = []
            for x in c where out.last != x { out.append(x) }
            c = out
        }
        chain = c
    }

    func validate(_ spec: CalendarSpec) throws(CalendarSpecError) {
        try validateChain(spec.year, 1970, 2199, false, "year")
        try validateChain(spec.month, 1, 12, false, "month")
        try validateChain(spec.day, 1, 31, spec.endOfMonth, "day")
        try validateChain(spec.hour, 0, 23, false, "hour")
        try validateChain(spec.minute, 0, 59, false, "minute")
        try validateChain(spec.microsecond, 0, 60 * Self.usecPerSec - 1, false, "second")
    }

    func show(_ v: Int, _ usec: Bool) -> String {
        guard usec else { return String(v) }
        let frac = v % Self.usecPerSec
        if frac == 0 { return String(v / Self.usecPerSec) }
        var f = String(frac)
        f = String(repeating: "0", count: 6 - f.count) + f
        while f.hasSuffix("0") { f.removeLast() }
        return "\(v / Self.usecPerSec).\(f)"
    }

    func validateChain(_ chain: [Component]?, _ from: Int, _ toIn: Int, _ eom: Bool, _ what: String)
        throws(CalendarSpecError)
    {
        guard let chain else { return }
        let usec = what == "second"
        let name = eom ? "day counted from the end of the month" : what
        var to = toIn
        for c in chain {
            // systemd 252 lowers the bound by 3 for every further '~' item (its chain_valid recursion passes the
            // already lowered bound on): the n-th value of a sorted '~' list must be <= 31 - 3n.
            if eom { to -= 3 }
            let rangeText = usec ? "0..59.999999" : "\(from)..\(to)"
            let span = c.span.isEmpty ? 0..<max(1, end) : c.span
            if c.start < from || c.start > to {
                throw error(.valueOutOfRange, span, "\(name) must be in \(rangeText), got \(show(c.start, usec))")
            }
            if c.repeatValue > to - from {
                throw error(
                    .invalidRepeat, span,
                    "\(what) repeat \(show(c.repeatValue, usec)) is larger than the field span \(rangeText)")
            }
            if c.stop >= 0 {
                if c.stop < from || c.stop > to {
                    throw error(.valueOutOfRange, span, "\(name) range end must be in \(rangeText), got \(show(c.stop, usec))")
                }
                if c.start + c.repeatValue > c.stop {
                    throw error(
                        .invalidRange, span,
                        "\(what) range \(show(c.start, usec))..\(show(c.stop, usec)) must ascend")
                }
            } else {
                if eom && c.start - c.repeatValue < from {
                    throw error(
                        .invalidRepeat, span,
                        "repeat \(c.repeatValue) from day \(c.start) before the end of the month never fires again (needs a start above \(c.repeatValue))"
                    )
                }
                if !eom && c.start + c.repeatValue > to {
                    throw error(
                        .invalidRepeat, span,
                        "\(what) \(show(c.start, usec)) plus repeat \(show(c.repeatValue, usec)) exceeds \(show(to, usec)); give a range end (e.g. \(show(c.start, usec))..\(show(to, usec))/\(show(c.repeatValue, usec)))"
                    )
                }
            }
        }
    }
}

/// Zone identifiers Foundation knows, checked the way systemd checks for a zoneinfo file.
enum ZoneNames {
    static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers)

    static func isKnown(_ name: String) -> Bool {
        if known.contains(name) { return true }
        // Offsets like "GMT+5" are Foundation inventions with no zoneinfo file; plain aliases are files.
        if name.hasPrefix("GMT+") || name.hasPrefix("GMT-") || name.hasPrefix("UTC+") || name.hasPrefix("UTC-") {
            return name == "GMT+0" || name == "GMT-0"
        }
        guard let tz = TimeZone(identifier: name) else { return false }
        return tz.identifier == name || known.contains(tz.identifier)
    }
}
