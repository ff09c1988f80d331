import Foundation
import Testing

@testable import DutyCore

@Suite struct RecurrenceSetTests {
    struct Vector: Decodable, CustomTestStringConvertible {
        let id: String
        let text: String
        let expect: [String]
        let complete: Bool?
        let deviation: String?
        let dateutil: [String]?
        var testDescription: String { id }
    }

    static func vectors() throws -> [Vector] {
        struct File: Decodable { let vectors: [Vector] }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors/rrule-vectors.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).vectors
    }

    /// `2018-09-17T09:00:00+08:00` / `...Z` -> instant and printed offset, parsed independently of the engine.
    static func instant(_ text: String) -> (Date, Int)? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text) else { return nil }
        var offset = 0
        if !text.hasSuffix("Z") {
            let tail = text.suffix(6)
            let sign = tail.first == "-" ? -1 : 1
            offset = sign * (Int(tail.dropFirst().prefix(2))! * 3600 + Int(tail.suffix(2))! * 60)
        }
        return (date, offset)
    }

    @Test(arguments: try vectors())
    func vector(_ v: Vector) throws {
        let set = try RecurrenceSet(icalendar: v.text)
        let limit = v.complete == true ? v.expect.count + 5 : v.expect.count
        let got = Array(set.occurrences().prefix(limit))
        let want = v.expect.map { Self.instant($0)! }
        #expect(got == want.map(\.0), "\(v.id): \(got)")
        // The offsets in the vectors are the zone's offsets at those instants.
        for (date, offset) in want {
            #expect(set.timeZone.secondsFromGMT(for: date) == offset, "\(v.id): offset at \(date)")
        }
        if let dateutil = v.dateutil {
            // The documented deviation really changes the answer.
            #expect(dateutil.map { Self.instant($0)!.0 } != got, "\(v.id): deviation \(v.deviation ?? "?") not visible")
        }
    }

    @Test func readsIcalendarForms() throws {
        let set = try RecurrenceSet(
            icalendar:
                "dtstart;tzid=Europe/Berlin:20260105T090000\r\nRRULE:FREQ=WEEKLY;\r\n BYDAY=MO\r\nEXDATE;TZID=Europe/Berlin:20260112T090000,20260119T090000\r\nRDATE:20260110T080000Z\r\n"
        )
        #expect(set.start.zone == .zoned(TimeZone(identifier: "Europe/Berlin")!))
        #expect(set.rules == [try RecurrenceRule(parsing: "FREQ=WEEKLY;BYDAY=MO")])
        #expect(set.exclusions.count == 2)
        #expect(set.inclusions == [.init(date: CivilDate(year: 2026, month: 1, day: 10), hour: 8, zone: .utc)])
        let dates = Array(set.occurrences().prefix(3))
        #expect(dates.map { Int($0.timeIntervalSince1970) } == [1_767_600_000, 1_768_032_000, 1_769_414_400])
        // Printing and reading back gives the same set.
        let again = try RecurrenceSet(icalendar: set.icalendarText)
        #expect(Array(again.occurrences().prefix(10)) == Array(set.occurrences().prefix(10)))
    }

    @Test func memberwiseInitMatchesText() throws {
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let set = RecurrenceSet(
            start: .init(date: CivilDate(year: 2018, month: 9, day: 17), hour: 9, zone: .zoned(zone)),
            rules: [RecurrenceRule(frequency: .weekly, interval: 2, byDay: [.init(.monday)])])
        let text = try RecurrenceSet(
            icalendar: "DTSTART;TZID=Asia/Shanghai:20180917T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO")
        #expect(Array(set.occurrences().prefix(20)) == Array(text.occurrences().prefix(20)))
    }

    struct BadText: Sendable, CustomTestStringConvertible {
        let id: String
        let text: String
        let code: RecurrenceRuleError.Code
        let line: Int
        let column: Int
        var testDescription: String { id }
    }

    static let badTexts: [BadText] = [
        .init(id: "no-dtstart", text: "RRULE:FREQ=DAILY", code: .missingStart, line: 1, column: 1),
        .init(id: "bad-zone", text: "DTSTART;TZID=Mars/Olympus:20260101T000000", code: .unknownTimeZone, line: 1, column: 1),
        .init(id: "bad-date", text: "DTSTART:20260230T090000", code: .invalidDateTime, line: 1, column: 9),
        .init(
            id: "rule-error-column", text: "DTSTART:20260101T090000\nRRULE:FREQ=DAILY;BYHOUR=25", code: .valueOutOfRange,
            line: 2, column: 25),
        .init(id: "unknown-property", text: "DTSTART:20260101T090000\nSUMMARY:x", code: .unknownProperty, line: 2, column: 1),
        .init(id: "exrule", text: "DTSTART:20260101T090000\nEXRULE:FREQ=DAILY", code: .unknownProperty, line: 2, column: 1),
        .init(
            id: "second-rdate-value", text: "DTSTART:20260101T090000\nRDATE:20260102T090000,2026", code: .invalidDateTime,
            line: 2, column: 23),
    ]

    @Test(arguments: badTexts)
    func rejectsBadText(_ bad: BadText) {
        do {
            _ = try RecurrenceSet(icalendar: bad.text)
            Issue.record("\(bad.id) accepted")
        } catch {
            #expect(error.code == bad.code, "\(bad.id): \(error.rendered)")
            #expect(error.line == bad.line, "\(bad.id): \(error.rendered)")
            #expect(error.column == bad.column, "\(bad.id): \(error.rendered)")
        }
    }

    // MARK: - Properties over generated sets

    @Test func propertiesOfGeneratedSets() throws {
        let seed = RecurrenceTestGenerator.seedFromEnvironment()
        print("RecurrenceSetTests.propertiesOfGeneratedSets seed=\(seed)")
        var generator = RecurrenceTestGenerator(seed: seed)
        for _ in 0..<200 {
            let sample = generator.sample()
            let set = try RecurrenceSet(icalendar: sample.text)
            let rule = set.rules[0]
            let onlyRule = RecurrenceSet(start: set.start, rules: set.rules, floatingTimeZone: set.floatingTimeZone)
            let dates = Array(onlyRule.occurrences().prefix(60))
            // Strictly increasing, DTSTART first.
            #expect(zip(dates, dates.dropFirst()).allSatisfy { $0 < $1 }, "\(sample.text)")
            var resolver = RRuleZoneResolver(zone: set.timeZone)
            let start = set.instant(of: set.start, resolver: &resolver)
            #expect(dates.first.map { Int($0.timeIntervalSince1970) } == start, "\(sample.text)")
            // COUNT is respected (DTSTART counts).
            if let count = rule.count { #expect(dates.count <= count, "\(sample.text)") }
            // UNTIL is an inclusive upper bound; and an occurrence exactly at UNTIL is kept.
            if case .utc(let d, let s) = rule.until {
                let until = Date(timeIntervalSince1970: Double(d.dayNumber * 86400 + s))
                #expect(dates.dropFirst().allSatisfy { $0 <= until }, "\(sample.text)")
            }
            // nextOccurrence(after:) agrees with the sequence and skips nothing.
            for (a, b) in zip(dates, dates.dropFirst()).prefix(3) {
                #expect(set.rules.count == 1)
                #expect(onlyRule.nextOccurrence(after: a) == b, "\(sample.text)")
                #expect(onlyRule.nextOccurrence(after: b.addingTimeInterval(-0.5)) == b, "\(sample.text)")
            }
            // through: is inclusive.
            if dates.count >= 3 {
                let window = Array(onlyRule.occurrences(after: dates[0], through: dates[2]))
                #expect(window == [dates[1], dates[2]], "\(sample.text)")
            }
        }
    }

    @Test func untilExactlyOnAnOccurrenceIsIncluded() throws {
        let set = try RecurrenceSet(
            icalendar: "DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=DAILY;UNTIL=20260107T080000Z")
        let dates = Array(set.occurrences())
        #expect(dates.count == 3)
        #expect(dates.last == Date(timeIntervalSince1970: 1_767_772_800))
    }

    @Test func gapInstancesAreNotCounted() throws {
        // 02:30 does not exist in New York on 2025-03-09: COUNT=3 still yields three instances.
        let set = try RecurrenceSet(
            icalendar: "DTSTART;TZID=America/New_York:20250308T023000\nRRULE:FREQ=DAILY;COUNT=3")
        let zone = TimeZone(identifier: "America/New_York")!
        let days = Array(set.occurrences()).map { d -> Int in
            (Int(d.timeIntervalSince1970) + zone.secondsFromGMT(for: d)) / 86400
        }
        #expect(days.count == 3)
        #expect(!days.contains(CivilDate(year: 2025, month: 3, day: 9).dayNumber))
    }

    @Test func overlapUsesFirstInstanceOnce() throws {
        let set = try RecurrenceSet(
            icalendar: "DTSTART;TZID=Europe/Berlin:20261025T000000\nRRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=8")
        let epochs = Array(set.occurrences()).map { Int($0.timeIntervalSince1970) }
        // 00:00 and 00:30 CEST, then 01:00..02:30 CEST (first instances), then 03:00 CET: 02:00/02:30 CET
        // repeat wall times and are not produced again.
        let start = 1_792_879_200  // 2026-10-24T22:00:00Z
        #expect(epochs == [0, 1, 2, 3, 4, 5, 8, 9].map { start + $0 * 1800 })
    }
}
