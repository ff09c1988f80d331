import DutyCore
import Foundation
import GRDB

extension DutyStore {
    /// Records entries (a reminder on a channel route) as planned; rows that exist already (same key and channel)
    /// are left untouched, whatever their state, so planning the same window twice is harmless.
    ///
    /// - Parameter horizon: when given, the planning horizon is advanced to it in the same transaction (see
    ///   `advanceHorizon(to:)`), so a crash cannot leave the horizon ahead of the rows it covers.
    /// - Returns: the number of rows inserted.
    @discardableResult
    public func planned(_ entries: [LedgerEntry], at now: Date, horizon: Date? = nil) throws(StoreError) -> Int {
        let payloads = try Self.payloads(of: entries.map(\.reminder))
        return try write("plan deliveries") { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO delivery (key, channel, duty_id, occurrence_id, kind, recipient_id, fire_at, state,
                        attempts, next_attempt_at, reminder, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', 0, ?, ?, ?, ?)
                    ON CONFLICT (key, channel) DO NOTHING
                    """)
            var inserted = 0
            for (entry, payload) in zip(entries, payloads) {
                let reminder = entry.reminder
                try statement.execute(arguments: [
                    reminder.key, entry.route.description, reminder.dutyID, reminder.occurrenceID, reminder.kind.rawValue,
                    reminder.recipient.id, entry.fireAt, entry.fireAt, payload, now, now,
                ])
                inserted += db.changesCount
            }
            if let horizon { _ = try Self.advanceHorizon(db, to: horizon) }
            return inserted
        }
    }

    /// Records reminders found too late (after the catch-up window) as `missed` on `channel`, in one transaction:
    /// a new row is inserted as `missed` directly; an existing row still `planned` or `failed` with a retry time
    /// becomes `missed`; a row delivered, missed, given up or being delivered (its outcome is for reconciliation to find) is left
    /// alone. Recording the same reminders twice (a restart before the horizon moved) changes nothing.
    ///
    /// - Returns: the number of rows inserted or changed to `missed`.
    @discardableResult
    public func recordMissed(_ entries: [LedgerEntry], at now: Date, reason: String) throws(StoreError) -> Int {
        let payloads = try Self.payloads(of: entries.map(\.reminder))
        let storedReason = String(reason.prefix(LedgerError.maximumStoredText))
        return try write("record missed") { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO delivery (key, channel, duty_id, occurrence_id, kind, recipient_id, fire_at, state,
                        attempts, next_attempt_at, reminder, last_error, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'missed', 0, NULL, ?, ?, ?, ?)
                    ON CONFLICT (key, channel) DO UPDATE SET state = 'missed', next_attempt_at = NULL,
                        last_error = excluded.last_error, updated_at = excluded.updated_at
                    WHERE delivery.state = 'planned' OR (delivery.state = 'failed' AND delivery.next_attempt_at IS NOT NULL)
                    """)
            var changed = 0
            for (entry, payload) in zip(entries, payloads) {
                let reminder = entry.reminder
                try statement.execute(arguments: [
                    reminder.key, entry.route.description, reminder.dutyID, reminder.occurrenceID, reminder.kind.rawValue,
                    reminder.recipient.id, entry.fireAt, payload, storedReason, now, now,
                ])
                changed += db.changesCount
            }
            return changed
        }
    }

    /// Marks a row `delivering` before the side effect and counts the attempt. Claimable: planned rows, and failed
    /// rows with a retry time; with `takeOver`, also rows already `delivering` (after reconciliation decided to
    /// redeliver). The row is claimed even before its due time: the caller decides when.
    ///
    /// - Returns: the claimed row, or nil when it is not claimable (delivered, missed, given up, or being
    ///   delivered).
    /// - Throws: `.unknownDelivery` when there is no such row.
    @discardableResult
    public func claim(_ row: DeliveryKey, at now: Date, takeOver: Bool = false) throws(StoreError) -> Delivery? {
        let (key, channel) = (row.key, row.channel)
        return try write("claim delivery") { db in
            try db.execute(
                sql: """
                    UPDATE delivery SET state = 'delivering', attempts = attempts + 1, next_attempt_at = NULL,
                        updated_at = ?
                    WHERE key = ? AND channel = ?
                      AND (state = 'planned' OR (state = 'failed' AND next_attempt_at IS NOT NULL)
                           OR (state = 'delivering' AND ?))
                    """,
                arguments: [now, key, channel, takeOver])
            let claimed = db.changesCount > 0
            guard let row = try Self.fetchDelivery(db, key: key, channel: channel) else {
                throw StoreError(code: .unknownDelivery, message: "claim delivery: no such ledger row")
            }
            return claimed ? row : nil
        }
    }

    /// Claims many rows in one transaction (planned rows, and failed rows with a retry time): one commit instead
    /// of one per row, which is what bounds a burst. Returns the rows claimed, in the order given.
    public func claim(_ rows: [DeliveryKey], at now: Date) throws(StoreError) -> [Delivery] {
        guard !rows.isEmpty else { return [] }
        return try write("claim deliveries") { db in
            let update = try db.makeStatement(
                sql: """
                    UPDATE delivery SET state = 'delivering', attempts = attempts + 1, next_attempt_at = NULL,
                        updated_at = ?
                    WHERE key = ? AND channel = ?
                      AND (state = 'planned' OR (state = 'failed' AND next_attempt_at IS NOT NULL))
                    """)
            var claimed: [Delivery] = []
            for row in rows {
                try update.execute(arguments: [now, row.key, row.channel])
                if db.changesCount > 0, let delivery = try Self.fetchDelivery(db, key: row.key, channel: row.channel) {
                    claimed.append(delivery)
                }
            }
            return claimed
        }
    }

    /// delivering → delivered for many rows in one transaction; rows in another state are left alone.
    public func markDelivered(_ rows: [DeliveryKey], at now: Date) throws(StoreError) {
        guard !rows.isEmpty else { return }
        try write("mark delivered") { db in
            let update = try db.makeStatement(
                sql: """
                    UPDATE delivery SET state = 'delivered', next_attempt_at = NULL, updated_at = ?
                    WHERE key = ? AND channel = ? AND state = 'delivering'
                    """)
            for row in rows { try update.execute(arguments: [now, row.key, row.channel]) }
        }
    }

    /// delivering → planned again for rows claimed but not attempted (the daemon is stopping): the attempt is not
    /// counted and the row is due at once (at its fire time), so the next start delivers it like any other.
    public func unclaim(_ rows: [DeliveryKey], at now: Date) throws(StoreError) {
        guard !rows.isEmpty else { return }
        try write("unclaim deliveries") { db in
            let update = try db.makeStatement(
                sql: """
                    UPDATE delivery SET state = 'planned', attempts = MAX(0, attempts - 1), next_attempt_at = fire_at,
                        updated_at = ?
                    WHERE key = ? AND channel = ? AND state = 'delivering'
                    """)
            for row in rows { try update.execute(arguments: [now, row.key, row.channel]) }
        }
    }

    /// Records the Message-ID of the message that carries each row (a digest's for its reminders), in one
    /// transaction; unknown rows are ignored.
    public func recordMessageIDs(_ ids: [DeliveryKey: String], at now: Date) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write("record message ids") { db in
            let update = try db.makeStatement(
                sql: "UPDATE delivery SET message_id = ?, updated_at = ? WHERE key = ? AND channel = ?")
            for (row, id) in ids.sorted(by: { ($0.key.key, $0.key.channel) < ($1.key.key, $1.key.channel) }) {
                try update.execute(arguments: [String(id.prefix(LedgerError.maximumStoredText)), now, row.key, row.channel])
            }
        }
    }

    /// delivering → delivered.
    public func markDelivered(_ row: DeliveryKey, at now: Date) throws(StoreError) {
        try transition(
            "mark delivered", key: row.key, channel: row.channel, from: [.delivering], to: .delivered, at: now,
            error: nil, nextAttemptAt: nil)
    }

    /// delivering → failed. With a `retryAt` the row comes back in `pending(dueBy:)` from then on; without one it
    /// has failed for good.
    public func markFailed(_ row: DeliveryKey, at now: Date, retryAt: Date?, error: String) throws(StoreError) {
        try transition(
            "mark failed", key: row.key, channel: row.channel, from: [.delivering], to: .failed, at: now,
            error: error, nextAttemptAt: retryAt)
    }

    /// planned, failed or delivering → missed (e.g. found too late after downtime, or its occurrence was
    /// acknowledged before it fired).
    public func markMissed(_ row: DeliveryKey, at now: Date, reason: String? = nil) throws(StoreError) {
        try transition(
            "mark missed", key: row.key, channel: row.channel, from: [.planned, .failed, .delivering], to: .missed, at: now,
            error: reason, nextAttemptAt: nil)
    }

    private func transition(
        _ operation: String, key: String, channel: String, from allowed: Set<DeliveryState>, to target: DeliveryState,
        at now: Date, error: String?, nextAttemptAt: Date?
    ) throws(StoreError) {
        let storedError = error.map { String($0.prefix(LedgerError.maximumStoredText)) }
        try write(operation) { db in
            guard let current = try DeliveryState.fetchState(db, key: key, channel: channel) else {
                throw StoreError(code: .unknownDelivery, message: "\(operation): no such ledger row")
            }
            guard allowed.contains(current) else {
                throw StoreError(
                    code: .invalidTransition, message: "\(operation): not allowed from state \(current.rawValue)")
            }
            try db.execute(
                sql: """
                    UPDATE delivery SET state = ?, last_error = COALESCE(?, last_error), next_attempt_at = ?,
                        updated_at = ?
                    WHERE key = ? AND channel = ?
                    """,
                arguments: [target.rawValue, storedError, nextAttemptAt, now, key, channel])
        }
    }

    /// The rows to work on at `dueBy`: planned rows whose fire time has come, failed rows whose retry time has
    /// come, and every row left `delivering` (outcome unknown: reconcile before redelivering). Rows in
    /// `delivering` come first, then by due time.
    public func pending(dueBy: Date, limit: Int = 1000) throws(StoreError) -> [Delivery] {
        let limit = max(0, limit)
        return try read("list pending deliveries") { db in
            // Three index walks (`delivery_due_group`), each stopping after `limit` rows, merged here: a single
            // query with an OR and a computed sort key made SQLite sort every due row, so a batch of 500 out of a
            // backlog of 100,000 cost seconds. Ties of due time go by recipient, channel and kind, so the rows of
            // one digest are next to each other.
            let delivering = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM delivery INDEXED BY delivery_due_group WHERE state = 'delivering'
                    ORDER BY state, next_attempt_at, recipient_id, channel, kind, key LIMIT ?
                    """,
                arguments: [limit]
            ).map(Delivery.init(row:))
            var due: [Delivery] = []
            for state in ["planned", "failed"] {
                due += try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM delivery INDEXED BY delivery_due_group
                        WHERE state = ? AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?
                        ORDER BY state, next_attempt_at, recipient_id, channel, kind, key LIMIT ?
                        """,
                    arguments: [state, dueBy, max(0, limit - delivering.count)]
                ).map(Delivery.init(row:))
            }
            due.sort { a, b in
                (a.nextAttemptAt ?? .distantPast, a.recipientID, a.channel, a.kind.rawValue, a.key)
                    < (b.nextAttemptAt ?? .distantPast, b.recipientID, b.channel, b.kind.rawValue, b.key)
            }
            return Array((delivering + due).prefix(limit))
        }
    }

    /// The earliest time a planned or failed row becomes due, if any: what the scheduler sleeps until.
    public func nextDueDate() throws(StoreError) -> Date? {
        try read("find next due delivery") { db in
            try Date.fetchOne(
                db,
                sql: """
                    SELECT MIN(next_attempt_at) FROM delivery
                    WHERE state IN ('planned', 'failed') AND next_attempt_at IS NOT NULL
                    """)
        }
    }

    /// One row, if it exists.
    public func delivery(_ row: DeliveryKey) throws(StoreError) -> Delivery? {
        try read("fetch delivery") { db in try Self.fetchDelivery(db, key: row.key, channel: row.channel) }
    }

    /// All rows of an occurrence, every kind, recipient and channel.
    public func deliveries(occurrenceID: String) throws(StoreError) -> [Delivery] {
        try read("fetch deliveries of occurrence") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM delivery WHERE occurrence_id = ? ORDER BY fire_at, key, channel",
                arguments: [occurrenceID]
            ).map(Delivery.init(row:))
        }
    }

    /// The number of rows in each state (every state present, zero when empty).
    public func counts() throws(StoreError) -> [DeliveryState: Int] {
        try read("count deliveries") { db in
            var counts = Dictionary(uniqueKeysWithValues: DeliveryState.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM delivery GROUP BY state") {
                let name: String = row["state"]
                guard let state = DeliveryState(rawValue: name) else {
                    throw StoreError(code: .invalidData, message: "count deliveries: unknown state")
                }
                counts[state] = row["n"]
            }
            return counts
        }
    }

    /// Deletes what is old and closed: delivered and missed rows, failed rows without retry, acknowledgements
    /// whose occurrence has no open row, and audit lines, all last touched before `cutoff`. Planned, delivering and
    /// retrying rows are kept however old they are. The same as `prune(_:)` with a policy that keeps no open
    /// occurrences beyond those.
    @discardableResult
    public func prune(olderThan cutoff: Date) throws(StoreError) -> PruneResult {
        try prune(RetentionPolicy(cutoff: cutoff))
    }

    /// Deletes what `policy` lets go, looking at `batchSize` ledger rows per transaction (so that a large prune
    /// neither holds the write lock for long nor grows the WAL without bound), and records the cutoff as the
    /// ledger's *pruned-before* mark (`prunedBefore()`).
    ///
    /// Removed: ledger rows in a closed state (delivered, missed, failed without retry) that are both due and last
    /// touched before `policy.cutoff`, unless their occurrence is open (below); acknowledgements made before the
    /// cutoff whose occurrence lies before `policy.openSince` and has no open row; audit lines before the cutoff.
    ///
    /// Kept however old: planned, delivering and retrying rows, and every row of an *open* occurrence, one of a
    /// duty in `policy.acknowledgedDuties` at or after `policy.openSince` that nobody acknowledged.
    ///
    /// - Parameter shouldContinue: asked between batches; returning false stops early (what was deleted stays
    ///   deleted, the rest is left for the next prune).
    @discardableResult
    public func prune(
        _ policy: RetentionPolicy, batchSize: Int = 5000, shouldContinue: @Sendable () -> Bool = { true }
    ) throws(StoreError) -> PruneResult {
        let openSince = Int64(policy.openSince.timeIntervalSince1970.rounded(.down))
        let batch = max(1, batchSize)
        try write("prune: prepare") { db in
            try db.execute(sql: "DROP TABLE IF EXISTS temp.retention_ack_duty")
            try db.execute(sql: "CREATE TEMP TABLE retention_ack_duty (duty_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID")
            let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO temp.retention_ack_duty (duty_id) VALUES (?)")
            for duty in policy.acknowledgedDuties { try insert.execute(arguments: [duty]) }
        }
        var result = PruneResult(deliveries: 0, acknowledgements: 0, events: 0)
        var complete = true
        // Candidates come from the due-order index alone: closed rows (delivered, missed, failed for good; none of
        // them has a next attempt) due before the cutoff, per state in (fire_at, key, channel) order, `batch` of
        // them a transaction. Only a candidate's row is read, for its last change and the open-occurrence test. A
        // pass over the whole table read every row's payload, kept in overflow pages (finding 13), so a daily pass
        // over a year of the full roster read the whole ledger, a gigabyte and more (docs/reliability.md, finding 17).
        let deleteRow = """
            DELETE FROM delivery
            WHERE key = :key AND channel = :channel AND updated_at < :cutoff
              AND NOT (
                  duty_id IN (SELECT duty_id FROM temp.retention_ack_duty)
                  AND CAST(substr(occurrence_id, length(duty_id) + 2) AS INTEGER) >= :openSince
                  AND NOT EXISTS (SELECT 1 FROM acknowledgement a WHERE a.occurrence_id = delivery.occurrence_id))
            """
        states: for state in [DeliveryState.delivered, .missed, .failed] {
            var after: (fireAt: DatabaseValue, key: String, channel: String)? = nil
            while true {
                let (deleted, looked, last) = try write("prune deliveries") {
                    db -> (Int, Int, (fireAt: DatabaseValue, key: String, channel: String)?) in
                    let window = after == nil ? "" : "AND (fire_at, key, channel) > (:afterFireAt, :afterKey, :afterChannel)"
                    var arguments: StatementArguments = ["state": state.rawValue, "cutoff": policy.cutoff, "batch": batch]
                    if let after {
                        arguments += ["afterFireAt": after.fireAt, "afterKey": after.key, "afterChannel": after.channel]
                    }
                    let candidates = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT fire_at, key, channel FROM delivery INDEXED BY delivery_due_order
                            WHERE state = :state AND next_attempt_at IS NULL AND fire_at < :cutoff \(window)
                            ORDER BY fire_at, key, channel LIMIT :batch
                            """, arguments: arguments)
                    let delete = try db.makeStatement(sql: deleteRow)
                    var deleted = 0
                    for row in candidates {
                        try delete.execute(arguments: [
                            "key": row["key"] as String, "channel": row["channel"] as String, "cutoff": policy.cutoff,
                            "openSince": openSince,
                        ])
                        deleted += db.changesCount
                    }
                    let last = candidates.last.map {
                        (fireAt: $0["fire_at"] as DatabaseValue, key: $0["key"] as String, channel: $0["channel"] as String)
                    }
                    return (deleted, candidates.count, last)
                }
                result.deliveries += deleted
                guard looked == batch, let last else { break }
                after = last
                if !shouldContinue() {
                    complete = false
                    break states
                }
            }
        }
        let closed: (acknowledgements: Int, events: Int) = try write("prune") { db in
            try db.execute(sql: "DROP TABLE IF EXISTS temp.retention_ack_duty")
            // Every row deleted was due before the cutoff: the mark says no notice before it may be planned again.
            let current = try Date.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Self.prunedBeforeKey])
            if current.map({ $0 < policy.cutoff }) ?? true {
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    arguments: [Self.prunedBeforeKey, policy.cutoff])
            }
            guard complete else { return (0, 0) }
            // Occurrence ids are "<duty id>@<unix seconds>" and duty ids hold no "@".
            try db.execute(
                sql: """
                    DELETE FROM acknowledgement
                    WHERE at < ?
                      AND CAST(substr(occurrence_id, instr(occurrence_id, '@') + 1) AS INTEGER) < ?
                      AND NOT EXISTS (
                        SELECT 1 FROM delivery d
                        WHERE d.occurrence_id = acknowledgement.occurrence_id
                          AND (d.state IN ('planned', 'delivering')
                               OR (d.state = 'failed' AND d.next_attempt_at IS NOT NULL)))
                    """,
                arguments: [policy.cutoff, min(openSince, Int64(policy.cutoff.timeIntervalSince1970.rounded(.down)))])
            let acknowledgements = db.changesCount
            try db.execute(sql: "DELETE FROM event_log WHERE at < ?", arguments: [policy.cutoff])
            return (acknowledgements, db.changesCount)
        }
        result.acknowledgements = closed.acknowledgements
        result.events = closed.events
        result.complete = complete
        return result
    }

    /// The stored form of reminders: JSON with sorted keys, dates in seconds.
    static func payloads(of reminders: [Reminder]) throws(StoreError) -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        var payloads: [String] = []
        payloads.reserveCapacity(reminders.count)
        for reminder in reminders {
            do {
                payloads.append(String(decoding: try encoder.encode(reminder), as: UTF8.self))
            } catch {
                throw StoreError(code: .invalidData, message: "encode reminder: \(error)")
            }
        }
        return payloads
    }

    /// One row by its key. The statement is prepared once per connection (claiming a burst of 55,166 rows
    /// prepared it 55,166 times: SQLite's compiler and GRDB's authorizer were 7 % of the burst).
    static func fetchDelivery(_ db: Database, key: String, channel: String) throws -> Delivery? {
        let statement = try db.cachedStatement(sql: "SELECT * FROM delivery WHERE key = ? AND channel = ?")
        return try Row.fetchOne(statement, arguments: [key, channel]).map(Delivery.init(row:))
    }
}

extension DeliveryState {
    fileprivate static func fetchState(_ db: Database, key: String, channel: String) throws -> DeliveryState? {
        guard
            let name = try String.fetchOne(
                db, sql: "SELECT state FROM delivery WHERE key = ? AND channel = ?", arguments: [key, channel])
        else { return nil }
        guard let state = DeliveryState(rawValue: name) else {
            throw StoreError(code: .invalidData, message: "unknown delivery state in the ledger")
        }
        return state
    }
}

extension Delivery {
    init(row: Row) throws {
        let stateName: String = row["state"]
        let kindName: String = row["kind"]
        guard let state = DeliveryState(rawValue: stateName), let kind = ReminderKind(rawValue: kindName) else {
            throw StoreError(code: .invalidData, message: "decode delivery row: unknown state or kind")
        }
        let payload: String = row["reminder"]
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let reminder: Reminder
        do {
            reminder = try decoder.decode(Reminder.self, from: Data(payload.utf8))
        } catch {
            throw StoreError(code: .invalidData, message: "decode the reminder of a delivery row")
        }
        self.init(
            key: row["key"], channel: row["channel"], dutyID: row["duty_id"], occurrenceID: row["occurrence_id"],
            kind: kind, recipientID: row["recipient_id"], fireAt: row["fire_at"], state: state,
            attempts: row["attempts"], lastError: row["last_error"], nextAttemptAt: row["next_attempt_at"],
            reminder: reminder, createdAt: row["created_at"], updatedAt: row["updated_at"],
            messageID: row.hasColumn("message_id") ? row["message_id"] : nil)
    }
}
