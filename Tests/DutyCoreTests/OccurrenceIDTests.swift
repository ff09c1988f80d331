import Foundation
import Testing

@testable import DutyCore

/// The one spelling of an occurrence, `<duty id>@<unix seconds>`: byte-identical to what ledgers and journals
/// already hold, strict reading with columns, Codable as a string.
@Suite struct OccurrenceIDTests {
    struct Written: Sendable, CustomTestStringConvertible {
        var id: String
        var duty: String
        var instant: Double
        var text: String
        var testDescription: String { id }
    }

    /// The text of existing ledgers: `"\(duty)@\(Int64(seconds.rounded(.down)))"`, pinned.
    static let written: [Written] = [
        .init(id: "plan-meeting", duty: "dongchuan-biweekly-meeting", instant: 1_537_146_000, text: "dongchuan-biweekly-meeting@1537146000"),
        .init(id: "fraction-cut", duty: "visit-x.1", instant: 1_537_146_000.75, text: "visit-x.1@1537146000"),
        .init(id: "epoch", duty: "d", instant: 0, text: "d@0"),
        .init(id: "before-epoch-floors", duty: "d", instant: -86_400.5, text: "d@-86401"),
        .init(id: "year-2100", duty: "problem.7", instant: 4_102_444_800, text: "problem.7@4102444800"),
        .init(
            id: "interview", duty: "ranking-interviews.2018-10.tangdan.city", instant: 1_539_849_600,
            text: "ranking-interviews.2018-10.tangdan.city@1539849600"),
    ]

    @Test(arguments: written)
    func writesTheLedgerText(_ v: Written) throws {
        let id = OccurrenceID(duty: v.duty, at: Date(timeIntervalSince1970: v.instant))
        #expect(id.description == v.text)
        #expect(id.description == "\(v.duty)@\(Int64(v.instant.rounded(.down)))")
        #expect(OccurrenceID(v.text) == id)
        #expect(try OccurrenceID(parsing: v.text) == id)
        #expect(id.instant.timeIntervalSince1970 == v.instant.rounded(.down))
        let reminder = Reminder(
            dutyID: v.duty, title: "t", occurrence: Date(timeIntervalSince1970: v.instant), timeZoneIdentifier: "UTC",
            fireAt: Date(timeIntervalSince1970: v.instant), kind: .due, recipient: Recipient(id: "p", name: "P", channels: []))
        #expect(reminder.occurrenceID == v.text)
        #expect(reminder.occurrenceIdentifier == id)
        #expect(reminder.key.hasPrefix(v.text + "/due/p"))
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var code: OccurrenceIDError.Code
        var column: Int
        var testDescription: String { id }
    }

    static let malformed: [Malformed] = [
        .init(id: "empty", input: "", code: .missingSeparator, column: 1),
        .init(id: "duty-only", input: "abc", code: .missingSeparator, column: 4),
        .init(id: "no-duty", input: "@123", code: .emptyDuty, column: 1),
        .init(id: "no-seconds", input: "d@", code: .expectedSeconds, column: 3),
        .init(id: "letters", input: "d@12x", code: .expectedSeconds, column: 5),
        .init(id: "fraction", input: "d@1.5", code: .expectedSeconds, column: 4),
        .init(id: "plus", input: "d@+5", code: .expectedSeconds, column: 3),
        .init(id: "space", input: "d@ 5", code: .expectedSeconds, column: 3),
        .init(id: "leading-zero", input: "d@007", code: .expectedSeconds, column: 3),
        .init(id: "minus-zero", input: "d@-0", code: .expectedSeconds, column: 4),
        .init(id: "minus-only", input: "d@-", code: .expectedSeconds, column: 4),
        .init(id: "iso-instead", input: "d@2018-09-17", code: .expectedSeconds, column: 7),
        .init(id: "too-large", input: "d@99999999999999999999", code: .outOfRange, column: 3),
    ]

    @Test(arguments: malformed)
    func refusesMalformedText(_ v: Malformed) {
        #expect(OccurrenceID(v.input) == nil)
        do {
            let id = try OccurrenceID(parsing: v.input)
            Issue.record("accepted \(v.input.debugDescription) as \(id)")
        } catch {
            #expect(error.code == v.code, "\(v.id): \(error)")
            #expect(error.column == v.column, "\(v.id): \(error)")
            #expect(error.description.contains("occurrence ids look like <duty id>@<unix seconds>"))
        }
    }

    /// The duty is everything before the last `@`, so any duty text round-trips.
    @Test(arguments: ["a@b", "d", "汤丹镇", "x y"])
    func dutyTextRoundTrips(_ duty: String) throws {
        let id = OccurrenceID(duty: duty, seconds: -42)
        #expect(try OccurrenceID(parsing: id.description) == id)
    }

    @Test func codableAsTheText() throws {
        let ids = [OccurrenceID(duty: "d", seconds: 1), OccurrenceID(duty: "e", seconds: -7)]
        let data = try JSONEncoder().encode(ids)
        #expect(String(decoding: data, as: UTF8.self) == #"["d@1","e@-7"]"#)
        #expect(try JSONDecoder().decode([OccurrenceID].self, from: data) == ids)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([OccurrenceID].self, from: Data(#"["d@x"]"#.utf8)) }
    }

    @Test func ordersByDutyThenInstant() {
        let ids = [OccurrenceID(duty: "b", seconds: 1), OccurrenceID(duty: "a", seconds: 5), OccurrenceID(duty: "a", seconds: -5)]
        #expect(ids.sorted().map(\.description) == ["a@-5", "a@5", "b@1"])
        #expect(Set(ids + ids).count == 3)
    }
}
