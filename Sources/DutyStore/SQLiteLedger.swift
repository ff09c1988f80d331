import DutyCore
import Foundation

/// The `Ledger` in SQLite: `DutyStore` (GRDB, synchronous, one transaction per call) run on the daemon's
/// `BlockingExecutor`, so that SQLite's file I/O, fsync and waits for the write lock never hold a thread of
/// Swift's cooperative pool.
///
/// Batch writes are cut into transactions of `chunkSize` rows: a burst of 55,166 visit reminders must not hold
/// SQLite's single write lock for seconds while an acknowledgement waits for it.
public final class SQLiteLedger: Ledger {
    public let store: DutyStore
    let executor: any BlockingExecutor
    /// Rows per transaction of `plan` and `recordMissed`.
    public let chunkSize: Int

    public init(store: DutyStore, executor: any BlockingExecutor, chunkSize: Int = 5000) {
        self.store = store
        self.executor = executor
        self.chunkSize = max(1, chunkSize)
    }

    /// Runs one store call on the executor, translating its errors.
    private func call<T: Sendable>(
        _ body: @escaping @Sendable (DutyStore) throws(StoreError) -> T
    ) async throws(LedgerError) -> T {
        let store = self.store
        do {
            return try await executor.run { try body(store) }
        } catch let error as StoreError {
            throw LedgerError(error)
        } catch is CancellationError {
            throw LedgerError(code: .shutDown, message: "the ledger's executor has shut down")
        } catch {
            throw LedgerError(code: .database, message: "ledger call failed", underlying: SendableDescription(error))
        }
    }

    // MARK: Planning

    public func plan(
        _ entries: [LedgerEntry], at now: Date, horizon: Date?, shouldContinue: @escaping @Sendable () -> Bool
    ) async throws(LedgerError) -> LedgerBatchResult {
        let chunks = Self.chunks(entries, size: chunkSize)
        var count = 0
        for (index, chunk) in chunks.enumerated() {
            if !shouldContinue() { return LedgerBatchResult(count: count, complete: false) }
            let last = index == chunks.count - 1
            count += try await call { store throws(StoreError) in
                try store.planned(chunk, at: now, horizon: last ? horizon : nil)
            }
        }
        return LedgerBatchResult(count: count, complete: true)
    }

    public func recordMissed(
        _ entries: [LedgerEntry], reason: String, at now: Date, shouldContinue: @escaping @Sendable () -> Bool
    ) async throws(LedgerError) -> LedgerBatchResult {
        var count = 0
        for chunk in Self.chunks(entries, size: chunkSize) where !chunk.isEmpty {
            if !shouldContinue() { return LedgerBatchResult(count: count, complete: false) }
            count += try await call { store throws(StoreError) in try store.recordMissed(chunk, at: now, reason: reason) }
        }
        return LedgerBatchResult(count: count, complete: true)
    }

    /// `entries` in slices of `size`; one empty slice for no entries (so the horizon still moves).
    static func chunks(_ entries: [LedgerEntry], size: Int) -> [[LedgerEntry]] {
        guard !entries.isEmpty else { return [[]] }
        return stride(from: 0, to: entries.count, by: size).map { Array(entries[$0..<min($0 + size, entries.count)]) }
    }

    public func horizon() async throws(LedgerError) -> Date? {
        try await call { store throws(StoreError) in try store.horizon() }
    }

    public func resetHorizon(to date: Date) async throws(LedgerError) {
        try await call { store throws(StoreError) in try store.resetHorizon(to: date) }
    }

    public func prunedBefore() async throws(LedgerError) -> Date? {
        try await call { store throws(StoreError) in try store.prunedBefore() }
    }

    // MARK: Delivering

    public func pending(dueBy: Date, limit: Int) async throws(LedgerError) -> [Delivery] {
        try await call { store throws(StoreError) in try store.pending(dueBy: dueBy, limit: limit) }
    }

    public func claim(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) -> [Delivery] {
        guard !keys.isEmpty else { return [] }
        return try await call { store throws(StoreError) in try store.claim(keys, at: now) }
    }

    public func takeOver(_ key: DeliveryKey, at now: Date) async throws(LedgerError) -> Delivery? {
        try await call { store throws(StoreError) in try store.claim(key, at: now, takeOver: true) }
    }

    public func markDelivered(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) {
        guard !keys.isEmpty else { return }
        try await call { store throws(StoreError) in try store.markDelivered(keys, at: now) }
    }

    public func markFailed(_ key: DeliveryKey, at now: Date, retryAt: Date?, error: String) async throws(LedgerError) {
        try await call { store throws(StoreError) in try store.markFailed(key, at: now, retryAt: retryAt, error: error) }
    }

    public func unclaim(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) {
        guard !keys.isEmpty else { return }
        try await call { store throws(StoreError) in try store.unclaim(keys, at: now) }
    }

    public func recordMessageIDs(_ ids: [DeliveryKey: String], at now: Date) async throws(LedgerError) {
        guard !ids.isEmpty else { return }
        try await call { store throws(StoreError) in try store.recordMessageIDs(ids, at: now) }
    }

    public func nextDueDate() async throws(LedgerError) -> Date? {
        try await call { store throws(StoreError) in try store.nextDueDate() }
    }

    // MARK: Reading

    public func delivery(_ key: DeliveryKey) async throws(LedgerError) -> Delivery? {
        try await call { store throws(StoreError) in try store.delivery(key) }
    }

    public func deliveries(occurrenceID: String) async throws(LedgerError) -> [Delivery] {
        try await call { store throws(StoreError) in try store.deliveries(occurrenceID: occurrenceID) }
    }

    public func counts() async throws(LedgerError) -> [DeliveryState: Int] {
        try await call { store throws(StoreError) in try store.counts() }
    }

    public func prune(_ policy: RetentionPolicy, shouldContinue: @escaping @Sendable () -> Bool) async throws(LedgerError)
        -> PruneResult
    {
        try await call { store throws(StoreError) in try store.prune(policy, shouldContinue: shouldContinue) }
    }

    // MARK: Acknowledgements

    public func acknowledge(
        occurrenceID: String, by who: String, uid: UInt32?, note: String?, at now: Date
    ) async throws(LedgerError) -> Bool {
        try await call { store throws(StoreError) in
            try store.acknowledge(occurrenceID: occurrenceID, by: who, uid: uid, note: note, at: now)
        }
    }

    public func acknowledged(among occurrenceIDs: Set<String>) async throws(LedgerError) -> Set<String> {
        guard !occurrenceIDs.isEmpty else { return [] }
        return try await call { store throws(StoreError) in try store.acknowledged(among: occurrenceIDs) }
    }

    public func acknowledgements(occurrenceID: String) async throws(LedgerError) -> [Acknowledgement] {
        try await call { store throws(StoreError) in try store.acknowledgements(occurrenceID: occurrenceID) }
    }

    // MARK: Events

    public func saveRanking(_ ranking: SubmittedRanking) async throws(LedgerError) {
        try await call { store throws(StoreError) in try store.saveRanking(ranking) }
    }

    public func rankings() async throws(LedgerError) -> [SubmittedRanking] {
        try await call { store throws(StoreError) in try store.rankings() }
    }

    public func addProblem(_ problem: NewProblem, at now: Date) async throws(LedgerError) -> Problem {
        try await call { store throws(StoreError) in
            try store.addProblem(
                township: problem.township, text: problem.text, deadline: problem.deadline,
                responsible: problem.responsible, at: now, by: problem.createdBy)
        }
    }

    public func closeProblem(id: Int64, at now: Date, by uid: UInt32?, note: String?) async throws(LedgerError) -> Bool {
        try await call { store throws(StoreError) in try store.closeProblem(id: id, at: now, by: uid, note: note) }
    }

    public func problems(township: String?) async throws(LedgerError) -> [Problem] {
        try await call { store throws(StoreError) in try store.problems(township: township) }
    }

    // MARK: Changes

    public func recordChange(
        _ change: NewOccurrenceChange, expectedRevision: Int64?, at now: Date
    ) async throws(LedgerError) -> OccurrenceChange {
        try await call { store throws(StoreError) in try store.recordChange(change, expectedRevision: expectedRevision, at: now) }
    }

    public func changes() async throws(LedgerError) -> [OccurrenceChange] {
        try await call { store throws(StoreError) in try store.changes() }
    }

    // MARK: Audit and identity

    public func logEvent(
        actorUID: UInt32?, action: String, details: [String: String], at now: Date
    ) async throws(LedgerError) {
        _ = try await call { store throws(StoreError) in
            try store.logEvent(actorUID: actorUID, action: action, details: details, at: now)
        }
    }

    public func events(since: Date, limit: Int) async throws(LedgerError) -> [EventLogEntry] {
        try await call { store throws(StoreError) in try store.events(since: since, limit: limit) }
    }

    public func ledgerID() async throws(LedgerError) -> String {
        try await call { store throws(StoreError) in try store.ledgerID() }
    }
}

extension LedgerError {
    /// The seam's form of a store error: the same code where the seam has one, the store error kept as the cause.
    public init(_ error: StoreError) {
        let code: LedgerError.Code =
            switch error.code {
            case .cannotOpen: .cannotOpen
            case .notADatabase: .notADatabase
            case .corrupt: .corrupt
            case .foreignDatabase: .foreignDatabase
            case .newerSchema: .newerSchema
            case .migrationFailed: .migrationFailed
            case .busy: .busy
            case .readOnly: .readOnly
            case .io: .io
            case .constraint: .constraint
            case .unknownDelivery: .unknownDelivery
            case .invalidTransition: .invalidTransition
            case .notFound: .notFound
            case .conflict: .conflict
            case .invalidData: .invalidData
            default: .database
            }
        self.init(code: code, message: error.message, underlying: error, file: error.file, line: error.line)
    }
}

/// An error that is not `Sendable`, kept as its text.
struct SendableDescription: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = "\(error)" }
}
