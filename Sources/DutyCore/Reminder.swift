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
    /// A change notice: the occurrence was moved, restored or added (`dutyctl move`, `restore`, `add`).
    case changed
    /// A change notice: the occurrence was cancelled (`dutyctl cancel`).
    case cancelled
    /// A reminder repeated once for the person who snoozed it (`dutyctl snooze`).
    case snoozed
    /// An occurrence a pause skipped (`dutyctl pause`), journaled at its instant so that nothing is silently lost.
    case skipped
}

/// How urgent a duty is. Maps onto syslog priorities in the journal (see `DutyJournal`).
public enum DutyPriority: String, Sendable, Hashable, Codable, CaseIterable {
    case low
    case normal
    case high
    case alert
}

/// One person who receives reminders, with the mail channels that deliver to them (none: the journal only).
public struct Recipient: Sendable, Hashable {
    /// One way mail reaches a person. Written in schedules as `mbox`, `maildir:/path` or `sendmail:address`.
    public enum Channel: Sendable, Hashable {
        /// mbox in the spool directory, `/var/mail/<account>` by default.
        case mbox(account: String)
        /// A maildir root (with `tmp/`, `new/`, `cur/`).
        case maildir(path: String)
        /// Hand-off to `sendmail -i -f SENDER -- ADDRESS`.
        case sendmail(address: String)
    }

    /// Stable id of the person in the schedules (e.g. `dc-committee-secretary`).
    public var id: String
    /// Display name (may be Chinese).
    public var name: String
    /// Local account name (ASCII), used for permission checks and the default mbox.
    public var account: String?
    /// The mail channels, in the order the schedules list them; empty for a person reached by the journal only.
    public var channels: [Channel]

    public init(id: String, name: String, account: String? = nil, channels: [Channel]) {
        self.id = id
        self.name = name
        self.account = account
        self.channels = channels
    }

    /// A recipient with one mail channel.
    public init(id: String, name: String, account: String? = nil, channel: Channel) {
        self.init(id: id, name: name, account: account, channels: [channel])
    }
}

extension Recipient.Channel {
    /// The channel kind: `mbox`, `maildir` or `sendmail` (the name of the `ReminderChannel` that delivers it).
    public var kind: ChannelKind {
        switch self {
        case .mbox: .mbox
        case .maildir: .maildir
        case .sendmail: .sendmail
        }
    }

    /// The route name the ledger keys on: `mbox` (the account is the recipient's), `maildir:/path`,
    /// `sendmail:address`.
    public var routeName: String {
        switch self {
        case .mbox: "mbox"
        case .maildir(let path): "maildir:\(path)"
        case .sendmail(let address): "sendmail:\(address)"
        }
    }

    /// Reads a route name back (`mbox` needs the recipient's account).
    public init?(routeName: String, account: String?) {
        if routeName == "mbox" {
            guard let account else { return nil }
            self = .mbox(account: account)
        } else if routeName.hasPrefix("maildir:") {
            self = .maildir(path: String(routeName.dropFirst("maildir:".count)))
        } else if routeName.hasPrefix("sendmail:") {
            self = .sendmail(address: String(routeName.dropFirst("sendmail:".count)))
        } else {
            return nil
        }
    }
}

extension Recipient: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, name, account, channels
        /// The single channel of ledger rows written before recipients had several (read, never written).
        case channel
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        let account = try c.decodeIfPresent(String.self, forKey: .account)
        self.account = account
        if let names = try c.decodeIfPresent([String].self, forKey: .channels) {
            channels = try names.map { name in
                guard let channel = Channel(routeName: name, account: account) else {
                    throw DecodingError.dataCorruptedError(forKey: .channels, in: c, debugDescription: "unknown channel")
                }
                return channel
            }
        } else if let legacy = try c.decodeIfPresent(LegacyChannel.self, forKey: .channel) {
            channels = legacy.channel.map { [$0] } ?? []
        } else {
            channels = []
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(account, forKey: .account)
        try c.encode(channels.map(\.routeName), forKey: .channels)
    }

    /// `{"mbox":{"account":"x"}}`, `{"maildir":{"path":"/p"}}`, `{"sendmail":{"address":"a"}}`, `{"none":{}}`.
    private struct LegacyChannel: Decodable {
        var channel: Channel?

        private struct Account: Decodable { var account: String }
        private struct Path: Decodable { var path: String }
        private struct Address: Decodable { var address: String }
        private enum Keys: String, CodingKey { case mbox, maildir, sendmail, none }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            if let v = try c.decodeIfPresent(Account.self, forKey: .mbox) {
                channel = .mbox(account: v.account)
            } else if let v = try c.decodeIfPresent(Path.self, forKey: .maildir) {
                channel = .maildir(path: v.path)
            } else if let v = try c.decodeIfPresent(Address.self, forKey: .sendmail) {
                channel = .sendmail(address: v.address)
            } else {
                channel = nil
            }
        }
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
    /// The plan clause the duty comes from, as the schedule file writes it.
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
    /// The instant the occurrence's id names when it was moved (`occurrence` is then where it was moved to).
    public var originalOccurrence: Date?
    /// The change a `changed`, `cancelled` or `snoozed` reminder is about.
    public var change: ReminderChange?
    /// Whether the mail of this reminder may share a message with others (`DigestPolicy`); nil: off.
    public var digest: DigestPolicy?

    public init(
        dutyID: String, title: String, description: String = "", clause: String? = nil, responsible: [String] = [],
        occurrence: Date, timeZoneIdentifier: String, fireAt: Date, kind: ReminderKind, offsetLabel: String = "",
        priority: DutyPriority = .normal, recipient: Recipient, scheduleFile: String? = nil,
        originalOccurrence: Date? = nil, change: ReminderChange? = nil, digest: DigestPolicy? = nil
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
        self.originalOccurrence = originalOccurrence
        self.change = change
        self.digest = digest
    }

    /// Which occurrence this reminder is about. Stable across restarts, reloads and moves (a moved occurrence
    /// keeps the id of its original instant).
    public var occurrenceIdentifier: OccurrenceID { OccurrenceID(duty: dutyID, at: originalOccurrence ?? occurrence) }

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

/// What a change notice or a snoozed reminder carries about its change: the journal's `DUTY_CHANGE*` fields and
/// the mail's lines. Stored with the reminder in the ledger.
public struct ReminderChange: Sendable, Hashable, Codable {
    /// The ledger's change id.
    public var id: Int64
    /// `move`, `cancel`, `restore`, `add` or `snooze`.
    public var action: String
    /// The instant the occurrence had before (a move, a restore of a move).
    public var previous: Date?
    public var note: String?
    /// The person id, account or `uid:N` that made the change.
    public var actor: String
    public var actorUID: UInt32?
    /// For a snoozed reminder: the kind of the reminder it repeats.
    public var repeats: ReminderKind?
    /// For a skipped entry of a pause of a role or township: the persons it silenced (the others were reminded).
    public var people: [String]?

    public init(
        id: Int64, action: String, previous: Date? = nil, note: String? = nil, actor: String, actorUID: UInt32? = nil,
        repeats: ReminderKind? = nil, people: [String]? = nil
    ) {
        self.people = people
        self.id = id
        self.action = action
        self.previous = previous
        self.note = note
        self.actor = actor
        self.actorUID = actorUID
        self.repeats = repeats
    }
}
