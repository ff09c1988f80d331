import Foundation
import Testing

@testable import DutyCore

/// The scheduler through the actions it returns, time injected by hand: jumps forward and back, downtime,
/// catch-up window, reload mid-sleep.
@Suite struct SchedulerStateMachineTests {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    static func at(_ text: String) -> Date {
        TimeFormatting.parseISO8601(text, defaultZone: shanghai)!
    }

    /// Three one-off duties with a 1-hour warning each.
    static func planner(_ times: [String] = ["2018-09-17T09:00:00", "2018-09-18T09:00:00", "2018-09-19T09:00:00"]) -> Planner {
        let duties = times.enumerated().map { i, t in
            Duty(
                id: "d\(i)", title: "duty \(i)", recurrence: .once(at(t)), timeZone: shanghai,
                warnings: [try! AdvanceWarning("1h")], location: SourceLocation(file: "test.toml"))
        }
        return Planner(schedules: ScheduleSet(duties: duties))
    }

    static func fired(_ actions: [SchedulerStateMachine.Action]) -> [String] {
        actions.flatMap { action -> [String] in
            if case .fire(let notices) = action { return notices.map { "\($0.dutyID)/\($0.kind.rawValue)" } }
            return []
        }
    }

    static func missed(_ actions: [SchedulerStateMachine.Action]) -> [String] {
        actions.flatMap { action -> [String] in
            if case .recordMissed(let notices) = action { return notices.map { "\($0.dutyID)/\($0.kind.rawValue)" } }
            return []
        }
    }

    static func sleepTarget(_ actions: [SchedulerStateMachine.Action]) -> Date?? {
        for case .sleep(let until) in actions { return until }
        return nil
    }

    @Test func firstStartSleepsUntilTheFirstWarning() {
        var machine = SchedulerStateMachine(planner: Self.planner(), storedHorizon: nil, now: Self.at("2018-09-13T08:00:00"))
        let actions = machine.tick(now: Self.at("2018-09-13T08:00:00"))
        #expect(Self.fired(actions).isEmpty)
        #expect(Self.sleepTarget(actions) == .some(Self.at("2018-09-17T08:00:00")))
    }

    /// A search that finds nothing within the look-ahead is not repeated over the same span, and what lies past
    /// it is found once the look-ahead reaches it: nothing is skipped by remembering the empty span.
    @Test func anEmptyLookAheadIsSearchedOnceAndWhatLiesBeyondIsStillFound() {
        var machine = SchedulerStateMachine(
            planner: Self.planner(["2019-12-01T09:00:00"]), storedHorizon: nil, now: Self.at("2018-09-13T08:00:00"))
        machine.lookahead = 100 * 86_400
        #expect(Self.sleepTarget(machine.tick(now: Self.at("2018-09-13T08:00:00"))) == .some(nil))
        #expect(Self.sleepTarget(machine.tick(now: Self.at("2018-09-13T08:00:05"))) == .some(nil))
        // Day by day, the look-ahead reaches the warning an hour before the duty (2019-12-01T08:00).
        var day = Self.at("2018-09-14T08:00:00")
        var found: Date??
        while day < Self.at("2019-12-02T00:00:00") {
            let actions = machine.tick(now: day)
            #expect(Self.fired(actions).isEmpty)
            if case .some(.some) = Self.sleepTarget(actions) {
                found = Self.sleepTarget(actions)
                break
            }
            day = day.addingTimeInterval(7 * 86_400)
        }
        #expect(found == .some(Self.at("2019-12-01T08:00:00")))
        // Then, at the duty's instant, the catch-up (7 days per tick) hands out the warning and the duty.
        var fired: [String] = []
        for _ in 0..<100 {
            let actions = machine.tick(now: Self.at("2019-12-01T09:00:00"))
            fired += Self.fired(actions)
            if machine.horizon == Self.at("2019-12-01T09:00:00") { break }
        }
        #expect(fired == ["d0/warning", "d0/due"])
    }

    /// 100 duties every 2 seconds: the first sleep plans minutes, not the hour that used to be 180,000 notices, and
    /// every notice is still handed out once and in order as time passes.
    @Test func denseSchedulesAreBufferedInSmallSpans() throws {
        let duties = try (0..<100).map { i in
            Duty(
                id: "dense\(i)", title: "dense \(i)", recurrence: .calendar([try CalendarSpec("*-*-* *:*:00/2")]),
                timeZone: Self.shanghai, location: SourceLocation(file: "dense.toml"))
        }
        let start = Self.at("2018-09-13T08:00:00")
        var machine = SchedulerStateMachine(planner: Planner(schedules: ScheduleSet(duties: duties)), storedHorizon: nil, now: start)
        #expect(Self.sleepTarget(machine.tick(now: start)) == .some(start.addingTimeInterval(2)))
        #expect(machine.bufferedNotices.count <= 100 * 31, "buffered \(machine.bufferedNotices.count)")
        var fired: [Notice] = []
        var now = start
        for _ in 0..<200 {
            now = now.addingTimeInterval(7)
            for case .fire(let notices) in machine.tick(now: now) { fired += notices }
            #expect(machine.bufferedNotices.count <= 100 * 31)
        }
        #expect(fired.count == 100 * 700)
        #expect(Set(fired.map { "\($0.dutyID)@\($0.fireAt.timeIntervalSince1970)" }).count == fired.count)
        #expect(zip(fired, fired.dropFirst()).allSatisfy { $0.fireAt <= $1.fireAt })
    }

    @Test func sparseSchedulesAreBufferedADayAhead() throws {
        // One notice an hour: the span grows from a minute to a day, so the buffer runs dry (and the next fire time
        // is searched over every duty again) about once a day, not once an hour.
        let hourly = Duty(
            id: "hourly", title: "hourly", recurrence: .calendar([try CalendarSpec("*-*-* *:00:00")]),
            timeZone: Self.shanghai, location: SourceLocation(file: "hourly.toml"))
        let start = Self.at("2018-09-13T08:30:00")
        var machine = SchedulerStateMachine(planner: Planner(schedules: ScheduleSet(duties: [hourly])), storedHorizon: nil, now: start)
        var now = start
        var largest = 0
        var fired = 0
        for _ in 0..<(24 * 14) {
            now = now.addingTimeInterval(3600)
            for case .fire(let notices) in machine.tick(now: now) { fired += notices.count }
            largest = max(largest, machine.bufferedNotices.count)
        }
        #expect(fired == 24 * 14)
        #expect(largest >= 20, "the buffer held at most \(largest) notices: the span did not grow past a few hours")
        #expect(largest <= 26)
    }

    @Test func firesInOrderAsTimePasses() {
        var machine = SchedulerStateMachine(planner: Self.planner(), storedHorizon: nil, now: Self.at("2018-09-13T08:00:00"))
        #expect(Self.fired(machine.tick(now: Self.at("2018-09-17T08:00:00"))) == ["d0/warning"])
        #expect(Self.fired(machine.tick(now: Self.at("2018-09-17T09:00:00"))) == ["d0/due"])
        #expect(Self.fired(machine.tick(now: Self.at("2018-09-17T09:00:00"))).isEmpty)
    }

    @Test func forwardJumpFiresWhatWasSkippedOnce() {
        var machine = SchedulerStateMachine(
            planner: Self.planner(), storedHorizon: nil, now: Self.at("2018-09-13T08:00:00"), catchUpWindow: 7 * 86_400)
        let actions = machine.tick(now: Self.at("2018-09-18T09:30:00"))
        #expect(Self.fired(actions) == ["d0/warning", "d0/due", "d1/warning", "d1/due"])
        #expect(Self.fired(machine.tick(now: Self.at("2018-09-18T09:30:01"))).isEmpty)
    }

    @Test func backwardJumpPullsTheHorizonBackAndPersistsIt() {
        var machine = SchedulerStateMachine(planner: Self.planner(), storedHorizon: nil, now: Self.at("2018-09-13T08:00:00"))
        _ = machine.tick(now: Self.at("2018-09-17T09:30:00"))
        let back = machine.tick(now: Self.at("2018-09-17T07:00:00"))
        #expect(back.contains(.persistHorizon(Self.at("2018-09-17T07:00:00"))))
        #expect(Self.fired(back).isEmpty)
        // Passing the same instants again hands the notices out again; the ledger is what refuses the repeat.
        #expect(Self.fired(machine.tick(now: Self.at("2018-09-17T09:00:00"))) == ["d0/warning", "d0/due"])
    }

    @Test func downtimeBeyondTheCatchUpWindowIsRecordedAsMissed() {
        var machine = SchedulerStateMachine(
            planner: Self.planner(), storedHorizon: Self.at("2018-09-13T08:00:00"), now: Self.at("2018-09-19T08:30:00"),
            catchUpWindow: 86_400)
        var fired: [String] = []
        var missed: [String] = []
        for _ in 0..<5 {
            let actions = machine.tick(now: Self.at("2018-09-19T08:30:00"))
            fired += Self.fired(actions)
            missed += Self.missed(actions)
        }
        #expect(missed == ["d0/warning", "d0/due", "d1/warning"])
        // d1's due (23.5 h old) is within the 24 h window, its warning (24.5 h) is not; d2's due is still ahead.
        #expect(fired == ["d1/due", "d2/warning"])
    }

    @Test func storedHorizonFromTheFutureIsDistrusted() {
        let machine = SchedulerStateMachine(
            planner: Self.planner(), storedHorizon: Self.at("2030-01-01T00:00:00"), now: Self.at("2018-09-13T08:00:00"))
        #expect(machine.horizon == Self.at("2018-09-13T08:00:00"))
    }

    @Test func reloadMidSleepPlansTheNewSchedulesWithoutRepeating() {
        var machine = SchedulerStateMachine(planner: Self.planner(), storedHorizon: nil, now: Self.at("2018-09-13T08:00:00"))
        _ = machine.tick(now: Self.at("2018-09-17T08:30:00"))  // d0's warning handed out
        machine.reload(Self.planner(["2018-09-17T09:00:00", "2018-09-17T10:00:00"]))
        #expect(machine.nextFireTime() == Self.at("2018-09-17T09:00:00"))
        #expect(Self.fired(machine.tick(now: Self.at("2018-09-17T09:30:00"))) == ["d0/due", "d1/warning"])
    }

    @Test func nothingLeftSleepsForever() {
        var machine = SchedulerStateMachine(planner: Self.planner(), storedHorizon: nil, now: Self.at("2019-01-01T00:00:00"))
        #expect(Self.sleepTarget(machine.tick(now: Self.at("2019-01-01T00:00:00"))) == .some(nil))
    }
}
