import DutyCore
import Foundation
import GRDB
import Testing

@testable import DutyStore

/// Which SQLite backend a test runs on: the in-memory queue, or a WAL pool in a temp directory (real files).
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case memory
    case file

    var testDescription: String { rawValue }
}

/// A store plus the temp directory it lives in (removed on deinit).
final class StoreFixture {
    let directory: URL
    let store: DutyStore

    init(_ backend: Backend) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dutystore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        switch backend {
        case .memory: store = try DutyStore.inMemory()
        case .file: store = try DutyStore(directory: directory)
        }
    }

    var path: String { directory.appendingPathComponent(DutyStore.fileName).path }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// Whole seconds: the ledger keeps milliseconds, so test instants must not need more.
let t0 = Date(timeIntervalSince1970: 1_537_146_000)  // 2018-09-17 09:00 +08:00

func reminder(
    _ duty: String = "dc-biweekly", at occurrence: Date = t0, kind: ReminderKind = .due, offset: String = "",
    recipient: String = "secretary", title: String = "东川区委双周工作例会"
) -> Reminder {
    Reminder(
        dutyID: duty, title: title, description: "第一行\n第二行", clause: "二(一)1", responsible: ["区委办", "组织部"],
        occurrence: occurrence, timeZoneIdentifier: "Asia/Shanghai",
        fireAt: kind == .warning ? occurrence.addingTimeInterval(-86400) : occurrence, kind: kind,
        offsetLabel: offset, priority: .high,
        recipient: Recipient(id: recipient, name: "秘书", account: "sec", channel: .mbox(account: "sec")),
        scheduleFile: "/etc/dutyd/plan.toml")
}

@Suite struct DutyStoreTests {
    // MARK: Planning

    @Test(arguments: Backend.allCases)
    func plannedInsertsAreIdempotent(_ backend: Backend) throws {
        let fixture = try StoreFixture(backend)
        let store = fixture.store
        let first = [reminder(), reminder(kind: .warning, offset: "1d"), reminder(recipient: "deputy")]
        #expect(try store.planned(first.on("journal"), at: t0) == 3)
        // Same three again, plus one new: only the new one is inserted.
        let second = first + [reminder(at: t0.addingTimeInterval(14 * 86400))]
        #expect(try store.planned(second.on("journal"), at: t0) == 1)
        // Another channel is another row.
        #expect(try store.planned([reminder()].on("mail"), at: t0) == 1)
        #expect(try store.counts()[.planned] == 5)

        // Re-planning a claimed row does not reset it.
        try #require(try store.claim(ledgerRow(reminder().key, "journal"), at: t0) != nil)
        #expect(try store.planned(first.on("journal"), at: t0) == 0)
        let row = try #require(try store.delivery(ledgerRow(reminder().key, "journal")))
        #expect(row.state == .delivering)
        #expect(row.attempts == 1)
    }

    @Test(arguments: Backend.allCases)
    func rowKeepsTheReminder(_ backend: Backend) throws {
        let fixture = try StoreFixture(backend)
        let original = reminder(kind: .warning, offset: "2 workdays", title: "标题\n带换行 \u{1F600}")
        try fixture.store.planned([original].on("mail"), at: t0)
        let row = try #require(try fixture.store.delivery(ledgerRow(original.key, "mail")))
        #expect(row.reminder == original)
        #expect(row.key == original.key)
        #expect(row.dutyID == "dc-biweekly")
        #expect(row.occurrenceID == original.occurrenceID)
        #expect(row.kind == .warning)
        #expect(row.recipientID == "secretary")
        #expect(row.fireAt == t0.addingTimeInterval(-86400))
        #expect(row.nextAttemptAt == row.fireAt)
        #expect(row.state == .planned)
        #expect(row.attempts == 0)
        #expect(row.createdAt == t0)
    }

    // MARK: Transitions

    @Test(arguments: Backend.allCases)
    func stateTransitions(_ backend: Backend) throws {
        let fixture = try StoreFixture(backend)
        let store = fixture.store
        let r = reminder()
        try store.planned([r].on("mail"), at: t0.addingTimeInterval(-3600))

        // Not delivering yet: delivered/failed are refused.
        #expect(throws: StoreError.self) { try store.markDelivered(ledgerRow(r.key, "mail"), at: t0) }
        do {
            try store.markFailed(ledgerRow(r.key, "mail"), at: t0, retryAt: t0, error: "x")
            Issue.record("markFailed on a planned row must throw")
        } catch {
            #expect(error.code == .invalidTransition)
        }

        let claimed = try #require(try store.claim(ledgerRow(r.key, "mail"), at: t0))
        #expect(claimed.state == .delivering)
        #expect(claimed.attempts == 1)
        #expect(claimed.nextAttemptAt == nil)
        // A second claim (without takeOver) gets nothing.
        #expect(try store.claim(ledgerRow(r.key, "mail"), at: t0) == nil)

        try store.markFailed(
            ledgerRow(r.key, "mail"), at: t0.addingTimeInterval(1), retryAt: t0.addingTimeInterval(60),
            error: "spool locked")
        var row = try #require(try store.delivery(ledgerRow(r.key, "mail")))
        #expect(row.state == .failed)
        #expect(row.lastError == "spool locked")
        #expect(row.nextAttemptAt == t0.addingTimeInterval(60))
        #expect(try store.pending(dueBy: t0.addingTimeInterval(59)).isEmpty)
        #expect(try store.pending(dueBy: t0.addingTimeInterval(60)).map(\.key) == [r.key])
        #expect(try store.nextDueDate() == t0.addingTimeInterval(60))

        let again = try #require(try store.claim(ledgerRow(r.key, "mail"), at: t0.addingTimeInterval(60)))
        #expect(again.attempts == 2)
        try store.markDelivered(ledgerRow(r.key, "mail"), at: t0.addingTimeInterval(61))
        row = try #require(try store.delivery(ledgerRow(r.key, "mail")))
        #expect(row.state == .delivered)
        #expect(row.updatedAt == t0.addingTimeInterval(61))
        #expect(row.lastError == "spool locked")  // history kept
        #expect(try store.claim(ledgerRow(r.key, "mail"), at: t0.addingTimeInterval(62)) == nil)
        #expect(try store.claim(ledgerRow(r.key, "mail"), at: t0, takeOver: true) == nil)
        #expect(try store.pending(dueBy: .distantFuture).isEmpty)
        #expect(try store.nextDueDate() == nil)

        do {
            try store.markMissed(ledgerRow(r.key, "mail"), at: t0)
            Issue.record("markMissed on a delivered row must throw")
        } catch {
            #expect(error.code == .invalidTransition)
        }
        #expect(try store.counts() == [.planned: 0, .delivering: 0, .delivered: 1, .failed: 0, .missed: 0])
    }

    @Test(arguments: Backend.allCases)
    func failedWithoutRetryIsFinal(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let r = reminder()
        try store.planned([r].on("mail"), at: t0)
        try store.claim(ledgerRow(r.key, "mail"), at: t0)
        try store.markFailed(ledgerRow(r.key, "mail"), at: t0, retryAt: nil, error: "no such user")
        #expect(try store.pending(dueBy: .distantFuture).isEmpty)
        #expect(try store.claim(ledgerRow(r.key, "mail"), at: t0) == nil)
        #expect(try store.counts()[.failed] == 1)
    }

    @Test(arguments: Backend.allCases)
    func missedFromPlannedAndDelivering(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let a = reminder(recipient: "a")
        let b = reminder(recipient: "b")
        try store.planned([a, b].on("journal"), at: t0)
        try store.markMissed(ledgerRow(a.key, "journal"), at: t0, reason: "daemon down for 3 days")
        try store.claim(ledgerRow(b.key, "journal"), at: t0)
        try store.markMissed(ledgerRow(b.key, "journal"), at: t0)
        #expect(try store.counts()[.missed] == 2)
        #expect(try store.delivery(ledgerRow(a.key, "journal"))?.lastError == "daemon down for 3 days")
        #expect(try store.pending(dueBy: .distantFuture).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func recordMissedInsertsOnceAndSparesSettledRows(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let new = reminder(recipient: "new")
        let planned = reminder(recipient: "planned")
        let retrying = reminder(recipient: "retrying")
        let givenUp = reminder(recipient: "given-up")
        let delivered = reminder(recipient: "delivered")
        let inFlight = reminder(recipient: "in-flight")
        try store.planned([planned, retrying, givenUp, delivered, inFlight].on("journal"), at: t0)
        try store.claim(ledgerRow(retrying.key, "journal"), at: t0)
        try store.markFailed(ledgerRow(retrying.key, "journal"), at: t0, retryAt: t0.addingTimeInterval(60), error: "down")
        try store.claim(ledgerRow(givenUp.key, "journal"), at: t0)
        try store.markFailed(ledgerRow(givenUp.key, "journal"), at: t0, retryAt: nil, error: "no such user")
        try store.claim(ledgerRow(delivered.key, "journal"), at: t0)
        try store.markDelivered(ledgerRow(delivered.key, "journal"), at: t0)
        try store.claim(ledgerRow(inFlight.key, "journal"), at: t0)

        let all = [new, planned, retrying, givenUp, delivered, inFlight]
        let later = t0.addingTimeInterval(3 * 86400)
        // New, planned and retrying rows become missed; the others keep their state.
        #expect(try store.recordMissed(all.on("journal"), at: later, reason: "found after the catch-up window") == 3)
        #expect(try store.recordMissed(all.on("journal"), at: later, reason: "again") == 0)
        func state(_ r: Reminder) throws -> DeliveryState? { try store.delivery(ledgerRow(r.key, "journal"))?.state }
        #expect(try state(new) == .missed)
        #expect(try state(planned) == .missed)
        #expect(try state(retrying) == .missed)
        #expect(try state(givenUp) == .failed)
        #expect(try state(delivered) == .delivered)
        #expect(try state(inFlight) == .delivering)
        let row = try #require(try store.delivery(ledgerRow(new.key, "journal")))
        #expect(row.lastError == "found after the catch-up window")
        #expect(row.reminder == new)
        #expect(row.attempts == 0)
        // Nothing missed is due any more; the row in flight still is (for reconciliation).
        #expect(try store.pending(dueBy: .distantFuture).map(\.key) == [inFlight.key])
    }

    @Test(arguments: Backend.allCases)
    func unknownRowsAndPrivateErrorText(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let secret = "secret-key-不要打印"
        do {
            try store.claim(ledgerRow(secret, "mail"), at: t0)
            Issue.record("claim of an unknown row must throw")
        } catch {
            #expect(error.code == .unknownDelivery)
            #expect(!error.description.contains(secret))
        }
        do {
            try store.markDelivered(ledgerRow(secret, "mail"), at: t0)
            Issue.record("markDelivered of an unknown row must throw")
        } catch {
            #expect(error.code == .unknownDelivery)
            #expect(!"\(error)".contains(secret))
        }
    }

    @Test(arguments: Backend.allCases)
    func longErrorsAreCapped(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let r = reminder()
        try store.planned([r].on("mail"), at: t0)
        try store.claim(ledgerRow(r.key, "mail"), at: t0)
        try store.markFailed(ledgerRow(r.key, "mail"), at: t0, retryAt: t0, error: String(repeating: "错", count: 5000))
        #expect(try store.delivery(ledgerRow(r.key, "mail"))?.lastError?.count == LedgerError.maximumStoredText)
    }

    // MARK: Pending

    @Test(arguments: Backend.allCases)
    func pendingSelectsDueRowsAndDeliveringFirst(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let early = reminder(at: t0.addingTimeInterval(-7200))
        let now = reminder(at: t0)
        let later = reminder(at: t0.addingTimeInterval(7200))
        let stuck = reminder(at: t0.addingTimeInterval(3600), recipient: "stuck")
        try store.planned([later, now, early, stuck].on("journal"), at: t0)
        // `stuck` is not due yet but was claimed early and never finished.
        try store.claim(ledgerRow(stuck.key, "journal"), at: t0)
        let due = try store.pending(dueBy: t0)
        #expect(due.map(\.key) == [stuck.key, early.key, now.key])
        #expect(due.map(\.needsReconciliation) == [true, false, false])
        #expect(try store.pending(dueBy: t0, limit: 2).count == 2)
        #expect(try store.nextDueDate() == early.fireAt)
    }

    // MARK: Acknowledgements

    @Test(arguments: Backend.allCases)
    func acknowledgeIsIdempotent(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let occurrence = reminder().occurrenceID
        #expect(try !store.isAcknowledged(occurrenceID: occurrence))
        #expect(try store.acknowledge(occurrenceID: occurrence, by: "secretary", uid: 1001, note: "已安排", at: t0))
        #expect(try !store.acknowledge(occurrenceID: occurrence, by: "secretary", uid: 0, note: "again", at: t0 + 5))
        #expect(try store.acknowledge(occurrenceID: occurrence, by: "deputy", uid: nil, at: t0 + 10))
        #expect(try store.isAcknowledged(occurrenceID: occurrence))
        #expect(try !store.isAcknowledged(occurrenceID: "other@1"))
        let acks = try store.acknowledgements(occurrenceID: occurrence)
        #expect(acks.map(\.who) == ["secretary", "deputy"])
        #expect(acks[0].peerUID == 1001)
        #expect(acks[0].note == "已安排")
        #expect(acks[0].at == t0)
        #expect(acks[1].peerUID == nil)
    }

    // MARK: Meta and audit

    @Test(arguments: Backend.allCases)
    func horizonOnlyAdvances(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        #expect(try store.horizon() == nil)
        #expect(try store.advanceHorizon(to: t0) == t0)
        #expect(try store.advanceHorizon(to: t0 - 60) == t0)
        #expect(try store.horizon() == t0)
        try store.planned([reminder()].on("journal"), at: t0, horizon: t0 + 86400)
        #expect(try store.horizon() == t0 + 86400)
        try store.resetHorizon(to: t0 - 86400)
        #expect(try store.horizon() == t0 - 86400)
        try store.setMetaValue("x", forKey: "schedule_digest")
        #expect(try store.metaValue(forKey: "schedule_digest") == "x")
        try store.setMetaValue(nil, forKey: "schedule_digest")
        #expect(try store.metaValue(forKey: "schedule_digest") == nil)
    }

    @Test(arguments: Backend.allCases)
    func eventLogRoundTrip(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let first = try store.logEvent(actorUID: 1001, action: "ack", details: ["occurrence": "a@1", "note": "好"], at: t0)
        let second = try store.logEvent(actorUID: nil, action: "reload", at: t0 + 1)
        #expect(second > first)
        let events = try store.events()
        #expect(events.map(\.action) == ["ack", "reload"])
        #expect(events[0].details == ["occurrence": "a@1", "note": "好"])
        #expect(events[0].actorUID == 1001)
        #expect(events[1].actorUID == nil)
        #expect(try store.events(since: t0 + 1).map(\.id) == [second])
    }

    @Test(arguments: Backend.allCases)
    func pruneKeepsOpenItems(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let old = t0 - 90 * 86400
        let delivered = reminder(at: old, recipient: "delivered")
        let missed = reminder(at: old, recipient: "missed")
        let gaveUp = reminder(at: old, recipient: "gave-up")
        let retrying = reminder(at: old, recipient: "retrying")
        let planned = reminder(at: old, recipient: "planned")
        let stuck = reminder(at: old, recipient: "stuck")
        let recent = reminder(at: t0, recipient: "recent")
        try store.planned([delivered, missed, gaveUp, retrying, planned, stuck, recent].on("mail"), at: old)
        for r in [delivered, gaveUp, retrying, stuck, recent] { try store.claim(ledgerRow(r.key, "mail"), at: old) }
        try store.markDelivered(ledgerRow(delivered.key, "mail"), at: old)
        try store.markMissed(ledgerRow(missed.key, "mail"), at: old)
        try store.markFailed(ledgerRow(gaveUp.key, "mail"), at: old, retryAt: nil, error: "e")
        try store.markFailed(ledgerRow(retrying.key, "mail"), at: old, retryAt: t0, error: "e")
        try store.markDelivered(ledgerRow(recent.key, "mail"), at: t0)
        // Acknowledged occurrences: the old one (all rows of `old` share it) still has open rows.
        try store.acknowledge(occurrenceID: delivered.occurrenceID, by: "x", uid: nil, at: old)
        try store.acknowledge(occurrenceID: "closed@1", by: "x", uid: nil, at: old)
        try store.logEvent(actorUID: nil, action: "old", at: old)
        try store.logEvent(actorUID: nil, action: "new", at: t0)

        let result = try store.prune(olderThan: t0 - 30 * 86400)
        #expect(result == PruneResult(deliveries: 3, acknowledgements: 1, events: 1))
        #expect(try store.delivery(ledgerRow(retrying.key, "mail"))?.state == .failed)
        #expect(try store.delivery(ledgerRow(planned.key, "mail"))?.state == .planned)
        #expect(try store.delivery(ledgerRow(stuck.key, "mail"))?.state == .delivering)
        #expect(try store.delivery(ledgerRow(recent.key, "mail"))?.state == .delivered)
        #expect(try store.delivery(ledgerRow(delivered.key, "mail")) == nil)
        #expect(try store.isAcknowledged(occurrenceID: delivered.occurrenceID))
        #expect(try !store.isAcknowledged(occurrenceID: "closed@1"))
        #expect(try store.events().map(\.action) == ["new"])
    }

    @Test(arguments: Backend.allCases)
    func migrationsAreNamed(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        #expect(try store.appliedMigrations() == ["v1 ledger", "v2 rankings and problems", "v3 due order index", "v4 delivery routes", "v5 occurrence changes", "v6 digest carriers"])
        let foreignKeys = try store.writer.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(foreignKeys == true)
    }
}
