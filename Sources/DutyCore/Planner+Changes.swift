import Foundation

/// A pause placed on one duty: the whole duty (a `duty:` scope), or the persons of a role or township.
struct PlacedPause: Sendable {
    var pause: OccurrenceChanges.Pause
    /// The persons it silences; nil: the whole duty.
    var persons: Set<String>?
}

/// What the pauses in force at an occurrence's instant do to it.
enum PauseEffect: Sendable, Hashable {
    /// Nobody is reminded, nothing is escalated: a `duty:` pause, or every person the duty reaches is paused.
    case whole(OccurrenceChanges.Pause)
    /// These persons (of a paused role or township) are not reminded; the others are, and escalation goes on.
    case partial(OccurrenceChanges.Pause, [String])

    var pause: OccurrenceChanges.Pause {
        switch self {
        case .whole(let p), .partial(let p, _): p
        }
    }
}

/// The changes of one duty, placed against the schedules in effect (orphans left out).
struct DutyChangeSet: Sendable {
    /// Occurrence states by the occurrence's seconds.
    var states: [Int64: OccurrenceChanges.OccurrenceState] = [:]
    var pauses: [PlacedPause] = []
    var announcements: [OccurrenceChanges.Announcement] = []
    var snoozes: [OccurrenceChanges.Snooze] = []
    /// The persons the duty reaches (recipients and responsible), when it has pauses.
    var reached: Set<String> = []

    /// What the pauses do to an occurrence at `instant` (nil: nothing).
    func pauseEffect(at instant: Date) -> PauseEffect? {
        var persons = Set<String>()
        var first: OccurrenceChanges.Pause?
        for placed in pauses where placed.pause.contains(instant) {
            guard let silenced = placed.persons else { return .whole(placed.pause) }
            persons.formUnion(silenced)
            if first == nil { first = placed.pause }
        }
        guard let first else { return nil }
        let paused = reached.intersection(persons)
        if paused.isEmpty { return nil }
        if reached.isSubset(of: persons) { return .whole(first) }
        return .partial(first, paused.sorted())
    }

    /// The occurrences of the duty whose instant (after changes) is in `(from, to]`, with the original instant of
    /// the moved ones; cancelled ones left out, paused ones kept (the caller skips them).
    func effectiveOccurrences(of duty: Duty, after from: Date, through to: Date) -> [(original: Date?, at: Date)] {
        var out: [(original: Date?, at: Date)] = []
        for occurrence in duty.occurrences(after: from, through: to) {
            if let state = states[OccurrenceID(duty: duty.id, at: occurrence).seconds],
                state.cancelled || state.movedTo != nil
            {
                continue
            }
            out.append((nil, occurrence))
        }
        for (seconds, state) in states where !state.cancelled {
            let own = Date(timeIntervalSince1970: TimeInterval(seconds))
            if let moved = state.movedTo {
                if moved > from && moved <= to { out.append((own, moved)) }
            } else if state.added, own > from, own <= to {
                out.append((nil, own))
            }
        }
        return out
    }
}

/// An occurrence as the changes left it: where it happens, whether it was moved, cancelled, added or paused.
public struct PlannedOccurrence: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// As the schedules have it.
        case scheduled
        /// Moved to another instant (`at`).
        case moved
        /// Cancelled: nothing more is sent for it.
        case cancelled
        /// An extra occurrence (`dutyctl add`).
        case added
        /// Inside a pause: neither reminded nor escalated.
        case paused
    }

    public var id: OccurrenceID
    /// The instant it happens at (after a move).
    public var at: Date
    /// Its own instant, when it was moved.
    public var movedFrom: Date?
    public var cancelled: Bool
    public var added: Bool
    /// The pause that skips it (wholly, or for `pausedPersons`).
    public var pausedBy: Int64?
    /// The persons a pause of their role or township silences for it, when others are still reminded (empty:
    /// the whole occurrence is paused, or none).
    public var pausedPersons: [String] = []

    public init(
        id: OccurrenceID, at: Date, movedFrom: Date?, cancelled: Bool, added: Bool, pausedBy: Int64? = nil,
        pausedPersons: [String] = []
    ) {
        self.id = id
        self.at = at
        self.movedFrom = movedFrom
        self.cancelled = cancelled
        self.added = added
        self.pausedBy = pausedBy
        self.pausedPersons = pausedPersons
    }

    /// The one word `show`, `agenda` and the API print: cancelled over paused over moved over added (an
    /// occurrence paused for some persons only is not `paused`).
    public var status: Status {
        if cancelled { return .cancelled }
        if pausedBy != nil && pausedPersons.isEmpty { return .paused }
        if movedFrom != nil { return .moved }
        if added { return .added }
        return .scheduled
    }
}

extension Planner {
    /// Places the changes against the schedules: per duty, and the orphans.
    static func place(_ changes: OccurrenceChanges, in schedules: ScheduleSet) -> ([String: DutyChangeSet], [OrphanedChange]) {
        guard !changes.isEmpty else { return ([:], []) }
        var perDuty: [String: DutyChangeSet] = [:]
        var orphaned: [Int64: String] = [:]
        var placed = Set<OccurrenceID>()
        for (id, state) in changes.occurrences {
            guard let duty = schedules.duty(id: id.duty) else {
                for change in state.history { orphaned[change] = "no duty '\(id.duty)'" }
                continue
            }
            if !state.added && !Self.isOccurrence(id, of: duty) {
                let when = TimeFormatting.iso8601(id.instant, in: duty.timeZone)
                for change in state.history { orphaned[change] = "\(when) is not an occurrence of \(duty.id)" }
                continue
            }
            placed.insert(id)
            perDuty[id.duty, default: DutyChangeSet()].states[id.seconds] = state
        }
        for announcement in changes.announcements where placed.contains(announcement.occurrence) {
            perDuty[announcement.occurrence.duty, default: DutyChangeSet()].announcements.append(announcement)
        }
        for snooze in changes.snoozes where placed.contains(snooze.occurrence) {
            guard schedules.person(id: snooze.person) != nil else {
                orphaned[snooze.change.id] = "no person '\(snooze.person)'"
                continue
            }
            perDuty[snooze.occurrence.duty, default: DutyChangeSet()].snoozes.append(snooze)
        }
        for pause in changes.pauses {
            let filter = pause.scope.filter
            do {
                try filter.validate(against: schedules)
            } catch {
                orphaned[pause.change.id] = error.description
                continue
            }
            guard pause.until > pause.from else { continue }
            var persons: Set<String>?
            switch pause.scope {
            case .duty: persons = nil
            case .role(let role): persons = Set(schedules.persons(for: [role]).map(\.id))
            case .township(let name):
                persons = Set(schedules.township(named: name)?.role.map { schedules.persons(for: [$0]).map(\.id) } ?? [])
            }
            for duty in schedules.duties where filter.selects(duty, in: schedules) {
                perDuty[duty.id, default: DutyChangeSet()].pauses.append(PlacedPause(pause: pause, persons: persons))
            }
        }
        for (id, changes) in perDuty where !changes.pauses.isEmpty {
            guard let duty = schedules.duty(id: id) else { continue }
            perDuty[id]?.reached = Set(schedules.persons(for: duty.recipients + duty.responsible).map(\.id))
        }
        let records = Dictionary(changes.records.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let orphans = orphaned.keys.sorted().compactMap { id in
            records[id].map { OrphanedChange(change: $0, reason: orphaned[id]!) }
        }
        return (perDuty, orphans)
    }

    /// Whether the instant an occurrence id names is one of its duty's occurrences (holiday moves applied).
    static func isOccurrence(_ id: OccurrenceID, of duty: Duty) -> Bool {
        let at = id.instant
        return duty.occurrences(after: at.addingTimeInterval(-1), through: at.addingTimeInterval(1)).contains {
            OccurrenceID(duty: duty.id, at: $0) == id
        }
    }

    /// The change notices of a duty and its snoozes' repeats in `(after, through]`.
    func appendChangeNotices(
        of duty: Duty, changes: DutyChangeSet, after: Date, through: Date, into result: inout [Notice]
    ) {
        for announcement in changes.announcements {
            let change = announcement.change
            guard change.recordedAt > after && change.recordedAt <= through else { continue }
            let kind: ReminderKind = change.action.name == "cancel" ? .cancelled : .changed
            let own = announcement.occurrence.instant
            result.append(
                Notice(
                    dutyID: duty.id, occurrence: announcement.at, fireAt: change.recordedAt, kind: kind,
                    offsetLabel: "\(change.action.name)-\(change.id)", escalationStep: 0,
                    originalOccurrence: announcement.at == own ? nil : own,
                    change: ReminderChange(
                        id: change.id, action: change.action.name, previous: announcement.previous, note: change.note,
                        actor: change.actor, actorUID: change.actorUID)))
        }
        for snooze in changes.snoozes {
            guard let repeated = repeatedNotice(of: snooze, duty: duty, changes: changes),
                repeated.fireAt > after && repeated.fireAt <= through
            else { continue }
            result.append(repeated)
        }
    }

    /// A snooze's repeat: the latest notice of the occurrence to the person at or before the snooze, repeated the
    /// span after the snooze; without one, the next notice to the person, repeated the span after it fires. Nil
    /// when the occurrence is cancelled or paused, or nothing reaches the person.
    func repeatedNotice(of snooze: OccurrenceChanges.Snooze, duty: Duty, changes: DutyChangeSet) -> Notice? {
        let state = changes.states[snooze.occurrence.seconds]
        if state?.cancelled == true { return nil }
        let own = snooze.occurrence.instant
        let at = state?.movedTo ?? own
        switch changes.pauseEffect(at: at) {
        case .whole: return nil
        case .partial(_, let persons) where persons.contains(snooze.person): return nil
        default: break
        }
        var notices: [Notice] = []
        appendNotices(
            of: duty, at: at, original: at == own ? nil : own, after: .distantPast, through: .distantFuture,
            into: &notices)
        let mine = notices.filter { notice in reminders(for: notice).contains { $0.recipient.id == snooze.person } }
            .sorted { ($0.fireAt, $0.kind.rawValue, $0.offsetLabel) < ($1.fireAt, $1.kind.rawValue, $1.offsetLabel) }
        let snoozedAt = snooze.change.recordedAt
        let base: Notice
        let fireAt: Date
        if let last = mine.last(where: { $0.fireAt <= snoozedAt }) {
            base = last
            fireAt = snoozedAt.addingTimeInterval(snooze.span.timeInterval)
        } else if let next = mine.first(where: { $0.fireAt > snoozedAt }) {
            base = next
            fireAt = next.fireAt.addingTimeInterval(snooze.span.timeInterval)
        } else {
            return nil
        }
        let change = snooze.change
        return Notice(
            dutyID: duty.id, occurrence: at, fireAt: fireAt, kind: .snoozed,
            offsetLabel: "\(snooze.span.description)-\(change.id)", escalationStep: base.escalationStep,
            originalOccurrence: base.originalOccurrence, recipient: snooze.person,
            change: ReminderChange(
                id: change.id, action: change.action.name, note: change.note, actor: change.actor,
                actorUID: change.actorUID, repeats: base.kind))
    }

    /// The change notices and snooze repeats of every duty in `(after, through]`, by fire time (the scheduler
    /// hands out those it ticked past before it read the change).
    public func changeNotices(after: Date, through: Date) -> [Notice] {
        var result: [Notice] = []
        for (id, changes) in perDuty {
            guard let duty = schedules.duty(id: id) else { continue }
            appendChangeNotices(of: duty, changes: changes, after: after, through: through, into: &result)
        }
        return result.sorted { ($0.fireAt, $0.dutyID, $0.offsetLabel) < ($1.fireAt, $1.dutyID, $1.offsetLabel) }
    }

    // MARK: - Occurrences as the changes left them

    /// An occurrence by id: one of its duty's, or an extra one; nil when there is no such occurrence.
    public func plannedOccurrence(_ id: OccurrenceID) -> PlannedOccurrence? {
        guard let duty = schedules.duty(id: id.duty) else { return nil }
        let changes = perDuty[duty.id]
        let state = changes?.states[id.seconds]
        if state?.added != true && !Self.isOccurrence(id, of: duty) { return nil }
        return planned(id, state: state, changes: changes)
    }

    private func planned(_ id: OccurrenceID, state: OccurrenceChanges.OccurrenceState?, changes: DutyChangeSet?)
        -> PlannedOccurrence
    {
        let at = state?.movedTo ?? id.instant
        let effect = changes?.pauseEffect(at: at)
        var persons: [String] = []
        if case .partial(_, let paused) = effect { persons = paused }
        return PlannedOccurrence(
            id: id, at: at, movedFrom: state?.movedTo == nil ? nil : id.instant, cancelled: state?.cancelled ?? false,
            added: state?.added ?? false, pausedBy: effect?.pause.change.id, pausedPersons: persons)
    }

    /// The occurrences of a duty whose instant (after changes) is in `(after, through]`, in time order; cancelled
    /// ones at their last instant when `cancelled` is true.
    public func plannedOccurrences(of duty: Duty, after: Date, through: Date, cancelled: Bool = false) -> [PlannedOccurrence] {
        guard let changes = perDuty[duty.id] else {
            return duty.occurrences(after: after, through: through).map {
                PlannedOccurrence(id: OccurrenceID(duty: duty.id, at: $0), at: $0, movedFrom: nil, cancelled: false, added: false)
            }
        }
        var result = changes.effectiveOccurrences(of: duty, after: after, through: through).map { original, at in
            let id = OccurrenceID(duty: duty.id, at: original ?? at)
            return planned(id, state: changes.states[id.seconds], changes: changes)
        }
        if cancelled {
            for (seconds, state) in changes.states where state.cancelled {
                let id = OccurrenceID(duty: duty.id, seconds: seconds)
                let at = state.movedTo ?? id.instant
                if at > after && at <= through { result.append(planned(id, state: state, changes: changes)) }
            }
        }
        return result.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
    }

    /// The next `count` occurrences of a duty after an instant, changes applied (cancelled ones left out).
    public func nextOccurrences(of duty: Duty, after: Date, count: Int) -> [PlannedOccurrence] {
        guard let changes = perDuty[duty.id] else {
            var result: [PlannedOccurrence] = []
            var cursor = after
            while result.count < count, let at = duty.nextOccurrence(after: cursor) {
                result.append(PlannedOccurrence(id: OccurrenceID(duty: duty.id, at: at), at: at, movedFrom: nil, cancelled: false, added: false))
                cursor = at
            }
            return result
        }
        // Enough raw occurrences that moved and cancelled ones cannot leave fewer than `count`.
        var cursor = after
        var last = after
        for _ in 0..<(count + changes.states.count) {
            guard let at = duty.nextOccurrence(after: cursor) else { break }
            last = at
            cursor = at
        }
        var result = plannedOccurrences(of: duty, after: after, through: last)
        // Moved or added occurrences later than the last raw one.
        for (seconds, state) in changes.states where !state.cancelled {
            let id = OccurrenceID(duty: duty.id, seconds: seconds)
            let at = state.movedTo ?? (state.added ? id.instant : nil)
            if let at, at > last { result.append(planned(id, state: state, changes: changes)) }
        }
        return Array(result.sorted { ($0.at, $0.id) < ($1.at, $1.id) }.prefix(count))
    }

    /// What a pause skips: the occurrences of its scope's duties inside it, in time order.
    public func skipped(by pause: OccurrenceChanges.Pause) -> [PlannedOccurrence] {
        guard pause.until > pause.from else { return [] }
        let filter = pause.scope.filter
        guard (try? filter.validate(against: schedules)) != nil else { return [] }
        var result: [PlannedOccurrence] = []
        for duty in schedules.duties where filter.selects(duty, in: schedules) {
            result += plannedOccurrences(of: duty, after: pause.from.addingTimeInterval(-0.001), through: pause.until)
                .filter { pause.contains($0.at) && $0.pausedBy != nil }
        }
        return result.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
    }
}
