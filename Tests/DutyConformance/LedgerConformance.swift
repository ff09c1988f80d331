import DutyCore
import Foundation
import Testing

/// The one conformance suite of the `Ledger` seam: what "a ledger" means, checked the same way for every
/// implementation (SQLite in memory and on disk; PostgreSQL when it lands). An implementation's test target runs
/// every case on a fresh, empty ledger:
///
/// ```swift
/// @Test(arguments: LedgerConformance.cases)
/// func conforms(_ check: LedgerConformance.Case) async throws { try await check.run(try makeLedger()) }
/// ```
public enum LedgerConformance {
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        public let run: @Sendable (any Ledger) async throws -> Void
        public var description: String { name }
    }

    static let t0 = Date(timeIntervalSince1970: 1_537_146_000)  // 2018-09-17 09:00 +08:00

    static func reminder(
        duty: String = "meeting", at occurrence: Date = t0, kind: ReminderKind = .due, recipient: String = "secretary",
        fireAt: Date? = nil
    ) -> Reminder {
        Reminder(
            dutyID: duty, title: "双周例会", description: "议程", clause: "二(一)1", responsible: ["县委"],
            occurrence: occurrence, timeZoneIdentifier: "Asia/Chongqing", fireAt: fireAt ?? occurrence, kind: kind,
            priority: .high,
            recipient: Recipient(id: recipient, name: "秘书", account: "sec", channels: [.mbox(account: "sec"), .sendmail(address: "office@example.org")]),
            scheduleFile: "standing.toml")
    }

    static func journal(_ reminders: [Reminder]) -> [LedgerEntry] { reminders.map { LedgerEntry($0, route: .journal) } }
    static func key(_ reminder: Reminder, _ route: DeliveryRoute = .journal) -> DeliveryKey {
        LedgerEntry(reminder, route: route).key
    }

    /// Every case, in a stable order.
    public static let cases: [Case] = [
        Case(name: "planning is idempotent, per route, and moves the horizon only forward", run: planning),
        Case(name: "a stop request before the first transaction writes nothing and leaves the horizon", run: planningStopped),
        Case(name: "a row goes planned, delivering, failed with a retry, delivering, delivered", run: lifecycle),
        Case(name: "transitions from the wrong state and unknown rows are refused without their keys in the text", run: refusals),
        Case(name: "a permanent failure is never due again", run: givingUp),
        Case(name: "unclaiming puts a row back, due at once, its attempt not counted", run: unclaiming),
        Case(name: "pending lists rows left delivering first, then by due time, at most the limit", run: pendingOrder),
        Case(name: "a row left delivering is taken over for reconciliation; a closed one is not", run: takeOver),
        Case(name: "missed notices are recorded once and spare settled rows", run: recordingMissed),
        Case(name: "stored error texts are capped", run: cappedErrors),
        Case(name: "acknowledgements are idempotent per person and found in sets", run: acknowledgements),
        Case(name: "retention prunes closed history and keeps open items", run: retention),
        Case(name: "rankings replace their period and come back in order", run: rankings),
        Case(name: "problems get increasing ids, close once, and an unknown one is not found", run: problems),
        Case(name: "the audit log keeps details and honours since and limit", run: audit),
        Case(name: "the ledger id is stable", run: identity),
        Case(name: "concurrent claimers never get the same row", run: concurrentClaims),
        Case(name: "the reminder comes back as planned, recipients' channels included", run: roundTrip),
        Case(name: "every kind of change comes back as recorded, by id, with actor, note and time", run: changeRoundTrip),
        Case(name: "a change expecting a stale revision is refused and writes nothing", run: changeRevisions),
        Case(name: "of concurrent changes expecting the same revision exactly one is recorded", run: concurrentChanges),
        Case(name: "change notes are capped and the reminder's change survives the ledger", run: changeNotes),
        Case(name: "a digest's Message-ID is recorded per row; same-instant rows come grouped by recipient", run: digests),
        Case(name: "the mail of a daily digest waits for its slot; its journal row does not", run: dailyDigest),
    ]

    // MARK: - Cases

    static func planning(_ ledger: any Ledger) async throws {
        let a = reminder(recipient: "a"), b = reminder(recipient: "b"), c = reminder(recipient: "c")
        #expect(try await ledger.plan(journal([a, b, c]), at: t0, horizon: t0) == 3)
        #expect(try await ledger.horizon() == t0)
        // The same rows again add nothing; a new one is added; another route is another row.
        #expect(try await ledger.plan(journal([a, b, reminder(recipient: "d")]), at: t0) == 1)
        #expect(try await ledger.plan([LedgerEntry(a, route: .mail(.mbox(account: "sec")))], at: t0) == 1)
        #expect(try await ledger.plan([LedgerEntry(a, route: .mail(.sendmail(address: "office@example.org")))], at: t0) == 1)
        #expect(try await ledger.counts()[.planned] == 6)
        // Planning never moves the horizon back; resetting it does.
        _ = try await ledger.plan([], at: t0, horizon: t0 - 60)
        #expect(try await ledger.horizon() == t0)
        _ = try await ledger.plan([], at: t0, horizon: t0 + 60)
        #expect(try await ledger.horizon() == t0 + 60)
        try await ledger.resetHorizon(to: t0 - 3600)
        #expect(try await ledger.horizon() == t0 - 3600)
        // A claimed row is left alone by a second planning.
        _ = try await ledger.claim([key(a)], at: t0)
        #expect(try await ledger.plan(journal([a]), at: t0) == 0)
        #expect(try await ledger.delivery(key(a))?.state == .delivering)
    }

    static func planningStopped(_ ledger: any Ledger) async throws {
        try await ledger.resetHorizon(to: t0)
        let rows = (0..<50).map { reminder(recipient: "p\($0)") }
        let result = try await ledger.plan(journal(rows), at: t0, horizon: t0 + 3600, shouldContinue: { false })
        #expect(!result.complete)
        #expect(result.count == 0)
        #expect(try await ledger.horizon() == t0)
        #expect(try await ledger.counts()[.planned] == 0)
        let missed = try await ledger.recordMissed(journal(rows), reason: "late", at: t0, shouldContinue: { false })
        #expect(!missed.complete && missed.count == 0)
    }

    static func lifecycle(_ ledger: any Ledger) async throws {
        let r = reminder(at: t0 + 3600)
        let k = key(r)
        try await ledger.plan(journal([r]), at: t0)
        let planned = try #require(try await ledger.delivery(k))
        #expect(planned.state == .planned && planned.attempts == 0 && planned.nextAttemptAt == r.fireAt)
        #expect(planned.channel == "journal" && planned.occurrenceID == r.occurrenceID && planned.kind == .due)
        #expect(planned.recipientID == "secretary" && planned.dutyID == "meeting" && planned.createdAt == t0)
        #expect(try await ledger.pending(dueBy: t0, limit: 10).isEmpty)
        #expect(try await ledger.nextDueDate() == r.fireAt)

        // The caller decides when: a row may be claimed before its time.
        let claimed = try await ledger.claim([k], at: t0)
        #expect(claimed.map(\.key) == [r.key])
        #expect(claimed.first?.state == .delivering && claimed.first?.attempts == 1 && claimed.first?.nextAttemptAt == nil)
        #expect(try await ledger.claim([k], at: t0).isEmpty)

        try await ledger.markFailed(k, at: t0 + 1, retryAt: t0 + 60, error: "spool locked")
        var row = try #require(try await ledger.delivery(k))
        #expect(row.state == .failed && row.lastError == "spool locked" && row.nextAttemptAt == t0 + 60)
        #expect(row.updatedAt == t0 + 1)
        #expect(try await ledger.pending(dueBy: t0 + 59, limit: 10).isEmpty)
        #expect(try await ledger.pending(dueBy: t0 + 60, limit: 10).map(\.key) == [r.key])
        #expect(try await ledger.nextDueDate() == t0 + 60)

        let again = try await ledger.claim([k], at: t0 + 60)
        #expect(again.first?.attempts == 2)
        try await ledger.markDelivered([k], at: t0 + 61)
        row = try #require(try await ledger.delivery(k))
        #expect(row.state == .delivered && row.nextAttemptAt == nil && row.updatedAt == t0 + 61)
        #expect(try await ledger.claim([k], at: t0 + 62).isEmpty)
        #expect(try await ledger.pending(dueBy: .distantFuture, limit: 10).isEmpty)
        #expect(try await ledger.nextDueDate() == nil)
        #expect(try await ledger.counts() == [.planned: 0, .delivering: 0, .delivered: 1, .failed: 0, .missed: 0])
        // Marking delivered again changes nothing.
        try await ledger.markDelivered([k], at: t0 + 70)
        #expect(try await ledger.delivery(k)?.updatedAt == t0 + 61)
    }

    static func refusals(_ ledger: any Ledger) async throws {
        let r = reminder()
        try await ledger.plan(journal([r]), at: t0)
        await expectCode(.invalidTransition) { try await ledger.markFailed(key(r), at: t0, retryAt: t0, error: "x") }
        let secret = "secret-key-不要打印"
        let unknown = DeliveryKey(key: secret, channel: "journal")
        let error = await expectCode(.unknownDelivery) { _ = try await ledger.takeOver(unknown, at: t0) }
        #expect(!"\(error.map { "\($0)" } ?? "")".contains(secret))
        await expectCode(.unknownDelivery) { try await ledger.markFailed(unknown, at: t0, retryAt: nil, error: secret) }
        #expect(try await ledger.delivery(unknown) == nil)
        // Batch calls skip rows that are not there or not in the right state.
        #expect(try await ledger.claim([unknown], at: t0).isEmpty)
        try await ledger.markDelivered([unknown, key(r)], at: t0)
        #expect(try await ledger.delivery(key(r))?.state == .planned)
    }

    static func givingUp(_ ledger: any Ledger) async throws {
        let r = reminder()
        try await ledger.plan(journal([r]), at: t0)
        _ = try await ledger.claim([key(r)], at: t0)
        try await ledger.markFailed(key(r), at: t0, retryAt: nil, error: "no such user")
        #expect(try await ledger.pending(dueBy: .distantFuture, limit: 10).isEmpty)
        #expect(try await ledger.claim([key(r)], at: t0 + 86_400).isEmpty)
        #expect(try await ledger.takeOver(key(r), at: t0) == nil)
        #expect(try await ledger.counts()[.failed] == 1)
    }

    static func unclaiming(_ ledger: any Ledger) async throws {
        let a = reminder(recipient: "a"), b = reminder(recipient: "b")
        try await ledger.plan(journal([a, b]), at: t0)
        #expect(try await ledger.claim([key(a), key(b)], at: t0).count == 2)
        try await ledger.markDelivered([key(a)], at: t0)
        try await ledger.unclaim([key(a), key(b)], at: t0)
        #expect(try await ledger.delivery(key(a))?.state == .delivered)
        let row = try #require(try await ledger.delivery(key(b)))
        #expect(row.state == .planned && row.attempts == 0)
        #expect(try await ledger.pending(dueBy: t0, limit: 10).map(\.key) == [b.key])
    }

    static func pendingOrder(_ ledger: any Ledger) async throws {
        let later = reminder(at: t0 + 60, recipient: "later")
        let now = reminder(at: t0, recipient: "now")
        let early = reminder(at: t0 - 60, recipient: "early")
        let stuck = reminder(at: t0 + 3600, recipient: "stuck")
        let burst = (0..<30).map { reminder(at: t0 - 30, recipient: String(format: "b%02d", 29 - $0)) }
        try await ledger.plan(journal([later, now, early, stuck] + burst), at: t0 - 7200)
        _ = try await ledger.claim([key(stuck)], at: t0)
        let due = try await ledger.pending(dueBy: t0, limit: 100)
        // The row left delivering first (whatever its time), then by due time, ties by key.
        #expect(due.first?.key == stuck.key)
        #expect(due.dropFirst().map(\.fireAt) == due.dropFirst().map(\.fireAt).sorted())
        #expect(due.map(\.key).contains(now.key) && !due.map(\.key).contains(later.key))
        let ties = due.filter { $0.fireAt == t0 - 30 }.map(\.key)
        #expect(ties == ties.sorted())
        #expect(due.count == 33)
        #expect(try await ledger.pending(dueBy: t0, limit: 2).count == 2)
        #expect(try await ledger.pending(dueBy: t0, limit: 2).first?.key == stuck.key)
        #expect(try await ledger.nextDueDate() == early.fireAt)
    }

    static func digests(_ ledger: any Ledger) async throws {
        // Two cadres with three households each, planned interleaved (as the roster lists households).
        let rows = (0..<6).map { i in reminder(duty: "visit-\(i)", recipient: i % 2 == 0 ? "cadre-b" : "cadre-a") }
        let mbox = rows.map { LedgerEntry($0, route: .mail(.mbox(account: "sec"))) }
        try await ledger.plan(journal(rows) + mbox, at: t0 - 60)
        let due = try await ledger.pending(dueBy: t0, limit: 100)
        #expect(due.count == 12)
        // Rows of one recipient, channel and kind are next to each other.
        var seen: [String] = []
        for row in due {
            let group = "\(row.recipientID)|\(row.channel)|\(row.kind.rawValue)"
            if seen.last != group {
                #expect(!seen.contains(group), "group \(group) is split in \(due.map(\.key))")
                seen.append(group)
            }
        }
        #expect(seen.count == 4)
        let claimed = try await ledger.claim(mbox.map(\.key), at: t0)
        #expect(claimed.count == 6 && claimed.allSatisfy { $0.messageID == nil })
        let a = mbox.filter { $0.reminder.recipient.id == "cadre-a" }.map(\.key)
        var ids: [DeliveryKey: String] = [:]
        for key in a { ids[key] = "<a.digest.dutyd@vm>" }
        ids[DeliveryKey(key: "no-such-row", channel: "mbox")] = "<nothing@vm>"
        try await ledger.recordMessageIDs(ids, at: t0)
        for key in a { #expect(try await ledger.delivery(key)?.messageID == "<a.digest.dutyd@vm>") }
        #expect(try await ledger.delivery(mbox[0].key)?.messageID == nil)
        #expect(try await ledger.delivery(DeliveryKey(key: "no-such-row", channel: "mbox")) == nil)
        // A later attempt records its own carrier; the id survives the row's transitions.
        try await ledger.recordMessageIDs([a[0]: "<a2.digest.dutyd@vm>"], at: t0)
        try await ledger.markDelivered(a, at: t0)
        let delivered = try #require(try await ledger.delivery(a[0]))
        #expect(delivered.state == .delivered && delivered.messageID == "<a2.digest.dutyd@vm>")
        #expect(try await ledger.delivery(a[1])?.messageID == "<a.digest.dutyd@vm>")
    }

    static func dailyDigest(_ ledger: any Ledger) async throws {
        var r = reminder(at: t0)  // 09:00 in Chongqing
        r.digest = .daily(hour: 8, minute: 0)
        let mail = LedgerEntry(r, route: .mail(.mbox(account: "sec")))
        #expect(mail.fireAt == t0 + 23 * 3600)
        try await ledger.plan(journal([r]) + [mail], at: t0 - 60)
        #expect(try await ledger.pending(dueBy: t0, limit: 10).map(\.channel) == ["journal"])
        let row = try #require(try await ledger.delivery(mail.key))
        #expect(row.fireAt == t0 + 23 * 3600 && row.nextAttemptAt == t0 + 23 * 3600 && row.reminder.fireAt == t0)
        #expect(try await ledger.pending(dueBy: t0 + 23 * 3600, limit: 10).count == 2)
        // Unclaimed by a stop, it is due again at its slot, not at the reminder's fire time.
        _ = try await ledger.claim([mail.key], at: t0 + 23 * 3600)
        try await ledger.unclaim([mail.key], at: t0 + 23 * 3600)
        #expect(try await ledger.delivery(mail.key)?.nextAttemptAt == t0 + 23 * 3600)
    }

    static func takeOver(_ ledger: any Ledger) async throws {
        let r = reminder()
        try await ledger.plan(journal([r]), at: t0)
        _ = try await ledger.claim([key(r)], at: t0)
        // An earlier process died here: the row is left delivering, listed for reconciliation.
        #expect(try await ledger.pending(dueBy: t0 - 86_400, limit: 10).map(\.state) == [.delivering])
        let taken = try #require(try await ledger.takeOver(key(r), at: t0 + 5))
        #expect(taken.state == .delivering && taken.attempts == 2)
        try await ledger.markDelivered([key(r)], at: t0 + 6)
        #expect(try await ledger.takeOver(key(r), at: t0 + 7) == nil)
        // A planned row can be taken over too.
        let p = reminder(recipient: "p")
        try await ledger.plan(journal([p]), at: t0)
        #expect(try await ledger.takeOver(key(p), at: t0)?.attempts == 1)
    }

    static func recordingMissed(_ ledger: any Ledger) async throws {
        let planned = reminder(recipient: "planned"), retrying = reminder(recipient: "retrying")
        let givenUp = reminder(recipient: "given-up"), delivered = reminder(recipient: "delivered")
        let inFlight = reminder(recipient: "in-flight"), new = reminder(recipient: "new")
        try await ledger.plan(journal([planned, retrying, givenUp, delivered, inFlight]), at: t0)
        _ = try await ledger.claim([key(retrying), key(givenUp), key(delivered), key(inFlight)], at: t0)
        try await ledger.markFailed(key(retrying), at: t0, retryAt: t0 + 60, error: "down")
        try await ledger.markFailed(key(givenUp), at: t0, retryAt: nil, error: "no such user")
        try await ledger.markDelivered([key(delivered)], at: t0)
        let all = journal([planned, retrying, givenUp, delivered, inFlight, new])
        let later = t0 + 3 * 86_400
        let first = try await ledger.recordMissed(all, reason: "found after the catch-up window", at: later, shouldContinue: { true })
        #expect(first == LedgerBatchResult(count: 3, complete: true))
        #expect(try await ledger.recordMissed(all, reason: "again", at: later, shouldContinue: { true }).count == 0)
        func state(_ r: Reminder) async throws -> DeliveryState? { try await ledger.delivery(key(r))?.state }
        #expect(try await state(planned) == .missed)
        #expect(try await state(retrying) == .missed)
        #expect(try await state(new) == .missed)
        #expect(try await state(givenUp) == .failed)
        #expect(try await state(delivered) == .delivered)
        #expect(try await state(inFlight) == .delivering)
        let row = try #require(try await ledger.delivery(key(new)))
        #expect(row.lastError == "found after the catch-up window" && row.nextAttemptAt == nil && row.attempts == 0)
        #expect(try await ledger.pending(dueBy: .distantFuture, limit: 10).map(\.key) == [inFlight.key])
    }

    static func cappedErrors(_ ledger: any Ledger) async throws {
        let r = reminder()
        try await ledger.plan(journal([r]), at: t0)
        _ = try await ledger.claim([key(r)], at: t0)
        try await ledger.markFailed(key(r), at: t0, retryAt: t0, error: String(repeating: "错", count: 5000))
        #expect(try await ledger.delivery(key(r))?.lastError?.count == LedgerError.maximumStoredText)
    }

    static func acknowledgements(_ ledger: any Ledger) async throws {
        let occurrence = "meeting@1537146000"
        #expect(try await !ledger.isAcknowledged(occurrenceID: occurrence))
        #expect(try await ledger.acknowledge(occurrenceID: occurrence, by: "secretary", uid: 1001, note: "已安排", at: t0))
        #expect(try await !ledger.acknowledge(occurrenceID: occurrence, by: "secretary", uid: 0, note: "again", at: t0 + 5))
        #expect(try await ledger.acknowledge(occurrenceID: occurrence, by: "deputy", uid: nil, note: nil, at: t0 + 10))
        #expect(try await ledger.isAcknowledged(occurrenceID: occurrence))
        #expect(try await ledger.acknowledged(among: [occurrence, "other@1", "meeting@1"]) == [occurrence])
        #expect(try await ledger.acknowledged(among: []).isEmpty)
        let many = Set((0..<1200).map { "visit-\($0)@1" })
        _ = try await ledger.acknowledge(occurrenceID: "visit-777@1", by: "cadre", uid: 7, note: nil, at: t0)
        #expect(try await ledger.acknowledged(among: many) == ["visit-777@1"])
        let acks = try await ledger.acknowledgements(occurrenceID: occurrence)
        #expect(acks.map(\.who) == ["secretary", "deputy"])
        #expect(acks.first?.note == "已安排" && acks.first?.peerUID == 1001 && acks.first?.at == t0)
        #expect(acks.last?.peerUID == nil && acks.last?.note == nil)
    }

    static func retention(_ ledger: any Ledger) async throws {
        let day: TimeInterval = 86_400
        let old = t0 - 100 * day
        let closed = reminder(duty: "inspection", at: old, recipient: "a")
        let failedForGood = reminder(duty: "inspection", at: old, recipient: "b")
        let stillPlanned = reminder(duty: "inspection", at: old, recipient: "c")
        let openOccurrence = reminder(duty: "visit", at: old, kind: .overdue, recipient: "cadre")
        let recent = reminder(duty: "inspection", at: t0 - day, recipient: "d")
        try await ledger.plan(journal([closed, failedForGood, stillPlanned, openOccurrence, recent]), at: old)
        _ = try await ledger.claim([key(closed), key(failedForGood), key(openOccurrence)], at: old)
        try await ledger.markDelivered([key(closed), key(openOccurrence)], at: old)
        try await ledger.markFailed(key(failedForGood), at: old, retryAt: nil, error: "x")
        _ = try await ledger.acknowledge(occurrenceID: "inspection@\(Int(old.timeIntervalSince1970))", by: "a", uid: nil, note: nil, at: old)
        try await ledger.logEvent(actorUID: nil, action: "old", details: [:], at: old)
        try await ledger.logEvent(actorUID: nil, action: "new", details: [:], at: t0)
        let policy = RetentionPolicy(cutoff: t0 - 60 * day, acknowledgedDuties: ["visit"], openSince: old - day)
        let result = try await ledger.prune(policy, shouldContinue: { true })
        #expect(result.deliveries == 2 && result.complete)
        #expect(result.events == 1)
        #expect(try await ledger.delivery(key(closed)) == nil)
        #expect(try await ledger.delivery(key(failedForGood)) == nil)
        #expect(try await ledger.delivery(key(stillPlanned))?.state == .planned)
        #expect(try await ledger.delivery(key(openOccurrence))?.state == .delivered)  // unacknowledged, still open
        #expect(try await ledger.delivery(key(recent))?.state == .planned)
        #expect(try await ledger.events(since: .distantPast, limit: 10).map(\.action) == ["new"])
        #expect(try await ledger.prunedBefore() == policy.cutoff)
        // An earlier cutoff never moves the mark back.
        _ = try await ledger.prune(RetentionPolicy(cutoff: t0 - 90 * day), shouldContinue: { true })
        #expect(try await ledger.prunedBefore() == policy.cutoff)
    }

    static func rankings(_ ledger: any Ledger) async throws {
        #expect(try await ledger.rankings().isEmpty)
        func ranking(_ period: String, _ worst: String, at: Date) -> SubmittedRanking {
            SubmittedRanking(
                ranking: Ranking(period: period, entries: [
                    .init(township: "a", score: 90, position: 1), .init(township: worst, score: 10, position: 2),
                ]),
                submittedAt: at, submittedBy: 0)
        }
        try await ledger.saveRanking(ranking("2018-11", "b", at: t0))
        try await ledger.saveRanking(ranking("2018-10", "c", at: t0))
        try await ledger.saveRanking(ranking("2018-10", "d", at: t0 + 60))
        let stored = try await ledger.rankings()
        #expect(stored.map(\.ranking.period) == ["2018-10", "2018-11"])
        #expect(stored.first?.ranking.entries.last?.township == "d")
        #expect(stored.first?.submittedAt == t0 + 60 && stored.first?.submittedBy == 0)
    }

    static func problems(_ ledger: any Ledger) async throws {
        let first = try await ledger.addProblem(
            NewProblem(township: "tangdan", text: "饮水安全未达标", deadline: t0 + 86_400, responsible: ["x"], createdBy: 0), at: t0)
        let second = try await ledger.addProblem(
            NewProblem(township: "awang", text: "台账未更新", deadline: t0 + 2 * 86_400, responsible: [], createdBy: nil), at: t0 + 1)
        #expect(second.id > first.id)
        #expect(first.isOpen && first.createdAt == t0 && first.responsible == ["x"] && first.createdBy == 0)
        #expect(try await ledger.closeProblem(id: first.id, at: t0 + 5, by: 1000, note: "已整改"))
        #expect(try await !ledger.closeProblem(id: first.id, at: t0 + 6, by: 0, note: nil))
        await expectCode(.notFound) { _ = try await ledger.closeProblem(id: 987_654, at: t0, by: 0, note: nil) }
        let all = try await ledger.problems(township: nil)
        #expect(all.map(\.id) == [first.id, second.id])
        let closed = try #require(all.first)
        #expect(!closed.isOpen && closed.closedAt == t0 + 5 && closed.closedBy == 1000 && closed.closeNote == "已整改")
        #expect(try await ledger.problems(township: "awang").map(\.text) == ["台账未更新"])
        #expect(try await ledger.problems(township: "nowhere").isEmpty)
    }

    static func audit(_ ledger: any Ledger) async throws {
        for i in 0..<5 {
            try await ledger.logEvent(actorUID: i == 0 ? nil : UInt32(i), action: "a\(i)", details: ["n": "\(i)", "名": "值"], at: t0 + Double(i))
        }
        let all = try await ledger.events(since: .distantPast, limit: 100)
        #expect(all.map(\.action) == ["a0", "a1", "a2", "a3", "a4"])
        #expect(all.first?.actorUID == nil && all.last?.actorUID == 4 && all.last?.details == ["n": "4", "名": "值"])
        #expect(try await ledger.events(since: t0 + 2, limit: 100).map(\.action) == ["a2", "a3", "a4"])
        #expect(try await ledger.events(since: .distantPast, limit: 2).map(\.action) == ["a0", "a1"])
    }

    static func identity(_ ledger: any Ledger) async throws {
        let id = try await ledger.ledgerID()
        #expect(!id.isEmpty)
        #expect(try await ledger.ledgerID() == id)
    }

    static func concurrentClaims(_ ledger: any Ledger) async throws {
        let rows = (0..<300).map { reminder(recipient: String(format: "p%03d", $0)) }
        try await ledger.plan(journal(rows), at: t0)
        let keys = rows.map { key($0) }
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for claimer in 0..<8 {
                // Each claimer asks for every row, in its own order and batches.
                let order = claimer % 2 == 0 ? keys : keys.reversed()
                group.addTask {
                    var mine: [String] = []
                    for start in stride(from: 0, to: order.count, by: 25 + claimer) {
                        let batch = Array(order[start..<min(start + 25 + claimer, order.count)])
                        mine += try await ledger.claim(batch, at: t0).map(\.key)
                    }
                    return mine
                }
            }
            var all: [String] = []
            for try await mine in group { all += mine }
            return all
        }
        #expect(claimed.count == rows.count)
        #expect(Set(claimed).count == rows.count)
        #expect(try await ledger.counts()[.delivering] == rows.count)
    }

    static func roundTrip(_ ledger: any Ledger) async throws {
        var r = reminder(kind: .warning, fireAt: t0 - 86_400)
        r.offsetLabel = "1d"
        r.description = "多行\n说明"
        try await ledger.plan([LedgerEntry(r, route: .mail(.sendmail(address: "office@example.org")))], at: t0)
        let row = try #require(try await ledger.delivery(DeliveryKey(key: r.key, channel: "sendmail:office@example.org")))
        #expect(row.reminder == r)
        #expect(row.reminder.recipient.channels == [.mbox(account: "sec"), .sendmail(address: "office@example.org")])
        #expect(DeliveryRoute(row.channel, recipient: row.reminder.recipient) == .mail(.sendmail(address: "office@example.org")))
        let nobody = Reminder(
            dutyID: "orphan", title: "t", occurrence: t0, timeZoneIdentifier: "UTC", fireAt: t0, kind: .due, recipient: .nobody)
        try await ledger.plan(journal([nobody]), at: t0)
        #expect(try await ledger.delivery(key(nobody))?.reminder == nobody)
    }

    // MARK: - Helpers

    /// Expects `body` to throw a `LedgerError` with `code`; returns it.
    @discardableResult
    static func expectCode(
        _ code: LedgerError.Code, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> Void
    ) async -> LedgerError? {
        do {
            try await body()
            Issue.record("expected a ledger error \(code), got none", sourceLocation: sourceLocation)
            return nil
        } catch let error as LedgerError {
            #expect(error.code == code, sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected a ledger error \(code), got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    // MARK: - Changes

    static let meeting = OccurrenceID(duty: "meeting", at: t0)

    static func change(_ action: ChangeAction, by actor: String = "root", uid: UInt32? = 0, note: String? = nil) -> NewOccurrenceChange {
        NewOccurrenceChange(action: action, actorUID: uid, actor: actor, note: note)
    }

    static func changeRoundTrip(_ ledger: any Ledger) async throws {
        #expect(try await ledger.changes().isEmpty)
        let actions: [ChangeAction] = [
            .move(meeting, to: t0 + 2 * 86_400 + 6 * 3600),
            .cancel(meeting),
            .restore(meeting),
            .add(OccurrenceID(duty: "meeting", at: t0 + 86_400)),
            .snooze(meeting, person: "secretary", span: TimeSpan(seconds: 7200)),
            .pause(.township("tangdan"), from: t0, until: t0 + 10 * 86_400),
            .pause(.role("office"), from: t0 + 60, until: t0 + 120),
            .pause(.duty("meeting"), from: t0, until: t0 + 1),
            .resume(.township("tangdan")),
        ]
        var recorded: [OccurrenceChange] = []
        for (i, action) in actions.enumerated() {
            let note: String? = i % 2 == 0 ? "说明 \(i)" : nil
            let uid: UInt32? = i == 3 ? nil : UInt32(1000 + i)
            let made = try await ledger.recordChange(
                change(action, by: "p\(i)", uid: uid, note: note), expectedRevision: nil, at: t0 + Double(i))
            #expect(made.action == action && made.actor == "p\(i)" && made.actorUID == uid && made.note == note)
            #expect(made.recordedAt == t0 + Double(i))
            if let last = recorded.last { #expect(made.id > last.id) }
            recorded.append(made)
        }
        #expect(try await ledger.changes() == recorded)
    }

    static func changeRevisions(_ ledger: any Ledger) async throws {
        let first = try await ledger.recordChange(change(.cancel(meeting)), expectedRevision: 0, at: t0)
        // A stale revision (0: "nobody changed it") is refused; the right one is accepted.
        await #expect(throws: LedgerError.self) {
            try await ledger.recordChange(change(.move(meeting, to: t0 + 3600)), expectedRevision: 0, at: t0 + 1)
        }
        do {
            _ = try await ledger.recordChange(change(.move(meeting, to: t0 + 3600)), expectedRevision: first.id + 99, at: t0 + 1)
            Issue.record("a wrong revision was accepted")
        } catch {
            #expect(error.code == .conflict && error.remedy == .fixRequest)
        }
        #expect(try await ledger.changes().count == 1)
        let second = try await ledger.recordChange(change(.restore(meeting)), expectedRevision: first.id, at: t0 + 2)
        #expect(second.id > first.id)
        // Subjects are separate: another occurrence, a snooze of this one and a pause have revision 0.
        let other = OccurrenceID(duty: "meeting", at: t0 + 86_400)
        _ = try await ledger.recordChange(change(.add(other)), expectedRevision: 0, at: t0 + 3)
        _ = try await ledger.recordChange(
            change(.snooze(meeting, person: "secretary", span: TimeSpan(seconds: 60))), expectedRevision: 0, at: t0 + 4)
        _ = try await ledger.recordChange(change(.pause(.duty("meeting"), from: t0, until: t0 + 60)), expectedRevision: 0, at: t0 + 5)
        // Without an expected revision a change is always recorded.
        _ = try await ledger.recordChange(change(.cancel(meeting)), expectedRevision: nil, at: t0 + 6)
        let all = try await ledger.changes()
        #expect(all.count == 6)
        #expect(OccurrenceChanges(all).revision(of: meeting.description) == all.last?.id)
    }

    static func concurrentChanges(_ ledger: any Ledger) async throws {
        let results = await withTaskGroup(of: Int64?.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let made = try? await ledger.recordChange(
                        change(.move(meeting, to: t0 + Double(i + 1) * 3600), by: "admin\(i)"), expectedRevision: 0,
                        at: t0 + Double(i))
                    return made?.id
                }
            }
            var ids: [Int64] = []
            for await id in group { if let id { ids.append(id) } }
            return ids
        }
        #expect(results.count == 1)
        let stored = try await ledger.changes()
        #expect(stored.map(\.id) == results)
    }

    static func changeNotes(_ ledger: any Ledger) async throws {
        let long = String(repeating: "长", count: NewOccurrenceChange.maximumNoteLength + 10)
        let made = try await ledger.recordChange(change(.cancel(meeting), note: long), expectedRevision: nil, at: t0)
        #expect(made.note?.count == NewOccurrenceChange.maximumNoteLength)
        #expect(try await ledger.changes().first?.note?.count == NewOccurrenceChange.maximumNoteLength)
        // A change notice's reminder keeps its change and its original instant through the ledger.
        var notice = reminder(kind: .changed, fireAt: t0 - 86_400)
        notice.occurrence = t0 + 7200
        notice.originalOccurrence = t0
        notice.offsetLabel = "move-\(made.id)"
        notice.change = ReminderChange(id: made.id, action: "move", previous: t0, note: "改到下午", actor: "root", actorUID: 0)
        try await ledger.plan(journal([notice]), at: t0)
        let row = try #require(try await ledger.delivery(key(notice)))
        #expect(row.reminder == notice)
        #expect(row.occurrenceID == "meeting@\(Int(t0.timeIntervalSince1970))")
        #expect(try await ledger.deliveries(occurrenceID: meeting.description).map(\.key) == [notice.key])
    }
}
