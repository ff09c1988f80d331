import DutyCore
import Foundation
import GRDB

extension DutyStore {
    /// The meta key of the planning horizon.
    static let horizonKey = "last_fire_horizon"
    /// The meta key of the pruned-before mark (see `prunedBefore()`).
    static let prunedBeforeKey = "pruned_before"

    /// The latest cutoff of a retention pass: closed rows due before it may be gone from the ledger, so a notice
    /// due before it must not be planned again (after the wall clock went back), or it would be delivered twice.
    /// Nil when the ledger was never pruned.
    public func prunedBefore() throws(StoreError) -> Date? {
        try read("read pruned-before mark") { db in
            try Date.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Self.prunedBeforeKey])
        }
    }

    /// The planning horizon: the high-water mark of fire times already planned into the ledger. After downtime
    /// the daemon plans from here (catch-up) instead of from "now". Nil for a new ledger.
    public func horizon() throws(StoreError) -> Date? {
        try read("read horizon") { db in
            try Date.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Self.horizonKey])
        }
    }

    /// Moves the horizon forward to `date`; an earlier date leaves it unchanged (a clock stepped back must not
    /// re-plan). Returns the horizon now stored.
    @discardableResult
    public func advanceHorizon(to date: Date) throws(StoreError) -> Date {
        try write("advance horizon") { db in try Self.advanceHorizon(db, to: date) }
    }

    /// Sets the horizon to `date` even if that moves it back (e.g. the stored one lies in the future and is
    /// distrusted).
    public func resetHorizon(to date: Date) throws(StoreError) {
        try write("reset horizon") { db in
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [Self.horizonKey, date])
        }
    }

    static func advanceHorizon(_ db: Database, to date: Date) throws -> Date {
        let current = try Date.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [horizonKey])
        if let current, current >= date { return current }
        try db.execute(
            sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            arguments: [horizonKey, date])
        return date
    }

    /// A free-form meta value.
    public func metaValue(forKey key: String) throws(StoreError) -> String? {
        try read("read meta value") { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
        }
    }

    /// Sets (or with nil, removes) a free-form meta value.
    public func setMetaValue(_ value: String?, forKey key: String) throws(StoreError) {
        try write("write meta value") { db in
            if let value {
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
            }
        }
    }

    // MARK: Audit log

    /// Appends a line to the audit log: who (`actorUID`, nil for the daemon itself) did what.
    @discardableResult
    public func logEvent(
        actorUID: UInt32?, action: String, details: [String: String] = [:], at now: Date
    ) throws(StoreError) -> Int64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json: String
        do {
            json = String(decoding: try encoder.encode(details), as: UTF8.self)
        } catch {
            throw StoreError(code: .invalidData, message: "encode event details: \(error)")
        }
        return try write("append event") { db in
            try db.execute(
                sql: "INSERT INTO event_log (actor_uid, action, details, at) VALUES (?, ?, ?, ?)",
                arguments: [actorUID.map { Int64($0) }, action, json, now])
            return db.lastInsertedRowID
        }
    }

    /// Audit lines at or after `since`, oldest first.
    public func events(since: Date = .distantPast, limit: Int = 1000) throws(StoreError) -> [EventLogEntry] {
        try read("list events") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM event_log WHERE at >= ? ORDER BY id LIMIT ?", arguments: [since, max(0, limit)]
            ).map { row in
                let json: String = row["details"]
                let details: [String: String]
                do {
                    details = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
                } catch {
                    throw StoreError(code: .invalidData, message: "decode event details")
                }
                let uid: Int64? = row["actor_uid"]
                return EventLogEntry(
                    id: row["id"], actorUID: uid.map { UInt32(truncatingIfNeeded: $0) }, action: row["action"],
                    details: details, at: row["at"])
            }
        }
    }

    /// This ledger's id: created once (a UUID) and kept in `meta`. Journal entries carry it as `DUTY_LEDGER`, so
    /// that reconciliation after a crash only trusts entries written for this ledger.
    public func ledgerID() throws(StoreError) -> String {
        if let id = try metaValue(forKey: "ledger_id") { return id }
        let id = UUID().uuidString.lowercased()
        try write("create ledger id") { db in
            try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('ledger_id', ?)", arguments: [id])
        }
        return try metaValue(forKey: "ledger_id") ?? id
    }
}
