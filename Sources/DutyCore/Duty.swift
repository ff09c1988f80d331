import Foundation

/// Where a value was declared: a schedule file and a 1-based line and column.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int = 0, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column` (or `file` alone when the position is unknown).
    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}

/// How a duty recurs.
public enum Recurrence: Sendable {
    /// systemd calendar expressions, OR'ed together.
    case calendar([CalendarSpec])
    /// An RFC 5545 recurrence set (DTSTART, RRULEs, RDATEs, EXDATEs). Out of line: inline, its ~100 bytes would
    /// widen every duty's recurrence, whatever its form.
    indirect case rrule(RecurrenceSet)
    /// A one-off deadline.
    case once(Date)
    /// The N-th workday of every month (negative counts from the end) at a local time of day.
    case nthWorkday(Int, hour: Int, minute: Int, second: Int)
}

/// A person who receives reminders. Persons are the leaves that roles resolve to.
public struct Person: Sendable, Hashable {
    public var id: String
    public var name: String
    public var account: String?
    /// Mail channels in the order the schedules give them; empty: the journal only.
    public var channels: [Recipient.Channel]
    public var location: SourceLocation?
    /// The person's own digest setting (`digest = ...`); it wins over the duty's. nil: not set.
    public var digest: DigestPolicy?

    public init(
        id: String, name: String, account: String?, channels: [Recipient.Channel], location: SourceLocation? = nil,
        digest: DigestPolicy? = nil
    ) {
        self.id = id
        self.name = name
        self.account = account
        self.channels = channels
        self.location = location
        self.digest = digest
    }

    public var recipient: Recipient { Recipient(id: id, name: name, account: account, channels: channels) }
}

/// A named group of persons (a unit, an office, a committee).
public struct Role: Sendable, Hashable {
    public var id: String
    public var name: String
    public var members: [String]
    public var location: SourceLocation?

    public init(id: String, name: String, members: [String], location: SourceLocation? = nil) {
        self.id = id
        self.name = name
        self.members = members
        self.location = location
    }
}

/// A county (县区) of the plan.
public struct County: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The county party committee's role (县区委).
    public var role: String?
    /// The county organisation department's role (县区委组织部), for interviews at that level.
    public var orgRole: String?
    /// The committee's main leader's role (县区委主要领导).
    public var leaderRole: String?

    public init(id: String, name: String, role: String?, orgRole: String? = nil, leaderRole: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.orgRole = orgRole
        self.leaderRole = leaderRole
    }
}

/// A township (乡镇/街道) of the plan's appendix table.
public struct Township: Sendable, Hashable {
    public var id: String
    public var name: String
    public var county: String
    public var existingUnits: [String]
    public var addedUnits: [String]
    public var role: String?

    public init(id: String, name: String, county: String, existingUnits: [String], addedUnits: [String], role: String?) {
        self.id = id
        self.name = name
        self.county = county
        self.existingUnits = existingUnits
        self.addedUnits = addedUnits
        self.role = role
    }
}

/// A recurring or one-off duty, fully resolved and validated.
public struct Duty: Sendable {
    public var id: String
    public var title: String
    public var description: String
    public var clause: String?
    /// Role or person ids responsible for the duty.
    public var responsible: [String]
    /// Role or person ids that receive its reminders.
    public var recipients: [String]
    public var recurrence: Recurrence
    /// Occurrences before this instant are not produced.
    public var notBefore: Date?
    /// Occurrences after this instant are not produced (inclusive bound).
    public var notAfter: Date?
    public var timeZone: TimeZone
    public var workdays: WorkdayCalendar?
    public var holidayPolicy: HolidayPolicy
    public var warnings: [AdvanceWarning]
    public var needsAcknowledgement: Bool
    /// Seconds after the due instant before an unacknowledged occurrence is overdue; also the step of the chain.
    public var grace: TimeInterval
    /// Role or person ids notified, one step per grace period, when an acknowledgement is overdue.
    public var escalation: [String]
    public var priority: DutyPriority
    /// Free text that marks details the plan leaves open and that were chosen locally.
    public var localChoice: String?
    public var location: SourceLocation
    /// For duties created by an event (an interview after a ranking): when it was issued. A notice of
    /// `issueKind` fires then, before the due date.
    public var issuedAt: Date?
    public var issueKind: ReminderKind = .due
    /// Free key/value labels from the schedule (`labels = { report = "visits", township = "{township_id}" }`):
    /// reports group by them (the visit report counts duties labelled `report = "visits"` per `township`, `unit`
    /// and `cadre`). Nothing in the scheduling reads them.
    public var labels: [String: String] = [:]
    /// The digest setting of the duty's mail (`[[template]]` `digest`, `instant` by default for template duties);
    /// a recipient's own setting wins. nil: off unless the recipient says otherwise.
    public var digest: DigestPolicy?

    public init(
        id: String, title: String, description: String = "", clause: String? = nil, responsible: [String] = [],
        recipients: [String] = [], recurrence: Recurrence, notBefore: Date? = nil, notAfter: Date? = nil,
        timeZone: TimeZone, workdays: WorkdayCalendar? = nil, holidayPolicy: HolidayPolicy = .keep,
        warnings: [AdvanceWarning] = [], needsAcknowledgement: Bool = false, grace: TimeInterval = 86_400,
        escalation: [String] = [], priority: DutyPriority = .normal, localChoice: String? = nil,
        location: SourceLocation
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.clause = clause
        self.responsible = responsible
        self.recipients = recipients
        self.recurrence = recurrence
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.timeZone = timeZone
        self.workdays = workdays
        self.holidayPolicy = holidayPolicy
        self.warnings = warnings
        self.needsAcknowledgement = needsAcknowledgement
        self.grace = grace
        self.escalation = escalation
        self.priority = priority
        self.localChoice = localChoice
        self.location = location
    }
}
