import DutyTestSupport
import Foundation
import Testing

@testable import DutyCore

// MARK: - Helpers shared by the workday / advance-warning test files (Workday-prefixed to avoid clashes).

extension SeededRandom {
    /// A seed from `DUTY_TEST_SEED` or a random one; printed so a failure can be replayed.
    static func seed(_ label: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["DUTY_TEST_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 1...UInt64.max)
        print("[\(label)] seed \(seed) (replay with DUTY_TEST_SEED=\(seed))")
        return seed
    }
}

enum WorkdayTestSupport {
    /// The package root (three levels above this file).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static func vectorData(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors").appendingPathComponent(name))
    }

    /// Runs a program, feeding `stdin`; returns (exit status, stdout, stderr).
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> (
        Int32, String, String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes before waiting so a large output cannot block the child.
        let errBox = WorkdayDataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
    }

    static func date(_ s: String) -> CivilDate {
        guard let d = CivilDate(iso: s) else { fatalError("bad date \(s)") }
        return d
    }

    static func weekday(_ name: String) -> Weekday {
        guard let w = Weekday.allCases.first(where: { $0.shortName == name }) else { fatalError("bad day \(name)") }
        return w
    }

    /// A random calendar: weekend Sat/Sun (or another random weekend), random holidays and make-up days in
    /// `years`, given coverage.
    static func randomCalendar(_ rng: inout SeededRandom, years: ClosedRange<Int>) -> WorkdayCalendar {
        var weekend: Set<Weekday> = [.saturday, .sunday]
        if Int.random(in: 0..<4, using: &rng) == 0 {
            weekend = Set(Weekday.allCases.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 })
            if weekend.count == 7 { weekend.remove(.monday) }
        }
        let first = CivilDate(year: years.lowerBound, month: 1, day: 1).dayNumber
        let last = CivilDate(year: years.upperBound, month: 12, day: 31).dayNumber
        var holidays = Set<CivilDate>()
        var makeup = Set<CivilDate>()
        for _ in 0..<Int.random(in: 0...(20 * years.count), using: &rng) {
            let start = Int.random(in: first...last, using: &rng)
            for k in 0..<Int.random(in: 1...8, using: &rng) where start + k <= last {
                holidays.insert(CivilDate(dayNumber: start + k))
            }
        }
        for _ in 0..<Int.random(in: 0...(8 * years.count), using: &rng) {
            let d = CivilDate(dayNumber: Int.random(in: first...last, using: &rng))
            if !holidays.contains(d) { makeup.insert(d) }
        }
        return try! WorkdayCalendar(
            id: "rnd", name: "random", weekend: weekend, holidays: holidays, makeupWorkdays: makeup,
            coverage: years)
    }

    /// Naive reference: a workday by definition, no precomputation.
    static func naiveIsWorkday(_ d: CivilDate, _ cal: WorkdayCalendar) -> Bool {
        if cal.makeupWorkdays.contains(d) { return true }
        if cal.holidays.contains(d) { return false }
        return !cal.weekend.contains(d.weekday)
    }
}

final class WorkdayDataBox: @unchecked Sendable {
    var data = Data()
}

// MARK: - Vectors

struct WorkdayCN2018Vectors: Decodable {
    struct Cal: Decodable {
        var weekend: [String]
        var coverage: [Int]
        var holidays: [String]
        var makeup_workdays: [String]
    }
    struct Nth: Decodable {
        var year: Int
        var month: Int
        var n: Int
        var expected: String?
    }
    struct Count: Decodable {
        var year: Int
        var month: Int
        var expected: Int
    }
    struct Adding: Decodable {
        var date: String
        var workdays: Int
        var expected: String
    }
    struct Policy: Decodable {
        var date: String
        var policy: String
        var expected: String?
    }
    enum Flag: Decodable {
        case pair(String, Bool)
        init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            self = .pair(try c.decode(String.self), try c.decode(Bool.self))
        }
    }
    var id: String
    var calendar: Cal
    var is_workday: [Flag]
    var nth_workday: [Nth]
    var workday_count: [Count]
    var adding: [Adding]
    var policy: [Policy]

    static func load() throws -> WorkdayCN2018Vectors {
        try JSONDecoder().decode(WorkdayCN2018Vectors.self, from: WorkdayTestSupport.vectorData("workday-cn-2018.json"))
    }

    func makeCalendar() throws -> WorkdayCalendar {
        typealias S = WorkdayTestSupport
        return try WorkdayCalendar(
            id: "cn-2018", name: "2018 notice", weekend: Set(calendar.weekend.map(S.weekday)),
            holidays: Set(calendar.holidays.map(S.date)), makeupWorkdays: Set(calendar.makeup_workdays.map(S.date)),
            coverage: calendar.coverage[0]...calendar.coverage[1])
    }
}

@Suite struct WorkdayCalendarTests {
    typealias S = WorkdayTestSupport

    // MARK: 2018 State Council notice (hand-transcribed vectors)

    @Test func nationalDay2018() throws {
        let cal = try WorkdayCN2018Vectors.load().makeCalendar()
        for day in 1...7 { #expect(!cal.isWorkday(CivilDate(year: 2018, month: 10, day: day))) }
        #expect(cal.isWorkday(S.date("2018-09-29")))
        #expect(cal.isWorkday(S.date("2018-09-30")))
        #expect(cal.nextWorkday(onOrAfter: S.date("2018-10-01")) == S.date("2018-10-08"))
        #expect(cal.previousWorkday(onOrBefore: S.date("2018-10-07")) == S.date("2018-09-30"))
    }

    @Test func vectors2018IsWorkday() throws {
        let v = try WorkdayCN2018Vectors.load()
        let cal = try v.makeCalendar()
        for case .pair(let d, let expected) in v.is_workday {
            #expect(cal.isWorkday(S.date(d)) == expected, "\(v.id) isWorkday \(d)")
        }
    }

    @Test func vectors2018NthWorkday() throws {
        let v = try WorkdayCN2018Vectors.load()
        let cal = try v.makeCalendar()
        for c in v.nth_workday {
            #expect(
                cal.workday(c.n, ofMonth: c.month, year: c.year) == c.expected.map(S.date),
                "\(v.id) workday(\(c.n), \(c.year)-\(c.month))")
        }
        for c in v.workday_count {
            let first = CivilDate(year: c.year, month: c.month, day: 1)
            let next = first.adding(days: CivilDate.daysInMonth(year: c.year, month: c.month))
            #expect(cal.workdays(from: first, to: next) == c.expected, "\(v.id) count \(c.year)-\(c.month)")
            #expect(cal.lastWorkday(ofMonth: c.month, year: c.year) == cal.workday(c.expected, ofMonth: c.month, year: c.year))
        }
    }

    @Test func vectors2018AddingAndPolicies() throws {
        let v = try WorkdayCN2018Vectors.load()
        let cal = try v.makeCalendar()
        for c in v.adding {
            #expect(cal.adding(workdays: c.workdays, to: S.date(c.date)) == S.date(c.expected), "\(c.date) + \(c.workdays)")
        }
        for c in v.policy {
            let policy = try #require(HolidayPolicy(rawValue: c.policy))
            #expect(policy.apply(to: S.date(c.date), in: cal) == c.expected.map(S.date), "\(c.policy) \(c.date)")
        }
    }

    // MARK: Construction, coverage, errors

    @Test func coverageIsTheHullOfDataAndGivenRange() throws {
        let cal = try WorkdayCalendar(
            id: "x", name: "x", holidays: [S.date("2020-05-01")], makeupWorkdays: [S.date("2022-01-08")],
            coverage: 2021...2021)
        #expect(cal.coverage == 2020...2022)
        #expect(cal.covers(S.date("2020-01-01")))
        #expect(cal.covers(S.date("2022-12-31")))
        #expect(!cal.covers(S.date("2019-12-31")))
        #expect(!cal.covers(S.date("2023-01-01")))
        #expect(cal.coveredDates == S.date("2020-01-01")...S.date("2022-12-31"))
        let weekly = try WorkdayCalendar(id: "w", name: "Mon-Fri")
        #expect(weekly.coverage == nil)
        #expect(weekly.covers(S.date("1900-01-01")))
        #expect(weekly.coveredDates == nil)
    }

    @Test func invalidCalendarsAreRejected() {
        #expect(throws: WorkdayCalendarError.self) {
            try WorkdayCalendar(id: "x", name: "x", weekend: Set(Weekday.allCases))
        }
        do {
            _ = try WorkdayCalendar(
                id: "x", name: "x", holidays: [S.date("2020-05-01")], makeupWorkdays: [S.date("2020-05-01")])
            Issue.record("conflict accepted")
        } catch {
            #expect(error.code == .conflictingDate)
            #expect(error.date == S.date("2020-05-01"))
        }
        do {
            _ = try WorkdayCalendar(id: "x", name: "x", holidays: [CivilDate(year: 2021, month: 2, day: 29)])
            Issue.record("invalid date accepted")
        } catch {
            #expect(error.code == .invalidDate)
        }
        do {
            _ = try WorkdayCalendar(id: "x", name: "x", holidays: [S.date("1000-01-01"), S.date("2020-01-01")])
            Issue.record("huge coverage accepted")
        } catch {
            #expect(error.code == .coverageTooLarge)
        }
    }

    @Test func equalityUsesDefiningFields() throws {
        let a = try WorkdayCalendar(id: "x", name: "x", holidays: [S.date("2020-05-01")])
        let b = try WorkdayCalendar(id: "x", name: "x", holidays: [S.date("2020-05-01")])
        let c = try WorkdayCalendar(id: "x", name: "x", holidays: [S.date("2020-05-04")])
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != c)
    }

    @Test func everyDayCalendar() {
        let cal = WorkdayCalendar.everyDay
        #expect(cal.isWorkday(S.date("2026-11-29")))
        #expect(cal.adding(workdays: -3, to: S.date("2026-03-01")) == S.date("2026-02-26"))
        #expect(cal.workday(-1, ofMonth: 2, year: 2024) == S.date("2024-02-29"))
    }

    // MARK: Properties against a naive reference (random calendars, printed seed)

    @Test func propertiesAgainstNaiveReference() throws {
        var rng = SeededRandom(seed: SeededRandom.seed("WorkdayCalendar.properties"))
        for _ in 0..<25 {
            let y0 = Int.random(in: 1990...2040, using: &rng)
            let cal = S.randomCalendar(&rng, years: y0...(y0 + Int.random(in: 0...3, using: &rng)))
            // Scan a window that extends past both ends of the coverage.
            let from = CivilDate(year: y0 - 1, month: 11, day: 1).dayNumber
            let to = CivilDate(year: cal.coverage!.upperBound + 1, month: 2, day: 28).dayNumber
            var workdays: [Int] = []
            for n in from...to {
                let d = CivilDate(dayNumber: n)
                let expected = S.naiveIsWorkday(d, cal)
                #expect(cal.isWorkday(d) == expected, "\(cal.weekend) \(d)")
                if expected { workdays.append(n) }
            }
            // nextWorkday / previousWorkday: a workday, on the right side, nothing skipped in between.
            var index = 0
            for n in from...(workdays.last!) {
                while workdays[index] < n { index += 1 }
                let d = CivilDate(dayNumber: n)
                let next = cal.nextWorkday(onOrAfter: d)
                #expect(next.dayNumber == workdays[index], "next \(d)")
                #expect(cal.isWorkday(next) && next >= d)
                if index > 0 || workdays[0] == n {
                    let prev = cal.previousWorkday(onOrBefore: d)
                    let expectedPrev = workdays[index] == n ? n : workdays[index - 1]
                    #expect(prev.dayNumber == expectedPrev, "previous \(d)")
                }
            }
            // adding(workdays:) against the list, and its inverse.
            for _ in 0..<(workdays.count > 100 ? 200 : 0) {
                let i = Int.random(in: 30..<(workdays.count - 30), using: &rng)
                let k = Int.random(in: 1...25, using: &rng)
                let d = CivilDate(dayNumber: workdays[i])
                #expect(cal.adding(workdays: k, to: d).dayNumber == workdays[i + k])
                #expect(cal.adding(workdays: -k, to: d).dayNumber == workdays[i - k])
                #expect(cal.adding(workdays: -k, to: cal.adding(workdays: k, to: d)) == d)
                // From a day that may be off: strictly after / before.
                let x = CivilDate(dayNumber: Int.random(in: workdays[30]...workdays[workdays.count - 31], using: &rng))
                let after = workdays.first { $0 > x.dayNumber }!
                let afterIndex = workdays.firstIndex(of: after)!
                #expect(cal.adding(workdays: k, to: x).dayNumber == workdays[afterIndex + k - 1])
                let beforeIndex = workdays.lastIndex { $0 < x.dayNumber }!
                #expect(cal.adding(workdays: -k, to: x).dayNumber == workdays[beforeIndex - k + 1])
            }
            // n-th workday of every month in the window round-trips.
            var month = CivilDate(year: y0 - 1, month: 12, day: 1)
            while month.year <= cal.coverage!.upperBound {
                let monthFirst = month.dayNumber
                let monthEnd = monthFirst + CivilDate.daysInMonth(year: month.year, month: month.month)
                let inMonth = workdays.filter { $0 >= monthFirst && $0 < monthEnd }
                for (k, n) in inMonth.enumerated() {
                    #expect(cal.workday(k + 1, ofMonth: month.month, year: month.year)?.dayNumber == n)
                    #expect(cal.workday(k - inMonth.count, ofMonth: month.month, year: month.year)?.dayNumber == n)
                }
                #expect(cal.workday(inMonth.count + 1, ofMonth: month.month, year: month.year) == nil)
                #expect(cal.workday(-inMonth.count - 1, ofMonth: month.month, year: month.year) == nil)
                #expect(cal.lastWorkday(ofMonth: month.month, year: month.year)?.dayNumber == inMonth.last)
                month = month.month == 12
                    ? CivilDate(year: month.year + 1, month: 1, day: 1)
                    : CivilDate(year: month.year, month: month.month + 1, day: 1)
            }
        }
    }

    @Test func policiesAgainstNaiveReference() {
        var rng = SeededRandom(seed: SeededRandom.seed("HolidayPolicy.properties"))
        let cal = S.randomCalendar(&rng, years: 2024...2025)
        for n in CivilDate(year: 2024, month: 1, day: 10).dayNumber...CivilDate(year: 2025, month: 12, day: 20).dayNumber {
            let d = CivilDate(dayNumber: n)
            let work = S.naiveIsWorkday(d, cal)
            #expect(HolidayPolicy.keep.apply(to: d, in: cal) == d)
            #expect(HolidayPolicy.skip.apply(to: d, in: cal) == (work ? d : nil))
            var forward = d
            while !S.naiveIsWorkday(forward, cal) { forward = forward.adding(days: 1) }
            var backward = d
            while !S.naiveIsWorkday(backward, cal) { backward = backward.adding(days: -1) }
            #expect(HolidayPolicy.next.apply(to: d, in: cal) == forward)
            #expect(HolidayPolicy.previous.apply(to: d, in: cal) == backward)
        }
    }

    @Test func policyRawValuesAreTheScheduleSpelling() throws {
        #expect(HolidayPolicy.allCases.map(\.rawValue) == ["keep", "skip", "previous", "next"])
        let decoded = try JSONDecoder().decode([HolidayPolicy].self, from: Data(#"["next","skip"]"#.utf8))
        #expect(decoded == [.next, .skip])
    }

    // MARK: Cost
}
