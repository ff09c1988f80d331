import Foundation

/// Which duties a pause applies to: one duty, the duties of a role, or the duties of a township (its role), the
/// way `RecipientFilter` selects them. Written `duty:ID`, `role:ID`, `township:ID` in the ledger, the API and
/// the journal.
public enum PauseScope: Sendable, Hashable, Comparable, CustomStringConvertible {
    case duty(String)
    case role(String)
    case township(String)

    /// `duty:ID`, `role:ID` or `township:ID`.
    public var description: String {
        switch self {
        case .duty(let id): "duty:\(id)"
        case .role(let id): "role:\(id)"
        case .township(let id): "township:\(id)"
        }
    }

    /// Reads `duty:ID`, `role:ID` or `township:ID` (the id not empty); nil otherwise.
    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let id = String(text[text.index(after: colon)...])
        guard !id.isEmpty else { return nil }
        switch text[..<colon] {
        case "duty": self = .duty(id)
        case "role": self = .role(id)
        case "township": self = .township(id)
        default: return nil
        }
    }

    /// The id the scope names.
    public var id: String {
        switch self {
        case .duty(let id), .role(let id), .township(let id): id
        }
    }

    /// The filter that selects the scope's duties.
    public var filter: RecipientFilter {
        switch self {
        case .duty(let id): RecipientFilter(duty: id)
        case .role(let id): RecipientFilter(role: id)
        case .township(let id): RecipientFilter(township: id)
        }
    }

    public static func < (lhs: PauseScope, rhs: PauseScope) -> Bool { lhs.description < rhs.description }
}

/// One change to the plan while it runs, as `dutyctl move/cancel/restore/add/snooze/pause/resume` make it.
public enum ChangeAction: Sendable, Hashable {
    /// The occurrence keeps its id and happens at another instant.
    case move(OccurrenceID, to: Date)
    /// Nothing more is sent for the occurrence.
    case cancel(OccurrenceID)
    /// Undoes a cancel or a move: the occurrence is back at its own instant.
    case restore(OccurrenceID)
    /// An extra occurrence of a duty (its id names the duty and the instant).
    case add(OccurrenceID)
    /// The next reminder of the occurrence to `person` is repeated `span` later, once.
    case snooze(OccurrenceID, person: String, span: TimeSpan)
    /// Occurrences of the scope's duties in `[from, until)` are neither reminded nor escalated.
    case pause(PauseScope, from: Date, until: Date)
    /// Ends the scope's pauses at the instant the resume is recorded.
    case resume(PauseScope)

    /// `move`, `cancel`, `restore`, `add`, `snooze`, `pause` or `resume`: the ledger's and the API's name.
    public var name: String {
        switch self {
        case .move: "move"
        case .cancel: "cancel"
        case .restore: "restore"
        case .add: "add"
        case .snooze: "snooze"
        case .pause: "pause"
        case .resume: "resume"
        }
    }

    /// The occurrence the change is about (nil for pauses and resumes).
    public var occurrence: OccurrenceID? {
        switch self {
        case .move(let o, _), .cancel(let o), .restore(let o), .add(let o), .snooze(let o, _, _): o
        case .pause, .resume: nil
        }
    }

    /// The pause scope (pauses and resumes only).
    public var scope: PauseScope? {
        switch self {
        case .pause(let scope, _, _), .resume(let scope): scope
        default: nil
        }
    }

    /// What concurrent changes compete for: the occurrence id for move, cancel, restore and add; the occurrence
    /// and the person for a snooze; `pause:<scope>` for pauses and resumes. Its revision is the id of its latest
    /// change (`Ledger.recordChange(_:expectedRevision:at:)`).
    public var subject: String {
        switch self {
        case .move(let o, _), .cancel(let o), .restore(let o), .add(let o): o.description
        case .snooze(let o, let person, _): "\(o.description)/snooze/\(person)"
        case .pause(let scope, _, _), .resume(let scope): "pause:\(scope.description)"
        }
    }
}

/// A change as the ledger stores and returns it: the action, who made it (uid and the person or account on
/// whose behalf), when, and a free-text note. `id` is assigned by the ledger, increasing; it orders changes.
public struct OccurrenceChange: Sendable, Hashable {
    public var id: Int64
    public var action: ChangeAction
    public var recordedAt: Date
    /// The peer's uid (`SO_PEERCRED`), when known.
    public var actorUID: UInt32?
    /// The person id, account or `uid:N` the change was made as.
    public var actor: String
    public var note: String?

    public init(id: Int64, action: ChangeAction, recordedAt: Date, actorUID: UInt32?, actor: String, note: String?) {
        self.id = id
        self.action = action
        self.recordedAt = recordedAt
        self.actorUID = actorUID
        self.actor = actor
        self.note = note
    }
}

/// A change to record (`Ledger.recordChange(_:expectedRevision:at:)`); the ledger adds the id and the time.
public struct NewOccurrenceChange: Sendable, Hashable {
    public var action: ChangeAction
    public var actorUID: UInt32?
    public var actor: String
    public var note: String?

    public init(action: ChangeAction, actorUID: UInt32?, actor: String, note: String?) {
        self.action = action
        self.actorUID = actorUID
        self.actor = actor
        self.note = note
    }

    /// Notes are cut to this many characters.
    public static let maximumNoteLength = 2000
}

/// The columns of a stored change, shared by every ledger backend so that each stores and reads changes alike:
/// `action` (the name), `occurrence` (occurrence id text), `scope` (`PauseScope` text), `at` (move target,
/// pause start), `until` (pause end), `span` (snooze seconds), `person` (snooze).
public struct ChangeColumns: Sendable, Hashable {
    public var action: String
    public var occurrence: String?
    public var scope: String?
    public var at: Date?
    public var until: Date?
    public var span: Int64?
    public var person: String?

    public init(
        action: String, occurrence: String? = nil, scope: String? = nil, at: Date? = nil, until: Date? = nil,
        span: Int64? = nil, person: String? = nil
    ) {
        self.action = action
        self.occurrence = occurrence
        self.scope = scope
        self.at = at
        self.until = until
        self.span = span
        self.person = person
    }

    public init(_ action: ChangeAction) {
        self.init(action: action.name, occurrence: action.occurrence?.description, scope: action.scope?.description)
        switch action {
        case .move(_, let to): at = to
        case .snooze(_, let person, let span):
            self.person = person
            self.span = span.seconds
        case .pause(_, let from, let until):
            at = from
            self.until = until
        case .cancel, .restore, .add, .resume: break
        }
    }

    /// The action these columns hold; nil when they are inconsistent (a ledger reports that as invalid data).
    public var changeAction: ChangeAction? {
        let occurrence = self.occurrence.flatMap(OccurrenceID.init)
        let scope = self.scope.flatMap(PauseScope.init)
        switch action {
        case "move":
            guard let occurrence, let at else { return nil }
            return .move(occurrence, to: at)
        case "cancel": return occurrence.map { .cancel($0) }
        case "restore": return occurrence.map { .restore($0) }
        case "add": return occurrence.map { .add($0) }
        case "snooze":
            guard let occurrence, let person, let span, span > 0 else { return nil }
            return .snooze(occurrence, person: person, span: TimeSpan(seconds: span))
        case "pause":
            guard let scope, let at, let until else { return nil }
            return .pause(scope, from: at, until: until)
        case "resume": return scope.map { .resume($0) }
        default: return nil
        }
    }
}
