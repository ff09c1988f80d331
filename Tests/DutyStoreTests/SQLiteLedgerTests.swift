import DutyConformance
import DutyCore
import Foundation
import GRDB
import Synchronization
import Testing

@testable import DutyStore

/// The SQLite ledger behind the `Ledger` seam: the conformance suite on both SQLite backends, the store's own
/// chunking, the migration to delivery routes, and blocking work kept off the caller's thread.
@Suite struct SQLiteLedgerTests {
    /// A ledger with the fixture that owns its files.
    struct Subject {
        let fixture: StoreFixture
        let ledger: SQLiteLedger
        init(_ backend: Backend, chunkSize: Int = 5000) throws {
            fixture = try StoreFixture(backend)
            ledger = SQLiteLedger(store: fixture.store, executor: TestExecutor(), chunkSize: chunkSize)
        }
    }

    @Test(arguments: Backend.allCases, LedgerConformance.cases)
    func conforms(_ backend: Backend, _ check: LedgerConformance.Case) async throws {
        let subject = try Subject(backend)
        try await check.run(subject.ledger)
        withExtendedLifetime(subject.fixture) {}
    }

    /// Large plans go in transactions of `chunkSize`; a stop between two leaves the horizon where it was, and
    /// planning the rest later adds each row once.
    @Test func planningIsChunkedAndStopsBetweenChunks() async throws {
        let subject = try Subject(.file, chunkSize: 10)
        let ledger = subject.ledger
        try await ledger.resetHorizon(to: t0)
        let entries = (0..<35).map { LedgerEntry(reminder(recipient: "p\($0)"), route: .journal) }
        let asked = Atomic(0)
        let stopped = try await ledger.plan(entries, at: t0, horizon: t0 + 60) {
            asked.add(1, ordering: .relaxed).oldValue < 2  // two chunks, then stop
        }
        #expect(stopped == LedgerBatchResult(count: 20, complete: false))
        #expect(try await ledger.horizon() == t0)
        let rest = try await ledger.plan(entries, at: t0, horizon: t0 + 60, shouldContinue: { true })
        #expect(rest == LedgerBatchResult(count: 15, complete: true))
        #expect(try await ledger.horizon() == t0 + 60)
        #expect(try await ledger.counts()[.planned] == 35)
    }

    /// Ledgers of earlier versions keyed a person's mail on the channel "mail" and stored the recipient with one
    /// channel: migration v4 names each row's route, and those reminders still decode.
    @Test func oldMailRowsGetTheirRoutes() async throws {
        let fixture = try StoreFixture(.file)
        let path = fixture.directory.appendingPathComponent("old.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try DutyStore.migrator.migrate(queue, upTo: "v3 due order index")
            try await queue.write { db in
                for (key, channel) in [
                    ("k1", #"{"mbox":{"account":"sec"}}"#), ("k2", #"{"maildir":{"path":"\/srv\/mail\/sec"}}"#),
                    ("k3", #"{"sendmail":{"address":"office@example.org"}}"#),
                ] {
                    let json = """
                        {"clause":null,"description":"","dutyID":"d","fireAt":1537146000,"kind":"due","occurrence":1537146000,\
                        "offsetLabel":"","priority":"normal","recipient":{"account":"sec","channel":\(channel),"id":"sec","name":"秘书"},\
                        "responsible":[],"scheduleFile":null,"timeZoneIdentifier":"UTC","title":"t"}
                        """
                    for ledgerChannel in ["mail", "journal"] {
                        try db.execute(
                            sql: """
                                INSERT INTO delivery (key, channel, duty_id, occurrence_id, kind, recipient_id, fire_at,
                                    state, attempts, next_attempt_at, reminder, created_at, updated_at)
                                VALUES (?, ?, 'd', 'd@1537146000', 'due', 'sec', ?, 'planned', 0, ?, ?, ?, ?)
                                """,
                            arguments: [key, ledgerChannel, t0, t0, json, t0, t0])
                    }
                }
                let none = """
                    {"dutyID":"d","title":"t","description":"","responsible":[],"occurrence":1537146000,"timeZoneIdentifier":"UTC",\
                    "fireAt":1537146000,"kind":"due","offsetLabel":"","priority":"normal","recipient":{"id":"-","name":"","channel":{"none":{}}}}
                    """
                try db.execute(
                    sql: """
                        INSERT INTO delivery (key, channel, duty_id, occurrence_id, kind, recipient_id, fire_at, state,
                            attempts, next_attempt_at, reminder, created_at, updated_at)
                        VALUES ('k4', 'journal', 'd', 'd@1537146000', 'due', '-', ?, 'planned', 0, ?, ?, ?, ?)
                        """,
                    arguments: [t0, t0, none, t0, t0])
            }
        }
        let ledger = SQLiteLedger(store: try DutyStore(path: path), executor: TestExecutor())
        let rows = try await ledger.pending(dueBy: t0, limit: 100)
        #expect(Set(rows.map(\.channel)) == ["journal", "mbox", "maildir:/srv/mail/sec", "sendmail:office@example.org"])
        #expect(rows.count == 7)
        for row in rows {
            #expect(DeliveryRoute(row.channel, recipient: row.reminder.recipient) != nil, "\(row.channel)")
        }
        let mbox = try #require(rows.first { $0.channel == "mbox" })
        #expect(mbox.reminder.recipient.channels == [.mbox(account: "sec")])
        #expect(try #require(rows.first { $0.key == "k4" }).reminder.recipient.channels.isEmpty)
        #expect(try ledger.store.appliedMigrations().last == "v6 digest carriers")
    }

    /// Ledger calls that wait for SQLite's write lock (another process holds it: a backup, `dutyctl`, a second
    /// connection during a burst) must not hold the caller's thread: with more of them blocked than the
    /// cooperative pool has threads, reads of the ledger and other work still go on (docs/reliability.md,
    /// finding 10).
    @Test func writesWaitingForTheLockLeaveTheCallersThreadsFree() async throws {
        let fixture = try StoreFixture(.file)
        var configuration = DutyStore.Configuration()
        // Longer than the safety valve below: the writers must still be waiting when the checks run, and on a
        // 2-core CI machine the test's own steps may wait minutes for the cooperative pool (see the valve).
        configuration.busyTimeout = .seconds(1200)
        let ledger = SQLiteLedger(store: try DutyStore(path: fixture.path, configuration: configuration), executor: TestExecutor())
        try await ledger.plan([LedgerEntry(reminder(), route: .journal)], at: t0)

        // Another connection takes the write lock and keeps it until released.
        let holder = try DatabaseQueue(path: fixture.path)
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? holder.inDatabase { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                release.wait()
                try db.execute(sql: "COMMIT")
            }
        }
        // A safety valve off the cooperative pool: a regression fails below instead of hanging. Generous: on a
        // 2-core CI machine the cooperative pool has two threads, and sync tests running in parallel (live daemons
        // polled with usleep) can hold both for minutes, so this test's own steps may wait that long; the valve
        // firing first was seen there as "the writes did not wait for the lock".
        DispatchQueue.global().asyncAfter(deadline: .now() + 900) { release.signal() }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                locked.wait()
                continuation.resume()
            }
        }

        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        final class Counter: Sendable { let value = Atomic(0) }
        let finished = Counter()
        let writers = (0..<blocked).map { i in
            Task {
                let recorded = try await ledger.acknowledge(
                    occurrenceID: "visit-\(i)@1", by: "cadre", uid: nil, note: nil, at: t0)
                finished.value.add(1, ordering: .relaxed)
                return recorded
            }
        }
        // While they wait: reads (WAL readers do not wait for the writer) and computation go on.
        for _ in 0..<5 {
            #expect(try await ledger.counts()[.planned] == 1)
            #expect(try await ledger.pending(dueBy: t0, limit: 10).count == 1)
        }
        let sum = await Task { (0..<100_000).reduce(0, +) }.value
        #expect(sum == 4_999_950_000)
        #expect(finished.value.load(ordering: .relaxed) == 0, "the writes did not wait for the lock")
        release.signal()
        for writer in writers { #expect(try await writer.value) }
        let acknowledged = try await ledger.acknowledged(among: Set((0..<blocked).map { "visit-\($0)@1" }))
        #expect(acknowledged.count == blocked)
    }
}
