import DutyTestSupport
import Foundation
import Testing

@testable import DutyCore

@Suite struct AdvanceWarningTests {
    typealias S = WorkdayTestSupport

    struct Vectors: Decodable {
        struct Valid: Decodable {
            var input: String
            var amount: Int
            var unit: String
            var canonical: String
        }
        struct Invalid: Decodable {
            var input: String
            var code: String
            var column: Int
        }
        struct Instant: Decodable {
            var id: String
            var zone: String
            var calendar: String
            var occurrence: String
            var warning: String
            var expected: String
        }
        var parse_valid: [Valid]
        var parse_invalid: [Invalid]
        var instants: [Instant]

        static func load() throws -> Vectors {
            try JSONDecoder().decode(Vectors.self, from: S.vectorData("workday-advance-warnings.json"))
        }
    }

    static func instant(_ iso: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: iso), "bad instant \(iso)")
    }

    static func calendar(_ id: String) throws -> WorkdayCalendar {
        switch id {
        case "every-day": return .everyDay
        case "mon-fri": return try WorkdayCalendar(id: "mon-fri", name: "Mon-Fri")
        case "cn-2018": return try WorkdayCN2018Vectors.load().makeCalendar()
        default: throw CancellationError()
        }
    }

    @Test func parsesValidVectors() throws {
        for v in try Vectors.load().parse_valid {
            let w = try AdvanceWarning(v.input)
            #expect(w.amount == v.amount, "\(v.input)")
            #expect(w.unit.rawValue == v.unit, "\(v.input)")
            #expect(w.description == v.canonical, "\(v.input)")
            #expect(try AdvanceWarning(w.description) == w, "canonical form re-parses: \(v.input)")
        }
    }

    @Test func rejectsInvalidVectorsWithColumn() throws {
        for v in try Vectors.load().parse_invalid {
            do {
                let w = try AdvanceWarning(v.input)
                Issue.record("accepted \(v.input.debugDescription) as \(w)")
            } catch {
                #expect(error.code.rawValue == v.code, "\(v.input.debugDescription): \(error)")
                #expect(error.column == v.column, "\(v.input.debugDescription): \(error)")
                #expect(error.input == v.input)
                #expect(!error.expected.isEmpty)
            }
        }
    }

    @Test func errorRendersACaretUnderTheColumn() {
        do {
            _ = try AdvanceWarning("3 dayz")
            Issue.record("accepted")
        } catch {
            let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("column 3: expected "))
            #expect(lines[1] == "  3 dayz")
            #expect(lines[2] == "    ^")
        }
    }

    @Test func canonicalFormRoundTripsForEveryUnitAndAmount() throws {
        var rng = SeededRandom(seed: SeededRandom.seed("AdvanceWarning.roundtrip"))
        for unit in AdvanceWarning.Unit.allCases {
            let maximum = AdvanceWarning.maximumAmount(unit)
            for amount in [1, 2, maximum] + (0..<50).map({ _ in Int.random(in: 1...maximum, using: &rng) }) {
                let w = try AdvanceWarning(amount: amount, unit: unit)
                #expect(try AdvanceWarning(w.description) == w)
            }
            #expect(throws: AdvanceWarningError.self) { try AdvanceWarning(amount: maximum + 1, unit: unit) }
            #expect(throws: AdvanceWarningError.self) { try AdvanceWarning(amount: 0, unit: unit) }
        }
    }

    @Test func codableIsTheCanonicalString() throws {
        let w = try AdvanceWarning("2wd")
        let data = try JSONEncoder().encode([w])
        #expect(String(decoding: data, as: UTF8.self) == #"["2 workdays"]"#)
        #expect(try JSONDecoder().decode([AdvanceWarning].self, from: data) == [w])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([AdvanceWarning].self, from: Data(#"["0d"]"#.utf8))
        }
    }

    @Test func warningInstantVectors() throws {
        for v in try Vectors.load().instants {
            let zone = try #require(TimeZone(identifier: v.zone))
            let w = try AdvanceWarning(v.warning)
            let got = w.warningInstant(for: try Self.instant(v.occurrence), in: zone, calendar: try Self.calendar(v.calendar))
            #expect(got == (try Self.instant(v.expected)), "\(v.id): got \(got)")
        }
    }

    /// Day and week warnings against python's zoneinfo: local wall time minus N days, `fold=0` (a time in a gap
    /// is read with the offset before the gap, a repeated time resolves to its first instant) - the documented
    /// rule.
    @Test func dayWarningsAgreeWithPythonZoneinfo() throws {
        var rng = SeededRandom(seed: SeededRandom.seed("AdvanceWarning.zoneinfo"))
        let zones = [
            "America/New_York", "Europe/Berlin", "Europe/Dublin", "Australia/Lord_Howe", "Pacific/Auckland",
            "Asia/Shanghai", "America/Sao_Paulo", "America/Havana", "Asia/Tehran",
        ]
        var cases: [(String, Int, AdvanceWarning)] = []
        let lo = Int(try Self.instant("1996-01-01T00:00:00Z").timeIntervalSince1970)
        let hi = Int(try Self.instant("2035-12-31T00:00:00Z").timeIntervalSince1970)
        for i in 0..<3000 {
            let zone = zones[i % zones.count]
            var t = Int.random(in: lo...hi, using: &rng)
            let w = try i % 2 == 0
                ? AdvanceWarning(amount: Int.random(in: 1...40, using: &rng), unit: .days)
                : AdvanceWarning(amount: Int.random(in: 1...5, using: &rng), unit: .weeks)
            if i % 3 != 2 {
                // Aim the warning at a DST transition: occurrence = transition + N days +- 90 minutes, so the
                // shifted wall time lands in or next to the gap or the fold.
                let tz = TimeZone(identifier: zone)!
                if let tr = tz.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: Double(t))) {
                    let days = w.unit == .weeks ? 7 * w.amount : w.amount
                    t = Int(tr.timeIntervalSince1970) + days * 86_400 + Int.random(in: -6...6, using: &rng) * 900
                }
            }
            cases.append((zone, t, w))
        }
        let script = #"""
            import sys, datetime, zoneinfo
            out = []
            for line in sys.stdin:
                zone, t, n = line.split()
                tz = zoneinfo.ZoneInfo(zone)
                local = datetime.datetime.fromtimestamp(int(t), tz)
                naive = local.replace(tzinfo=None, fold=0) - datetime.timedelta(days=int(n))
                out.append(str(int(naive.replace(tzinfo=tz, fold=0).timestamp())))
            print("\n".join(out))
            """#
        let input = cases.map { c in
            "\(c.0) \(c.1) \(c.2.unit == .weeks ? 7 * c.2.amount : c.2.amount)"
        }.joined(separator: "\n") + "\n"
        let (status, out, err) = try S.run("python3", ["-c", script], stdin: input)
        #expect(status == 0, "\(err)")
        let expected = out.split(separator: "\n").map { Int($0)! }
        #expect(expected.count == cases.count)
        var failures = 0
        for (c, e) in zip(cases, expected) {
            let got = c.2.warningInstant(for: Date(timeIntervalSince1970: Double(c.1)), in: TimeZone(identifier: c.0)!)
            if Int(got.timeIntervalSince1970) != e {
                failures += 1
                if failures <= 10 {
                    Issue.record("\(c.0) occurrence @\(c.1) \(c.2): got @\(Int(got.timeIntervalSince1970)), zoneinfo @\(e)")
                }
            }
        }
        #expect(failures == 0)
    }

    @Test func workdayWarningsKeepTheLocalTimeOfDay() throws {
        var rng = SeededRandom(seed: SeededRandom.seed("AdvanceWarning.workdays"))
        let cal = S.randomCalendar(&rng, years: 2024...2026)
        let zone = TimeZone(identifier: "Europe/Berlin")!
        for _ in 0..<2000 {
            let day = CivilDate(year: 2025, month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...28, using: &rng))
            let minute = Int.random(in: 0..<(24 * 60), using: &rng)
            // Skip the hour DST may remove or repeat.
            if minute / 60 == 2 { continue }
            let n = Int.random(in: 1...20, using: &rng)
            let wall = AdvanceWarning.WallTime(dayNumber: day.dayNumber, secondOfDay: Double(minute * 60))
            let occurrence = wall.instant(onDay: day.dayNumber, in: zone)
            let fire = try AdvanceWarning(amount: n, unit: .workdays).warningInstant(for: occurrence, in: zone, calendar: cal)
            let local = AdvanceWarning.WallTime(fire, in: zone)
            #expect(local.secondOfDay == Double(minute * 60))
            // n workdays strictly between the warning day (inclusive) and the occurrence day (exclusive).
            let warnDay = CivilDate(dayNumber: local.dayNumber)
            #expect(cal.isWorkday(warnDay))
            var count = 0
            var d = warnDay
            while d < day {
                if S.naiveIsWorkday(d, cal) { count += 1 }
                d = d.adding(days: 1)
            }
            #expect(count == n, "\(day) -\(n) workdays -> \(warnDay)")
        }
    }
}
