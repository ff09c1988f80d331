import DutyCore
import Foundation
import GRDB

extension DutyStore {
    /// Records a change (see `Ledger.recordChange(_:expectedRevision:at:)`): with `expectedRevision`, only if the
    /// latest change of its subject has that id (0: none), else `.conflict` and nothing written. One transaction.
    public func recordChange(
        _ change: NewOccurrenceChange, expectedRevision: Int64?, at now: Date
    ) throws(StoreError) -> OccurrenceChange {
        let columns = ChangeColumns(change.action)
        let subject = change.action.subject
        let note = change.note.map { String($0.prefix(NewOccurrenceChange.maximumNoteLength)) }
        let id = try write("record change") { db -> Int64 in
            if let expectedRevision {
                let latest =
                    try Int64.fetchOne(
                        db, sql: "SELECT max(id) FROM occurrence_change WHERE subject = ?", arguments: [subject]) ?? 0
                guard latest == expectedRevision else {
                    throw StoreError(
                        code: .conflict, message: "record change: revision \(latest), not \(expectedRevision)")
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO occurrence_change
                        (action, subject, occurrence_id, scope, at, until, span, person, actor_uid, actor, note, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    columns.action, subject, columns.occurrence, columns.scope, columns.at, columns.until, columns.span,
                    columns.person, change.actorUID.map { Int64($0) }, change.actor, note, now,
                ])
            return db.lastInsertedRowID
        }
        return OccurrenceChange(
            id: id, action: change.action, recordedAt: now, actorUID: change.actorUID, actor: change.actor, note: note)
    }

    /// Every change, by id.
    public func changes() throws(StoreError) -> [OccurrenceChange] {
        let rows = try read("list changes") { db in try Row.fetchAll(db, sql: "SELECT * FROM occurrence_change ORDER BY id") }
        var result: [OccurrenceChange] = []
        result.reserveCapacity(rows.count)
        for row in rows {
            let columns = ChangeColumns(
                action: row["action"], occurrence: row["occurrence_id"], scope: row["scope"], at: row["at"],
                until: row["until"], span: row["span"], person: row["person"])
            let id: Int64 = row["id"]
            guard let action = columns.changeAction else {
                throw StoreError(code: .invalidData, message: "change \(id) is unreadable")
            }
            let uid: Int64? = row["actor_uid"]
            result.append(
                OccurrenceChange(
                    id: id, action: action, recordedAt: row["recorded_at"], actorUID: uid.map { UInt32($0) },
                    actor: row["actor"], note: row["note"]))
        }
        return result
    }
}
