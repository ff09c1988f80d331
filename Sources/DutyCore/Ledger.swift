import Foundation

/// The delivery ledger as the daemon sees it: what was planned, what is being delivered, what was delivered, who
/// acknowledged what, the rankings and problems that events recorded, a few meta values and an audit log.
///
/// This is the seam between the daemon and its storage backends, as NIOCore's `Channel` is between NIO and its
/// transports: the SQLite ledger (`DutyStore.SQLiteLedger`) implements it, and so may a PostgreSQL one. Every
/// implementation passes the one conformance suite (`DutyConformance.LedgerConformance`), which is what
/// "a ledger" means here, beyond these doc comments.
///
/// Rules every implementation keeps:
/// - Every method is one transaction (or, for the batch methods, a sequence of transactions that is safe to cut
///   short between any two: see `plan(_:at:horizon:shouldContinue:)`).
/// - No method reads a clock: every instant is passed in (`at now:`), so a simulated clock and a test's hand
///   decide what "now" is.
/// - Blocking work (file I/O, fsync, waits for a database lock, the network) never runs on the caller's thread
///   of the cooperative pool: implementations hand it to a `BlockingExecutor` or use non-blocking I/O.
/// - Errors are `LedgerError`s, typed by what the caller must do (`LedgerError.Remedy`).
///
/// Row states follow `DeliveryState`; a row is identified by a `DeliveryKey` (reminder key and channel).
public protocol Ledger: Sendable {
    // MARK: Planning

    /// Inserts one `planned` row per entry; an existing row (same key and channel) is left untouched whatever its
    /// state, so planning the same window twice adds nothing. Large inputs are written in several transactions
    /// (so a burst does not hold the write lock for seconds); `shouldContinue` is asked between them.
    ///
    /// - Parameter horizon: moved forward (never back) to this instant in the transaction of the last chunk, so
    ///   a crash cannot leave the horizon ahead of the rows it covers.
    /// - Returns: rows inserted, and whether every chunk was written (false: stopped by `shouldContinue`, the
    ///   horizon was not moved).
    func plan(
        _ entries: [LedgerEntry], at now: Date, horizon: Date?, shouldContinue: @escaping @Sendable () -> Bool
    ) async throws(LedgerError) -> LedgerBatchResult

    /// Records entries found too late as `missed`: new rows are inserted as missed; existing rows still planned or
    /// failed with a retry time become missed; delivered, given-up and delivering rows are left alone.
    func recordMissed(
        _ entries: [LedgerEntry], reason: String, at now: Date, shouldContinue: @escaping @Sendable () -> Bool
    ) async throws(LedgerError) -> LedgerBatchResult

    /// The planning horizon: every notice up to it has been handed to the ledger.
    func horizon() async throws(LedgerError) -> Date?
    /// Sets the horizon (forward or back: a backward wall-clock jump pulls it back).
    func resetHorizon(to date: Date) async throws(LedgerError)
    /// Closed rows due before this instant may have been pruned: notices before it are not planned again.
    func prunedBefore() async throws(LedgerError) -> Date?

    // MARK: Delivering

    /// The rows to work on at `dueBy`: every row left `delivering` first (outcome unknown: reconcile), then planned
    /// rows whose fire time and failed rows whose retry time has come, by due time. At most `limit` rows.
    /// Rows due at the same instant come grouped by recipient, then channel, then kind (then key), so that the rows
    /// a mail channel gathers into one digest are next to each other.
    func pending(dueBy: Date, limit: Int) async throws(LedgerError) -> [Delivery]

    /// planned (or failed with a retry time) → delivering for each row, counting the attempt; one transaction.
    /// Returns the rows claimed, in the order given; rows not claimable are left out. Concurrent claimers of the
    /// same row: exactly one gets it.
    func claim(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) -> [Delivery]

    /// Claims a row left `delivering` (after reconciliation found it absent), or a claimable one.
    /// - Returns: nil when the row is closed (delivered, missed, given up).
    /// - Throws: `.unknownDelivery` when there is no such row.
    func takeOver(_ key: DeliveryKey, at now: Date) async throws(LedgerError) -> Delivery?

    /// delivering → delivered for each row (rows in another state are left alone); one transaction.
    func markDelivered(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError)

    /// delivering → failed: with `retryAt` the row is due again then; without, it failed for good.
    /// - Throws: `.unknownDelivery`, `.invalidTransition` (not delivering).
    func markFailed(_ key: DeliveryKey, at now: Date, retryAt: Date?, error: String) async throws(LedgerError)

    /// delivering → planned for rows claimed but not attempted (a stop request): the attempt is not counted and
    /// the row is due at once.
    func unclaim(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError)

    /// Records which message carries each row (a digest's Message-ID for every reminder in it), before the message
    /// is sent, so that a row left `delivering` is reconciled by looking for that message. Rows that do not exist
    /// are ignored; a later call replaces the id. One transaction.
    func recordMessageIDs(_ ids: [DeliveryKey: String], at now: Date) async throws(LedgerError)

    /// The earliest instant a planned or failed row becomes due, if any.
    func nextDueDate() async throws(LedgerError) -> Date?

    // MARK: Reading

    func delivery(_ key: DeliveryKey) async throws(LedgerError) -> Delivery?
    /// Every row of an occurrence (all kinds, recipients and channels), by fire time.
    func deliveries(occurrenceID: String) async throws(LedgerError) -> [Delivery]
    /// Rows per state (every state present, zero when none).
    func counts() async throws(LedgerError) -> [DeliveryState: Int]

    /// Deletes what `policy` lets go (see `RetentionPolicy`), in batches; `shouldContinue` is asked between
    /// them. Records the policy's cutoff as the pruned-before mark.
    func prune(_ policy: RetentionPolicy, shouldContinue: @escaping @Sendable () -> Bool) async throws(LedgerError) -> PruneResult

    // MARK: Acknowledgements

    /// Records that `who` acknowledged an occurrence; idempotent per (occurrence, person), the first one kept.
    /// - Returns: true when this call recorded it.
    func acknowledge(
        occurrenceID: String, by who: String, uid: UInt32?, note: String?, at now: Date
    ) async throws(LedgerError) -> Bool
    /// Which of these occurrences anybody acknowledged.
    func acknowledged(among occurrenceIDs: Set<String>) async throws(LedgerError) -> Set<String>
    /// The acknowledgements of an occurrence, oldest first.
    func acknowledgements(occurrenceID: String) async throws(LedgerError) -> [Acknowledgement]

    // MARK: Events (rankings and the rectification ledger)

    /// Stores a period's ranking, replacing an earlier one of the same period.
    func saveRanking(_ ranking: SubmittedRanking) async throws(LedgerError)
    /// Every stored ranking, by period.
    func rankings() async throws(LedgerError) -> [SubmittedRanking]
    /// Records a problem (its id assigned by the ledger, increasing).
    func addProblem(_ problem: NewProblem, at now: Date) async throws(LedgerError) -> Problem
    /// Closes a problem (销号). - Returns: false when it was closed already. - Throws: `.notFound`.
    func closeProblem(id: Int64, at now: Date, by uid: UInt32?, note: String?) async throws(LedgerError) -> Bool
    /// Problems, open and closed, by id; of one township when given.
    func problems(township: String?) async throws(LedgerError) -> [Problem]

    // MARK: Changes (move, cancel, restore, add, snooze, pause, resume)

    /// Records a change to the plan and returns it with its id (increasing) and `recordedAt = now`. Changes are
    /// never updated or deleted: a restore or a resume is a change of its own, and the history is the audit trail.
    ///
    /// Optimistic concurrency: with `expectedRevision`, the change is recorded only if the latest change of the
    /// same subject (`ChangeAction.subject`) has that id (0: there is none); otherwise nothing is written and
    /// `.conflict` is thrown. The check and the insert are one transaction, so of concurrent callers that
    /// expect the same revision exactly one succeeds. Without it the change is recorded whatever came before.
    func recordChange(
        _ change: NewOccurrenceChange, expectedRevision: Int64?, at now: Date
    ) async throws(LedgerError) -> OccurrenceChange
    /// Every change, by id.
    func changes() async throws(LedgerError) -> [OccurrenceChange]

    // MARK: Audit and identity

    /// Appends a line to the audit log.
    func logEvent(actorUID: UInt32?, action: String, details: [String: String], at now: Date) async throws(LedgerError)
    /// Audit lines from `since`, oldest first, at most `limit`.
    func events(since: Date, limit: Int) async throws(LedgerError) -> [EventLogEntry]
    /// A random id made when the ledger was created; journal entries carry it so reconciliation recognises them.
    func ledgerID() async throws(LedgerError) -> String
}

extension Ledger {
    /// `plan` without a stop check.
    @discardableResult
    public func plan(_ entries: [LedgerEntry], at now: Date, horizon: Date? = nil) async throws(LedgerError) -> Int {
        try await plan(entries, at: now, horizon: horizon, shouldContinue: { true }).count
    }

    /// Whether anybody acknowledged the occurrence.
    public func isAcknowledged(occurrenceID: String) async throws(LedgerError) -> Bool {
        try await !acknowledged(among: [occurrenceID]).isEmpty
    }
}

/// One row to plan: a reminder on one channel route (`DeliveryRoute`).
public struct LedgerEntry: Sendable, Hashable {
    public var reminder: Reminder
    public var route: DeliveryRoute
    /// When the row fires (its `fire_at` and first due time): the reminder's fire time, except for the mail of a
    /// reminder in a daily digest, which waits for its digest slot (`Reminder.digestSlot`).
    public var fireAt: Date

    public init(_ reminder: Reminder, route: DeliveryRoute) {
        self.reminder = reminder
        self.route = route
        if case .mail = route, let slot = reminder.digestSlot, slot > reminder.fireAt {
            fireAt = slot
        } else {
            fireAt = reminder.fireAt
        }
    }

    public var key: DeliveryKey { DeliveryKey(key: reminder.key, channel: route.description) }
}

/// What a batch write did.
public struct LedgerBatchResult: Sendable, Hashable {
    /// Rows inserted or changed.
    public var count: Int
    /// False when `shouldContinue` stopped it between two transactions.
    public var complete: Bool

    public init(count: Int, complete: Bool) {
        self.count = count
        self.complete = complete
    }
}

/// A problem to record in the rectification ledger.
public struct NewProblem: Sendable, Hashable {
    public var township: String
    public var text: String
    public var deadline: Date
    public var responsible: [String]
    public var createdBy: UInt32?

    public init(township: String, text: String, deadline: Date, responsible: [String], createdBy: UInt32?) {
        self.township = township
        self.text = text
        self.deadline = deadline
        self.responsible = responsible
        self.createdBy = createdBy
    }
}

/// The identity of a ledger row: the reminder's key and the channel route it goes through.
public struct DeliveryKey: Sendable, Hashable, CustomStringConvertible {
    /// `Reminder.key`.
    public var key: String
    /// `DeliveryRoute.description` (`journal`, `mbox`, `sendmail:office@example.org`, …).
    public var channel: String

    public init(key: String, channel: String) {
        self.key = key
        self.channel = channel
    }

    public var description: String { "\(key) [\(channel)]" }
}

/// Something that runs blocking work (SQLite, fsync, file locks, a child process, journald's socket) off Swift's
/// cooperative pool. The daemon has exactly one, a thread pool that is a service of its `ServiceGroup`; adapters
/// that block take it in their initialiser.
public protocol BlockingExecutor: Sendable {
    /// Runs `body` on a thread of the executor and returns its result. Throws `CancellationError` when the
    /// executor has shut down.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T
}
