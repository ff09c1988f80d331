import DutyCore
import Foundation
import GRDB
import Synchronization
import Testing

@testable import DutyStore

/// Retention (`prune(_:)`) on the real SQLite backends: what goes, what must stay (open rows, unacknowledged
/// occurrences that can still be overdue, acknowledgements that still silence notices), batching and the
/// pruned-before mark.
@Suite struct DutyStoreRetentionTests {
    static let day: TimeInterval = 86_400
    /// "Now" of these tests: 200 days after `t0`.
    static let now = t0 + 200 * day

    /// Plans `reminders` on `channel` at `at` and marks them delivered at `at`.
    static func delivered(_ store: DutyStore, _ reminders: [Reminder], channel: String = "journal", at: Date) throws {
        try store.planned(reminders.on(channel), at: at)
        let rows = reminders.map { ledgerRow($0.key, channel) }
        #expect(try store.claim(rows, at: at).count == reminders.count)
        try store.markDelivered(rows, at: at)
    }

    static func exists(_ store: DutyStore, _ reminder: Reminder, channel: String = "journal") throws -> Bool {
        try store.delivery(ledgerRow(reminder.key, channel)) != nil
    }

    @Test(arguments: Backend.allCases)
    func unacknowledgedOccurrencesThatCanStillBeOverdueAreKept(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let old = Self.now - 100 * Self.day  // before the cutoff, after openSince
        let ancient = Self.now - 300 * Self.day  // before openSince too
        let openDue = reminder("visit-1", at: old, recipient: "cadre")
        let openOverdue = reminder("visit-1", at: old, kind: .overdue, recipient: "cadre")
        let ackedDue = reminder("visit-2", at: old, recipient: "cadre")
        let plainDue = reminder("meeting", at: old, recipient: "secretary")
        let ancientDue = reminder("visit-3", at: ancient, recipient: "cadre")
        try Self.delivered(store, [openDue, openOverdue, ackedDue, plainDue], at: old + Self.day)
        try Self.delivered(store, [ancientDue], at: ancient + Self.day)
        try store.acknowledge(occurrenceID: ackedDue.occurrenceID, by: "cadre", uid: 1000, at: old + 2 * Self.day)

        let policy = RetentionPolicy(
            cutoff: Self.now - 60 * Self.day, acknowledgedDuties: ["visit-1", "visit-2", "visit-3"],
            openSince: Self.now - 200 * Self.day)
        let result = try store.prune(policy)

        // visit-1 is unacknowledged and recent enough to be overdue: both rows stay, though delivered and old.
        #expect(try Self.exists(store, openDue))
        #expect(try Self.exists(store, openOverdue))
        // Acknowledged, a duty without acknowledgements, and an occurrence older than openSince: gone.
        #expect(try !Self.exists(store, ackedDue))
        #expect(try !Self.exists(store, plainDue))
        #expect(try !Self.exists(store, ancientDue))
        #expect(result.deliveries == 3)
        // The acknowledgement of visit-2 (its occurrence is after openSince) still silences its notices.
        #expect(try store.isAcknowledged(occurrenceID: ackedDue.occurrenceID))
        #expect(result.acknowledgements == 0)
        #expect(result.complete)

        // Once acknowledged, the open occurrence's rows go at the next pass.
        try store.acknowledge(occurrenceID: openDue.occurrenceID, by: "cadre", uid: 1000, at: Self.now)
        #expect(try store.prune(policy).deliveries == 2)
        #expect(try !Self.exists(store, openOverdue))
    }

    @Test(arguments: Backend.allCases)
    func acknowledgementsAreKeptWhileTheirOccurrenceIsOpen(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let longAgo = Self.now - 150 * Self.day
        // Acknowledged long ago, in advance, for an occurrence still to come: its overdue notice must stay silent.
        let future = "visit-9@\(Int64((Self.now + 10 * Self.day).timeIntervalSince1970))"
        // Acknowledged long ago, for an occurrence long past: nothing depends on it any more.
        let past = "visit-9@\(Int64((Self.now - 300 * Self.day).timeIntervalSince1970))"
        // Recent acknowledgement of an old occurrence: younger than the cutoff, kept.
        let recent = "visit-8@\(Int64((Self.now - 300 * Self.day).timeIntervalSince1970))"
        try store.acknowledge(occurrenceID: future, by: "a", uid: nil, at: longAgo)
        try store.acknowledge(occurrenceID: past, by: "a", uid: nil, at: longAgo)
        try store.acknowledge(occurrenceID: recent, by: "a", uid: nil, at: Self.now - Self.day)
        let result = try store.prune(
            RetentionPolicy(cutoff: Self.now - 60 * Self.day, acknowledgedDuties: ["visit-9", "visit-8"],
                openSince: Self.now - 200 * Self.day))
        #expect(result.acknowledgements == 1)
        #expect(try store.isAcknowledged(occurrenceID: future))
        #expect(try !store.isAcknowledged(occurrenceID: past))
        #expect(try store.isAcknowledged(occurrenceID: recent))
    }

    @Test(arguments: Backend.allCases)
    func openRowsAndRowsDueAfterTheCutoffStay(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let old = Self.now - 100 * Self.day
        let planned = reminder("meeting", at: old, recipient: "planned")
        let stuck = reminder("meeting", at: old, recipient: "stuck")
        let retrying = reminder("meeting", at: old, recipient: "retrying")
        let gaveUp = reminder("meeting", at: old, recipient: "gave-up")
        let missed = reminder("meeting", at: old, recipient: "missed")
        // Touched long ago but due after the cutoff (e.g. a bulletin planned ahead): not closed history yet.
        let dueLater = reminder("meeting", at: Self.now - 10 * Self.day, recipient: "due-later")
        try store.planned([planned, stuck, retrying, gaveUp, missed].on("mail"), at: old)
        try store.planned([dueLater].on("mail"), at: old)
        for r in [stuck, retrying, gaveUp, dueLater] { try store.claim(ledgerRow(r.key, "mail"), at: old) }
        try store.markFailed(ledgerRow(retrying.key, "mail"), at: old, retryAt: Self.now, error: "e")
        try store.markFailed(ledgerRow(gaveUp.key, "mail"), at: old, retryAt: nil, error: "e")
        try store.markMissed(ledgerRow(missed.key, "mail"), at: old)
        try store.markDelivered(ledgerRow(dueLater.key, "mail"), at: old)
        let result = try store.prune(RetentionPolicy(cutoff: Self.now - 60 * Self.day))
        #expect(result.deliveries == 2)
        for r in [planned, stuck, retrying, dueLater] { #expect(try Self.exists(store, r, channel: "mail")) }
        for r in [gaveUp, missed] { #expect(try !Self.exists(store, r, channel: "mail")) }
    }

    @Test(arguments: Backend.allCases)
    func prunesInBatchesAndStopsWhenAsked(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let old = Self.now - 100 * Self.day
        let rows = (0..<1234).map { reminder("meeting", at: old, recipient: "r\($0)") }
        let keep = (0..<66).map { reminder("meeting", at: Self.now - Self.day, recipient: "k\($0)") }
        try Self.delivered(store, rows, at: old)
        try Self.delivered(store, keep, at: Self.now - Self.day)
        try store.acknowledge(occurrenceID: "meeting@1", by: "a", uid: nil, at: old)
        try store.logEvent(actorUID: nil, action: "old", at: old)
        let policy = RetentionPolicy(cutoff: Self.now - 60 * Self.day)

        // Stopped after the first batch: some rows gone, acknowledgements and audit lines untouched.
        let asked = Atomic(0)
        let partial = try store.prune(policy, batchSize: 100) {
            asked.add(1, ordering: .relaxed)
            return false
        }
        #expect(asked.load(ordering: .relaxed) == 1)
        #expect(!partial.complete)
        #expect(partial.deliveries > 0 && partial.deliveries <= 100)
        #expect(partial.acknowledgements == 0 && partial.events == 0)
        #expect(try store.isAcknowledged(occurrenceID: "meeting@1"))

        // A full pass in batches of 100 deletes the rest, exactly the old rows.
        let rest = try store.prune(policy, batchSize: 100)
        #expect(rest.complete)
        #expect(partial.deliveries + rest.deliveries == 1234)
        #expect(rest.acknowledgements == 1 && rest.events == 1)
        #expect(try store.counts()[.delivered] == 66)
        for r in keep { #expect(try Self.exists(store, r)) }
    }

    @Test(arguments: Backend.allCases)
    func prunedBeforeMarkOnlyMovesForward(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        #expect(try store.prunedBefore() == nil)
        try store.prune(RetentionPolicy(cutoff: Self.now - 60 * Self.day))
        #expect(try store.prunedBefore() == Self.now - 60 * Self.day)
        // A pass after the clock went back uses an earlier cutoff: the mark stays where rows may be missing.
        try store.prune(RetentionPolicy(cutoff: Self.now - 90 * Self.day))
        #expect(try store.prunedBefore() == Self.now - 60 * Self.day)
        try store.prune(RetentionPolicy(cutoff: Self.now - 30 * Self.day))
        #expect(try store.prunedBefore() == Self.now - 30 * Self.day)
    }

    @Test(arguments: Backend.allCases)
    func unclaimedRowsArePlannedAndDueAgain(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let a = reminder(recipient: "a")
        let b = reminder(recipient: "b")
        try store.planned([a, b].on("journal"), at: t0)
        let claimed = try store.claim([ledgerRow(a.key, "journal"), ledgerRow(b.key, "journal")], at: t0)
        #expect(claimed.count == 2)
        try store.markDelivered([ledgerRow(a.key, "journal")], at: t0)
        try store.unclaim([ledgerRow(a.key, "journal"), ledgerRow(b.key, "journal")], at: t0)
        // The delivered row is left alone; the other is planned again, its attempt not counted, due at once.
        #expect(try store.delivery(ledgerRow(a.key, "journal"))?.state == .delivered)
        let row = try #require(try store.delivery(ledgerRow(b.key, "journal")))
        #expect(row.state == .planned)
        #expect(row.attempts == 0)
        #expect(try store.pending(dueBy: t0).map(\.key) == [b.key])
    }

    /// A large backlog: `pending` keeps its order (delivering first, then retry/fire time, then key) and walks the
    /// due-order index instead of sorting every due row (what made a 100,000-row backlog cost seconds per batch).
    @Test(arguments: Backend.allCases)
    func pendingWalksTheIndexInDeliveryOrder(_ backend: Backend) throws {
        let store = try StoreFixture(backend).store
        let burst = (0..<2000).map { reminder(at: t0, recipient: String(format: "r%04d", 1999 - $0)) }
        let retry = reminder(at: t0 - 3600, recipient: "retry")
        let stuck = reminder(at: t0 + 3600, recipient: "stuck")
        try store.planned((burst + [retry, stuck]).on("journal"), at: t0 - 7200)
        try store.claim(ledgerRow(retry.key, "journal"), at: t0 - 3600)
        try store.markFailed(ledgerRow(retry.key, "journal"), at: t0 - 3600, retryAt: t0 - 60, error: "e")
        try store.claim(ledgerRow(stuck.key, "journal"), at: t0)
        let page = try store.pending(dueBy: t0, limit: 5)
        #expect(page.map(\.recipientID) == ["stuck", "retry", "r0000", "r0001", "r0002"])
        #expect(try store.pending(dueBy: t0, limit: 3000).count == 2002)
        let plan: [String] = try store.writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    EXPLAIN QUERY PLAN SELECT * FROM delivery INDEXED BY delivery_due_order
                    WHERE state = 'planned' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?
                    ORDER BY state, next_attempt_at, fire_at, key, channel LIMIT 500
                    """, arguments: [t0]
            ).map { $0["detail"] as String }
        }
        #expect(!plan.joined().contains("TEMP B-TREE"), "\(plan)")
    }
}
