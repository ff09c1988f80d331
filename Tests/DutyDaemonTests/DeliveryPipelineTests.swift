import DutyCore
import DutySchedules
import DutyStore
import DutyTestSupport
import Foundation
import Logging
import Testing

@testable import DutyDaemon

/// The delivery pipeline on a real (in-memory) SQLite ledger, journal and mail off (journal rows then go to
/// stderr, which systemd collects): the time budget of a delivery round and recording missed notices.
@Suite struct DeliveryPipelineTests {
    static let start = Date(timeIntervalSince1970: 1_536_800_400)  // 2018-09-13 09:00 +08:00

    static func pipeline(store: DutyStore) throws -> DeliveryPipeline {
        var configuration = DaemonConfiguration(useJournal: false, deliverMail: false)
        configuration.retention = nil
        return try DeliveryPipeline(store: store, configuration: configuration, logger: Logger(label: "test"))
    }

    static func reminders(_ count: Int) -> [Reminder] {
        (0..<count).map { index in
            Reminder(
                dutyID: "visit-\(index)", title: "入户走访 \(index)", occurrence: start, timeZoneIdentifier: "Asia/Shanghai",
                fireAt: start.addingTimeInterval(Double(index)), kind: .due,
                recipient: Recipient(id: "-", name: "", channel: .none))
        }
    }

    @Test func aBudgetEndsTheRoundAfterABatchAndTheNextRoundGoesOn() throws {
        let store = try DutyStore.inMemory()
        let pipeline = try Self.pipeline(store: store)
        pipeline.batchSize = 2
        let rows = Self.reminders(5)
        try store.planned(rows, channel: DeliveryPipeline.journalChannel, at: Self.start)
        let now = Self.start.addingTimeInterval(60)

        // A spent budget still delivers one batch, oldest first, and says there is more.
        let first = try pipeline.deliverDue(now: now, budget: .zero)
        #expect(first.delivered == 2 && first.more && !first.interrupted)
        let delivered = try rows.filter { try store.delivery(key: $0.key, channel: "journal")?.state == .delivered }
        #expect(delivered.map(\.dutyID) == ["visit-0", "visit-1"])

        #expect(try pipeline.deliverDue(now: now, budget: .zero).delivered == 2)
        // Without a budget the round runs until nothing is due.
        let last = try pipeline.deliverDue(now: now)
        #expect(last.delivered == 1 && !last.more)
        #expect(try store.counts()[.delivered] == 5)
        #expect(try pipeline.deliverDue(now: now, budget: .zero).delivered == 0)
    }

    @Test func recordingMissedNoticesStopsOnRequestAndRepeatsHarmlessly() throws {
        let plan = ScheduleLoader(directories: [TestSupport.shippedSchedules]).load()
        let schedules = try #require(plan.schedules)
        let planner = Planner(schedules: schedules)
        let notices = planner.notices(after: Self.start, through: Self.start.addingTimeInterval(40 * 86_400))
        try #require(notices.count > 100)
        let now = Self.start.addingTimeInterval(60 * 86_400)

        let store = try DutyStore.inMemory()
        let stopped = try Self.pipeline(store: store)
        stopped.requestStop()
        #expect(try stopped.recordMissed(notices, planner: planner, now: now) == false)
        #expect(try store.counts()[.missed, default: 0] == 0)

        let pipeline = try Self.pipeline(store: store)
        #expect(try pipeline.recordMissed(notices, planner: planner, now: now))
        let missed = try store.counts()[.missed, default: 0]
        #expect(missed >= notices.count)
        // Planning is cut short the same way, and then leaves the horizon alone.
        let horizon = try store.horizon()
        #expect(try stopped.plan(notices, planner: planner, horizon: now, now: now) == false)
        #expect(try store.horizon() == horizon)
        // Found again after a restart: nothing changes, nothing is due.
        #expect(try pipeline.recordMissed(notices, planner: planner, now: now))
        #expect(try store.counts()[.missed, default: 0] == missed)
        #expect(try store.pending(dueBy: .distantFuture).isEmpty)
    }
}
