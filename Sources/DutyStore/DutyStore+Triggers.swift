import DutyCore
import Foundation
import GRDB

extension DutyStore {
    // MARK: Rankings

    /// Records a period's ranking, replacing an earlier submission of the same period.
    public func saveRanking(_ submitted: SubmittedRanking) throws(StoreError) {
        let data: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            data = String(decoding: try encoder.encode(submitted.ranking), as: UTF8.self)
        } catch {
            throw StoreError(code: .invalidData, message: "encode ranking: \(error)")
        }
        try write("save ranking") { db in
            try db.execute(
                sql: """
                    INSERT INTO ranking (period, submitted_at, submitted_by, data) VALUES (?, ?, ?, ?)
                    ON CONFLICT (period) DO UPDATE SET submitted_at = excluded.submitted_at,
                        submitted_by = excluded.submitted_by, data = excluded.data
                    """,
                arguments: [submitted.ranking.period, submitted.submittedAt, submitted.submittedBy.map { Int64($0) }, data])
        }
    }

    /// Every recorded ranking, in period order.
    public func rankings() throws(StoreError) -> [SubmittedRanking] {
        let rows = try read("list rankings") { db in
            try Row.fetchAll(db, sql: "SELECT period, submitted_at, submitted_by, data FROM ranking ORDER BY period")
        }
        var result: [SubmittedRanking] = []
        for row in rows {
            let data: String = row["data"]
            guard let ranking = try? JSONDecoder().decode(Ranking.self, from: Data(data.utf8)) else {
                throw StoreError(code: .invalidData, message: "ranking of period \(row["period"] as String) is unreadable")
            }
            let by: Int64? = row["submitted_by"]
            result.append(SubmittedRanking(ranking: ranking, submittedAt: row["submitted_at"], submittedBy: by.map { UInt32($0) }))
        }
        return result
    }

    // MARK: Rectification ledger (问题整改台账)

    /// Records a problem; returns it with its id.
    public func addProblem(township: String, text: String, deadline: Date, responsible: [String], at now: Date, by uid: UInt32?)
        throws(StoreError) -> Problem
    {
        let responsibleJSON = String(decoding: (try? JSONEncoder().encode(responsible)) ?? Data("[]".utf8), as: UTF8.self)
        let id = try write("add problem") { db -> Int64 in
            try db.execute(
                sql: """
                    INSERT INTO problem (township, text, deadline, responsible, created_at, created_by)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [township, text, deadline, responsibleJSON, now, uid.map { Int64($0) }])
            return db.lastInsertedRowID
        }
        return Problem(
            id: id, township: township, text: text, deadline: deadline, responsible: responsible, createdAt: now,
            createdBy: uid, closedAt: nil, closedBy: nil, closeNote: nil)
    }

    /// Closes a problem (销号). Closing a closed problem changes nothing and returns false; an unknown id throws
    /// `.notFound`.
    @discardableResult
    public func closeProblem(id: Int64, at now: Date, by uid: UInt32?, note: String?) throws(StoreError) -> Bool {
        try write("close problem") { db -> Bool in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM problem WHERE id = ?)", arguments: [id]) == true
            else { throw StoreError(code: .notFound, message: "close problem: no such problem") }
            try db.execute(
                sql: "UPDATE problem SET closed_at = ?, closed_by = ?, close_note = ? WHERE id = ? AND closed_at IS NULL",
                arguments: [now, uid.map { Int64($0) }, note, id])
            return db.changesCount > 0
        }
    }

    /// Problems, optionally of one township, open ones first then by id.
    public func problems(township: String? = nil) throws(StoreError) -> [Problem] {
        let rows = try read("list problems") { db in
            if let township {
                return try Row.fetchAll(db, sql: "SELECT * FROM problem WHERE township = ? ORDER BY id", arguments: [township])
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM problem ORDER BY id")
        }
        return rows.map { row in
            let responsibleText: String = row["responsible"]
            let createdBy: Int64? = row["created_by"]
            let closedBy: Int64? = row["closed_by"]
            return Problem(
                id: row["id"], township: row["township"], text: row["text"], deadline: row["deadline"],
                responsible: (try? JSONDecoder().decode([String].self, from: Data(responsibleText.utf8))) ?? [],
                createdAt: row["created_at"], createdBy: createdBy.map { UInt32($0) }, closedAt: row["closed_at"],
                closedBy: closedBy.map { UInt32($0) }, closeNote: row["close_note"])
        }
    }
}
