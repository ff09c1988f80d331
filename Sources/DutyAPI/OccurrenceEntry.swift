/// One notice of one occurrence of a duty: a due date, an advance warning, an overdue notice or an escalation.
/// The line of `upcoming` and `overdue`.
public struct OccurrenceEntry: Codable, Sendable, Hashable {
    /// The occurrence's id, `OccurrenceID`'s text `<duty id>@<unix seconds>`: what `acknowledge` takes.
    public var occurrenceId: String
    public var duty: String
    public var title: String
    public var clause: String?
    /// `due`, `warning`, `overdue`, `escalation`, or a change's `changed`, `cancelled`, `snoozed`, `skipped`.
    public var kind: String
    /// The warning's offset (`3d`, `2 workdays`) or the escalation step (`step-1`).
    public var offset: String?
    /// When this notice fires (ISO 8601 in the duty's zone).
    public var fireAt: String
    /// When the duty itself is due (ISO 8601 in the duty's zone).
    public var occurrence: String
    public var priority: String
    public var responsible: [String]
    public var recipients: [String]
    /// Whether the occurrence was acknowledged (only filled by `overdue` and for duties that need it).
    public var acknowledged: Bool?
    /// The occurrence's own instant when it was moved (`occurrence` is then where it was moved to).
    public var scheduled: String?

    public init(
        occurrenceId: String, duty: String, title: String, clause: String?, kind: String, offset: String?,
        fireAt: String, occurrence: String, priority: String, responsible: [String], recipients: [String],
        acknowledged: Bool? = nil, scheduled: String? = nil
    ) {
        self.scheduled = scheduled
        self.occurrenceId = occurrenceId
        self.duty = duty
        self.title = title
        self.clause = clause
        self.kind = kind
        self.offset = offset
        self.fireAt = fireAt
        self.occurrence = occurrence
        self.priority = priority
        self.responsible = responsible
        self.recipients = recipients
        self.acknowledged = acknowledged
    }
}

/// A page of `GET /v1/upcoming`.
public struct UpcomingPage: Codable, Sendable, Hashable {
    /// Window start (exclusive) and end (inclusive), ISO 8601 UTC.
    public var from: String
    public var to: String
    /// Entries matching the filters in the whole window.
    public var total: Int
    public var offset: Int
    public var limit: Int
    /// The offset of the next page, nil on the last page.
    public var nextOffset: Int?
    public var items: [OccurrenceEntry]

    public init(from: String, to: String, total: Int, offset: Int, limit: Int, nextOffset: Int?, items: [OccurrenceEntry]) {
        self.from = from
        self.to = to
        self.total = total
        self.offset = offset
        self.limit = limit
        self.nextOffset = nextOffset
        self.items = items
    }
}

/// `GET /v1/overdue`: occurrences past their grace period and not acknowledged.
public struct OverdueList: Codable, Sendable, Hashable {
    public var count: Int
    public var items: [OccurrenceEntry]

    public init(items: [OccurrenceEntry]) {
        self.count = items.count
        self.items = items
    }
}
