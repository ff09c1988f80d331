import DutyCore
import Foundation

/// One change to the plan (`dutyctl move`, `cancel`, `restore`, `add`, `snooze`, `pause`, `resume`), as the
/// ledger recorded it. Instants are ISO 8601 in the duty's zone (the plan's zone for pauses).
public struct ChangeItem: Codable, Sendable, Hashable {
    public var id: Int64
    /// `move`, `cancel`, `restore`, `add`, `snooze`, `pause` or `resume`.
    public var action: String
    /// The occurrence (all but pause and resume).
    public var occurrenceId: String?
    /// The duty of the occurrence, or of a `duty:` scope.
    public var duty: String?
    /// `duty:ID`, `role:ID` or `township:ID` (pause and resume).
    public var scope: String?
    /// Where a move put the occurrence.
    public var to: String?
    /// A pause's start and (asked-for) end.
    public var from: String?
    public var until: String?
    /// A snooze's span (`2h`) and person.
    public var span: String?
    public var person: String?
    /// The person id, account or `uid:N` that made it.
    public var actor: String
    /// The caller's uid (`SO_PEERCRED`).
    public var uid: UInt32?
    public var note: String?
    public var recordedAt: String
    /// Why the schedules in effect cannot place it (its duty, role or township is gone): it has no effect.
    public var orphaned: String?

    public init(_ change: OccurrenceChange, zone: TimeZone, orphaned: String? = nil) {
        id = change.id
        action = change.action.name
        occurrenceId = change.action.occurrence?.description
        duty = change.action.occurrence?.duty
        scope = change.action.scope?.description
        if case .duty(let id) = change.action.scope { duty = id }
        actor = change.actor
        uid = change.actorUID
        note = change.note
        recordedAt = TimeFormatting.iso8601(change.recordedAt, in: zone)
        self.orphaned = orphaned
        switch change.action {
        case .move(_, let t): to = TimeFormatting.iso8601(t, in: zone)
        case .pause(_, let f, let u):
            from = TimeFormatting.iso8601(f, in: zone)
            until = TimeFormatting.iso8601(u, in: zone)
        case .snooze(_, let p, let s):
            span = s.description
            person = p
        case .cancel, .restore, .add, .resume: break
        }
    }
}

/// An occurrence a pause skips.
public struct SkippedOccurrence: Codable, Sendable, Hashable {
    public var occurrenceId: String
    public var duty: String
    public var title: String
    /// When it was due (after any move).
    public var at: String

    public init(occurrenceId: String, duty: String, title: String, at: String) {
        self.occurrenceId = occurrenceId
        self.duty = duty
        self.title = title
        self.at = at
    }
}

/// A pause as it stands (a resume may have ended it early), with what it skips.
public struct PauseItem: Codable, Sendable, Hashable {
    /// The id of the pause's change.
    public var change: Int64
    public var scope: String
    public var from: String
    /// The end (exclusive), after any resume.
    public var until: String
    public var resumedBy: Int64?
    /// True while now is inside it.
    public var inForce: Bool
    public var actor: String
    public var note: String?
    public var skipped: [SkippedOccurrence]

    public init(
        change: Int64, scope: String, from: String, until: String, resumedBy: Int64?, inForce: Bool, actor: String,
        note: String?, skipped: [SkippedOccurrence]
    ) {
        self.change = change
        self.scope = scope
        self.from = from
        self.until = until
        self.resumedBy = resumedBy
        self.inForce = inForce
        self.actor = actor
        self.note = note
        self.skipped = skipped
    }
}

/// `GET /v1/changes`: every change (oldest first) and every pause with what it skips.
public struct ChangeList: Codable, Sendable, Hashable {
    public var changes: [ChangeItem]
    public var pauses: [PauseItem]

    public init(changes: [ChangeItem], pauses: [PauseItem]) {
        self.changes = changes
        self.pauses = pauses
    }
}

/// The answer to a change: the change recorded, the occurrence as it now stands (for occurrence changes) and,
/// for a pause, what it skips.
public struct ChangeResult: Codable, Sendable, Hashable {
    public struct Occurrence: Codable, Sendable, Hashable {
        public var occurrenceId: String
        /// `PlannedOccurrence.Status`.
        public var status: String
        /// When it happens now.
        public var at: String
        /// Its own instant when moved.
        public var scheduled: String?
        /// The revision to send as `if_revision` with the next change.
        public var revision: Int64

        public init(occurrenceId: String, status: String, at: String, scheduled: String?, revision: Int64) {
            self.occurrenceId = occurrenceId
            self.status = status
            self.at = at
            self.scheduled = scheduled
            self.revision = revision
        }
    }

    public var change: ChangeItem
    public var occurrence: Occurrence?
    public var skipped: [SkippedOccurrence]?

    public init(change: ChangeItem, occurrence: Occurrence? = nil, skipped: [SkippedOccurrence]? = nil) {
        self.change = change
        self.occurrence = occurrence
        self.skipped = skipped
    }
}

/// The body of `POST /v1/occurrences/{id}/move`.
public struct MoveRequest: Codable, Sendable, Hashable {
    /// ISO 8601: `2018-10-10T15:00:00+08:00`, or a local `2018-10-10T15:00` read in the duty's zone.
    public var to: String
    public var note: String?
    /// Change it only if its latest change is still this one (`revision` of the occurrence; 0: never changed).
    public var ifRevision: Int64?

    public init(to: String, note: String? = nil, ifRevision: Int64? = nil) {
        self.to = to
        self.note = note
        self.ifRevision = ifRevision
    }

    enum CodingKeys: String, CodingKey { case to, note, ifRevision }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["to", "note", "ifRevision"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        to = try c.decode(String.self, forKey: .to)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        ifRevision = try c.decodeIfPresent(Int64.self, forKey: .ifRevision)
    }
}

/// The body of `POST /v1/occurrences/{id}/cancel` and `/restore` (may be empty).
public struct ChangeRequest: Codable, Sendable, Hashable {
    /// Notes of every change are at most this many characters (`NewOccurrenceChange.maximumNoteLength`).
    public static let maximumNoteLength = NewOccurrenceChange.maximumNoteLength

    public var note: String?
    public var ifRevision: Int64?

    public init(note: String? = nil, ifRevision: Int64? = nil) {
        self.note = note
        self.ifRevision = ifRevision
    }

    enum CodingKeys: String, CodingKey { case note, ifRevision }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["note", "ifRevision"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        ifRevision = try c.decodeIfPresent(Int64.self, forKey: .ifRevision)
    }
}

/// The body of `POST /v1/occurrences/{id}/snooze`.
public struct SnoozeRequest: Codable, Sendable, Hashable {
    /// How much later the reminder is repeated (`2h`, `30m`, `1d`; at most 30 days).
    public var span: String
    /// Snooze for this person id (root and the admin group only; default: the caller's own person).
    public var person: String?
    public var note: String?

    public static let maximumSpan = TimeSpan(seconds: 30 * 86_400)

    public init(span: String, person: String? = nil, note: String? = nil) {
        self.span = span
        self.person = person
        self.note = note
    }

    enum CodingKeys: String, CodingKey { case span, person, note }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["span", "person", "note"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        span = try c.decode(String.self, forKey: .span)
        person = try c.decodeIfPresent(String.self, forKey: .person)
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }
}

/// The body of `POST /v1/duties/{id}/occurrences`: an extra occurrence.
public struct AddOccurrenceRequest: Codable, Sendable, Hashable {
    /// ISO 8601, or a local date-time read in the duty's zone.
    public var at: String
    public var note: String?

    public init(at: String, note: String? = nil) {
        self.at = at
        self.note = note
    }

    enum CodingKeys: String, CodingKey { case at, note }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["at", "note"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        at = try c.decode(String.self, forKey: .at)
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }
}

/// The body of `POST /v1/pauses` (`until` required) and `POST /v1/pauses/resume` (no `from`, `until`): exactly
/// one of `duty`, `role`, `township` (id or name).
public struct PauseRequest: Codable, Sendable, Hashable {
    public var duty: String?
    public var role: String?
    public var township: String?
    /// Start (default: now); ISO 8601 or a date/local date-time read in the plan's zone.
    public var from: String?
    /// End (exclusive); a date alone means the end of that day.
    public var until: String?
    public var note: String?
    public var ifRevision: Int64?

    public init(
        duty: String? = nil, role: String? = nil, township: String? = nil, from: String? = nil, until: String? = nil,
        note: String? = nil, ifRevision: Int64? = nil
    ) {
        self.duty = duty
        self.role = role
        self.township = township
        self.from = from
        self.until = until
        self.note = note
        self.ifRevision = ifRevision
    }

    enum CodingKeys: String, CodingKey { case duty, role, township, from, until, note, ifRevision }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["duty", "role", "township", "from", "until", "note", "ifRevision"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        duty = try c.decodeIfPresent(String.self, forKey: .duty)
        role = try c.decodeIfPresent(String.self, forKey: .role)
        township = try c.decodeIfPresent(String.self, forKey: .township)
        from = try c.decodeIfPresent(String.self, forKey: .from)
        until = try c.decodeIfPresent(String.self, forKey: .until)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        ifRevision = try c.decodeIfPresent(Int64.self, forKey: .ifRevision)
    }
}

extension ChangeItem {
    /// The change this item shows, read back (for `dutyctl agenda --changes` and `export --changes`, which apply
    /// the daemon's changes to the schedule files); nil when the item is inconsistent.
    public var change: OccurrenceChange? {
        let utc = TimeZone(identifier: "UTC")!
        func instant(_ text: String?) -> Date? { text.flatMap { TimeFormatting.parseISO8601($0, defaultZone: utc) } }
        guard let recordedAt = instant(recordedAt) else { return nil }
        let columns = ChangeColumns(
            action: action, occurrence: occurrenceId, scope: scope, at: instant(to) ?? instant(from), until: instant(until),
            span: span.flatMap { try? TimeSpan($0) }.map(\.seconds), person: person)
        guard let action = columns.changeAction else { return nil }
        return OccurrenceChange(id: id, action: action, recordedAt: recordedAt, actorUID: uid, actor: actor, note: note)
    }
}
