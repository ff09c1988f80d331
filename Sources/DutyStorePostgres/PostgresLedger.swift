import DutyCore
import Foundation
import Logging
import PostgresNIO

/// The `Ledger` in PostgreSQL, shared by several dutyd instances (issue 17, docs/lease-protocol.md).
///
/// Every call is one transaction on a pooled connection (non-blocking I/O on NIO's event loops, never a thread
/// of the cooperative pool), with a deadline. Every write of the delivery ledger (plan, record missed, the
/// horizon, claim, take over, record delivered or failed, unclaim, prune) is **fenced**: it starts with
/// `SELECT … FROM dutyd_lease … FOR SHARE` for this instance's epoch and rolls back, stepping the instance
/// down, when the lease has a newer epoch or expired (3.4). Acknowledgements, rankings, problems and the audit
/// log are facts from users: any instance records them, unfenced, and announces changes with `NOTIFY`.
public final class PostgresLedger: Ledger {
    let connector: PostgresConnector
    let lease: PostgresLease
    /// Rows per transaction of `plan` and `recordMissed` (short transactions: the lease's renewal waits for them).
    public let chunkSize: Int
    /// The `NOTIFY` channel of this schema.
    let channel: String

    init(connector: PostgresConnector, lease: PostgresLease, chunkSize: Int = 1000) {
        self.connector = connector
        self.lease = lease
        self.chunkSize = max(1, chunkSize)
        channel = PostgresBackend.notificationChannel(schema: connector.configuration.schema)
    }

    static let columns =
        "key, channel, duty_id, occurrence_id, kind, recipient_id, fire_at, state, attempts, last_error, next_attempt_at, reminder, created_at, updated_at, epoch, claimed_by, message_id"

    // MARK: Fencing

    /// One fenced transaction: the lease check under a share lock, then `body`.
    @discardableResult
    func fenced<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (PostgresConnection, Logger, PostgresLease.Term) async throws -> T
    ) async throws(LedgerError) -> T {
        guard let term = lease.currentTerm() else {
            throw LedgerError(code: .fenced, message: "\(operation): this instance does not hold the lease")
        }
        do {
            return try await connector.transaction(operation) { connection, logger in
                let rows = try await connection.query(
                    """
                    SELECT 1 FROM dutyd_lease WHERE id = 1 AND epoch = \(term.epoch) AND expires_at > now() FOR SHARE
                    """, logger: logger
                ).collect()
                guard !rows.isEmpty else {
                    throw LedgerError(code: .fenced, message: "\(operation): the lease has a newer epoch or expired")
                }
                return try await body(connection, logger, term)
            }
        } catch where error.code == .fenced {
            lease.stepDown(reason: error.message)
            throw error
        }
    }

    func read<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws(LedgerError) -> T {
        try await connector.withConnection(operation, body)
    }

    func notify(_ connection: PostgresConnection, _ logger: Logger, _ kind: String) async throws {
        try await connection.query("SELECT pg_notify(\(channel), \(kind + " " + lease.instance))", logger: logger)
    }

    // MARK: Planning

    public func plan(
        _ entries: [LedgerEntry], at now: Date, horizon: Date?, shouldContinue: @escaping @Sendable () -> Bool
    ) async throws(LedgerError) -> LedgerBatchResult {
        let chunks = Self.chunks(entries, size: chunkSize)
        var count = 0
        for (index, chunk) in chunks.enumerated() {
            if !shouldContinue() { return LedgerBatchResult(count: count, complete: false) }
            let columns = try Self.entryColumns(chunk)
            let moveTo = index == chunks.count - 1 ? horizon : nil
            count += try await fenced("plan deliveries") { connection, logger, _ in
                var inserted = 0
                if !columns.keys.isEmpty {
                    inserted = try await connection.query(
                        """
                        WITH ins AS (
                            INSERT INTO delivery (key, channel, duty_id, occurrence_id, kind, recipient_id, fire_at, state,
                                attempts, next_attempt_at, reminder, created_at, updated_at)
                            SELECT k, c, d, o, kd, r, f, 'planned', 0, f, p, \(now), \(now)
                            FROM unnest(\(columns.keys)::text[], \(columns.channels)::text[], \(columns.duties)::text[],
                                \(columns.occurrences)::text[], \(columns.kinds)::text[], \(columns.recipients)::text[],
                                \(columns.fireAts)::timestamptz[], \(columns.payloads)::text[]) AS t(k, c, d, o, kd, r, f, p)
                            ON CONFLICT (key, channel) DO NOTHING
                            RETURNING 1)
                        SELECT count(*)::bigint FROM ins
                        """, logger: logger
                    ).collect().first.map { Int(try $0.decode(Int64.self)) } ?? 0
                }
                if let moveTo { try await Self.advanceHorizon(connection, logger, to: moveTo) }
                return inserted
            }
        }
        return LedgerBatchResult(count: count, complete: true)
    }

    public func recordMissed(
        _ entries: [LedgerEntry], reason: String, at now: Date, shouldContinue: @escaping @Sendable () -> Bool
    ) async throws(LedgerError) -> LedgerBatchResult {
        let stored = String(reason.prefix(LedgerError.maximumStoredText))
        var count = 0
        for chunk in Self.chunks(entries, size: chunkSize) where !chunk.isEmpty {
            if !shouldContinue() { return LedgerBatchResult(count: count, complete: false) }
            let columns = try Self.entryColumns(chunk)
            count += try await fenced("record missed") { connection, logger, _ in
                try await connection.query(
                    """
                    WITH ins AS (
                        INSERT INTO delivery (key, channel, duty_id, occurrence_id, kind, recipient_id, fire_at, state,
                            attempts, next_attempt_at, reminder, last_error, created_at, updated_at)
                        SELECT k, c, d, o, kd, r, f, 'missed', 0, NULL, p, \(stored), \(now), \(now)
                        FROM unnest(\(columns.keys)::text[], \(columns.channels)::text[], \(columns.duties)::text[],
                            \(columns.occurrences)::text[], \(columns.kinds)::text[], \(columns.recipients)::text[],
                            \(columns.fireAts)::timestamptz[], \(columns.payloads)::text[]) AS t(k, c, d, o, kd, r, f, p)
                        ON CONFLICT (key, channel) DO UPDATE SET state = 'missed', next_attempt_at = NULL,
                            last_error = excluded.last_error, updated_at = excluded.updated_at
                        WHERE delivery.state = 'planned' OR (delivery.state = 'failed' AND delivery.next_attempt_at IS NOT NULL)
                        RETURNING 1)
                    SELECT count(*)::bigint FROM ins
                    """, logger: logger
                ).collect().first.map { Int(try $0.decode(Int64.self)) } ?? 0
            }
        }
        return LedgerBatchResult(count: count, complete: true)
    }

    /// `entries` in slices of `size`; one empty slice for no entries (so the horizon still moves).
    static func chunks(_ entries: [LedgerEntry], size: Int) -> [[LedgerEntry]] {
        guard !entries.isEmpty else { return [[]] }
        return stride(from: 0, to: entries.count, by: size).map { Array(entries[$0..<min($0 + size, entries.count)]) }
    }

    struct EntryColumns: Sendable {
        var keys: [String] = []
        var channels: [String] = []
        var duties: [String] = []
        var occurrences: [String] = []
        var kinds: [String] = []
        var recipients: [String] = []
        var fireAts: [Date] = []
        var payloads: [String] = []
    }

    /// Column arrays for `unnest`, one row per (key, channel), the first of duplicates kept.
    static func entryColumns(_ entries: [LedgerEntry]) throws(LedgerError) -> EntryColumns {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        var seen = Set<DeliveryKey>()
        var c = EntryColumns()
        for entry in entries where seen.insert(entry.key).inserted {
            let reminder = entry.reminder
            let payload: String
            do {
                payload = String(decoding: try encoder.encode(reminder), as: UTF8.self)
            } catch {
                throw LedgerError(code: .invalidData, message: "encode reminder: \(error)")
            }
            c.keys.append(reminder.key)
            c.channels.append(entry.route.description)
            c.duties.append(reminder.dutyID)
            c.occurrences.append(reminder.occurrenceID)
            c.kinds.append(reminder.kind.rawValue)
            c.recipients.append(reminder.recipient.id)
            // The row's own fire time: a daily digest's mail waits for its slot (`LedgerEntry.fireAt`).
            c.fireAts.append(entry.fireAt)
            c.payloads.append(payload)
        }
        return c
    }

    static let horizonKey = "last_fire_horizon"
    static let prunedBeforeKey = "pruned_before"

    /// Dates in `meta` are the exact `timeIntervalSince1970` (Swift's shortest round-tripping form).
    static func metaText(_ date: Date) -> String { "\(date.timeIntervalSince1970)" }
    static func metaDate(_ text: String?) -> Date? { text.flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) }

    static func advanceHorizon(_ connection: PostgresConnection, _ logger: Logger, to date: Date) async throws {
        try await connection.query(
            """
            INSERT INTO meta (key, value) VALUES (\(horizonKey), \(metaText(date)))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            WHERE meta.value::double precision < excluded.value::double precision
            """, logger: logger)
    }

    func metaValue(_ key: String) async throws(LedgerError) -> String? {
        try await read("read meta value") { connection, logger in
            try await connection.query("SELECT value FROM meta WHERE key = \(key)", logger: logger)
                .collect().first.map { try $0.decode(String.self) }
        }
    }

    public func horizon() async throws(LedgerError) -> Date? {
        Self.metaDate(try await metaValue(Self.horizonKey))
    }

    public func resetHorizon(to date: Date) async throws(LedgerError) {
        try await fenced("reset horizon") { connection, logger, _ in
            try await connection.query(
                """
                INSERT INTO meta (key, value) VALUES (\(Self.horizonKey), \(Self.metaText(date)))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, logger: logger)
        }
    }

    public func prunedBefore() async throws(LedgerError) -> Date? {
        Self.metaDate(try await metaValue(Self.prunedBeforeKey))
    }

    // MARK: Delivering

    public func pending(dueBy: Date, limit: Int) async throws(LedgerError) -> [Delivery] {
        let limit = max(0, limit)
        return try await read("list pending deliveries") { connection, logger in
            // Ties of due time go by recipient, channel and kind (then key), so the rows of one digest are next to
            // each other, as in the SQLite ledger. Planned and failed rows are two walks of `delivery_due_group`,
            // each stopping after the limit, merged: an `IN` on the index's first column would sort every due row.
            let delivering = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM delivery WHERE state = 'delivering'
                ORDER BY next_attempt_at, recipient_id, channel, kind COLLATE "C", key LIMIT \(limit)
                """, logger: logger
            ).collect().map(Self.delivery)
            let rest = max(0, limit - delivering.count)
            let due = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM (
                    (SELECT \(unescaped: Self.columns) FROM delivery
                     WHERE state = 'planned' AND next_attempt_at IS NOT NULL AND next_attempt_at <= \(dueBy)
                     ORDER BY next_attempt_at, recipient_id, channel, kind COLLATE "C", key LIMIT \(rest))
                    UNION ALL
                    (SELECT \(unescaped: Self.columns) FROM delivery
                     WHERE state = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= \(dueBy)
                     ORDER BY next_attempt_at, recipient_id, channel, kind COLLATE "C", key LIMIT \(rest))
                ) AS due
                ORDER BY next_attempt_at, recipient_id, channel, kind COLLATE "C", key LIMIT \(rest)
                """, logger: logger
            ).collect().map(Self.delivery)
            return delivering + due
        }
    }

    public func claim(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) -> [Delivery] {
        guard !keys.isEmpty else { return [] }
        let host = lease.host
        return try await fenced("claim deliveries") { connection, logger, term in
            // Rows are locked in key order and rows locked by a concurrent claimer are skipped (they are not
            // claimable by this one anyway): concurrent claims neither wait for each other nor deadlock.
            let rows = try await connection.query(
                """
                WITH wanted AS (
                    SELECT k, c, n FROM unnest(\(keys.map(\.key))::text[], \(keys.map(\.channel))::text[])
                        WITH ORDINALITY AS t(k, c, n)),
                target AS (
                    SELECT d.key, d.channel, w.n FROM delivery d JOIN wanted w ON d.key = w.k AND d.channel = w.c
                    WHERE d.state = 'planned' OR (d.state = 'failed' AND d.next_attempt_at IS NOT NULL)
                    ORDER BY d.key, d.channel FOR UPDATE OF d SKIP LOCKED)
                UPDATE delivery SET state = 'delivering', attempts = delivery.attempts + 1, next_attempt_at = NULL,
                    updated_at = \(now), epoch = \(term.epoch), claimed_by = array_append(delivery.claimed_by, \(host))
                FROM target WHERE delivery.key = target.key AND delivery.channel = target.channel
                RETURNING \(unescaped: Self.columns.split(separator: ",").map { "delivery." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")), target.n
                """, logger: logger
            ).collect()
            var claimed: [(Int64, Delivery)] = []
            for row in rows {
                let n = try row.makeRandomAccess()["n"].decode(Int64.self)
                claimed.append((n, try Self.delivery(row)))
            }
            return claimed.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    public func takeOver(_ key: DeliveryKey, at now: Date) async throws(LedgerError) -> Delivery? {
        let host = lease.host
        return try await fenced("take over delivery") { connection, logger, term in
            let rows = try await connection.query(
                """
                UPDATE delivery SET state = 'delivering', attempts = attempts + 1, next_attempt_at = NULL,
                    updated_at = \(now), epoch = \(term.epoch), claimed_by = array_append(claimed_by, \(host))
                WHERE key = \(key.key) AND channel = \(key.channel)
                  AND (state IN ('planned', 'delivering') OR (state = 'failed' AND next_attempt_at IS NOT NULL))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger
            ).collect()
            if let row = rows.first { return try Self.delivery(row) }
            guard try await Self.state(connection, logger, key) != nil else {
                throw LedgerError(code: .unknownDelivery, message: "take over delivery: no such ledger row")
            }
            return nil
        }
    }

    public func markDelivered(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) {
        guard !keys.isEmpty else { return }
        try await fenced("mark delivered") { connection, logger, _ in
            try await connection.query(
                """
                UPDATE delivery SET state = 'delivered', next_attempt_at = NULL, updated_at = \(now)
                FROM unnest(\(keys.map(\.key))::text[], \(keys.map(\.channel))::text[]) AS t(k, c)
                WHERE delivery.key = t.k AND delivery.channel = t.c AND delivery.state = 'delivering'
                """, logger: logger)
        }
    }

    public func markFailed(_ key: DeliveryKey, at now: Date, retryAt: Date?, error: String) async throws(LedgerError) {
        let stored = String(error.prefix(LedgerError.maximumStoredText))
        try await fenced("mark failed") { connection, logger, _ in
            let rows = try await connection.query(
                """
                UPDATE delivery SET state = 'failed', last_error = \(stored), next_attempt_at = \(retryAt),
                    updated_at = \(now)
                WHERE key = \(key.key) AND channel = \(key.channel) AND state = 'delivering'
                RETURNING 1
                """, logger: logger
            ).collect()
            if !rows.isEmpty { return }
            guard let state = try await Self.state(connection, logger, key) else {
                throw LedgerError(code: .unknownDelivery, message: "mark failed: no such ledger row")
            }
            throw LedgerError(code: .invalidTransition, message: "mark failed: not allowed from state \(state)")
        }
    }

    public func unclaim(_ keys: [DeliveryKey], at now: Date) async throws(LedgerError) {
        guard !keys.isEmpty else { return }
        try await fenced("unclaim deliveries") { connection, logger, _ in
            try await connection.query(
                """
                UPDATE delivery SET state = 'planned', attempts = GREATEST(0, delivery.attempts - 1),
                    next_attempt_at = delivery.fire_at, updated_at = \(now), epoch = NULL
                FROM unnest(\(keys.map(\.key))::text[], \(keys.map(\.channel))::text[]) AS t(k, c)
                WHERE delivery.key = t.k AND delivery.channel = t.c AND delivery.state = 'delivering'
                """, logger: logger)
        }
    }

    public func recordMessageIDs(_ ids: [DeliveryKey: String], at now: Date) async throws(LedgerError) {
        guard !ids.isEmpty else { return }
        let sorted = ids.sorted { ($0.key.key, $0.key.channel) < ($1.key.key, $1.key.channel) }
        let keys = sorted.map(\.key.key), channels = sorted.map(\.key.channel)
        let messageIDs = sorted.map { String($0.value.prefix(LedgerError.maximumStoredText)) }
        try await fenced("record message ids") { connection, logger, _ in
            // Unknown rows match nothing and are ignored.
            try await connection.query(
                """
                UPDATE delivery SET message_id = t.m, updated_at = \(now)
                FROM unnest(\(keys)::text[], \(channels)::text[], \(messageIDs)::text[]) AS t(k, c, m)
                WHERE delivery.key = t.k AND delivery.channel = t.c
                """, logger: logger)
        }
    }

    public func nextDueDate() async throws(LedgerError) -> Date? {
        try await read("find next due delivery") { connection, logger in
            try await connection.query(
                """
                SELECT MIN(next_attempt_at) FROM delivery
                WHERE state IN ('planned', 'failed') AND next_attempt_at IS NOT NULL
                """, logger: logger
            ).collect().first.flatMap { try $0.decode(Date?.self) }
        }
    }

    static func state(_ connection: PostgresConnection, _ logger: Logger, _ key: DeliveryKey) async throws -> String? {
        try await connection.query(
            "SELECT state FROM delivery WHERE key = \(key.key) AND channel = \(key.channel)", logger: logger
        ).collect().first.map { try $0.decode(String.self) }
    }

    // MARK: Reading

    public func delivery(_ key: DeliveryKey) async throws(LedgerError) -> Delivery? {
        try await read("fetch delivery") { connection, logger in
            try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM delivery WHERE key = \(key.key) AND channel = \(key.channel)",
                logger: logger
            ).collect().first.map(Self.delivery)
        }
    }

    public func deliveries(occurrenceID: String) async throws(LedgerError) -> [Delivery] {
        try await read("fetch deliveries of occurrence") { connection, logger in
            try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM delivery WHERE occurrence_id = \(occurrenceID)
                ORDER BY fire_at, key, channel
                """, logger: logger
            ).collect().map(Self.delivery)
        }
    }

    public func counts() async throws(LedgerError) -> [DeliveryState: Int] {
        try await read("count deliveries") { connection, logger in
            var counts = Dictionary(uniqueKeysWithValues: DeliveryState.allCases.map { ($0, 0) })
            for row in try await connection.query(
                "SELECT state, count(*)::bigint FROM delivery GROUP BY state", logger: logger
            ).collect() {
                let (name, n) = try row.decode((String, Int64).self)
                guard let state = DeliveryState(rawValue: name) else {
                    throw LedgerError(code: .invalidData, message: "count deliveries: unknown state")
                }
                counts[state] = Int(n)
            }
            return counts
        }
    }

    public func prune(_ policy: RetentionPolicy, shouldContinue: @escaping @Sendable () -> Bool) async throws(LedgerError)
        -> PruneResult
    {
        let openSince = Int64(policy.openSince.timeIntervalSince1970.rounded(.down))
        let cutoff = policy.cutoff
        let acknowledgedDuties = Array(policy.acknowledgedDuties)
        let batch = 5000
        var result = PruneResult(deliveries: 0, acknowledgements: 0, events: 0)
        var complete = true
        states: for state in [DeliveryState.delivered, .missed, .failed] {
            var after: (Date, String, String)? = nil
            while true {
                let start = after
                let (deleted, looked, last) = try await fenced("prune deliveries") {
                    connection, logger, _ -> (Int, Int, (Date, String, String)?) in
                    let (af, ak, ac) = start ?? (Date.distantPast, "", "")
                    let candidates = try await connection.query(
                        """
                        SELECT fire_at, key, channel FROM delivery
                        WHERE state = \(state.rawValue) AND next_attempt_at IS NULL AND fire_at < \(cutoff)
                          AND (fire_at, key, channel) > (\(af), \(ak), \(ac))
                        ORDER BY fire_at, key, channel LIMIT \(batch)
                        """, logger: logger
                    ).collect().map { try $0.decode((Date, String, String).self) }
                    guard !candidates.isEmpty else { return (0, 0, nil) }
                    let deleted = try await connection.query(
                        """
                        WITH gone AS (
                            DELETE FROM delivery d
                            USING unnest(\(candidates.map(\.1))::text[], \(candidates.map(\.2))::text[]) AS t(k, c)
                            WHERE d.key = t.k AND d.channel = t.c AND d.updated_at < \(cutoff)
                              AND NOT (
                                  d.duty_id = ANY(\(acknowledgedDuties)::text[])
                                  AND dutyd_occurrence_seconds(d.occurrence_id) >= \(openSince)
                                  AND NOT EXISTS (SELECT 1 FROM acknowledgement a WHERE a.occurrence_id = d.occurrence_id))
                            RETURNING 1)
                        SELECT count(*)::bigint FROM gone
                        """, logger: logger
                    ).collect().first.map { Int(try $0.decode(Int64.self)) } ?? 0
                    return (deleted, candidates.count, candidates.last)
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
        let finished = complete
        let closed: (Int, Int) = try await fenced("prune") { connection, logger, _ in
            try await connection.query(
                """
                INSERT INTO meta (key, value) VALUES (\(Self.prunedBeforeKey), \(Self.metaText(cutoff)))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                WHERE meta.value::double precision < excluded.value::double precision
                """, logger: logger)
            guard finished else { return (0, 0) }
            let cutoffSeconds = Int64(cutoff.timeIntervalSince1970.rounded(.down))
            let acknowledgements = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM acknowledgement
                    WHERE at < \(cutoff) AND dutyd_occurrence_seconds(occurrence_id) < \(min(openSince, cutoffSeconds))
                      AND NOT EXISTS (
                        SELECT 1 FROM delivery d
                        WHERE d.occurrence_id = acknowledgement.occurrence_id
                          AND (d.state IN ('planned', 'delivering') OR (d.state = 'failed' AND d.next_attempt_at IS NOT NULL)))
                    RETURNING 1)
                SELECT count(*)::bigint FROM gone
                """, logger: logger
            ).collect().first.map { Int(try $0.decode(Int64.self)) } ?? 0
            let events = try await connection.query(
                "WITH gone AS (DELETE FROM event_log WHERE at < \(cutoff) RETURNING 1) SELECT count(*)::bigint FROM gone",
                logger: logger
            ).collect().first.map { Int(try $0.decode(Int64.self)) } ?? 0
            return (acknowledgements, events)
        }
        result.acknowledgements = closed.0
        result.events = closed.1
        result.complete = complete
        return result
    }

    // MARK: Acknowledgements

    public func acknowledge(
        occurrenceID: String, by who: String, uid: UInt32?, note: String?, at now: Date
    ) async throws(LedgerError) -> Bool {
        try await connector.transaction("acknowledge occurrence") { [self] connection, logger in
            let rows = try await connection.query(
                """
                INSERT INTO acknowledgement (occurrence_id, who, peer_uid, note, at)
                VALUES (\(occurrenceID), \(who), \(uid.map { Int64($0) }), \(note), \(now))
                ON CONFLICT (occurrence_id, who) DO NOTHING RETURNING 1
                """, logger: logger
            ).collect()
            if !rows.isEmpty { try await notify(connection, logger, "ack") }
            return !rows.isEmpty
        }
    }

    public func acknowledged(among occurrenceIDs: Set<String>) async throws(LedgerError) -> Set<String> {
        guard !occurrenceIDs.isEmpty else { return [] }
        let ids = Array(occurrenceIDs)
        return try await read("check acknowledgements") { connection, logger in
            Set(
                try await connection.query(
                    "SELECT DISTINCT occurrence_id FROM acknowledgement WHERE occurrence_id = ANY(\(ids)::text[])",
                    logger: logger
                ).collect().map { try $0.decode(String.self) })
        }
    }

    public func acknowledgements(occurrenceID: String) async throws(LedgerError) -> [Acknowledgement] {
        try await read("list acknowledgements") { connection, logger in
            try await connection.query(
                """
                SELECT occurrence_id, who, peer_uid, note, at FROM acknowledgement WHERE occurrence_id = \(occurrenceID)
                ORDER BY at, id
                """, logger: logger
            ).collect().map { row in
                let (occurrence, who, uid, note, at) = try row.decode((String, String, Int64?, String?, Date).self)
                return Acknowledgement(
                    occurrenceID: occurrence, who: who, peerUID: uid.map { UInt32(truncatingIfNeeded: $0) }, note: note, at: at)
            }
        }
    }

    // MARK: Events

    public func saveRanking(_ submitted: SubmittedRanking) async throws(LedgerError) {
        let data: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            data = String(decoding: try encoder.encode(submitted.ranking), as: UTF8.self)
        } catch {
            throw LedgerError(code: .invalidData, message: "encode ranking: \(error)")
        }
        try await connector.transaction("save ranking") { [self] connection, logger in
            try await connection.query(
                """
                INSERT INTO ranking (period, submitted_at, submitted_by, data)
                VALUES (\(submitted.ranking.period), \(submitted.submittedAt), \(submitted.submittedBy.map { Int64($0) }), \(data))
                ON CONFLICT (period) DO UPDATE SET submitted_at = excluded.submitted_at,
                    submitted_by = excluded.submitted_by, data = excluded.data
                """, logger: logger)
            try await notify(connection, logger, "events")
        }
    }

    public func rankings() async throws(LedgerError) -> [SubmittedRanking] {
        try await read("list rankings") { connection, logger in
            try await connection.query(
                "SELECT period, submitted_at, submitted_by, data FROM ranking ORDER BY period", logger: logger
            ).collect().map { row in
                let (period, at, by, data) = try row.decode((String, Date, Int64?, String).self)
                guard let ranking = try? JSONDecoder().decode(Ranking.self, from: Data(data.utf8)) else {
                    throw LedgerError(code: .invalidData, message: "ranking of period \(period) is unreadable")
                }
                return SubmittedRanking(ranking: ranking, submittedAt: at, submittedBy: by.map { UInt32(truncatingIfNeeded: $0) })
            }
        }
    }

    public func addProblem(_ problem: NewProblem, at now: Date) async throws(LedgerError) -> Problem {
        let responsible = String(decoding: (try? JSONEncoder().encode(problem.responsible)) ?? Data("[]".utf8), as: UTF8.self)
        let id = try await connector.transaction("add problem") { [self] connection, logger -> Int64 in
            let id = try await connection.query(
                """
                INSERT INTO problem (township, text, deadline, responsible, created_at, created_by)
                VALUES (\(problem.township), \(problem.text), \(problem.deadline), \(responsible), \(now),
                    \(problem.createdBy.map { Int64($0) }))
                RETURNING id
                """, logger: logger
            ).collect().first.map { try $0.decode(Int64.self) }
            guard let id else { throw LedgerError(code: .database, message: "add problem: no id returned") }
            try await notify(connection, logger, "events")
            return id
        }
        return Problem(
            id: id, township: problem.township, text: problem.text, deadline: problem.deadline,
            responsible: problem.responsible, createdAt: now, createdBy: problem.createdBy, closedAt: nil, closedBy: nil,
            closeNote: nil)
    }

    public func closeProblem(id: Int64, at now: Date, by uid: UInt32?, note: String?) async throws(LedgerError) -> Bool {
        try await connector.transaction("close problem") { [self] connection, logger in
            let exists = try await connection.query("SELECT 1 FROM problem WHERE id = \(id)", logger: logger).collect()
            guard !exists.isEmpty else { throw LedgerError(code: .notFound, message: "close problem: no such problem") }
            let rows = try await connection.query(
                """
                UPDATE problem SET closed_at = \(now), closed_by = \(uid.map { Int64($0) }), close_note = \(note)
                WHERE id = \(id) AND closed_at IS NULL RETURNING 1
                """, logger: logger
            ).collect()
            if !rows.isEmpty { try await notify(connection, logger, "events") }
            return !rows.isEmpty
        }
    }

    public func problems(township: String?) async throws(LedgerError) -> [Problem] {
        try await read("list problems") { connection, logger in
            let query: PostgresQuery =
                township.map {
                    """
                    SELECT id, township, text, deadline, responsible, created_at, created_by, closed_at, closed_by, close_note
                    FROM problem WHERE township = \($0) ORDER BY id
                    """
                }
                ?? """
                SELECT id, township, text, deadline, responsible, created_at, created_by, closed_at, closed_by, close_note
                FROM problem ORDER BY id
                """
            return try await connection.query(query, logger: logger).collect().map { row in
                let (id, township, text, deadline, responsible, createdAt, createdBy, closedAt, closedBy, note) =
                    try row.decode((Int64, String, String, Date, String, Date, Int64?, Date?, Int64?, String?).self)
                return Problem(
                    id: id, township: township, text: text, deadline: deadline,
                    responsible: (try? JSONDecoder().decode([String].self, from: Data(responsible.utf8))) ?? [],
                    createdAt: createdAt, createdBy: createdBy.map { UInt32(truncatingIfNeeded: $0) }, closedAt: closedAt,
                    closedBy: closedBy.map { UInt32(truncatingIfNeeded: $0) }, closeNote: note)
            }
        }
    }

    // MARK: Changes

    /// Like acknowledgements, a change is a fact from a user: any instance records it, unfenced, and announces it
    /// (`NOTIFY … changes`) so that the leader replans. The subject's revision row is locked (`FOR UPDATE`, made
    /// first if the subject is new) for the check and the insert, so of concurrent changes expecting the same
    /// revision exactly one is recorded; the others wait for it and then see its id.
    public func recordChange(
        _ change: NewOccurrenceChange, expectedRevision: Int64?, at now: Date
    ) async throws(LedgerError) -> OccurrenceChange {
        let columns = ChangeColumns(change.action)
        let subject = change.action.subject
        let note = change.note.map { String($0.prefix(NewOccurrenceChange.maximumNoteLength)) }
        let uid = change.actorUID.map { Int64($0) }
        let actor = change.actor
        let id = try await connector.transaction("record change") { [self] connection, logger -> Int64 in
            try await connection.query(
                """
                INSERT INTO occurrence_change_revision (subject, revision) VALUES (\(subject), 0)
                ON CONFLICT (subject) DO NOTHING
                """, logger: logger)
            let latest =
                try await connection.query(
                    "SELECT revision FROM occurrence_change_revision WHERE subject = \(subject) FOR UPDATE", logger: logger
                ).collect().first.map { try $0.decode(Int64.self) } ?? 0
            if let expectedRevision, latest != expectedRevision {
                throw LedgerError(code: .conflict, message: "record change: revision \(latest), not \(expectedRevision)")
            }
            let inserted = try await connection.query(
                """
                INSERT INTO occurrence_change
                    (action, subject, occurrence_id, scope, at, until, span, person, actor_uid, actor, note, recorded_at)
                VALUES (\(columns.action), \(subject), \(columns.occurrence), \(columns.scope), \(columns.at),
                    \(columns.until), \(columns.span), \(columns.person), \(uid), \(actor), \(note), \(now))
                RETURNING id
                """, logger: logger
            ).collect().first.map { try $0.decode(Int64.self) }
            guard let inserted else { throw LedgerError(code: .database, message: "record change: no id returned") }
            try await connection.query(
                "UPDATE occurrence_change_revision SET revision = \(inserted) WHERE subject = \(subject)", logger: logger)
            try await notify(connection, logger, "changes")
            return inserted
        }
        return OccurrenceChange(
            id: id, action: change.action, recordedAt: now, actorUID: change.actorUID, actor: change.actor, note: note)
    }

    public func changes() async throws(LedgerError) -> [OccurrenceChange] {
        try await read("list changes") { connection, logger in
            try await connection.query(
                """
                SELECT id, action, occurrence_id, scope, at, until, span, person, actor_uid, actor, note, recorded_at
                FROM occurrence_change ORDER BY id
                """, logger: logger
            ).collect().map { row in
                let r = row.makeRandomAccess()
                let id = try r["id"].decode(Int64.self)
                let columns = ChangeColumns(
                    action: try r["action"].decode(String.self), occurrence: try r["occurrence_id"].decode(String?.self),
                    scope: try r["scope"].decode(String?.self), at: try r["at"].decode(Date?.self),
                    until: try r["until"].decode(Date?.self), span: try r["span"].decode(Int64?.self),
                    person: try r["person"].decode(String?.self))
                guard let action = columns.changeAction else {
                    throw LedgerError(code: .invalidData, message: "change \(id) is unreadable")
                }
                return OccurrenceChange(
                    id: id, action: action, recordedAt: try r["recorded_at"].decode(Date.self),
                    actorUID: try r["actor_uid"].decode(Int64?.self).map { UInt32(truncatingIfNeeded: $0) },
                    actor: try r["actor"].decode(String.self), note: try r["note"].decode(String?.self))
            }
        }
    }

    // MARK: Audit and identity

    public func logEvent(actorUID: UInt32?, action: String, details: [String: String], at now: Date) async throws(LedgerError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json: String
        do {
            json = String(decoding: try encoder.encode(details), as: UTF8.self)
        } catch {
            throw LedgerError(code: .invalidData, message: "encode event details: \(error)")
        }
        _ = try await connector.withConnection("append event") { connection, logger in
            try await connection.query(
                """
                INSERT INTO event_log (actor_uid, action, details, at)
                VALUES (\(actorUID.map { Int64($0) }), \(action), \(json), \(now))
                """, logger: logger)
        }
    }

    public func events(since: Date, limit: Int) async throws(LedgerError) -> [EventLogEntry] {
        try await read("list events") { connection, logger in
            try await connection.query(
                """
                SELECT id, actor_uid, action, details, at FROM event_log WHERE at >= \(since) ORDER BY id LIMIT \(max(0, limit))
                """, logger: logger
            ).collect().map { row in
                let (id, uid, action, json, at) = try row.decode((Int64, Int64?, String, String, Date).self)
                guard let details = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8)) else {
                    throw LedgerError(code: .invalidData, message: "decode event details")
                }
                return EventLogEntry(
                    id: id, actorUID: uid.map { UInt32(truncatingIfNeeded: $0) }, action: action, details: details, at: at)
            }
        }
    }

    public func ledgerID() async throws(LedgerError) -> String {
        let candidate = UUID().uuidString.lowercased()
        return try await connector.withConnection("ledger id") { connection, logger in
            try await connection.query(
                "INSERT INTO meta (key, value) VALUES ('ledger_id', \(candidate)) ON CONFLICT (key) DO NOTHING",
                logger: logger)
            guard
                let id = try await connection.query("SELECT value FROM meta WHERE key = 'ledger_id'", logger: logger)
                    .collect().first.map({ try $0.decode(String.self) })
            else { throw LedgerError(code: .database, message: "ledger id: not stored") }
            return id
        }
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() async throws(LedgerError) -> [String] {
        try await PostgresSchema.applied(connector)
    }

    // MARK: Rows

    static func delivery(_ row: PostgresRow) throws -> Delivery {
        let r = row.makeRandomAccess()
        let stateName = try r["state"].decode(String.self)
        let kindName = try r["kind"].decode(String.self)
        guard let state = DeliveryState(rawValue: stateName), let kind = ReminderKind(rawValue: kindName) else {
            throw LedgerError(code: .invalidData, message: "decode delivery row: unknown state or kind")
        }
        let payload = try r["reminder"].decode(String.self)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let reminder: Reminder
        do {
            reminder = try decoder.decode(Reminder.self, from: Data(payload.utf8))
        } catch {
            throw LedgerError(code: .invalidData, message: "decode the reminder of a delivery row")
        }
        return Delivery(
            key: try r["key"].decode(String.self), channel: try r["channel"].decode(String.self),
            dutyID: try r["duty_id"].decode(String.self), occurrenceID: try r["occurrence_id"].decode(String.self),
            kind: kind, recipientID: try r["recipient_id"].decode(String.self), fireAt: try r["fire_at"].decode(Date.self),
            state: state, attempts: Int(try r["attempts"].decode(Int32.self)),
            lastError: try r["last_error"].decode(String?.self), nextAttemptAt: try r["next_attempt_at"].decode(Date?.self),
            reminder: reminder, createdAt: try r["created_at"].decode(Date.self),
            updatedAt: try r["updated_at"].decode(Date.self), epoch: try r["epoch"].decode(Int64?.self),
            claimedBy: try r["claimed_by"].decode([String].self), messageID: try r["message_id"].decode(String?.self))
    }
}
