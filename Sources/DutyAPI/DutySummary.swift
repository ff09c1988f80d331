/// One duty as `GET /v1/duties` lists it (the same shape as `dutyctl list --json` offline).
public struct DutySummary: Codable, Sendable, Hashable {
    public var id: String
    public var title: String
    public var clause: String?
    public var recurrence: String
    public var responsible: [String]
    public var recipients: [String]
    public var priority: String
    /// Whether occurrences must be acknowledged (销号).
    public var ack: Bool
    /// `file:line:column` of the declaration.
    public var file: String
    public var localChoice: String?

    public init(
        id: String, title: String, clause: String?, recurrence: String, responsible: [String], recipients: [String],
        priority: String, ack: Bool, file: String, localChoice: String?
    ) {
        self.id = id
        self.title = title
        self.clause = clause
        self.recurrence = recurrence
        self.responsible = responsible
        self.recipients = recipients
        self.priority = priority
        self.ack = ack
        self.file = file
        self.localChoice = localChoice
    }
}

/// `GET /v1/duties`.
public struct DutyList: Codable, Sendable, Hashable {
    public var count: Int
    public var duties: [DutySummary]

    public init(duties: [DutySummary]) {
        self.count = duties.count
        self.duties = duties
    }
}

/// `GET /v1/duties/{id}`: the summary, its details and its next occurrences.
public struct DutyDetail: Codable, Sendable, Hashable {
    public var duty: DutySummary
    public var description: String
    public var timeZone: String
    public var warnings: [String]
    /// Seconds after the due instant before an unacknowledged occurrence is overdue.
    public var graceSeconds: Double
    public var escalation: [String]
    /// The next occurrences after now (at most 5), ISO 8601 in the duty's zone, with their ids.
    public var next: [NextOccurrence]

    public struct NextOccurrence: Codable, Sendable, Hashable {
        public var occurrenceId: String
        public var at: String
        public init(occurrenceId: String, at: String) {
            self.occurrenceId = occurrenceId
            self.at = at
        }
    }

    public init(
        duty: DutySummary, description: String, timeZone: String, warnings: [String], graceSeconds: Double,
        escalation: [String], next: [NextOccurrence]
    ) {
        self.duty = duty
        self.description = description
        self.timeZone = timeZone
        self.warnings = warnings
        self.graceSeconds = graceSeconds
        self.escalation = escalation
        self.next = next
    }
}
