import DutyConformance
import DutyCore
import DutyMail
import DutyStore
import DutyTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import DutyDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// Digests through the pipeline, on a real mbox (a private spool) and an in-memory SQLite ledger: one message per
/// recipient, kind and instant; one journal delivery and one ledger row per reminder, each row recording the
/// digest that carried it; exactly once across a crash before and after the append; a batch boundary never splits
/// a digest; the lease's final check is made per message.
@Suite struct DigestPipelineTests {
    static let start = Date(timeIntervalSince1970: 1_538_213_400)  // 2018-09-29 17:30 +08:00

    struct Rig {
        let dir: String
        let store: DutyStore
        let ledger: any Ledger
        let journal: InMemoryChannel
        let mbox: MailChannel
        let account: String

        init() throws {
            dir = try TestSupport.temporaryDirectory()
            store = try DutyStore.inMemory()
            ledger = SQLiteLedger(store: store, executor: TestExecutor())
            journal = InMemoryChannel(kind: .journal, batchLimit: 100)
            var configuration = MboxDeliverer.Configuration()
            configuration.privateSpool = true
            mbox = MailChannel(
                kind: .mbox, composer: try MailComposer(hostName: "dutyd-test"),
                deliverer: MboxDeliverer(spoolDirectory: dir, envelopeSender: "dutyd@dutyd-test", configuration: configuration),
                executor: TestExecutor())
            account = "cadre"
        }

        func pipeline(ledger: (any Ledger)? = nil, batchSize: Int = 500) -> DeliveryPipeline {
            var pipeline = DeliveryPipeline(
                ledger: ledger ?? self.ledger, channels: ChannelRegistry([journal, mbox]),
                retry: RetryPolicy(initialDelay: 30, maximumDelay: 3600), mail: true, stop: StopSignal(),
                logger: Logger(label: "test"))
            pipeline.batchSize = batchSize
            return pipeline
        }

        /// Every message of every mailbox: its X-Dutyd-Key values (python `mailbox`, `email.policy.default`).
        func messages() throws -> [String: [[String]]] {
            let script = """
                import sys, os, mailbox, email, email.policy, json
                out = {}
                for name in sorted(os.listdir(sys.argv[1])):
                    if '.lock' in name: continue
                    for msg in mailbox.mbox(os.path.join(sys.argv[1], name), create=False):
                        m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
                        assert not m.defects, m.defects
                        out.setdefault(name, []).append([str(k).strip() for k in m.get_all('X-Dutyd-Key', [])])
                print(json.dumps(out))
                """
            let out = try TestSupport.python(script, [dir])
            guard out.status == 0 else { throw Failure(description: out.stderr) }
            return try JSONDecoder().decode([String: [[String]]].self, from: Data(out.stdout.utf8))
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// `households` visit reminders per cadre, all due at `start`, digest on (as a template makes them).
    static func visits(cadres: [String], households: Int, digest: DigestPolicy? = .instant) -> [Reminder] {
        cadres.flatMap { cadre in
            (0..<households).map { h in
                Reminder(
                    dutyID: "visit-\(cadre)-\(h)", title: "入户走访：\(cadre) 第 \(h) 户", clause: "二(二)4", occurrence: start,
                    timeZoneIdentifier: "Asia/Shanghai", fireAt: start, kind: .due,
                    recipient: Recipient(id: "cadre-\(cadre)", name: "干部", account: cadre, channels: [.mbox(account: cadre)]),
                    digest: digest)
            }
        }
    }

    @Test func oneDigestPerCadreOneJournalEntryAndOneRowPerReminder() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let rows = Self.visits(cadres: ["a", "b"], households: 4) + Self.visits(cadres: ["c"], households: 2, digest: .off)
        let pipeline = rig.pipeline()
        try await rig.ledger.plan(pipeline.entries(rows), at: Self.start)
        let outcome = try await pipeline.deliverDue(now: Self.start.addingTimeInterval(1))
        #expect(outcome.delivered == 20 && outcome.failed == 0)
        #expect(rig.journal.delivered.count == 10)
        let boxes = try rig.messages()
        #expect(boxes["a"]?.count == 1 && boxes["a"]?.first?.count == 4)
        #expect(boxes["b"]?.count == 1 && boxes["b"]?.first?.count == 4)
        #expect(boxes["c"]?.map(\.count) == [1, 1])
        // Each row records the message that carries it: one id for a cadre's four, the reminder's own for c's.
        let composer = try MailComposer(hostName: "dutyd-test")
        for cadre in ["a", "b", "c"] {
            let mine = rows.filter { $0.recipient.account == cadre }
            let ids = try mine.map { try #require(try rig.store.delivery(LedgerEntry($0, route: .mail(.mbox(account: cadre))).key)?.messageID) }
            if cadre == "c" {
                #expect(ids == mine.map { composer.messageID(for: $0) })
            } else {
                #expect(Set(ids) == [composer.digestMessageID(for: mine)])
            }
        }
    }

    /// Killed after the append and before the commit: the next start finds every row in the digest it recorded.
    @Test func aCrashAfterTheAppendIsReconciledRowByRow() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let rows = Self.visits(cadres: ["a"], households: 4)
        try await rig.ledger.plan(rig.pipeline().entries(rows), at: Self.start)
        let dying = rig.pipeline(ledger: CrashingLedger(rig.ledger))
        await #expect { _ = try await dying.deliverDue(now: Self.start.addingTimeInterval(1)) } throws: { CrashingLedger.isCrash($0) }
        #expect(try rig.messages()["a"]?.count == 1)
        #expect(try rig.store.counts()[.delivering] == 8)
        let outcome = try await rig.pipeline().deliverDue(now: Self.start.addingTimeInterval(2))
        #expect(outcome.reconciled == 8 && outcome.delivered == 0)
        #expect(try rig.messages()["a"]?.count == 1)
        #expect(try rig.store.counts()[.delivered] == 8)
    }

    /// Killed after recording the digest's id and before the append: nothing is found, and the rows go out again
    /// together, as one digest.
    @Test func aCrashBeforeTheAppendSendsTheDigestOnceAfterTheRestart() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let rows = Self.visits(cadres: ["a"], households: 3)
        let mail = rows.map { LedgerEntry($0, route: .mail(.mbox(account: "a"))) }
        try await rig.ledger.plan(mail, at: Self.start)
        // One write goes through (the claim); recording the digest's id is where it dies, before the channel.
        let dying = rig.pipeline(ledger: CrashingLedger(rig.ledger, afterCalls: 1))
        await #expect { _ = try await dying.deliverDue(now: Self.start.addingTimeInterval(1)) } throws: { CrashingLedger.isCrash($0) }
        #expect(try rig.messages()["a"] == nil)
        #expect(try rig.store.delivery(mail[0].key)?.state == .delivering)
        let outcome = try await rig.pipeline().deliverDue(now: Self.start.addingTimeInterval(2))
        #expect(outcome.delivered == 3 && outcome.reconciled == 0)
        #expect(try rig.messages()["a"]?.map(\.count) == [3])
    }

    /// `daily 08:00`: reminders firing at 17:30 and 21:00 are journaled when they fire; their mail waits in the
    /// ledger and goes out at 08:00 the next morning as one digest.
    @Test func aDailyDigestWaitsForItsHourAndGathersTheDay() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        var rows = Self.visits(cadres: ["a"], households: 3, digest: .daily(hour: 8, minute: 0))
        rows[2].fireAt = Self.start.addingTimeInterval(3.5 * 3600)  // 21:00
        let pipeline = rig.pipeline()
        try await rig.ledger.plan(pipeline.entries(rows), at: Self.start)
        var outcome = try await pipeline.deliverDue(now: Self.start.addingTimeInterval(4 * 3600))
        #expect(outcome.delivered == 3 && rig.journal.delivered.count == 3)
        #expect(try rig.messages()["a"] == nil)
        let morning = Self.start.addingTimeInterval(14.5 * 3600)  // 2018-09-30 08:00 +08:00
        #expect(try rig.store.nextDueDate() == morning)
        outcome = try await pipeline.deliverDue(now: morning.addingTimeInterval(-1))
        #expect(outcome.delivered == 0)
        outcome = try await pipeline.deliverDue(now: morning)
        #expect(outcome.delivered == 3)
        #expect(try rig.messages()["a"]?.map(\.count) == [3])
    }

    /// Batches of 6 rows: a cadre's 4 mail rows never straddle two batches.
    @Test func aBatchBoundaryDoesNotSplitADigest() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let rows = Self.visits(cadres: ["a", "b", "c", "d"], households: 4)
        let pipeline = rig.pipeline(batchSize: 6)
        try await rig.ledger.plan(pipeline.entries(rows), at: Self.start)
        let outcome = try await pipeline.deliverDue(now: Self.start.addingTimeInterval(1))
        #expect(outcome.delivered == 32)
        let boxes = try rig.messages()
        for cadre in ["a", "b", "c", "d"] { #expect(boxes[cadre]?.map(\.count) == [4], "\(cadre): \(boxes[cadre] ?? [])") }
    }

    /// A lease gate that allows `permits` side effects (`withPermit`) and then refuses; `checksFirst`: `mayAct()`
    /// already answers false once the permits are spent (a stale view the pipeline sees before its call), else
    /// only the deliverer's final check refuses.
    final class PermitGate: LeaseGate {
        let state: Mutex<(remaining: Int, checks: Int)>
        let checksFirst: Bool

        init(permits: Int, checksFirst: Bool) {
            state = Mutex((permits, 0))
            self.checksFirst = checksFirst
        }

        var checks: Int { state.withLock { $0.checks } }

        func mayAct() -> Bool { checksFirst ? state.withLock { $0.remaining > 0 } : true }

        func withPermit<T, E: Error>(_ sideEffect: () throws(E) -> T) throws(E) -> T? {
            let allowed = state.withLock { s -> Bool in
                s.checks += 1
                guard s.remaining > 0 else { return false }
                s.remaining -= 1
                return true
            }
            guard allowed else { return nil }
            return try sideEffect()
        }

        func refresh() async -> Bool { false }
    }

    /// Several instances: the lease's final check is made per message. A digest goes out whole or not at all;
    /// once the check refuses, the other digests of the batch are not attempted, their rows stay `delivering` for
    /// the next leader, and the pipeline gives up leading (`fenced`).
    @Test func aRefusedFinalCheckStopsAtAWholeDigest() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let rows = Self.visits(cadres: ["a", "b", "c"], households: 3)
        var pipeline = DeliveryPipeline(
            ledger: rig.ledger, channels: ChannelRegistry([rig.mbox]), retry: RetryPolicy(initialDelay: 30, maximumDelay: 3600),
            mail: true, stop: StopSignal(), logger: Logger(label: "test"))
        let gate = PermitGate(permits: 1, checksFirst: true)
        pipeline.gate = gate
        try await rig.ledger.plan(pipeline.entries(rows), at: Self.start)
        do {
            _ = try await pipeline.deliverDue(now: Self.start.addingTimeInterval(1))
            Issue.record("a refused final check did not stop the pipeline")
        } catch {
            #expect(error.code == .fenced)
        }
        #expect(gate.checks == 1)
        let boxes = try rig.messages()
        #expect(boxes["a"]?.map(\.count) == [3] && boxes["b"] == nil && boxes["c"] == nil, "\(boxes)")
        for reminder in rows {
            let row = try #require(try rig.store.delivery(LedgerEntry(reminder, route: .mail(.mbox(account: reminder.recipient.account!))).key))
            #expect(row.state == (reminder.recipient.account == "a" ? .delivered : .delivering), "\(row.key): \(row.state)")
        }
    }

    /// The mail channel on its own: the final check after the mailbox locks refuses the second digest, and the
    /// third is not attempted (no second check); the deliveries of a refused digest all share its refusal.
    @Test func aMailChannelAttemptsNothingAfterARefusedMessage() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let deliveries = Self.visits(cadres: ["a", "b", "c"], households: 2).map {
            ChannelDelivery(reminder: $0, route: .mail(.mbox(account: $0.recipient.account!)), attempt: 1)
        }
        #expect(rig.mbox.envelopes(deliveries).count == 3)
        let gate = PermitGate(permits: 1, checksFirst: false)
        let outcomes = await rig.mbox.deliver(deliveries, gate: gate)
        #expect(outcomes.map(\.isSuccess) == [true, true, false, false, false, false])
        #expect(outcomes.dropFirst(2).allSatisfy { $0.isLeaseRefusal })
        #expect(gate.checks == 2)
        let boxes = try rig.messages()
        #expect(boxes["a"]?.map(\.count) == [2] && boxes["b"] == nil && boxes["c"] == nil, "\(boxes)")
    }

    @Test func keepingGroupsWholeLeavesTheTrailingGroupForTheNextBatch() {
        func row(_ recipient: String, _ channel: String = "mbox") -> Delivery {
            let r = Reminder(
                dutyID: "d", title: "t", occurrence: Self.start, timeZoneIdentifier: "UTC", fireAt: Self.start, kind: .due,
                recipient: Recipient(id: recipient, name: "", channels: []))
            return Delivery(
                key: r.key, channel: channel, dutyID: "d", occurrenceID: r.occurrenceID, kind: .due, recipientID: recipient,
                fireAt: Self.start, state: .planned, attempts: 0, lastError: nil, nextAttemptAt: Self.start, reminder: r,
                createdAt: Self.start, updatedAt: Self.start)
        }
        let rows = [row("a"), row("a"), row("b"), row("b")]
        #expect(DeliveryPipeline.keepingGroupsWhole(rows, next: nil).count == 4)
        #expect(DeliveryPipeline.keepingGroupsWhole(rows, next: row("c")).count == 4)
        #expect(DeliveryPipeline.keepingGroupsWhole(rows, next: row("b")).map(\.recipientID) == ["a", "a"])
        #expect(DeliveryPipeline.keepingGroupsWhole(rows, next: row("b", "journal")).count == 4)
        #expect(DeliveryPipeline.keepingGroupsWhole([row("a"), row("a")], next: row("a")).count == 2)
    }
}
