import DutyCore
import Foundation
import Testing

@testable import DutyAPI

@Suite struct OccurrenceEntryTests {
    /// The API's occurrence id is the ledger's (`Reminder.occurrenceID`), and parses back.
    @Test(arguments: [0.0, 1_537_146_000, 1_537_146_000.75, -86_400.5, 4_102_444_800])
    func occurrenceIDMatchesTheLedger(_ seconds: Double) throws {
        let at = Date(timeIntervalSince1970: seconds)
        let reminder = Reminder(
            dutyID: "visit-x.1", title: "t", occurrence: at, timeZoneIdentifier: "Asia/Shanghai", fireAt: at, kind: .due,
            priority: .normal, recipient: Recipient(id: "p", name: "P", channels: []))
        let duty = Duty(
            id: "visit-x.1", title: "t", recurrence: .once(at), timeZone: TimeZone(identifier: "UTC")!,
            location: SourceLocation(file: "t"))
        let planner = Planner(schedules: ScheduleSet(duties: [duty]))
        let notice = try #require(planner.notices(after: at.addingTimeInterval(-1), through: at).first)
        let id = OccurrenceEntry(notice: notice, duty: duty).occurrenceId
        #expect(id == reminder.occurrenceID)
        let parsed = try #require(OccurrenceID(id))
        #expect(parsed.duty == "visit-x.1")
        #expect(parsed.instant.timeIntervalSince1970 == seconds.rounded(.down))
    }

    @Test(arguments: ["", "abc", "@123", "d@", "d@12x", "d@1.5"])
    func malformedIDsDoNotParse(_ id: String) {
        #expect(OccurrenceID(id) == nil)
    }

    @Test func entryRoundTripsThroughJSON() throws {
        let entry = FakeEntries.one
        let data = try APICoding.encode(entry)
        #expect(String(decoding: data, as: UTF8.self).contains("\"occurrence_id\":\"d@1\""))
        #expect(try APICoding.decode(OccurrenceEntry.self, from: data) == entry)
    }
}

enum FakeEntries {
    static let one = OccurrenceEntry(
        occurrenceId: "d@1", duty: "d", title: "东川区委双周例会", clause: "二(一)1", kind: "warning", offset: "1d",
        fireAt: "2018-09-16T09:00:00+08:00", occurrence: "2018-09-17T09:00:00+08:00", priority: "normal",
        responsible: ["a"], recipients: ["a", "b"])
}
