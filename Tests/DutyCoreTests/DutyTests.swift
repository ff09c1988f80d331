import Foundation
import Testing

@testable import DutyCore

/// Occurrences of duties: bounds, holiday policies (keep, skip, previous, next) and N-th workday rules, checked
/// around the 2018 National Day holiday (2018-10-01..07 off, 2018-09-29 and 09-30 make-up workdays).
@Suite struct DutyTests {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    static let cn2018 = try! WorkdayCalendar(
        id: "cn", name: "2018 notice excerpt",
        holidays: Set((1...7).map { CivilDate(year: 2018, month: 10, day: $0) } + [CivilDate(year: 2018, month: 9, day: 24)]),
        makeupWorkdays: [CivilDate(year: 2018, month: 9, day: 29), CivilDate(year: 2018, month: 9, day: 30)])

    static func at(_ text: String) -> Date { TimeFormatting.parseISO8601(text, defaultZone: shanghai)! }
    static func local(_ dates: [Date]) -> [String] { dates.map { TimeFormatting.localMinute($0, in: shanghai) } }

    static func duty(_ recurrence: Recurrence, policy: HolidayPolicy = .keep, workdays: WorkdayCalendar? = cn2018) -> Duty {
        Duty(
            id: "x", title: "x", recurrence: recurrence, timeZone: shanghai, workdays: workdays, holidayPolicy: policy,
            location: SourceLocation(file: "t"))
    }

    @Test func lastWorkdayOfEachMonth() {
        let d = Self.duty(.nthWorkday(-1, hour: 17, minute: 0, second: 0))
        let got = Self.local(d.occurrences(after: Self.at("2018-09-01"), through: Self.at("2018-12-31T23:59:59")))
        // September's last day (Sun 30th) is a make-up workday; December 31st 2018 is a Monday.
        #expect(got == ["2018-09-30 17:00", "2018-10-31 17:00", "2018-11-30 17:00", "2018-12-31 17:00"])
    }

    @Test func firstWorkdayOfOctoberIsAfterTheHoliday() {
        let d = Self.duty(.nthWorkday(1, hour: 9, minute: 0, second: 0))
        #expect(Self.local([d.nextOccurrence(after: Self.at("2018-09-30T12:00:00"))!]) == ["2018-10-08 09:00"])
    }

    /// One-off deadlines falling on holidays, with each policy.
    @Test(arguments: [
        (HolidayPolicy.keep, "2018-10-03 09:00"),
        (.next, "2018-10-08 09:00"),
        (.previous, "2018-09-30 09:00"),
    ])
    func holidayPolicyMovesADeadline(policy: HolidayPolicy, expected: String) {
        let d = Self.duty(.once(Self.at("2018-10-03T09:00:00")), policy: policy)
        #expect(Self.local(d.occurrences(after: Self.at("2018-09-01"), through: Self.at("2018-12-31"))) == [expected])
    }

    @Test func skipPolicyDropsTheOccurrence() {
        let d = Self.duty(.once(Self.at("2018-10-03T09:00:00")), policy: .skip)
        #expect(d.nextOccurrence(after: Self.at("2018-09-01")) == nil)
    }

    @Test func movedOccurrenceIsFoundFromABaseInsideTheHoliday() {
        let d = Self.duty(.once(Self.at("2018-10-03T09:00:00")), policy: .next)
        #expect(Self.local([d.nextOccurrence(after: Self.at("2018-10-05T00:00:00"))!]) == ["2018-10-08 09:00"])
    }

    @Test func boundsAreInclusive() {
        var d = Self.duty(.nthWorkday(-1, hour: 17, minute: 0, second: 0))
        d.notBefore = Self.at("2018-10-31T17:00:00")
        d.notAfter = Self.at("2018-11-30T17:00:00")
        #expect(Self.local(d.occurrences(after: Self.at("2018-01-01"), through: Self.at("2019-12-31"))) == ["2018-10-31 17:00", "2018-11-30 17:00"])
    }

    @Test func plannerExpandsRolesToPersonsOnce() {
        let persons = [
            Person(id: "a", name: "A", account: "a", channels: [.mbox(account: "a")]),
            Person(id: "b", name: "B", account: "b", channels: [.mbox(account: "b")]),
        ]
        let roles = [Role(id: "r", name: "R", members: ["a", "b"])]
        var d = Self.duty(.once(Self.at("2018-10-09T09:00:00")))
        d.recipients = ["r", "a"]
        let planner = Planner(schedules: ScheduleSet(persons: persons, roles: roles, duties: [d]))
        let notices = planner.notices(after: Self.at("2018-10-01"), through: Self.at("2018-10-31"))
        #expect(notices.map(\.kind) == [.due])
        #expect(planner.reminders(for: notices[0]).map(\.recipient.id) == ["a", "b"])
    }

    @Test func personsAreFoundByAccountFirstOneWins() {
        let schedules = ScheduleSet(persons: [
            Person(id: "clerk", name: "Clerk", account: nil, channels: []),
            Person(id: "li", name: "Li", account: "li", channels: [.mbox(account: "li")]),
            Person(id: "li-deputy", name: "Li (deputy)", account: "li", channels: [.mbox(account: "li")]),
        ])
        #expect(schedules.person(account: "li")?.id == "li")
        #expect(schedules.person(account: "root") == nil)
        #expect(schedules.person(account: "") == nil)
    }

    @Test func overdueChainFiresOneStepPerGracePeriod() {
        var d = Self.duty(.once(Self.at("2018-10-09T09:00:00")))
        d.needsAcknowledgement = true
        d.grace = 86_400
        d.escalation = ["county", "city"]
        let planner = Planner(schedules: ScheduleSet(duties: [d]))
        let notices = planner.notices(after: Self.at("2018-10-01"), through: Self.at("2018-10-31"))
        #expect(notices.map(\.kind) == [.due, .overdue, .escalation, .escalation])
        #expect(Self.local(notices.map(\.fireAt)) == ["2018-10-09 09:00", "2018-10-10 09:00", "2018-10-11 09:00", "2018-10-12 09:00"])
        #expect(notices.map(\.escalationStep) == [0, 0, 1, 2])
    }
}
