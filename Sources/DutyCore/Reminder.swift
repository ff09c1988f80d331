import Foundation

/// What a reminder is about: the kinds that dutyd journals and mails. Raw values are the `DUTY_KIND` journal field.
public enum ReminderKind: String, Sendable, Hashable, Codable, CaseIterable {
    case warning
    case due
    case overdue
    case interview
    case escalation
    case missed
    case bulletin
    case digest
}

/// How urgent a duty is. Maps onto syslog priorities in the journal (see `DutyJournal`).
public enum DutyPriority: String, Sendable, Hashable, Codable, CaseIterable {
    case low
    case normal
    case high
    case alert
}

/// One person who receives reminders, with the channel that delivers to them.
public struct Recipient: Sendable, Hashable, Codable {
    public enum Channel: Sendable, Hashable, Codable {
        /// mbox in the spool directory, `/var/mail/<account>` by default.
        case mbox(account: String)
        /// A maildir root (with `tmp/`, `new/`, `cur/`).
        case maildir(path: String)
        /// Hand-off to `sendmail -i -f SENDER -- ADDRESS`.
        case sendmail(address: String)
        /// Journal only, no mail.
        case none
    }

    /// Stable id of the person in the schedules (e.g. `dc-committee-secretary`).
    public var id: String
    /// Display name (may be Chinese).
    public var name: String
    /// Local account name (ASCII), used for permission checks and the default mbox.
    public var account: String?
    public var channel: Channel

    public init(id: String, name: String, account: String? = nil, channel: Channel) {
        self.id = id
        self.name = name
        self.account = account
        self.channel = channel
    }
}

/// A single reminder to deliver: one kind of notice about one occurrence of one duty, for one recipient.
///
/// The identity `(dutyID, occurrence, kind, offset, recipient.id)` is what the delivery ledger keys on, and
/// `key` renders it as a stable string used for the Message-ID and for journal reconciliation.
public struct Reminder: Sendable, Hashable, Codable {
    public var dutyID: String
    public var title: String
    public var description: String
    /// The plan clause the duty comes from, e.g. `二(一)1`.
    public var clause: String?
    /// The responsible roles or units, as written in the schedules.
    public var responsible: [String]
    /// The instant the duty itself is due.
    public var occurrence: Date
    /// The time zone the occurrence is shown in.
    public var timeZoneIdentifier: String
    /// When this notice fires (the occurrence itself for `due`, earlier for warnings, later for overdue).
    public var fireAt: Date
    public var kind: ReminderKind
    /// For warnings: a short label of the offset (`3d`, `2 workdays`); empty otherwise.
    public var offsetLabel: String
    public var priority: DutyPriority
    public var recipient: Recipient
    /// The schedule file that declared the duty.
    public var scheduleFile: String?

    public init(
        dutyID: String, title: String, description: String = "", clause: String? = nil, responsible: [String] = [],
        occurrence: Date, timeZoneIdentifier: String, fireAt: Date, kind: ReminderKind, offsetLabel: String = "",
        priority: DutyPriority = .normal, recipient: Recipient, scheduleFile: String? = nil
    ) {
        self.dutyID = dutyID
        self.title = title
        self.description = description
        self.clause = clause
        self.responsible = responsible
        self.occurrence = occurrence
        self.timeZoneIdentifier = timeZoneIdentifier
        self.fireAt = fireAt
        self.kind = kind
        self.offsetLabel = offsetLabel
        self.priority = priority
        self.recipient = recipient
        self.scheduleFile = scheduleFile
    }

    /// Which occurrence this reminder is about. Stable across restarts and reloads.
    public var occurrenceIdentifier: OccurrenceID { OccurrenceID(duty: dutyID, at: occurrence) }

    /// The text of `occurrenceIdentifier`, `<duty id>@<unix seconds of the occurrence>`, as the ledger, the
    /// journal (`DUTY_OCCURRENCE_ID`) and the mails store it.
    public var occurrenceID: String { occurrenceIdentifier.description }

    /// The ledger key of this reminder: occurrence id, kind (with offset), recipient id. ASCII-safe as long as
    /// ids are (the schedule loader enforces `[A-Za-z0-9._-]` for ids).
    public var key: String {
        let kindPart = offsetLabel.isEmpty ? kind.rawValue : "\(kind.rawValue)-\(offsetLabel.filter { !$0.isWhitespace })"
        return "\(occurrenceID)/\(kindPart)/\(recipient.id)"
    }
}
