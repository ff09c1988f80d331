import DutyCore
import DutySchedules
import DutyTestSupport
import Foundation
import Testing

@testable import DutyCLI

/// The shipped 2018 plan: it validates clean, and its agenda for 2018-09-13..2018-12-31 holds the counts worked
/// out by hand from the seed text and the 2018 State Council holiday notice.
@Suite struct PlanAgendaTests {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    static let plan: ScheduleSet = {
        let result = ScheduleLoader(directories: [TestSupport.shippedSchedules]).load()
        precondition(result.errors.isEmpty, "\(result.errors)")
        return result.schedules!
    }()

    static let agenda: [AgendaEntry] = Agenda(schedules: plan).entries(
        from: CivilDate(year: 2018, month: 9, day: 13), through: CivilDate(year: 2018, month: 12, day: 31), in: shanghai,
        filter: RecipientFilter(), warnings: true)

    static func dueDates(_ duty: String) -> [String] {
        agenda.filter { $0.duty == duty && $0.kind == "due" }.map(\.localTime)
    }

    @Test func shippedSchedulesValidateWithoutWarnings() {
        let result = ScheduleLoader(directories: [TestSupport.shippedSchedules]).load()
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(Self.plan.townships.count == 13)
        #expect(Set(Self.plan.townships.map(\.county)) == ["dongchuan", "luquan"])
    }

    /// 双周例会: every other Monday (东川) / Tuesday (禄劝) from the plan's first week; the one falling in the
    /// National Day holiday (10-01 and 10-02) moves to the first workday after it, 10-08.
    @Test func biweeklyMeetings() {
        #expect(
            Self.dueDates("dongchuan-biweekly-meeting") == [
                "2018-09-17 09:00", "2018-10-08 09:00", "2018-10-15 09:00", "2018-10-29 09:00", "2018-11-12 09:00",
                "2018-11-26 09:00", "2018-12-10 09:00", "2018-12-24 09:00",
            ])
        #expect(
            Self.dueDates("luquan-biweekly-meeting") == [
                "2018-09-18 09:00", "2018-10-08 09:00", "2018-10-16 09:00", "2018-10-30 09:00", "2018-11-13 09:00",
                "2018-11-27 09:00", "2018-12-11 09:00", "2018-12-25 09:00",
            ])
    }

    /// 一月一通报 on the last workday: 09-30 is a Sunday but a make-up workday; 12-31 is a holiday (New Year
    /// 2018-12-30..2019-01-01), so December's is Saturday 12-29, itself a make-up workday.
    @Test func monthlyBulletinsOnTheLastWorkday() {
        let bulletins = Self.agenda.filter { $0.duty.hasSuffix("-monthly-bulletin") && $0.kind == "due" }
        #expect(bulletins.count == 13 * 4)
        #expect(Set(bulletins.map(\.localDate)) == ["2018-09-30", "2018-10-31", "2018-11-30", "2018-12-29"])
    }

    /// Half-monthly county inspections on the 1st and 16th, moved to the next workday.
    @Test func halfMonthlyCountyInspections() {
        #expect(
            Self.dueDates("dongchuan-township-inspection") == [
                "2018-09-17 09:00", "2018-10-08 09:00", "2018-10-16 09:00", "2018-11-01 09:00", "2018-11-16 09:00",
                "2018-12-03 09:00", "2018-12-17 09:00",
            ])
    }

    /// Nothing whose duty moves off holidays falls due on a day off, National Day included.
    @Test func movedDutiesNeverFallOnADayOff() throws {
        let cn = try #require(Self.plan.calendars.first { $0.id == "cn" })
        for entry in Self.agenda where entry.kind == "due" {
            let duty = try #require(Self.plan.duty(id: entry.duty))
            guard duty.workdays != nil, duty.holidayPolicy != .keep else { continue }
            let date = try #require(CivilDate(iso: entry.localDate))
            #expect(cn.isWorkday(date), "\(entry.duty) on \(entry.localDate)")
        }
        let nationalDay = Self.agenda.filter { $0.kind == "due" && ("2018-10-01"..."2018-10-07").contains($0.localDate) }
        #expect(nationalDay.allSatisfy { Self.plan.duty(id: $0.duty)?.holidayPolicy == .keep }, "\(nationalDay.map(\.duty))")
    }

    /// Every numbered measure of the seed (二(一)1-4, 二(二)1-5, 二(三)1-11, 二(四)1-5) appears at least once.
    @Test func everyNumberedMeasureAppears() {
        var expected: Set<String> = []
        for (section, count) in [("一", 4), ("二", 5), ("三", 11), ("四", 5)] {
            for n in 1...count { expected.insert("二(\(section))\(n)") }
        }
        let seen = Set(Self.agenda.compactMap(\.clause))
        #expect(expected.subtracting(seen).isEmpty, "missing: \(expected.subtracting(seen).sorted())")
    }

    /// Deadlines (完成时限) with warnings: the 2018-10 ones are due by the end of October.
    @Test func deadlinesAreDueOnceWithTheirWarningsBefore() {
        let deadline = Self.agenda.filter { $0.clause == "二(四)4" }
        let due = deadline.filter { $0.kind == "due" }
        #expect(due.count == 1)
        #expect(due.first?.localDate.hasPrefix("2018-10") == true)
        let warnings = deadline.filter { $0.kind == "warning" }
        #expect(!warnings.isEmpty)
        #expect(warnings.allSatisfy { $0.fireAt < due[0].fireAt })
    }

    @Test func agendaIsInTimeOrder() {
        let instants = Self.agenda.map { TimeFormatting.parseISO8601($0.fireAt, defaultZone: Self.shanghai)! }
        #expect(instants == instants.sorted())
    }
}
