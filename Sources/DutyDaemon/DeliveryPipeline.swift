import DutyCore
import DutySchedules
import DutyJournal
import DutyMail
import DutyStore
import Foundation
import Logging
import Synchronization

/// Turns notices into ledger rows and delivers them, exactly once per (reminder, channel):
///
/// 1. `plan` inserts one ledger row per reminder and channel (`journal`, and `mail` for recipients with a mail
///    channel); inserting is idempotent, so planning the same notice twice (after a backward clock jump or a
///    restart) adds nothing.
/// 2. `deliverDue` claims each due row (state `delivering`), performs the side effect, then marks it delivered,
///    or failed with a retry time (temporary errors, back-off doubling) or for good (permanent errors).
/// 3. A row found in `delivering` (the process died between the side effect and the commit) is reconciled from
///    the channel itself: the journal is asked for an entry with its `DUTY_KEY`, the mailbox for its Message-ID.
///
/// All calls are blocking (SQLite, journald's socket, file locks, fsync); the scheduler runs them off the
/// cooperative pool.
final class DeliveryPipeline: @unchecked Sendable {
    static let journalChannel = "journal"
    static let mailChannel = "mail"

    let store: DutyStore
    let journal: JournalWriter?
    let composer: MailComposer?
    let deliverers: Deliverers
    let configuration: DaemonConfiguration
    let logger: Logger
    /// Whether journal rows left `delivering` may be checked yet (after `synchronizeJournal`).
    private var journalSynchronized = false
    /// Set once by `requestStop()` (graceful shutdown, from another task while a delivery loop may be running).
    private let stopFlag = Atomic<Bool>(false)
    /// The ledger's pruned-before mark: closed rows due before it may be gone, so notices due before it are not
    /// planned again (they were handed out once already; see `DutyStore.prunedBefore()`).
    var prunedBefore: Date?

    struct Deliverers: Sendable {
        var mbox: MboxDeliverer
        var sendmail: SendmailDeliverer
        var hostName: String

        func deliverer(for recipient: Recipient) -> (any MailDeliverer)? {
            switch recipient.channel {
            case .mbox: return mbox
            case .maildir(let path): return MaildirDeliverer(root: path, hostName: hostName)
            case .sendmail: return sendmail
            case .none: return nil
            }
        }
    }

    init(store: DutyStore, configuration: DaemonConfiguration, logger: Logger) throws {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        if configuration.useJournal {
            var writer = JournalWriter()
            writer.ledgerID = try store.ledgerID()
            journal = writer
        } else {
            journal = nil
        }
        if configuration.deliverMail {
            composer = try MailComposer(hostName: configuration.hostName)
        } else {
            composer = nil
        }
        let sender = "dutyd@\(configuration.hostName)"
        var mboxConfiguration = MboxDeliverer.Configuration()
        mboxConfiguration.privateSpool = configuration.privateSpool
        prunedBefore = try store.prunedBefore()
        deliverers = Deliverers(
            mbox: MboxDeliverer(spoolDirectory: configuration.mailSpool, envelopeSender: sender, configuration: mboxConfiguration),
            sendmail: SendmailDeliverer(path: configuration.sendmailPath, sender: sender, timeout: configuration.sendmailTimeout),
            hostName: configuration.hostName)
        if configuration.deliverMail {
            let swept = deliverers.mbox.sweepAbandonedLockFiles()
            if swept > 0 { logger.notice("removed \(swept) abandoned dot-lock file(s) of killed deliverers from the spool") }
        }
    }

    // MARK: - Planning

    /// The reminders of a notice, or one journal-only reminder when the duty reaches nobody.
    static func reminders(for notice: Notice, planner: Planner) -> [Reminder] {
        var reminders = planner.reminders(for: notice)
        if reminders.isEmpty, let duty = planner.schedules.duty(id: notice.dutyID) {
            reminders = [
                Reminder(
                    dutyID: duty.id, title: duty.title, description: duty.description, clause: duty.clause,
                    responsible: duty.responsible.map { planner.schedules.displayName(of: $0) },
                    occurrence: notice.occurrence, timeZoneIdentifier: duty.timeZone.identifier,
                    fireAt: notice.fireAt, kind: notice.kind, offsetLabel: notice.offsetLabel, priority: duty.priority,
                    recipient: Recipient(id: "-", name: "", channel: .none), scheduleFile: duty.location.file)
            ]
        }
        return reminders
    }

    /// Inserts the ledger rows of these notices (and persists the horizon in the same transaction). Overdue and
    /// escalation notices of acknowledged occurrences are dropped here.
    ///
    /// - Returns: false when a stop request came between two transactions: the horizon was not moved, and the
    ///   next start plans the same notices again (inserting adds nothing twice).
    @discardableResult
    func plan(_ notices: [Notice], planner: Planner, horizon: Date, now: Date) throws -> Bool {
        var journalRows: [Reminder] = []
        var mailRows: [Reminder] = []
        var acknowledged: [String: Bool] = [:]
        for notice in notices {
            if let prunedBefore, notice.fireAt < prunedBefore { continue }  // handed out before; its rows may be gone
            let reminders = Self.reminders(for: notice, planner: planner)
            guard let first = reminders.first else { continue }
            if notice.requiresOpenOccurrence {
                let occurrence = first.occurrenceID
                if acknowledged[occurrence] == nil {
                    acknowledged[occurrence] = try store.isAcknowledged(occurrenceID: occurrence)
                }
                if acknowledged[occurrence] == true { continue }
            }
            journalRows.append(contentsOf: reminders)
            if composer != nil {
                mailRows.append(contentsOf: reminders.filter { $0.recipient.channel != .none })
            }
        }
        // In transactions of at most `planChunk` rows, so that a burst (55,166 visits due at once) does not hold
        // the ledger's write lock for seconds while acknowledgements wait. The horizon moves with the last chunk:
        // a crash before it re-plans the same notices, and insert-or-ignore adds nothing twice.
        for chunk in Self.chunks(mailRows) {
            if isStopping { return false }
            try store.planned(Array(chunk), channel: Self.mailChannel, at: now)
        }
        let journalChunks = Self.chunks(journalRows)
        for (index, chunk) in journalChunks.enumerated() {
            if isStopping { return false }
            try store.planned(
                Array(chunk), channel: Self.journalChannel, at: now, horizon: index == journalChunks.count - 1 ? horizon : nil)
        }
        return true
    }

    static let planChunk = 5000

    /// `rows` in slices of `planChunk`; one empty slice for no rows (so the horizon still moves).
    static func chunks(_ rows: [Reminder]) -> [ArraySlice<Reminder>] {
        guard !rows.isEmpty else { return [rows[...]] }
        return stride(from: 0, to: rows.count, by: planChunk).map { rows[$0..<min($0 + planChunk, rows.count)] }
    }

    /// Records notices found too late as missed (one ledger row each, `missed` at once) and writes one summary
    /// journal entry. Rows go in by transactions of `planChunk`; a stop request is checked between them.
    ///
    /// - Returns: false when a stop request cut it short (the caller must not move the horizon past these
    ///   notices; the next start finds them again, and recording twice changes nothing).
    @discardableResult
    func recordMissed(_ notices: [Notice], planner: Planner, now: Date) throws -> Bool {
        var rows: [Reminder] = []
        for notice in notices {
            if let prunedBefore, notice.fireAt < prunedBefore { continue }
            rows.append(contentsOf: Self.reminders(for: notice, planner: planner))
        }
        var count = 0
        for chunk in Self.chunks(rows) where !chunk.isEmpty {
            if isStopping { return false }
            count += try store.recordMissed(
                Array(chunk), channel: Self.journalChannel, at: now, reason: "found after the catch-up window")
        }
        guard count > 0, let first = notices.first, let last = notices.last else { return true }
        let zone = planner.schedules.timeZone
        let text =
            "dutyd missed \(count) reminder(s) of \(Set(notices.map(\.dutyID)).count) duties due between "
            + "\(TimeFormatting.iso8601(first.fireAt, in: zone)) and \(TimeFormatting.iso8601(last.fireAt, in: zone)): "
            + "they fell due more than \(Int(configuration.catchUpWindow))s before it could deliver them"
        logger.warning("\(text)")
        try? journal?.send(fields: [
            JournalField("MESSAGE", text), JournalField("MESSAGE_ID", DutyMessageID.missedSummary),
            JournalField("PRIORITY", "4"), JournalField("SYSLOG_IDENTIFIER", "dutyd"),
            JournalField("DUTY_KIND", ReminderKind.missed.rawValue), JournalField("DUTY_MISSED_COUNT", String(count)),
        ])
        return true
    }

    /// Plans reminders made outside the schedules (an on-demand bulletin) and delivers them at once.
    func deliverNow(_ reminders: [Reminder], now: Date) throws {
        try store.planned(reminders, channel: Self.journalChannel, at: now)
        if composer != nil {
            try store.planned(reminders.filter { $0.recipient.channel != .none }, channel: Self.mailChannel, at: now)
        }
        try deliverDue(now: now)
    }

    // MARK: - Delivering

    /// Makes sure every entry an earlier process sent is stored before rows left `delivering` are checked:
    /// journald handles its socket in order, so once a marker sent now is visible, all earlier entries are too.
    func synchronizeJournal() {
        guard let journal, !journalSynchronized else { return }
        let marker = "sync-\(UUID().uuidString)"
        do {
            try journal.send(fields: [
                JournalField("MESSAGE", "dutyd: checking the journal before reconciling deliveries"),
                JournalField("PRIORITY", "7"), JournalField("SYSLOG_IDENTIFIER", "dutyd"), JournalField("DUTY_KEY", marker),
            ])
            if try journal.waitUntilVisible(key: marker, since: Date(timeIntervalSinceNow: -60), timeout: .seconds(10)) {
                journalSynchronized = true
            }
        } catch {
            logger.warning("journal not readable for reconciliation: \(error)")
        }
    }

    struct Outcome {
        var delivered = 0
        var failed = 0
        var reconciled = 0
        /// The loop stopped for a graceful shutdown before everything due was delivered.
        var interrupted = false
        /// The loop returned when its time budget was spent, with rows still due: call again (after planning
        /// what fell due meanwhile).
        var more = false
    }

    /// Rows claimed (and marked delivered) per transaction by `deliverDue`.
    var batchSize = 500

    /// Asks a running (and every later) `deliverDue` to stop after the reminder in hand (graceful shutdown).
    func requestStop() { stopFlag.store(true, ordering: .relaxed) }

    var isStopping: Bool { stopFlag.load(ordering: .relaxed) }

    /// Delivers every row due by `now`, in batches: a batch is claimed in one transaction (its rows go
    /// `delivering`), each side effect is performed, and the successes are marked delivered in one transaction.
    /// A crash inside a batch leaves its rows `delivering`, which the next start reconciles row by row.
    ///
    /// A stop request (`requestStop()`) is checked before every reminder: the reminders sent are marked delivered,
    /// the rest of the batch is unclaimed (back to `planned`, due at once), and the loop returns, so a catch-up of
    /// any size ends within about one delivery of SIGTERM and the next start delivers the remainder.
    ///
    /// With a `budget`, the loop returns after the first batch that ends past it (so every call delivers at least
    /// one batch), with `more` set when rows may still be due: a backlog of hours of delivery then does not hold up planning. The scheduler plans what fell
    /// due meanwhile and calls again; the rows stay in the ledger in delivery order, so a slow delivery makes
    /// reminders late, never missed.
    @discardableResult
    func deliverDue(now: Date, budget: Duration? = nil) throws -> Outcome {
        var outcome = Outcome()
        var seen = Set<String>()
        let clock = ContinuousClock()
        let deadline = budget.map { clock.now.advanced(by: $0) }
        while !isStopping {
            let rows = try store.pending(dueBy: now, limit: batchSize).filter { !seen.contains($0.key + "\u{1F}" + $0.channel) }
            if rows.isEmpty { break }
            var claimable: [(key: String, channel: String)] = []
            for row in rows {
                seen.insert(row.key + "\u{1F}" + row.channel)
                if row.state == .delivering {
                    if isStopping { break }
                    try reconcileAndDeliver(row, now: now, outcome: &outcome)
                } else {
                    claimable.append((row.key, row.channel))
                }
            }
            if isStopping { break }
            var delivered: [(key: String, channel: String)] = []
            var untouched: [(key: String, channel: String)] = []
            for row in try store.claim(claimable, at: now) {
                if isStopping {
                    untouched.append((row.key, row.channel))
                } else if try attempt(row, now: now, outcome: &outcome) {
                    delivered.append((row.key, row.channel))
                }
            }
            try store.markDelivered(delivered, at: now)
            try store.unclaim(untouched, at: now)
            if let deadline, clock.now >= deadline {
                outcome.more = true
                break
            }
        }
        outcome.interrupted = isStopping
        return outcome
    }

    /// A row left `delivering` by an earlier process: delivered already (the channel says so), or sent again.
    private func reconcileAndDeliver(_ row: Delivery, now: Date, outcome: inout Outcome) throws {
        if row.channel == Self.journalChannel { synchronizeJournal() }
        if alreadyDelivered(row) {
            try store.markDelivered(key: row.key, channel: row.channel, at: now)
            outcome.reconciled += 1
            logger.info("reconciled delivery", metadata: ["delivery.key": "\(row.key)", "delivery.channel": "\(row.channel)"])
            return
        }
        guard let claimed = try store.claim(key: row.key, channel: row.channel, at: now, takeOver: true) else { return }
        if try attempt(claimed, now: now, outcome: &outcome) {
            try store.markDelivered(key: row.key, channel: row.channel, at: now)
        }
    }

    /// Performs the side effect of a claimed row. On failure the row is marked failed (with a retry time for
    /// temporary errors) and false is returned.
    private func attempt(_ row: Delivery, now: Date, outcome: inout Outcome) throws -> Bool {
        do {
            try send(row)
            outcome.delivered += 1
            return true
        } catch let failure as DeliveryFailure {
            outcome.failed += 1
            let retryAt: Date? =
                failure.temporary
                ? now.addingTimeInterval(
                    min(configuration.retryMaximumDelay, configuration.retryInitialDelay * pow(2, Double(max(0, row.attempts - 1)))))
                : nil
            try store.markFailed(key: row.key, channel: row.channel, at: now, retryAt: retryAt, error: failure.message)
            logger.error(
                "delivery failed\(failure.temporary ? ", will retry" : " for good")",
                metadata: [
                    "delivery.key": "\(row.key)", "delivery.channel": "\(row.channel)", "delivery.error": "\(failure.message)",
                ])
            return false
        }
    }

    struct DeliveryFailure: Error {
        var temporary: Bool
        var message: String
    }

    private func send(_ row: Delivery) throws(DeliveryFailure) {
        let reminder = row.reminder
        switch row.channel {
        case Self.journalChannel:
            guard let journal else {
                // Journal disabled: the entry goes to stderr, which systemd also collects.
                FileHandle.standardError.write(Data((JournalWriter().stderrLine(fields: JournalWriter().fields(for: reminder)) + "\n").utf8))
                return
            }
            do {
                try journal.send(reminder)
            } catch {
                // journald unreachable: keep the row and retry; meanwhile say it on stderr.
                journal.writeToStderr(fields: journal.fields(for: reminder))
                throw DeliveryFailure(temporary: true, message: "\(error)")
            }
        case Self.mailChannel:
            guard let composer, let deliverer = deliverers.deliverer(for: reminder.recipient) else { return }
            let message: MailMessage
            do {
                message = try composer.compose(reminder, date: reminder.fireAt)
            } catch {
                throw DeliveryFailure(temporary: false, message: "\(error)")
            }
            do {
                try deliverer.deliver(message, to: reminder.recipient)
            } catch {
                throw DeliveryFailure(temporary: error.isTemporary, message: "\(error)")
            }
        default:
            throw DeliveryFailure(temporary: false, message: "unknown channel \(row.channel)")
        }
    }

    private func alreadyDelivered(_ row: Delivery) -> Bool {
        switch row.channel {
        case Self.journalChannel:
            return journal?.contains(key: row.key, since: Date(timeIntervalSince1970: 0)) ?? false
        case Self.mailChannel:
            guard let composer, let deliverer = deliverers.deliverer(for: row.reminder.recipient) else { return false }
            return deliverer.alreadyDelivered(messageID: composer.messageID(for: row.reminder), to: row.reminder.recipient)
        default:
            return false
        }
    }
}

extension DeliveryPipeline {
    /// One journal entry per schedule error of a failed reload (MESSAGE_ID schedule-error), so `journalctl -x`
    /// explains it.
    func reportScheduleErrors(_ errors: [ScheduleDiagnostic]) {
        for error in errors.prefix(100) {
            try? journal?.send(fields: [
                JournalField("MESSAGE", "schedule error: \(error.description)"),
                JournalField("MESSAGE_ID", DutyMessageID.scheduleError), JournalField("PRIORITY", "3"),
                JournalField("SYSLOG_IDENTIFIER", "dutyd"), JournalField("DUTY_SCHEDULE_FILE", error.location.file),
                JournalField("CODE_LINE", String(error.location.line)),
            ])
        }
    }
}
