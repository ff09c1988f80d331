import DutyConformance
import DutyCore
import DutySchedules
import DutyStore
import DutyTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import DutyDaemon

/// The delivery pipeline without a daemon: a real (in-memory) SQLite ledger behind the `Ledger` seam and
/// in-memory channels behind the `ReminderChannel` seam. Exactly-once across a crash at every point of a
/// delivery, retries with back-off, permanent failures, several channels per person, stop requests, the
/// delivery budget, and missed notices.
@Suite struct DeliveryPipelineTests {
    static let start = Date(timeIntervalSince1970: 1_536_800_400)  // 2018-09-13 09:00 +08:00

    struct Rig {
        let store: DutyStore
        let ledger: any Ledger
        let journal: InMemoryChannel
        let mbox: InMemoryChannel
        let sendmail: InMemoryChannel
        var pipeline: DeliveryPipeline

        init(store: DutyStore? = nil, ledger: (any Ledger)? = nil, journalBatch: Int = 100, stop: StopSignal = StopSignal()) throws {
            let store = try store ?? DutyStore.inMemory()
            self.store = store
            self.ledger = ledger ?? SQLiteLedger(store: store, executor: TestExecutor())
            journal = InMemoryChannel(kind: .journal, batchLimit: journalBatch)
            mbox = InMemoryChannel(kind: .mbox, batchLimit: 1)
            sendmail = InMemoryChannel(kind: .sendmail, batchLimit: 1)
            pipeline = DeliveryPipeline(
                ledger: self.ledger, channels: ChannelRegistry([journal, mbox, sendmail]),
                retry: RetryPolicy(initialDelay: 30, maximumDelay: 3600), mail: true, stop: stop,
                logger: Logger(label: "test"))
        }

        /// The same ledger and channels with a new pipeline (a restarted daemon).
        func restarted(ledger: (any Ledger)? = nil, batchSize: Int = 500) -> DeliveryPipeline {
            var pipeline = DeliveryPipeline(
                ledger: ledger ?? self.ledger, channels: ChannelRegistry([journal, mbox, sendmail]),
                retry: RetryPolicy(initialDelay: 30, maximumDelay: 3600), mail: true, stop: StopSignal(),
                logger: Logger(label: "test"))
            pipeline.batchSize = batchSize
            return pipeline
        }

        func state(_ reminder: Reminder, _ route: DeliveryRoute = .journal) throws -> DeliveryState? {
            try store.delivery(LedgerEntry(reminder, route: route).key)?.state
        }
    }

    static func reminders(_ count: Int, channels: [Recipient.Channel] = []) -> [Reminder] {
        (0..<count).map { index in
            Reminder(
                dutyID: "visit-\(index)", title: "入户走访 \(index)", occurrence: start, timeZoneIdentifier: "Asia/Shanghai",
                fireAt: start.addingTimeInterval(Double(index)), kind: .due,
                recipient: Recipient(id: "cadre-\(index)", name: "干部", account: "c\(index)", channels: channels))
        }
    }

    // MARK: - Exactly once

    @Test func deliversEachRowOnceThroughItsChannel() async throws {
        let rig = try Rig()
        let rows = Self.reminders(3, channels: [.mbox(account: "c"), .sendmail(address: "office@example.org")])
        try await rig.ledger.plan(rig.pipeline.entries(rows), at: Self.start)
        #expect(try rig.store.counts()[.planned] == 9)  // journal, mbox and sendmail for each
        let outcome = try await rig.pipeline.deliverDue(now: Self.start.addingTimeInterval(60))
        #expect(outcome.delivered == 9)
        #expect(outcome.failed == 0)
        for channel in [rig.journal, rig.mbox, rig.sendmail] {
            #expect(channel.delivered.sorted() == rows.map(\.key).sorted())
        }
        // Nothing is due any more; a second round sends nothing.
        #expect(try await rig.pipeline.deliverDue(now: Self.start.addingTimeInterval(120)).delivered == 0)
        #expect(rig.journal.delivered.count == 3)
        // Mail goes one message per call (a stop waits for at most one mailbox).
        #expect(rig.mbox.calls == 3)
    }

    /// The process dies after the channel delivered and before the ledger recorded it: the next start finds the
    /// row `delivering`, the channel says the reminder is there, and it is marked delivered without a second copy.
    @Test func aCrashBetweenSendAndCommitIsReconciledNotRepeated() async throws {
        let rig = try Rig()
        let rows = Self.reminders(4)
        try await rig.ledger.plan(rig.pipeline.entries(rows), at: Self.start)
        let dying = CrashingLedger(rig.ledger)
        let crashed = rig.restarted(ledger: dying)
        await #expect { _ = try await crashed.deliverDue(now: Self.start.addingTimeInterval(60)) } throws: { CrashingLedger.isCrash($0) }
        #expect(rig.journal.delivered.count == 4)
        #expect(try rig.store.counts()[.delivering] == 4)

        let outcome = try await rig.restarted().deliverDue(now: Self.start.addingTimeInterval(120))
        #expect(outcome.reconciled == 4)
        #expect(outcome.delivered == 0)
        #expect(rig.journal.delivered.count == 4)
        #expect(try rig.store.counts()[.delivered] == 4)
    }

    /// The process dies after claiming and before the side effect: the channel does not have the reminder, so
    /// the next start takes the row over and delivers it, once.
    @Test func aCrashBeforeTheSideEffectDeliversOnceAfterTheRestart() async throws {
        let rig = try Rig()
        let rows = Self.reminders(2)
        try await rig.ledger.plan(rig.pipeline.entries(rows), at: Self.start)
        _ = try await rig.ledger.claim(rig.pipeline.entries(rows).map(\.key), at: Self.start)
        let outcome = try await rig.restarted().deliverDue(now: Self.start.addingTimeInterval(60))
        #expect(outcome.delivered == 2)
        #expect(outcome.reconciled == 0)
        #expect(rig.journal.delivered.sorted() == rows.map(\.key).sorted())
        #expect(try rig.store.delivery(rig.pipeline.entries(rows)[0].key)?.attempts == 2)
    }

    /// Crash at every step of a round, then restart, over and over: every reminder ends delivered exactly once.
    /// (Rounds of 4 rows, the journal taking 3 per call: a run makes 3 writes per round, 9 in all.)
    @Test(arguments: 0..<9)
    func aCrashAtAnyStepLosesAndRepeatsNothing(_ step: Int) async throws {
        let rig = try Rig(journalBatch: 3)
        let rows = Self.reminders(10)
        try await rig.ledger.plan(rig.pipeline.entries(rows), at: Self.start)
        var crashes = 0
        for attempt in 0..<50 {
            let ledger = CrashingLedger(rig.ledger, afterCalls: step + attempt % 3)
            do {
                _ = try await rig.restarted(ledger: ledger, batchSize: 4).deliverDue(now: Self.start.addingTimeInterval(60))
                break
            } catch {
                guard CrashingLedger.isCrash(error) else { throw error }
                crashes += 1
            }
        }
        _ = try await rig.restarted().deliverDue(now: Self.start.addingTimeInterval(120))
        #expect(crashes > 0)
        #expect(rig.journal.delivered.sorted() == rows.map(\.key).sorted(), "after \(crashes) crashes")
        #expect(try rig.store.counts()[.delivered] == 10)
    }

    // MARK: - Failures

    @Test func temporaryFailuresAreRetriedWithDoublingBackOff() async throws {
        let rig = try Rig()
        let row = Self.reminders(1, channels: [.mbox(account: "c")])[0]
        let failure = ChannelFailure(code: "mail.lockBusy", message: "mailbox locked")
        rig.mbox.script(row.key, [.temporaryFailure(failure, retryAfter: nil), .temporaryFailure(failure, retryAfter: nil)])
        try await rig.ledger.plan(rig.pipeline.entries([row]), at: Self.start)
        let key = LedgerEntry(row, route: .mail(.mbox(account: "c"))).key

        var now = Self.start.addingTimeInterval(10)
        #expect(try await rig.pipeline.deliverDue(now: now).failed == 1)
        var stored = try #require(try rig.store.delivery(key))
        #expect(stored.state == .failed)
        #expect(stored.nextAttemptAt == now.addingTimeInterval(30))
        #expect(stored.lastError == "mailbox locked")
        // Not before its retry time.
        #expect(try await rig.pipeline.deliverDue(now: now.addingTimeInterval(29)).failed == 0)
        now = now.addingTimeInterval(30)
        #expect(try await rig.pipeline.deliverDue(now: now).failed == 1)
        stored = try #require(try rig.store.delivery(key))
        #expect(stored.nextAttemptAt == now.addingTimeInterval(60))
        #expect(stored.attempts == 2)
        now = now.addingTimeInterval(60)
        #expect(try await rig.pipeline.deliverDue(now: now).delivered == 1)
        #expect(try rig.state(row, .mail(.mbox(account: "c"))) == .delivered)
        #expect(rig.mbox.delivered == [row.key])
        // The journal row was delivered the first time, once.
        #expect(rig.journal.delivered == [row.key])
    }

    @Test func aChannelsRetryHintIsHonouredUpToTheMaximum() async throws {
        let rig = try Rig()
        let rows = Self.reminders(2)
        let failure = ChannelFailure(code: "journal.unavailable", message: "journald restarting")
        rig.journal.script(rows[0].key, [.temporaryFailure(failure, retryAfter: .seconds(600))])
        rig.journal.script(rows[1].key, [.temporaryFailure(failure, retryAfter: .seconds(86_400))])
        try await rig.ledger.plan(rig.pipeline.entries(rows), at: Self.start)
        let now = Self.start.addingTimeInterval(60)
        _ = try await rig.pipeline.deliverDue(now: now)
        #expect(try rig.store.delivery(LedgerEntry(rows[0], route: .journal).key)?.nextAttemptAt == now.addingTimeInterval(600))
        #expect(try rig.store.delivery(LedgerEntry(rows[1], route: .journal).key)?.nextAttemptAt == now.addingTimeInterval(3600))
    }

    @Test func aPermanentFailureGivesUpAndTheOtherChannelsStillDeliver() async throws {
        let rig = try Rig()
        let row = Self.reminders(1, channels: [.sendmail(address: "nobody@example.org"), .mbox(account: "c")])[0]
        rig.sendmail.script(row.key, [.permanentFailure(ChannelFailure(code: "mail.mtaFailure", message: "user unknown"))])
        try await rig.ledger.plan(rig.pipeline.entries([row]), at: Self.start)
        let outcome = try await rig.pipeline.deliverDue(now: Self.start.addingTimeInterval(60))
        #expect(outcome.delivered == 2)
        #expect(outcome.failed == 1)
        let failed = try #require(try rig.store.delivery(LedgerEntry(row, route: .mail(.sendmail(address: "nobody@example.org"))).key))
        #expect(failed.state == .failed)
        #expect(failed.nextAttemptAt == nil)
        #expect(failed.lastError == "user unknown")
        #expect(try await rig.pipeline.deliverDue(now: Self.start.addingTimeInterval(86_400)).failed == 0)
        #expect(rig.mbox.delivered == [row.key])
        #expect(rig.sendmail.delivered.isEmpty)
    }

    /// A row whose route no channel serves (mail rows left by a daemon that now runs with `--no-mail`) fails
    /// for good, visibly, instead of counting as delivered.
    @Test func aRowWithoutAChannelFailsForGood() async throws {
        let rig = try Rig()
        let row = Self.reminders(1, channels: [.maildir(path: "/srv/mail/c")])[0]
        try await rig.ledger.plan(rig.pipeline.entries([row]), at: Self.start)
        let outcome = try await rig.pipeline.deliverDue(now: Self.start.addingTimeInterval(60))
        #expect(outcome.delivered == 1)
        #expect(outcome.failed == 1)
        let stored = try #require(try rig.store.delivery(LedgerEntry(row, route: .mail(.maildir(path: "/srv/mail/c"))).key))
        #expect(stored.state == .failed)
        #expect(stored.lastError?.contains("no channel") == true)
    }

    // MARK: - Stopping, budget, planning

    /// A stop request between channel calls: what was sent is marked delivered, the rest of the batch goes back
    /// to planned (due at once, its attempt not counted) for the next start.
    @Test func aStopRequestUnclaimsWhatWasNotSent() async throws {
        let stop = StopSignal()
        let rig = try Rig(journalBatch: 2, stop: stop)
        let rows = Self.reminders(7)
        try await rig.ledger.plan(rig.pipeline.entries(rows), at: Self.start)
        rig.journal.onDeliver { delivery in
            if delivery.reminder.dutyID == "visit-3" { stop.request() }
        }
        let outcome = try await rig.pipeline.deliverDue(now: Self.start.addingTimeInterval(60))
        #expect(outcome.interrupted)
        #expect(outcome.delivered == 4)
        #expect(try rig.store.counts()[.delivered] == 4)
        #expect(try rig.store.counts()[.planned] == 3)
        #expect(try rig.store.counts()[.delivering] == 0)
        let rest = try rig.store.pending(dueBy: Self.start.addingTimeInterval(60))
        #expect(rest.allSatisfy { $0.attempts == 0 })
        #expect(try await rig.restarted().deliverDue(now: Self.start.addingTimeInterval(60)).delivered == 3)
        #expect(rig.journal.delivered.sorted() == rows.map(\.key).sorted())
    }

    @Test func aBudgetEndsTheRoundAfterABatchAndTheNextRoundGoesOn() async throws {
        var rig = try Rig()
        rig.pipeline.batchSize = 2
        let rows = Self.reminders(5)
        try await rig.ledger.plan(rig.pipeline.entries(rows), at: Self.start)
        let now = Self.start.addingTimeInterval(60)

        // A spent budget still delivers one batch, oldest first, and says there is more.
        let first = try await rig.pipeline.deliverDue(now: now, budget: .zero)
        #expect(first.delivered == 2)
        #expect(first.more)
        #expect(!first.interrupted)
        let oldest: [String] = [rows[0].key, rows[1].key]
        #expect(rig.journal.delivered == oldest)

        #expect(try await rig.pipeline.deliverDue(now: now, budget: .zero).delivered == 2)
        // Without a budget the round runs until nothing is due.
        let last = try await rig.pipeline.deliverDue(now: now)
        #expect(last.delivered == 1)
        #expect(!last.more)
        #expect(try rig.store.counts()[.delivered] == 5)
        #expect(try await rig.pipeline.deliverDue(now: now, budget: .zero).delivered == 0)
    }

    /// Overdue and escalation notices of an acknowledged occurrence are not planned; a duty that reaches nobody
    /// still gets its journal row.
    @Test func planningSkipsAcknowledgedOccurrencesAndKeepsDutiesWithoutPeople() async throws {
        let plan = ScheduleLoader(directories: [TestSupport.shippedSchedules]).load()
        let planner = Planner(schedules: try #require(plan.schedules))
        let notices = planner.notices(after: Self.start, through: Self.start.addingTimeInterval(40 * 86_400))
        let overdue = try #require(notices.first { $0.kind == .overdue })
        let rig = try Rig()
        let occurrence = OccurrenceID(duty: overdue.dutyID, at: overdue.occurrence).description
        _ = try await rig.ledger.acknowledge(occurrenceID: occurrence, by: "x", uid: nil, note: nil, at: Self.start)
        #expect(try await rig.pipeline.plan([overdue], planner: planner, horizon: Self.start, now: Self.start, prunedBefore: nil))
        #expect(try rig.store.counts()[.planned] == 0)
        let other = try #require(notices.first { $0.kind == .due })
        #expect(try await rig.pipeline.plan([other], planner: planner, horizon: Self.start, now: Self.start, prunedBefore: nil))
        #expect(try rig.store.counts()[.planned, default: 0] >= planner.deliverableReminders(for: other).count)
        // Notices before the pruned-before mark were handed out before: not planned again.
        let before = try rig.store.counts()[.planned]
        #expect(try await rig.pipeline.plan(notices, planner: planner, horizon: Self.start, now: Self.start, prunedBefore: .distantFuture))
        #expect(try rig.store.counts()[.planned] == before)
    }

    @Test func recordingMissedNoticesStopsOnRequestAndRepeatsHarmlessly() async throws {
        let plan = ScheduleLoader(directories: [TestSupport.shippedSchedules]).load()
        let schedules = try #require(plan.schedules)
        let planner = Planner(schedules: schedules)
        let notices = planner.notices(after: Self.start, through: Self.start.addingTimeInterval(40 * 86_400))
        try #require(notices.count > 100)
        let now = Self.start.addingTimeInterval(60 * 86_400)

        let stop = StopSignal()
        let stopped = try Rig(stop: stop)
        stop.request()
        #expect(try await stopped.pipeline.recordMissed(notices, planner: planner, now: now, prunedBefore: nil, catchUpWindow: 86_400) == nil)
        #expect(try stopped.store.counts()[.missed, default: 0] == 0)

        let rig = try Rig(store: stopped.store)
        let count = try #require(try await rig.pipeline.recordMissed(notices, planner: planner, now: now, prunedBefore: nil, catchUpWindow: 86_400))
        let missed = try rig.store.counts()[.missed, default: 0]
        #expect(missed >= notices.count)
        #expect(missed == count)
        // Planning is cut short the same way, and then leaves the horizon alone.
        let horizon = try stopped.store.horizon()
        #expect(try await stopped.pipeline.plan(notices, planner: planner, horizon: now, now: now, prunedBefore: nil) == false)
        #expect(try stopped.store.horizon() == horizon)
        // Found again after a restart: nothing changes, nothing is due.
        #expect(try await rig.pipeline.recordMissed(notices, planner: planner, now: now, prunedBefore: nil, catchUpWindow: 86_400) == 0)
        #expect(try rig.store.counts()[.missed, default: 0] == missed)
        #expect(try rig.store.pending(dueBy: .distantFuture).isEmpty)
    }
}

/// A ledger that "crashes" (throws `Crash`, as if the process died there) on its N-th write after the start,
/// so that the row states left behind are exactly those of a kill at that point.
final class CrashingLedger: Ledger {
    struct Crash: Error {}
    let base: any Ledger

    static func isCrash(_ error: any Error) -> Bool { (error as? LedgerError)?.underlying is Crash }
    private let remaining: Atomic<Int>

    /// - Parameter afterCalls: writes that go through before the crash; by default the crash comes at the first
    ///   `markDelivered`.
    init(_ base: any Ledger, afterCalls: Int? = nil) {
        self.base = base
        remaining = Atomic(afterCalls ?? -1)
    }

    private func write() throws(LedgerError) {
        if remaining.load(ordering: .relaxed) < 0 { return }
        if remaining.subtract(1, ordering: .relaxed).newValue < 0 {
            throw LedgerError(code: .database, message: "simulated crash", underlying: Crash())
        }
    }

    func plan(_ entries: [LedgerEntry], at now: Date, horizon: Date?, shouldContinue: @escaping @Sendable () -> Bool) async throws(LedgerError) -> LedgerBatchResult {
        try write(); return try await base.plan(entries, at: now, horizon: horizon, shouldContinue: shouldContinue)
    }
    func recordMissed(_ entries: [LedgerEntry], reason: String, at now: Date, shouldContinue: @escaping @Sendable () -> Bool) async throws(LedgerError) -> LedgerBatchResult {
        try write(); return try await base.recordMissed(entries, reason: reason, at: now, shouldContinue: shouldContinue)
    }
    func horizon() async throws(LedgerError) -> Date? { try await base.horizon() }
    func resetHorizon(to date: Date) async throws(LedgerError) { try write(); try await base.resetHorizon(to: date) }
    func prunedBefore() async throws(LedgerError) -> Date? { try await base.prunedBefore() }
    func pending(dueBy: Date, limit: Int) async throws(LedgerError) -> [Delivery] { try await base.pending(dueBy: dueBy, limit: limit) }
    func claim(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) -> [Delivery] {
        try write(); return try await base.claim(keys, at: now)
    }
    func takeOver(_ key: DeliveryKey, at now: Date) async throws(LedgerError) -> Delivery? {
        try write(); return try await base.takeOver(key, at: now)
    }
    func markDelivered(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) {
        if remaining.load(ordering: .relaxed) < 0, !keys.isEmpty {
            throw LedgerError(code: .database, message: "simulated crash", underlying: Crash())
        }
        try write(); try await base.markDelivered(keys, at: now)
    }
    func markFailed(_ key: DeliveryKey, at now: Date, retryAt: Date?, error: String) async throws(LedgerError) {
        try write(); try await base.markFailed(key, at: now, retryAt: retryAt, error: error)
    }
    func unclaim(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) { try write(); try await base.unclaim(keys, at: now) }
    func recordMessageIDs(_ ids: [DeliveryKey: String], at now: Date) async throws(LedgerError) {
        guard !ids.isEmpty else { return }
        try write(); try await base.recordMessageIDs(ids, at: now)
    }
    func nextDueDate() async throws(LedgerError) -> Date? { try await base.nextDueDate() }
    func delivery(_ key: DeliveryKey) async throws(LedgerError) -> Delivery? { try await base.delivery(key) }
    func deliveries(occurrenceID: String) async throws(LedgerError) -> [Delivery] { try await base.deliveries(occurrenceID: occurrenceID) }
    func counts() async throws(LedgerError) -> [DeliveryState: Int] { try await base.counts() }
    func prune(_ policy: RetentionPolicy, shouldContinue: @escaping @Sendable () -> Bool) async throws(LedgerError) -> PruneResult {
        try write(); return try await base.prune(policy, shouldContinue: shouldContinue)
    }
    func acknowledge(occurrenceID: String, by who: String, uid: UInt32?, note: String?, at now: Date) async throws(LedgerError) -> Bool {
        try await base.acknowledge(occurrenceID: occurrenceID, by: who, uid: uid, note: note, at: now)
    }
    func acknowledged(among occurrenceIDs: Set<String>) async throws(LedgerError) -> Set<String> { try await base.acknowledged(among: occurrenceIDs) }
    func acknowledgements(occurrenceID: String) async throws(LedgerError) -> [Acknowledgement] { try await base.acknowledgements(occurrenceID: occurrenceID) }
    func saveRanking(_ ranking: SubmittedRanking) async throws(LedgerError) { try await base.saveRanking(ranking) }
    func rankings() async throws(LedgerError) -> [SubmittedRanking] { try await base.rankings() }
    func addProblem(_ problem: NewProblem, at now: Date) async throws(LedgerError) -> Problem { try await base.addProblem(problem, at: now) }
    func closeProblem(id: Int64, at now: Date, by uid: UInt32?, note: String?) async throws(LedgerError) -> Bool {
        try await base.closeProblem(id: id, at: now, by: uid, note: note)
    }
    func problems(township: String?) async throws(LedgerError) -> [Problem] { try await base.problems(township: township) }
    func logEvent(actorUID: UInt32?, action: String, details: [String: String], at now: Date) async throws(LedgerError) {
        try await base.logEvent(actorUID: actorUID, action: action, details: details, at: now)
    }
    func events(since: Date, limit: Int) async throws(LedgerError) -> [EventLogEntry] { try await base.events(since: since, limit: limit) }
    func ledgerID() async throws(LedgerError) -> String { try await base.ledgerID() }
    func recordChange(_ change: NewOccurrenceChange, expectedRevision: Int64?, at now: Date) async throws(LedgerError) -> OccurrenceChange {
        try write()
        return try await base.recordChange(change, expectedRevision: expectedRevision, at: now)
    }
    func changes() async throws(LedgerError) -> [OccurrenceChange] { try await base.changes() }
}
