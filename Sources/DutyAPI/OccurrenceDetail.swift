/// `GET /v1/occurrences/{id}`: one occurrence, its acknowledgements and its ledger rows.
public struct OccurrenceDetail: Codable, Sendable, Hashable {
    public struct AcknowledgementRecord: Codable, Sendable, Hashable {
        /// The person id (or account) that acknowledged.
        public var person: String
        public var uid: UInt32?
        public var note: String?
        public var at: String

        public init(person: String, uid: UInt32?, note: String?, at: String) {
            self.person = person
            self.uid = uid
            self.note = note
            self.at = at
        }
    }

    public struct DeliveryRecord: Codable, Sendable, Hashable {
        public var kind: String
        public var recipient: String
        public var channel: String
        public var state: String
        public var attempts: Int
        public var fireAt: String
        public var lastError: String?

        public init(kind: String, recipient: String, channel: String, state: String, attempts: Int, fireAt: String, lastError: String?) {
            self.kind = kind
            self.recipient = recipient
            self.channel = channel
            self.state = state
            self.attempts = attempts
            self.fireAt = fireAt
            self.lastError = lastError
        }
    }

    public var occurrenceId: String
    public var duty: String
    public var title: String
    public var clause: String?
    public var occurrence: String
    /// When it becomes overdue (duties that need acknowledgement only).
    public var overdueAt: String?
    public var needsAcknowledgement: Bool
    public var acknowledged: Bool
    public var responsible: [String]
    public var recipients: [String]
    public var acknowledgements: [AcknowledgementRecord]
    public var deliveries: [DeliveryRecord]
    /// `scheduled`, `moved`, `cancelled`, `added` or `paused` (`PlannedOccurrence.Status`).
    public var status: String?
    /// Its own instant when it was moved (`occurrence` is then where it was moved to).
    public var scheduled: String?
    /// The id of the latest change of the occurrence (0: none): send it as `if_revision` to change the
    /// occurrence only if nobody changed it meanwhile.
    public var revision: Int64?
    /// The pause that skips it.
    public var pausedBy: Int64?
    /// Its changes (moves, cancels, restores, snoozes; the add that created it), oldest first.
    public var changes: [ChangeItem]?

    public init(
        occurrenceId: String, duty: String, title: String, clause: String?, occurrence: String, overdueAt: String?,
        needsAcknowledgement: Bool, acknowledged: Bool, responsible: [String], recipients: [String],
        acknowledgements: [AcknowledgementRecord], deliveries: [DeliveryRecord]
    ) {
        self.occurrenceId = occurrenceId
        self.duty = duty
        self.title = title
        self.clause = clause
        self.occurrence = occurrence
        self.overdueAt = overdueAt
        self.needsAcknowledgement = needsAcknowledgement
        self.acknowledged = acknowledged
        self.responsible = responsible
        self.recipients = recipients
        self.acknowledgements = acknowledgements
        self.deliveries = deliveries
    }
}

/// The body of `POST /v1/occurrences/{id}/ack`. Unknown fields are refused.
public struct AcknowledgeRequest: Codable, Sendable, Hashable {
    public static let maximumNoteLength = 2000

    /// Free text kept with the acknowledgement.
    public var note: String?
    /// Acknowledge as this person id (root and the admin group only; default: the caller's own person).
    public var person: String?

    public init(note: String? = nil, person: String? = nil) {
        self.note = note
        self.person = person
    }

    enum CodingKeys: String, CodingKey {
        case note, person
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["note", "person"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        note = try container.decodeIfPresent(String.self, forKey: .note)
        person = try container.decodeIfPresent(String.self, forKey: .person)
    }
}

/// The answer to an acknowledgement: `recorded` is false when the same person had already acknowledged it.
public struct AcknowledgeResponse: Codable, Sendable, Hashable {
    public var occurrenceId: String
    public var person: String
    public var recorded: Bool
    public var acknowledgements: Int

    public init(occurrenceId: String, person: String, recorded: Bool, acknowledgements: Int) {
        self.occurrenceId = occurrenceId
        self.person = person
        self.recorded = recorded
        self.acknowledgements = acknowledgements
    }
}
