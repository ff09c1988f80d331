import DutyTestSupport
import Foundation
import Testing

@testable import DutyCore

/// Vectors from Vectors/calendarspec.json (systemd's own test-calendarspec.c cases, the duty patterns of the shared
/// research notes, and DST cases confirmed with systemd-analyze 252), plus properties.
@Suite struct CalendarSpecTests {
    // MARK: vectors

    struct Vectors: Decodable {
        struct Normalization: Decodable, Sendable, CustomTestStringConvertible {
            var id: String
            var input: String
            var normalized: String
            var testDescription: String { id }
        }
        struct Next: Decodable, Sendable, CustomTestStringConvertible {
            var id: String
            var spec: String
            var tz: String?
            var after: Int64
            var expected: Int64?
            var skip: String?
            var testDescription: String { id }
        }
        struct Invalid: Decodable, Sendable, CustomTestStringConvertible {
            var id: String
            var input: String
            var testDescription: String { id }
        }
        struct Sequence: Decodable, Sendable, CustomTestStringConvertible {
            var id: String
            var spec: String
            var tz: String
            var after: Int64
            var normalized: String?
            var expected: [Int64]
            var testDescription: String { id }
        }
        struct Deviation: Decodable, Sendable, CustomTestStringConvertible {
            var id: String
            var reason: String
            var spec: String
            var tz: String
            var after: Int64
            var systemd252: [Int64]
            var expected: [Int64]
            var testDescription: String { id }
        }
        var normalization: [Normalization]
        var next: [Next]
        var invalid: [Invalid]
        var sequences: [Sequence]
        var deviations: [Deviation]
    }

    static let vectors: Vectors = {
        let url = Bundle.module.url(forResource: "calendarspec", withExtension: "json", subdirectory: "Vectors")!
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    /// `$TZ` as systemd's tests set it: unset or empty means UTC here; names glibc cannot find fall back to UTC.
    static func zone(_ tz: String?) -> TimeZone {
        guard let tz, !tz.isEmpty, let z = TimeZone(identifier: tz) else { return TimeZone(identifier: "UTC")! }
        return z
    }

    static func elapses(_ spec: CalendarSpec, after: Int64, zone: TimeZone, count: Int, quirks: Bool = false)
        -> [Int64]
    {
        var z = ZonedTime(spec.evaluationZone(default: zone))
        var out: [Int64] = []
        var t = after
        for _ in 0..<count {
            guard case .at(let n) = spec.nextElapse(afterMicroseconds: t, zone: &z, systemd252Quirks: quirks) else {
                break
            }
            out.append(n)
            t = n
        }
        return out
    }

    @Test(arguments: vectors.normalization)
    func normalization(_ v: Vectors.Normalization) throws {
        let spec = try CalendarSpec(v.input)
        #expect(spec.description == v.normalized)
        // Idempotent: the normalized form parses to itself.
        let again = try CalendarSpec(v.normalized)
        #expect(again.description == v.normalized)
        #expect(again == spec)
    }

    /// Vectors marked `skip` (a POSIX TZ rule string) cannot be evaluated with Foundation zones.
    @Test(arguments: vectors.next.filter { $0.skip == nil })
    func nextElapse(_ v: Vectors.Next) throws {
        let spec = try CalendarSpec(v.spec)
        #expect(spec.nextElapse(afterMicroseconds: v.after, in: Self.zone(v.tz)) == v.expected)
    }

    @Test(arguments: vectors.invalid)
    func invalid(_ v: Vectors.Invalid) {
        #expect(throws: CalendarSpecError.self) { try CalendarSpec(v.input) }
    }

    @Test(arguments: vectors.sequences)
    func sequence(_ v: Vectors.Sequence) throws {
        let spec = try CalendarSpec(v.spec)
        if let n = v.normalized { #expect(spec.description == n) }
        let got = Self.elapses(spec, after: v.after, zone: Self.zone(v.tz), count: v.expected.count + 1)
        #expect(Array(got.prefix(v.expected.count)) == v.expected)
        if v.expected.isEmpty { #expect(got.isEmpty) }
    }

    /// Named deviations from systemd 252 (its bugs): by default we do the right thing, with quirks we match 252.
    @Test(arguments: vectors.deviations)
    func deviation(_ v: Vectors.Deviation) throws {
        let spec = try CalendarSpec(v.spec)
        let zone = Self.zone(v.tz)
        let fixed = Self.elapses(spec, after: v.after, zone: zone, count: v.expected.count)
        let quirky = Self.elapses(spec, after: v.after, zone: zone, count: v.systemd252.count, quirks: true)
        #expect(fixed == v.expected, "\(v.id): \(v.reason)")
        #expect(quirky == v.systemd252, "\(v.id) with systemd 252 quirks")
    }

    @Test func foundationDateAPI() throws {
        let spec = try CalendarSpec("Mon *-*-* 09:00")
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        // 2026-11-30 12:00 UTC is a Monday after 09:00 CET; the next is 2026-12-07 09:00 CET = 08:00 UTC.
        let next = spec.nextElapse(after: Date(timeIntervalSince1970: 1_796_040_000), in: berlin)
        #expect(next == Date(timeIntervalSince1970: 1_796_630_400))
        let utcSpec = try CalendarSpec("2016-03-27 03:17:00 UTC")
        #expect(utcSpec.isUTC && utcSpec.timeZone?.secondsFromGMT(for: Date(timeIntervalSince1970: 1e9)) == 0)
        #expect(try CalendarSpec("weekly Pacific/Auckland").timeZone?.identifier == "Pacific/Auckland")
        #expect(try CalendarSpec("weekly").timeZone == nil)
    }

    @Test func localZoneAbbreviation() throws {
        let names = (standard: "CET", daylight: "CEST")
        let spec = try CalendarSpec("*-*-* 12:00 cest", localZoneNames: names)
        #expect(spec.description == "*-*-* 12:00:00 CEST")
        #expect(spec.timeZone == nil)
        #expect(throws: CalendarSpecError.self) { try CalendarSpec("*-*-* 12:00 CEST") }
    }

    // MARK: errors

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var input: String
        var column: Int
        var code: CalendarSpecError.Code
        var errno: CalendarSpecError.SystemdErrno = .invalidArgument
        var testDescription: String { input }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(input: "Mon *-*-* 25:00", column: 11, code: .valueOutOfRange),
        ErrorCase(input: "*-*-* 24:00", column: 7, code: .valueOutOfRange),
        ErrorCase(input: "2200-01-01", column: 1, code: .valueOutOfRange),
        ErrorCase(input: "*-13-01", column: 3, code: .valueOutOfRange),
        ErrorCase(input: "*~29", column: 3, code: .valueOutOfRange),
        ErrorCase(input: "Sat..Mon", column: 1, code: .invalidWeekday),
        ErrorCase(input: "Monday..", column: 1, code: .invalidWeekday),
        ErrorCase(input: "Mond 12:00", column: 1, code: .invalidWeekday),
        ErrorCase(input: "00:00/60", column: 4, code: .invalidRepeat),
        ErrorCase(input: "20/4:00", column: 1, code: .invalidRepeat),
        ErrorCase(input: "*/6:22:00", column: 1, code: .unexpectedCharacter),
        ErrorCase(input: "12:*/5", column: 4, code: .unexpectedCharacter),
        ErrorCase(input: "*-*-* 12:00 Europe/Nowhere", column: 13, code: .unknownTimeZone),
        ErrorCase(input: "12:00:00/0", column: 10, code: .numberOutOfRange, errno: .outOfRange),
        ErrorCase(input: "00:00:2300", column: 7, code: .numberOutOfRange, errno: .outOfRange),
        ErrorCase(input: "2016~11-22", column: 8, code: .unexpectedCharacter),
        ErrorCase(input: "", column: 1, code: .empty),
        ErrorCase(input: " utc", column: 1, code: .empty),
        ErrorCase(input: "12:00 x", column: 7, code: .unknownTimeZone),
        ErrorCase(input: "12:00 5", column: 6, code: .unexpectedCharacter),
        ErrorCase(input: "@88588582097858858", column: 1, code: .invalidTimestamp, errno: .outOfRange),
    ]

    @Test(arguments: errorCases)
    func errorPosition(_ c: ErrorCase) {
        do {
            _ = try CalendarSpec(c.input)
            Issue.record("\(c.input) parsed")
        } catch {
            #expect(error.column == c.column, "\(error)")
            #expect(error.code == c.code, "\(error)")
            #expect(error.systemdErrno == c.errno)
            #expect(error.input == c.input)
        }
    }

    @Test func errorRendering() {
        do {
            _ = try CalendarSpec("Mon *-*-* 25:00")
            Issue.record("parsed")
        } catch {
            let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("calendar:1:11: error: hour must be in 0..23"))
            #expect(lines[1] == " | Mon *-*-* 25:00")
            #expect(lines[2] == " |           ^~")
        }
    }

    // MARK: properties

    /// A matcher written from systemd.time(7), independent of the search engine: does the wall-clock minute
    /// (seconds 0) match the spec?
    static func matches(_ spec: CalendarSpec, _ l: LocalDateTime) -> Bool {
        func inChain(_ chain: [CalendarSpec.Component]?, _ v: Int) -> Bool {
            guard let chain else { return true }
            return chain.contains { c in
                if v == c.start { return true }
                guard c.repeatValue > 0, v > c.start else { return false }
                if c.stop >= 0 && v > c.stop { return false }
                return (v - c.start) % c.repeatValue == 0
            }
        }
        let d = l.date
        if spec.weekdayBits > 0 && spec.weekdayBits & (1 << d.weekday.mondayBasedIndex) == 0 { return false }
        guard inChain(spec.year, d.year), inChain(spec.month, d.month) else { return false }
        if spec.endOfMonth {
            let fromEnd = CivilDate.daysInMonth(year: d.year, month: d.month) - d.day + 1
            guard let chain = spec.day else { return false }
            // '~' items count back from the end: start..stop both counted from the end.
            let ok = chain.contains { c in
                if fromEnd == c.start { return true }
                if c.stop >= 0 {
                    let lo = min(c.start, c.stop)
                    let hi = max(c.start, c.stop)
                    let first = CivilDate.daysInMonth(year: d.year, month: d.month) - hi + 1
                    let dd = d.day
                    return fromEnd >= lo && fromEnd <= hi && (dd - first) % max(1, c.repeatValue) == 0
                }
                if c.repeatValue > 0 {
                    let first = CivilDate.daysInMonth(year: d.year, month: d.month) - c.start + 1
                    return d.day > first && (d.day - first) % c.repeatValue == 0
                }
                return false
            }
            if !ok { return false }
        } else if !inChain(spec.day, d.day) {
            return false
        }
        return inChain(spec.hour, l.hour) && inChain(spec.minute, l.minute) && inChain(spec.microsecond, 0)
    }

    @Test func propertiesOnRandomSpecs() throws {
        var rng = SeededRandom(seed: CalendarSpecRandom.seed(default: 0xCA1E_0DA7))
        print("CalendarSpecTests.properties seed \(rng.seed)")
        let zones = ["UTC", "Asia/Shanghai", "Europe/Berlin"].map { TimeZone(identifier: $0)! }
        var checked = 0
        for i in 0..<300 {
            let text = CalendarSpecRandom.spec(&rng, minuteGranular: i % 2 == 0)
            guard let spec = try? CalendarSpec(text) else { continue }
            // parse(print(x)) == x
            let printed = spec.description
            let reparsed = try CalendarSpec(printed)
            #expect(reparsed == spec, "\(text)")
            #expect(reparsed.description == printed, "\(text)")

            let zone = zones[i % zones.count]
            var z = ZonedTime(spec.evaluationZone(default: zone))
            let base = Int64(rng.next(in: 946_684_800...2_524_608_000)) * 1_000_000 + Int64(rng.next(in: 0...999_999))
            guard case .at(let next) = spec.nextElapse(afterMicroseconds: base, zone: &z) else { continue }
            // next(t) > t
            #expect(next > base, "\(text) after \(base)")
            // nothing skipped: scan minute by minute between base and next (minute-granular specs only)
            guard i % 2 == 0, spec.timeZoneName == nil else { continue }
            var scan = ZonedTime(spec.evaluationZone(default: zone))
            let nextLocal = scan.localDateTime(at: next / 1_000_000)
            #expect(nextLocal.second == 0 && Self.matches(spec, nextLocal), "\(text): \(nextLocal) does not match")
            var m = (base / 1_000_000 / 60 + 1) * 60
            var steps = 0
            while m < next / 1_000_000 && steps < 30_000 {
                let iv = scan.interval(at: m)
                // The repeated hour after a fall-back: systemd fires the first pass only.
                let repeated = iv.start > Int64.min && scan.offset(at: iv.start - 1) > iv.offset
                    && m < iv.start + Int64(scan.offset(at: iv.start - 1) - iv.offset)
                if !repeated {
                    let l = scan.localDateTime(at: m)
                    #expect(!Self.matches(spec, l), "\(text) in \(zone.identifier): skipped \(l) before \(nextLocal)")
                }
                m += 60
                steps += 1
            }
            checked += 1
        }
        #expect(checked > 50)
    }

    @Test func yearBoundAndIterationLimit() throws {
        // The last possible elapse, then never.
        let spec = try CalendarSpec("2199-12-31 23:59:59 UTC")
        let utc = TimeZone(identifier: "UTC")!
        let last = spec.nextElapse(afterMicroseconds: 0, in: utc)
        #expect(last == 7_258_118_399_000_000)
        #expect(spec.nextElapse(afterMicroseconds: last!, in: utc) == nil)
        // A weekday that never falls on the dates: never, not an error.
        #expect(try CalendarSpec("Thu 2027-01-01").nextElapse(afterMicroseconds: 0, in: utc) == nil)
        // Impossible dates never elapse.
        #expect(try CalendarSpec("*-02-30").nextElapse(afterMicroseconds: 0, in: utc) == nil)
    }
}


/// Random calendar expressions covering the whole grammar (valid and some invalid ones).
enum CalendarSpecRandom {
    static func seed(default d: UInt64) -> UInt64 {
        if let s = ProcessInfo.processInfo.environment["DUTYD_DIFF_SEED"], let v = UInt64(s) { return v }
        return d ^ UInt64(UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)))
    }

    static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let longWeekdays = ["monday", "TUESDAY", "Wednesday", "thursday", "Friday", "saturday", "Sunday"]
    static let shorthands = [
        "minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "anually", "quarterly",
        "semiannually", "semi-annually", "biannually", "bi-annually", "Daily", "HOURLY",
    ]
    static let zones = [" UTC", " utc", " Europe/Berlin", " Asia/Shanghai", " America/New_York", " Pacific/Auckland"]

    static func number(_ rng: inout SeededRandom, _ v: Int, _ width: Int) -> String {
        let s = String(v)
        return rng.chance(0.5) && s.count < width ? String(repeating: "0", count: width - s.count) + s : s
    }

    static func item(_ rng: inout SeededRandom, _ lo: Int, _ hi: Int, _ width: Int) -> String {
        let a = rng.next(in: lo...hi)
        var s = number(&rng, a, width)
        let k = rng.next(in: 0...99)
        if k < 25 && a < hi {
            let b = rng.next(in: a...hi)
            s += ".." + number(&rng, b, width)
            if rng.chance(0.4) { s += "/" + String(rng.next(in: 1...max(1, b - a))) }
        } else if k < 45 {
            s += "/" + String(rng.next(in: 1...max(1, (hi - a) / 2)))
        }
        return s
    }

    static func field(_ rng: inout SeededRandom, _ lo: Int, _ hi: Int, _ width: Int, star: Double) -> String {
        if rng.chance(star) { return "*" }
        return (0..<[1, 1, 1, 2, 3][rng.next(in: 0...4)]).map { _ in item(&rng, lo, hi, width) }.joined(
            separator: ",")
    }

    static func seconds(_ rng: inout SeededRandom) -> String {
        let k = rng.next(in: 0...99)
        if k < 30 { return "*" }
        if k < 50 { return number(&rng, rng.next(in: 0...59), 2) }
        if k < 60 {
            let frac = String(rng.next(in: 0...9_999_999))
            return number(&rng, rng.next(in: 0...58), 2) + "." + frac.prefix(rng.next(in: 1...7))
        }
        return field(&rng, 0, 59, 2, star: 0)
    }

    /// `minuteGranular`: no seconds field beyond `:00`, no zone suffix, no `@`.
    static func spec(_ rng: inout SeededRandom, minuteGranular: Bool = false) -> String {
        let k = rng.next(in: 0...99)
        if !minuteGranular {
            if k < 5 { return shorthands[rng.next(in: 0...(shorthands.count - 1))] }
            if k < 7 { return "@\(rng.next(in: 0...7_258_118_399))" }
        }
        var parts: [String] = []
        if rng.chance(0.3) {
            var days = Array(0..<7).shuffled(using: &rng).prefix(rng.next(in: 1...3)).sorted()
            var names: [String] = []
            while let d = days.first {
                days.removeFirst()
                if rng.chance(0.3) && d < 6 {
                    let e = rng.next(in: (d + 1)...6)
                    names.append(weekdays[d] + (rng.chance(0.5) ? ".." : "-") + weekdays[e])
                } else {
                    names.append(rng.chance(0.2) ? longWeekdays[d] : weekdays[d])
                }
            }
            parts.append(names.joined(separator: ","))
        }
        if rng.chance(0.8) {
            let year = rng.chance(0.5) ? field(&rng, 2020, 2040, 4, star: 0.7) : nil
            let month = field(&rng, 1, 12, 2, star: 0.5)
            let eom = rng.chance(0.15)
            let day = eom ? field(&rng, 1, 28, 2, star: 0.2) : field(&rng, 1, 31, 2, star: 0.5)
            parts.append((year.map { $0 + "-" } ?? "") + month + (eom ? "~" : "-") + day)
        }
        if rng.chance(0.85) || parts.isEmpty {
            var t = field(&rng, 0, 23, 2, star: 0.3) + ":" + field(&rng, 0, 59, 2, star: 0.3)
            if minuteGranular {
                if rng.chance(0.3) { t += ":00" }
            } else if rng.chance(0.6) {
                t += ":" + seconds(&rng)
            }
            parts.append(t)
        }
        var s = parts.joined(separator: " ")
        if !minuteGranular && rng.chance(0.1) { s += zones[rng.next(in: 0...(zones.count - 1))] }
        return s
    }
}
