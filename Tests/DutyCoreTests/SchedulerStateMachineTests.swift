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
