import Foundation

/// A period's ranking of townships (根据督查检查情况和各乡镇工作情况进行排名): position 1 is the best.
public struct Ranking: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var township: String
        /// The score, when the ranking was given by scores (higher is better).
        public var score: Double?
        /// The 1-based position after ordering (ties share a position: 1, 2, 2, 4).
        public var position: Int

        public init(township: String, score: Double?, position: Int) {
            self.township = township
            self.score = score
            self.position = position
        }
    }

    /// The period it ranks, `YYYY-MM` for a month (any `[A-Za-z0-9._-]` label is accepted, ordered as text).
    public var period: String
    /// Best first.
    public var entries: [Entry]

    public init(period: String, entries: [Entry]) {
        self.period = period
        self.entries = entries
    }

    /// The townships in the bottom `n` (worst positions). With `.include`, every township tied with the n-th
    /// from the bottom is in (the set may be larger than n); with `.exclude`, a tie that straddles the boundary
    /// is left out entirely (the set may be smaller than n).
    public func bottom(_ n: Int, ties: TriggerRule.Ties) -> [String] {
        guard n > 0, !entries.isEmpty else { return [] }
        let count = entries.count
        // Positions are 1-based and tied entries share the best position of their group: the entry at index i
        // (0-based, best first) is in the bottom n when its position > count - n ... adjusted for ties.
        let boundary = count - n  // entries with index >= boundary are the bottom n without ties
        guard boundary > 0 else { return entries.map(\.township) }
        let boundaryPosition = entries[boundary].position
        let groupStarts = entries[boundary - 1].position == boundaryPosition  // the boundary splits a tie group
        switch ties {
        case .include:
            return entries.filter { $0.position >= boundaryPosition }.map(\.township)
        case .exclude:
            if groupStarts { return entries.filter { $0.position > boundaryPosition }.map(\.township) }
            return entries.filter { $0.position >= boundaryPosition }.map(\.township)
        }
    }
}

/// A problem in a ranking file, with the 1-based line it is on.
public struct RankingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line of a CSV file, or 1-based entry of a JSON file; 0 for the file as a whole.
    public var line: Int
    public var message: String
    /// Whether `line` counts JSON entries.
    public var isEntry: Bool = false

    public init(line: Int, message: String, isEntry: Bool = false) {
        self.line = line
        self.message = message
        self.isEntry = isEntry
    }

    public var description: String { line > 0 ? "\(isEntry ? "entry" : "line") \(line): \(message)" : message }
}

/// Every problem of a ranking file.
public struct RankingErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [RankingError]

    public init(_ errors: [RankingError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Reads ranking files: CSV (`township,score` or `township,rank`, a header row naming the columns) or JSON
/// (`{"entries": [{"township": "...", "score": 91.5}, ...]}` or with `"rank"`). Townships may be given by id or
/// by name (汤丹镇). Every problem is reported at once; nothing is accepted when there is one.
public enum RankingParser {
    public static let maxBytes = 1 << 20

    /// - Parameter townships: the known townships (every one must be ranked exactly once).
    public static func parse(_ text: String, period: String, townships: [Township]) throws(RankingErrors) -> Ranking {
        guard text.utf8.count <= maxBytes else {
            throw RankingErrors([RankingError(line: 0, message: "ranking file larger than \(maxBytes) bytes")])
        }
        guard isValidPeriod(period) else {
            throw RankingErrors([RankingError(line: 0, message: "invalid period '\(period)': expected YYYY-MM or a label of letters, digits, '.', '_' or '-'")])
        }
        let trimmed = text.drop { $0.isWhitespace }
        let rows: [(line: Int, township: String, value: String?)]
        let byScore: Bool
        var errors: [RankingError] = []
        let isJSON = trimmed.first == "{" || trimmed.first == "["
        if trimmed.first == "{" || trimmed.first == "[" {
            switch parseJSON(text) {
            case .success(let parsed):
                rows = parsed.rows
                byScore = parsed.byScore
            case .failure(let e):
                throw RankingErrors([e])
            }
        } else {
            switch parseCSV(text) {
            case .success(let parsed):
                rows = parsed.rows
                byScore = parsed.byScore
            case .failure(let e):
                throw RankingErrors([e])
            }
        }
        var seen: [String: Int] = [:]
        var values: [(township: String, value: Double)] = []
        for row in rows {
            guard let township = townships.first(where: { $0.id == row.township || $0.name == row.township }) else {
                errors.append(RankingError(line: row.line, message: "unknown township '\(row.township)'", isEntry: isJSON))
                continue
            }
            if let first = seen[township.id] {
                errors.append(RankingError(line: row.line, message: "duplicate row for \(township.name) (first on \(isJSON ? "entry" : "line") \(first))", isEntry: isJSON))
                continue
            }
            seen[township.id] = row.line
            guard let text = row.value, !text.isEmpty else {
                errors.append(RankingError(line: row.line, message: "missing \(byScore ? "score" : "rank") for \(township.name)", isEntry: isJSON))
                continue
            }
            guard let value = Double(text), value.isFinite else {
                errors.append(RankingError(line: row.line, message: "\(byScore ? "score" : "rank") '\(text)' for \(township.name) is not a number", isEntry: isJSON))
                continue
            }
            if !byScore && (value < 1 || value != value.rounded()) {
                errors.append(RankingError(line: row.line, message: "rank '\(text)' for \(township.name) must be a whole number from 1", isEntry: isJSON))
                continue
            }
            values.append((township.id, value))
        }
        let missing = townships.filter { seen[$0.id] == nil }
        if !missing.isEmpty && errors.isEmpty {
            errors.append(RankingError(line: 0, message: "townships not ranked: \(missing.map(\.name).joined(separator: "、"))"))
        }
        if !errors.isEmpty { throw RankingErrors(errors) }
        // Best first: highest score, or lowest rank; equal values tie. Ties are listed in township id order so the
        // result does not depend on the file's row order.
        let sorted = values.sorted { a, b in
            if a.value != b.value { return byScore ? a.value > b.value : a.value < b.value }
            return a.township < b.township
        }
        var entries: [Ranking.Entry] = []
        for (i, v) in sorted.enumerated() {
            let position = (i > 0 && sorted[i - 1].value == v.value) ? entries[i - 1].position : i + 1
            entries.append(Ranking.Entry(township: v.township, score: byScore ? v.value : nil, position: position))
        }
        return Ranking(period: period, entries: entries)
    }

    public static func isValidPeriod(_ period: String) -> Bool {
        !period.isEmpty && period.utf8.count <= 32
            && period.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "_" || $0 == "."
            }
    }

    private static func parseCSV(_ text: String) -> Result<(rows: [(line: Int, township: String, value: String?)], byScore: Bool), RankingError> {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let header = lines.first else { return .failure(RankingError(line: 1, message: "empty ranking: expected a header 'township,score' or 'township,rank'")) }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard columns.count == 2, columns[0] == "township", columns[1] == "score" || columns[1] == "rank" else {
            return .failure(RankingError(line: 1, message: "header must be 'township,score' or 'township,rank', not '\(header)'"))
        }
        var rows: [(line: Int, township: String, value: String?)] = []
        for (i, line) in lines.enumerated().dropFirst() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count > 2 {
                return .failure(RankingError(line: i + 1, message: "expected 2 fields, found \(fields.count)"))
            }
            rows.append((i + 1, fields[0], fields.count > 1 ? fields[1] : nil))
        }
        return .success((rows, columns[1] == "score"))
    }

    private struct JSONRanking: Decodable {
        struct Row: Decodable {
            var township: String
            var score: Double?
            var rank: Int?
        }
        var period: String?
        var entries: [Row]
    }

    private static func parseJSON(_ text: String) -> Result<(rows: [(line: Int, township: String, value: String?)], byScore: Bool), RankingError> {
        let decoded: JSONRanking
        do {
            decoded = try JSONDecoder().decode(JSONRanking.self, from: Data(text.utf8))
        } catch {
            return .failure(RankingError(line: 0, message: "invalid JSON: expected {\"entries\": [{\"township\": ..., \"score\": ...}]} (\(error))"))
        }
        let byScore = decoded.entries.contains { $0.score != nil }
        if byScore && decoded.entries.contains(where: { $0.rank != nil }) {
            return .failure(RankingError(line: 0, message: "give either scores or ranks, not both"))
        }
        let rows = decoded.entries.enumerated().map { i, row in
            (line: i + 1, township: row.township, value: byScore ? row.score.map { String($0) } : row.rank.map { String($0) })
        }
        return .success((rows, byScore))
    }
}
