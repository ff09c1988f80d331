import Foundation

/// The effect of every recorded change, folded in id order: which occurrences are moved (and where to),
/// cancelled or added, which pauses are in force until when, which snoozes wait, and the change notices to
/// send. A pure value built from the ledger's records; the `Planner` consults it, so the scheduler, `upcoming`,
/// `show`, `agenda` and the ICS export all see the same plan.
///
/// Folding rules (a change the daemon would refuse, such as a second cancel, still folds without harm):
/// - `move(o, to: t)`: `o` happens at `t` (a later move replaces an earlier one; a move lifts a cancel);
/// - `cancel(o)`: `o` is cancelled; `restore(o)`: neither moved nor cancelled any more;
/// - `add(o)`: `o` is an extra occurrence of its duty at its own instant (it can be moved and cancelled too);
/// - `pause(s, from, until)`: occurrences of the scope's duties whose instant is in `[from, until)` are skipped;
///   `resume(s)` at `r` ends every pause of `s` still in force at `r` (`until = max(from, r)`);
/// - `snooze(o, person, span)` at `r`: one repeat, see `Planner`.
/// Every move, cancel, restore and add is announced once to the duty's recipients (`announcements`).
public struct OccurrenceChanges: Sendable {
    /// The state of one occurrence that changes touched.
    public struct OccurrenceState: Sendable, Hashable {
        /// The instant it happens at instead of its own.
        public var movedTo: Date?
        public var cancelled = false
        /// An extra occurrence (`add`), not one of the duty's recurrence.
        public var added = false
        /// The ids of the changes that touched it, oldest first.
        public var history: [Int64] = []

        public init(movedTo: Date? = nil, cancelled: Bool = false, added: Bool = false, history: [Int64] = []) {
            self.movedTo = movedTo
            self.cancelled = cancelled
            self.added = added
            self.history = history
        }
    }

    /// A change notice: a move, cancel, restore or add, as it stood when it was made.
    public struct Announcement: Sendable, Hashable {
        public var change: OccurrenceChange
        public var occurrence: OccurrenceID
        /// The instant the occurrence happens at after the change (for a cancel, the instant it had).
        public var at: Date
        /// The instant it had before, when the change moved it (a move, a restore of a move).
        public var previous: Date?

        public init(change: OccurrenceChange, occurrence: OccurrenceID, at: Date, previous: Date?) {
            self.change = change
            self.occurrence = occurrence
            self.at = at
            self.previous = previous
        }
    }

    /// A pause as it stands after the resumes recorded later.
    public struct Pause: Sendable, Hashable {
        public var change: OccurrenceChange
        public var scope: PauseScope
        public var from: Date
        /// The end (exclusive): as asked for, or earlier when resumed.
        public var until: Date
        /// The resume that ended it early.
        public var resumedBy: Int64?

        public init(change: OccurrenceChange, scope: PauseScope, from: Date, until: Date, resumedBy: Int64? = nil) {
            self.change = change
            self.scope = scope
            self.from = from
            self.until = until
            self.resumedBy = resumedBy
        }

        public func contains(_ instant: Date) -> Bool { instant >= from && instant < until }
    }

    /// A snooze: the next reminder of `occurrence` to `person` is repeated `span` later.
    public struct Snooze: Sendable, Hashable {
        public var change: OccurrenceChange
        public var occurrence: OccurrenceID
        public var person: String
        public var span: TimeSpan
    }

    /// Every change, by id.
    public let records: [OccurrenceChange]
    /// The occurrences changes touched, by id.
    public private(set) var occurrences: [OccurrenceID: OccurrenceState] = [:]
    public private(set) var announcements: [Announcement] = []
    public private(set) var pauses: [Pause] = []
    public private(set) var snoozes: [Snooze] = []
    /// The latest change id per subject (`ChangeAction.subject`).
    private var revisions: [String: Int64] = [:]

    /// No changes.
    public static let none = OccurrenceChanges([])

    public init(_ records: [OccurrenceChange]) {
        self.records = records.sorted { $0.id < $1.id }
        for change in self.records { apply(change) }
    }

    public var isEmpty: Bool { records.isEmpty }

    /// The id of the latest change of a subject (`ChangeAction.subject`), 0 when none: what a client passes as
    /// `if_revision` to change it only if nobody did meanwhile.
    public func revision(of subject: String) -> Int64 { revisions[subject] ?? 0 }

    /// The state of an occurrence, nil when no change touched it.
    public func state(of occurrence: OccurrenceID) -> OccurrenceState? { occurrences[occurrence] }

    /// The changes that touched an occurrence (snoozes included), oldest first.
    public func history(of occurrence: OccurrenceID) -> [OccurrenceChange] {
        records.filter { $0.action.occurrence == occurrence }
    }

    /// The pauses of a scope still in force at `instant` or later.
    public func pauses(of scope: PauseScope, inForceAt instant: Date) -> [Pause] {
        pauses.filter { $0.scope == scope && $0.until > instant && $0.until > $0.from }
    }

    private mutating func apply(_ change: OccurrenceChange) {
        revisions[change.action.subject] = change.id
        switch change.action {
        case .move(let o, let to):
            var state = occurrences[o] ?? OccurrenceState()
            let previous = state.movedTo ?? o.instant
            state.movedTo = to
            state.cancelled = false
            state.history.append(change.id)
            occurrences[o] = state
            announcements.append(Announcement(change: change, occurrence: o, at: to, previous: previous))
        case .cancel(let o):
            var state = occurrences[o] ?? OccurrenceState()
            state.cancelled = true
            state.history.append(change.id)
            occurrences[o] = state
            announcements.append(Announcement(change: change, occurrence: o, at: state.movedTo ?? o.instant, previous: nil))
        case .restore(let o):
            var state = occurrences[o] ?? OccurrenceState()
            let previous = state.movedTo
            state.movedTo = nil
            state.cancelled = false
            state.history.append(change.id)
            occurrences[o] = state
            announcements.append(Announcement(change: change, occurrence: o, at: o.instant, previous: previous))
        case .add(let o):
            var state = occurrences[o] ?? OccurrenceState()
            state.added = true
            state.history.append(change.id)
            occurrences[o] = state
            announcements.append(Announcement(change: change, occurrence: o, at: state.movedTo ?? o.instant, previous: nil))
        case .snooze(let o, let person, let span):
            occurrences[o, default: OccurrenceState()].history.append(change.id)
            snoozes.append(Snooze(change: change, occurrence: o, person: person, span: span))
        case .pause(let scope, let from, let until):
            pauses.append(Pause(change: change, scope: scope, from: from, until: until))
        case .resume(let scope):
            for i in pauses.indices where pauses[i].scope == scope && pauses[i].until > change.recordedAt {
                pauses[i].until = max(pauses[i].from, change.recordedAt)
                pauses[i].resumedBy = change.id
            }
        }
    }
}

/// A change the schedules in effect cannot place: its duty, role or township is gone (renamed in a reload), or
/// its occurrence is no longer one of its duty's. It is kept in the ledger and reported, and has no effect.
public struct OrphanedChange: Sendable, Hashable, CustomStringConvertible {
    public var change: OccurrenceChange
    public var reason: String

    public init(change: OccurrenceChange, reason: String) {
        self.change = change
        self.reason = reason
    }

    /// `change 12 (move dongchuan-biweekly-meeting@1537146000): no duty 'dongchuan-biweekly-meeting'`.
    public var description: String {
        let target = change.action.occurrence?.description ?? change.action.scope?.description ?? ""
        return "change \(change.id) (\(change.action.name) \(target)): \(reason)"
    }
}
