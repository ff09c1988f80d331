import DutyCore
import Foundation
import Logging
import Synchronization

/// Turns notices into ledger rows and delivers them through channels, exactly once per (reminder, route):
///
/// 1. `plan` inserts one ledger row per reminder and route (the journal, and each of the recipient's mail
///    channels); inserting is idempotent, so planning the same notice twice (after a backward clock jump or a
///    restart) adds nothing.
/// 2. `deliverDue` claims due rows (state `delivering`), hands them to their channel, then marks them delivered,
///    or failed with a retry time (temporary failures, `RetryPolicy`) or for good (permanent ones).
/// 3. A row found `delivering` (the process died between the side effect and the commit) is reconciled by its
///    channel: the journal is asked for an entry with its `DUTY_KEY`, a mailbox for its Message-ID.
///
/// The pipeline knows channels only through `ReminderChannel` and the ledger only through `Ledger`: it is tested
/// with in-memory channels and an in-memory SQLite ledger, without a daemon. It is a value owned by the
/// scheduler's loop; its calls are sequential there.
struct DeliveryPipeline: Sendable {
    let ledger: any Ledger
    let channels: ChannelRegistry
    let retry: RetryPolicy
    /// Plan rows for the recipients' mail channels (false: `--no-mail`, the journal only).
    let mail: Bool
    let stop: StopSignal
    let logger: Logger
    /// Rows claimed (and marked delivered) per transaction by `deliverDue`.
    var batchSize = 500
    /// The final check before every side effect (several instances: the lease; one instance: always open).
    var gate: any LeaseGate = OpenLeaseGate()

    init(
        ledger: any Ledger, channels: ChannelRegistry, retry: RetryPolicy, mail: Bool, stop: StopSignal, logger: Logger
    ) {
        self.ledger = ledger
        self.channels = channels
        self.retry = retry
        self.mail = mail
        self.stop = stop
        self.logger = logger
    }

    var isStopping: Bool { stop.isRequested }

    // MARK: - Planning

    /// The ledger entries of reminders: one per route.
    func entries(_ reminders: [Reminder]) -> [LedgerEntry] {
        let journal = channels.serves(.journal)
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(reminders.count * 2)
        for reminder in reminders {
            for route in DeliveryRoute.routes(of: reminder, journal: journal, mail: mail) {
                entries.append(LedgerEntry(reminder, route: route))
            }
        }
        return entries
    }

    /// Inserts the ledger rows of these notices and moves the horizon with the last transaction. Overdue and
    /// escalation notices of acknowledged occurrences are dropped, and so are notices due before the ledger's
    /// pruned-before mark (they were handed out once; their rows may be gone).
    ///
    /// - Returns: false when a stop request came between two transactions: the horizon was not moved, and the
    ///   next start plans the same notices again (inserting adds nothing twice).
    func plan(_ notices: [Notice], planner: Planner, horizon: Date, now: Date, prunedBefore: Date?) async throws(LedgerError)
        -> Bool
    {
        var reminders: [Reminder] = []
        var open: [(Notice, [Reminder])] = []
        for notice in notices {
            if let prunedBefore, notice.fireAt < prunedBefore { continue }
            let made = planner.deliverableReminders(for: notice)
            guard !made.isEmpty else { continue }
            if notice.requiresOpenOccurrence {
                open.append((notice, made))
            } else {
                reminders += made
            }
        }
        if !open.isEmpty {
            let acknowledged = try await ledger.acknowledged(among: Set(open.map { $0.1[0].occurrenceID }))
            for (_, made) in open where !acknowledged.contains(made[0].occurrenceID) { reminders += made }
        }
        let stop = self.stop
        return try await ledger.plan(entries(reminders), at: now, horizon: horizon, shouldContinue: { !stop.isRequested })
            .complete
    }

    /// Records notices found too late as missed (one ledger row per route, `missed` at once) and returns how
    /// many rows that was, or nil when a stop request cut it short (the caller must not move the horizon past
    /// these notices; the next start finds them again, and recording twice changes nothing).
    func recordMissed(_ notices: [Notice], planner: Planner, now: Date, prunedBefore: Date?, catchUpWindow: TimeInterval)
        async throws(LedgerError) -> Int?
    {
        var reminders: [Reminder] = []
        for notice in notices {
            if let prunedBefore, notice.fireAt < prunedBefore { continue }
            reminders += planner.deliverableReminders(for: notice)
        }
        // The journal's rows only: a missed reminder is recorded once, where operators look.
        let rows = reminders.map { LedgerEntry($0, route: .journal) }
        let stop = self.stop
        let result = try await ledger.recordMissed(
            rows, reason: "found after the catch-up window", at: now, shouldContinue: { !stop.isRequested })
        return result.complete ? result.count : nil
    }

    /// Plans reminders made outside the schedules (an on-demand bulletin) and delivers what is due.
    func deliverNow(_ reminders: [Reminder], now: Date) async throws(LedgerError) {
        try await ledger.plan(entries(reminders), at: now)
        _ = try await deliverDue(now: now)
    }

    // MARK: - Delivering

    struct Outcome: Sendable, Equatable {
        var delivered = 0
        var failed = 0
        var reconciled = 0
        /// The loop stopped for a graceful shutdown before everything due was delivered.
        var interrupted = false
        /// The loop returned when its time budget was spent, with rows still due: call again (after planning
        /// what fell due meanwhile).
        var more = false
    }

    /// Delivers every row due by `now`, in batches: a batch is claimed in one transaction (its rows go
    /// `delivering`), handed to the channels, and the successes are marked delivered in one transaction. A crash
    /// inside a batch leaves its rows `delivering`, which the next start reconciles row by row.
    ///
    /// A stop request (`StopSignal`) is checked before each channel call (a channel takes at most its
    /// `batchLimit` envelopes per call: one message for mail, so a stop waits for at most one mailbox): the reminders sent
    /// are marked delivered, the rest of the batch is unclaimed (back to `planned`, due at once), and the loop
    /// returns, so a catch-up of any size ends soon after SIGTERM and the next start delivers the remainder.
    ///
    /// With a `budget`, the loop returns after the first batch that ends past it (every call delivers at least
    /// one batch), with `more` set when rows may still be due: a backlog of hours of delivery then does not hold
    /// up planning. The rows stay in the ledger in delivery order, so a slow delivery makes reminders late, never
    /// missed.
    func deliverDue(now: Date, budget: Duration? = nil) async throws(LedgerError) -> Outcome {
        var outcome = Outcome()
        var seen = Set<DeliveryKey>()
        let clock = ContinuousClock()
        let deadline = budget.map { clock.now.advanced(by: $0) }
        while !isStopping {
            // One row more than a batch, to see whether the batch ends in the middle of a digest's rows.
            let listed = try await ledger.pending(dueBy: now, limit: batchSize + 1)
            let next = listed.count > batchSize ? listed[batchSize] : nil
            let rows = Self.keepingGroupsWhole(listed.prefix(batchSize).filter { !seen.contains($0.deliveryKey) }, next: next)
            if rows.isEmpty { break }
            var claimable: [DeliveryKey] = []
            var taken: [Delivery] = []
            for row in rows {
                seen.insert(row.deliveryKey)
                if row.state == .delivering {
                    if isStopping { break }
                    if let again = try await reconcile(row, now: now, outcome: &outcome) { taken.append(again) }
                } else {
                    claimable.append(row.deliveryKey)
                }
            }
            if isStopping {
                try await ledger.unclaim(taken.map(\.deliveryKey), at: now)
                break
            }
            let claimed = try await ledger.claim(claimable, at: now)
            let (delivered, untouched, refused) = try await send(taken + claimed, now: now, outcome: &outcome)
            try await ledger.markDelivered(delivered, at: now)
            if refused { throw Self.leaseLost }
            try await ledger.unclaim(untouched, at: now)
            if let deadline, clock.now >= deadline {
                outcome.more = true
                break
            }
        }
        outcome.interrupted = isStopping
        return outcome
    }

    /// The rows of a batch to work on: all of them, except that when the row after the batch (`next`) continues
    /// the batch's last group (same recipient, channel, kind and due time) the trailing rows of that group are left
    /// for the next batch, so that the rows a channel gathers into one digest are claimed together
    /// (`Ledger.pending` lists them next to each other). A batch that is one such group is taken whole (a digest
    /// of more than a batch is split).
    static func keepingGroupsWhole(_ rows: [Delivery], next: Delivery?) -> [Delivery] {
        guard let next, let last = rows.last, last.state != .delivering else { return rows }
        func sameGroup(_ row: Delivery) -> Bool {
            row.state != .delivering && row.recipientID == last.recipientID && row.channel == last.channel
                && row.kind == last.kind && row.nextAttemptAt == last.nextAttemptAt
        }
        guard sameGroup(next) else { return rows }
        var cut = rows.count
        while cut > 0 && sameGroup(rows[cut - 1]) { cut -= 1 }
        return cut == 0 ? rows : Array(rows[..<cut])
    }

    /// Hands claimed rows to their channels, grouped by channel in the order of their first row. Each channel
    /// packs its rows into envelopes (`ReminderChannel.envelopes`: one message per reminder, or a digest of
    /// several); the envelopes' Message-IDs are recorded in the ledger (one transaction) before anything is sent,
    /// then each channel gets the deliveries of at most `batchLimit` envelopes per call, with a stop request
    /// checked before each call: for mail that is one message per call, so a stop waits for at most one mailbox
    /// whatever the digests' sizes. The deliveries of one envelope share its outcome and its retry time.
    /// - Returns: the rows delivered, the rows not attempted because of a stop request, and whether the final check
    ///   refused a side effect (the lease is lost: the rows not sent stay `delivering` for the next leader, and
    ///   nothing more is sent).
    private func send(_ claimed: [Delivery], now: Date, outcome: inout Outcome) async throws(LedgerError)
        -> (delivered: [DeliveryKey], untouched: [DeliveryKey], refused: Bool)
    {
        var delivered: [DeliveryKey] = []
        var untouched: [DeliveryKey] = []
        var refused = false
        var groups: [(channel: any ReminderChannel, rows: [(Delivery, ChannelDelivery)])] = []
        var index: [ChannelKind: Int] = [:]
        for row in claimed {
            guard let (channel, delivery) = resolve(row) else {
                try await recordUnroutable(row, now: now, outcome: &outcome)
                continue
            }
            if let i = index[channel.kind] {
                groups[i].rows.append((row, delivery))
            } else {
                index[channel.kind] = groups.count
                groups.append((channel, [(row, delivery)]))
            }
        }
        var packed: [(channel: any ReminderChannel, envelopes: [[(Delivery, ChannelDelivery)]])] = []
        var carriers: [DeliveryKey: String] = [:]
        for group in groups {
            var envelopes: [[(Delivery, ChannelDelivery)]] = []
            for envelope in group.channel.envelopes(group.rows.map(\.1)) {
                let members = envelope.members.filter(group.rows.indices.contains).map { index in
                    var member = group.rows[index]
                    member.1.messageID = envelope.messageID ?? member.1.messageID
                    return member
                }
                guard !members.isEmpty else { continue }
                if let id = envelope.messageID {
                    for (row, _) in members where row.messageID != id { carriers[row.deliveryKey] = id }
                }
                envelopes.append(members)
            }
            packed.append((group.channel, envelopes))
        }
        // Before the side effects: a row found `delivering` after a crash is looked for in its carrier.
        try await ledger.recordMessageIDs(carriers, at: now)
        for (channel, envelopes) in packed {
            let limit = max(1, channel.batchLimit)
            var start = 0
            while start < envelopes.count {
                let slice = envelopes[start..<min(start + limit, envelopes.count)]
                start += slice.count
                if refused { continue }
                if isStopping {
                    untouched += slice.flatMap { $0.map { $0.0.deliveryKey } }
                    continue
                }
                // The final check, per message: once it refuses, nothing more of the batch is attempted.
                if !gate.mayAct(), !(await gate.refresh()) {
                    refused = true
                    continue
                }
                let results = await channel.deliver(slice.flatMap { $0.map(\.1) }, gate: gate)
                var index = 0
                for envelope in slice {
                    // One retry time for the whole envelope (its most-tried row's), so a digest is retried whole.
                    let attempts = envelope.map(\.0.attempts).max() ?? 0
                    for (row, _) in envelope {
                        let result = index < results.count ? results[index] : Self.missingOutcome
                        index += 1
                        if result.isLeaseRefusal {
                            // Not attempted: the row stays `delivering` for the next leader's reconciliation.
                            refused = true
                            continue
                        }
                        if try await record(result, of: row, now: now, attempts: attempts, outcome: &outcome) {
                            delivered.append(row.deliveryKey)
                        }
                    }
                }
            }
        }
        return (delivered, untouched, refused)
    }

    /// The final check refused a side effect and a renewal did not help: this instance stops leading.
    static let leaseLost = LedgerError(code: .fenced, message: "the lease view is stale: not delivering any more")

    static let missingOutcome = ChannelOutcome.temporaryFailure(
        ChannelFailure(code: "channel.outcome", message: "the channel returned no outcome for this delivery"), retryAfter: nil)

    /// A row left `delivering` by an earlier process: delivered already (its channel finds it, in the message the
    /// ledger says carries it), or taken over and returned, to be sent again with the batch (so the rows of a
    /// digest interrupted by a crash go out together again, behind the same final check as the rest).
    private func reconcile(_ row: Delivery, now: Date, outcome: inout Outcome) async throws(LedgerError) -> Delivery? {
        guard let (channel, delivery) = resolve(row) else {
            guard let taken = try await ledger.takeOver(row.deliveryKey, at: now) else { return nil }
            try await recordUnroutable(taken, now: now, outcome: &outcome)
            return nil
        }
        if await channel.reconcile(delivery) == .alreadyThere {
            try await ledger.markDelivered([row.deliveryKey], at: now)
            outcome.reconciled += 1
            logger.info("reconciled delivery", metadata: ["delivery.key": "\(row.key)", "delivery.channel": "\(row.channel)"])
            return nil
        }
        guard let taken = try await ledger.takeOver(row.deliveryKey, at: now) else { return nil }
        if !row.claimedBy.isEmpty, channel.kind == .journal, Set(row.claimedBy).subtracting(taken.claimedBy.suffix(1)).count > 0 {
            // Claimed before on another host, whose journal this one cannot read: at least once (lease-protocol 3.8).
            logger.notice(
                "re-sending a journal reminder another host had claimed: a copy may be in that host's journal",
                metadata: ["delivery.key": "\(row.key)", "delivery.claimed_by": "\(row.claimedBy.joined(separator: ","))"])
        }
        return taken
    }

    /// The channel and delivery of a row, or nil when its route names no channel of this daemon.
    private func resolve(_ row: Delivery) -> (any ReminderChannel, ChannelDelivery)? {
        guard let route = DeliveryRoute(row.channel, recipient: row.reminder.recipient),
            let channel = channels[route.kind]
        else { return nil }
        return (channel, ChannelDelivery(reminder: row.reminder, route: route, attempt: row.attempts, messageID: row.messageID))
    }

    /// A claimed row whose route this daemon cannot serve (mail rows after a restart with `--no-mail`, a route
    /// of a newer dutyd): failed for good, said once in the log and kept in the ledger for `dutyctl show`.
    private func recordUnroutable(_ row: Delivery, now: Date, outcome: inout Outcome) async throws(LedgerError) {
        let failure = ChannelFailure(
            code: "route", message: "no channel for route '\(row.channel)' in this daemon (mail turned off?)")
        _ = try await record(.permanentFailure(failure), of: row, now: now, outcome: &outcome)
    }

    /// Records a channel's outcome for a claimed row; true when it was delivered (the caller marks it). A temporary
    /// failure is retried after `attempts` (the row's own, or its envelope's most-tried row's).
    private func record(
        _ result: ChannelOutcome, of row: Delivery, now: Date, attempts: Int? = nil, outcome: inout Outcome
    ) async throws(LedgerError) -> Bool {
        switch result {
        case .delivered:
            outcome.delivered += 1
            return true
        case .temporaryFailure(let failure, let hint):
            outcome.failed += 1
            try await ledger.markFailed(
                row.deliveryKey, at: now, retryAt: retry.retryAt(now: now, afterAttempt: attempts ?? row.attempts, hint: hint),
                error: failure.message)
            log(failure, of: row, temporary: true)
            return false
        case .permanentFailure(let failure):
            outcome.failed += 1
            try await ledger.markFailed(row.deliveryKey, at: now, retryAt: nil, error: failure.message)
            log(failure, of: row, temporary: false)
            return false
        }
    }

    private func log(_ failure: ChannelFailure, of row: Delivery, temporary: Bool) {
        logger.error(
            "delivery failed\(temporary ? ", will retry" : " for good")",
            metadata: [
                "delivery.key": "\(row.key)", "delivery.channel": "\(row.channel)", "delivery.error": "\(failure)",
            ])
    }
}

/// The channels of a daemon, by kind: the pipeline looks a row's route up here and never switches on names.
struct ChannelRegistry: Sendable {
    private var byKind: [ChannelKind: any ReminderChannel] = [:]

    init(_ channels: [any ReminderChannel]) {
        for channel in channels { byKind[channel.kind] = channel }
    }

    subscript(kind: ChannelKind) -> (any ReminderChannel)? { byKind[kind] }

    func serves(_ kind: ChannelKind) -> Bool { byKind[kind] != nil }

    var kinds: [ChannelKind] { byKind.keys.sorted { $0.name < $1.name } }
}

/// A graceful-shutdown request, set once from the shutdown handler and read by the scheduler's loop and the
/// ledger's batch writes between transactions.
final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    func request() { flag.store(true, ordering: .relaxed) }
    var isRequested: Bool { flag.load(ordering: .relaxed) }
}
