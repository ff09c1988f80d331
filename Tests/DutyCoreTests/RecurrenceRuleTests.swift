import Foundation
import Testing

@testable import DutyCore

@Suite struct RecurrenceRuleTests {
    struct ErrorVector: Decodable, CustomTestStringConvertible {
        let id: String
        let text: String
        let code: String
        let column: Int
        var testDescription: String { id }
    }

    static func errorVectors() throws -> [ErrorVector] {
        struct File: Decodable { let vectors: [ErrorVector] }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors/rrule-errors.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).vectors
    }

    @Test(arguments: try errorVectors())
    func rejectsWithCodeAndColumn(_ vector: ErrorVector) {
        do {
            let rule = try RecurrenceRule(parsing: vector.text)
            Issue.record("\(vector.id): accepted as \(rule)")
        } catch {
            #expect(error.code.rawValue == vector.code, "\(vector.id): \(error.rendered)")
            #expect(error.column == vector.column, "\(vector.id): \(error.rendered)")
        }
    }

    @Test func parsesAllParts() throws {
        let rule = try RecurrenceRule(
            parsing: "RRULE:freq=yearly;interval=2;count=7;bymonth=1,3;byyearday=-366,100;"
                + "bymonthday=-31,+5;byday=+1mo,-2fr,su;byhour=0,23;byminute=0,59;bysecond=0,60;bysetpos=-1,2;wkst=su")
        #expect(rule.frequency == .yearly)
        #expect(rule.interval == 2)
        #expect(rule.count == 7)
        #expect(rule.byMonth == [1, 3])
        #expect(try RecurrenceRule(parsing: "FREQ=YEARLY;BYWEEKNO=-1,20;BYDAY=MO").byWeekNumber == [-1, 20])
        #expect(rule.byYearDay == [-366, 100])
        #expect(rule.byMonthDay == [-31, 5])
        #expect(
            rule.byDay == [.init(.monday, ordinal: 1), .init(.friday, ordinal: -2), .init(.sunday)])
        #expect(rule.byHour == [0, 23])
        #expect(rule.byMinute == [0, 59])
        #expect(rule.bySecond == [0, 60])
        #expect(rule.bySetPosition == [-1, 2])
        #expect(rule.weekStart == .sunday)
    }

    @Test func untilForms() throws {
        #expect(try RecurrenceRule(parsing: "FREQ=DAILY;UNTIL=20260131").until == .date(CivilDate(year: 2026, month: 1, day: 31)))
        #expect(
            try RecurrenceRule(parsing: "FREQ=DAILY;UNTIL=20260131T093000").until
                == .local(CivilDate(year: 2026, month: 1, day: 31), secondOfDay: 34200))
        #expect(
            try RecurrenceRule(parsing: "FREQ=DAILY;UNTIL=20260131T093000Z").until
                == .utc(CivilDate(year: 2026, month: 1, day: 31), secondOfDay: 34200))
    }

    @Test func descriptionIsCanonical() throws {
        let rule = try RecurrenceRule(parsing: "BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;FREQ=MONTHLY;WKST=MO")
        #expect(rule.description == "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")
    }

    @Test func renderedErrorHasCaretUnderThePart() {
        do {
            _ = try RecurrenceRule(parsing: "FREQ=MONTHLY;BYMONTH=13")
            Issue.record("accepted")
        } catch {
            let lines = error.rendered.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3)
            #expect(lines[1] == "FREQ=MONTHLY;BYMONTH=13")
            #expect(lines[2] == String(repeating: " ", count: 21) + "^~")
        }
    }

    /// Property: the printed form of any valid rule parses back to an equal rule.
    @Test func printedRuleReparsesToEqualRule() throws {
        let seed = RecurrenceTestGenerator.seedFromEnvironment()
        print("RecurrenceRuleTests.printedRuleReparsesToEqualRule seed=\(seed)")
        var generator = RecurrenceTestGenerator(seed: seed)
        for _ in 0..<2000 {
            let sample = generator.sample()
            let rule = try RecurrenceRule(parsing: sample.rule)
            let again = try RecurrenceRule(parsing: rule.description)
            #expect(again == rule, "\(sample.rule) -> \(rule.description)")
            #expect(again.description == rule.description)
        }
    }
}
