import DutyCore
import Foundation
import GRDB

extension DutyStore {
    /// Records that `who` acknowledged an occurrence. Idempotent per (occurrence, person): a repeated
    /// acknowledgement keeps the first one (its time, uid and note).
    ///
    /// - Returns: true when this call recorded it, false when it was already recorded.
    @discardableResult
    public func acknowledge(
        occurrenceID: String, by who: String, uid: UInt32?, note: String? = nil, at now: Date
    ) throws(StoreError) -> Bool {
        try write("acknowledge occurrence") { db in
            try db.execute(
                sql: """
                    INSERT INTO acknowledgement (occurrence_id, who, peer_uid, note, at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (occurrence_id, who) DO NOTHING
                    """,
                arguments: [occurrenceID, who, uid.map { Int64($0) }, note, now])
            return db.changesCount > 0
        }
    }

    /// Whether anybody acknowledged the occurrence.
    public func isAcknowledged(occurrenceID: String) throws(StoreError) -> Bool {
        try read("check acknowledgement") { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM acknowledgement WHERE occurrence_id = ?)",
                arguments: [occurrenceID]) ?? false
        }
    }

    /// Which of these occurrences anybody acknowledged (one query per 500 ids).
    public func acknowledged(among occurrenceIDs: Set<String>) throws(StoreError) -> Set<String> {
        guard !occurrenceIDs.isEmpty else { return [] }
        let ids = Array(occurrenceIDs)
        return try read("check acknowledgements") { db in
            var found = Set<String>()
            for start in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[start..<min(start + 500, ids.count)])
                let marks = Array(repeating: "?", count: slice.count).joined(separator: ",")
                found.formUnion(
                    try String.fetchAll(
                        db, sql: "SELECT DISTINCT occurrence_id FROM acknowledgement WHERE occurrence_id IN (\(marks))",
                        arguments: StatementArguments(slice)))
            }
            return found
        }
    }

    /// The acknowledgements of an occurrence, oldest first.
    public func acknowledgements(occurrenceID: String) throws(StoreError) -> [Acknowledgement] {
        try read("list acknowledgements") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM acknowledgement WHERE occurrence_id = ? ORDER BY at, id",
                arguments: [occurrenceID]
            ).map { row in
                let uid: Int64? = row["peer_uid"]
                return Acknowledgement(
                    occurrenceID: row["occurrence_id"], who: row["who"], peerUID: uid.map { UInt32(truncatingIfNeeded: $0) },
                    note: row["note"], at: row["at"])
            }
        }
    }
}
