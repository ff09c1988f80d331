import Foundation

/// One notice the planner schedules for one occurrence of one duty, before recipients are resolved.
public struct Notice: Sendable, Hashable {
    public var dutyID: String
    public var occurrence: Date
    public var fireAt: Date
    public var kind: ReminderKind
    /// For warnings the canonical offset (`3d`); for escalations `step-N`; empty otherwise.
    public var offsetLabel: String
    /// Overdue chain position: 0 for the overdue notice to the recipients, N >= 1 for the N-th escalation step.
    public var escalationStep: Int
    /// What changes to the plan add to a notice (rare), out of line: a notice of an unchanged plan stays at its
    /// six fields (a window of `upcoming` over the 55,166-household roster holds some 330,000 notices; inline,
    /// these four fields would more than double each one).
    private var adjustments: Box<Adjustments>?

    struct Adjustments: Sendable, Hashable {
        var originalOccurrence: Date?
        var recipient: String?
        var change: ReminderChange?
        var excluded: [String] = []
    }

    /// The instant the occurrence's id names, when it was moved (`occurrence` is where it was moved to).
    public var originalOccurrence: Date? {
        get { adjustments?.value.originalOccurrence }
        set { adjust { $0.originalOccurrence = newValue } }
    }
    /// Only this person receives the notice (a snooze's repeat).
    public var recipient: String? {
        get { adjustments?.value.recipient }
        set { adjust { $0.recipient = newValue } }
    }
    /// The change a `changed`, `cancelled` or `snoozed` notice is about.
    public var change: ReminderChange? {
        get { adjustments?.value.change }
        set { adjust { $0.change = newValue } }
    }
    /// Persons a pause of their role or township silences: they do not receive this notice.
    public var excluded: [String] {
        get { adjustments?.value.excluded ?? [] }
        set { adjust { $0.excluded = newValue } }
    }

    private mutating func adjust(_ body: (inout Adjustments) -> Void) {
        var value = adjustments?.value ?? Adjustments()
        body(&value)
        adjustments = value == Adjustments() ? nil : Box(value)
    }

    /// Overdue, escalation and snoozed notices are only delivered while the occurrence is not acknowledged.
    public var requiresOpenOccurrence: Bool { kind == .overdue || kind == .escalation || kind == .snoozed }

    /// The occurrence's id (of its original instant when it was moved).
    public var occurrenceID: OccurrenceID { OccurrenceID(duty: dutyID, at: originalOccurrence ?? occurrence) }

    public init(
        dutyID: String, occurrence: Date, fireAt: Date, kind: ReminderKind, offsetLabel: String = "",
        escalationStep: Int = 0, originalOccurrence: Date? = nil, recipient: String? = nil, change: ReminderChange? = nil
    ) {
        self.dutyID = dutyID
        self.occurrence = occurrence
        self.fireAt = fireAt
        self.kind = kind
        self.offsetLabel = offsetLabel
        self.escalationStep = escalationStep
        let adjustments = Adjustments(originalOccurrence: originalOccurrence, recipient: recipient, change: change)
        self.adjustments = adjustments == Adjustments() ? nil : Box(adjustments)
    }
}

/// An immutable value on the heap, compared and hashed by value: for rarely set fields of a value that is held
/// by the hundred thousand.
final class Box<Value: Hashable & Sendable>: Hashable, Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
    static func == (a: Box, b: Box) -> Bool { a === b || a.value == b.value }
    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

/// The pure planner: given the validated schedules, it answers which notices fall due in a window and who
/// receives them. It reads no clock; the daemon and the CLI pass every instant in.
public struct Planner: Sendable {
    public let schedules: ScheduleSet
    /// The changes in effect (moves, cancels, extra occurrences, pauses, snoozes), as recorded.
    public let changes: OccurrenceChanges
    /// The changes per duty, placed against these schedules (empty without changes: the fast path).
    let perDuty: [String: DutyChangeSet]
    /// Changes these schedules cannot place (their duty, role or township is gone, or their occurrence is not
    /// one of its duty's any more): reported by the daemon, and without effect.
    public let orphanedChanges: [OrphanedChange]

    public init(schedules: ScheduleSet, changes: OccurrenceChanges = .none) {
        self.schedules = schedules
        self.changes = changes
        (perDuty, orphanedChanges) = Self.place(changes, in: schedules)
    }

    /// How far before an occurrence the duty's earliest notice may fire (computed when needed: a table of it per
    /// duty cost two dictionaries of 55,166 entries and a string hash per duty on every pass).
    static func lead(of duty: Duty) -> TimeInterval {
        var lead: TimeInterval = 0
        for warning in duty.warnings { lead = max(lead, warning.maximumLead) }
        if let issuedAt = duty.issuedAt, case .once(let due) = duty.recurrence {
            lead = max(lead, due.timeIntervalSince(issuedAt))
        }
        return lead
    }

    /// How far after an occurrence the duty's last overdue or escalation notice may fire.
    static func trail(of duty: Duty) -> TimeInterval {
        duty.needsAcknowledgement ? duty.grace * Double(duty.escalation.count + 1) : 0
    }

    /// Every notice whose fire time lies in `(after, through]`, sorted by fire time (then duty id and kind, so the
    /// order is deterministic).
    public func notices(after: Date, through: Date) -> [Notice] {
        var result: [Notice] = []
        for duty in schedules.duties {
            appendNotices(of: duty, after: after, through: through, into: &result)
        }
        result.sort { a, b in
            if a.fireAt != b.fireAt { return a.fireAt < b.fireAt }
            if a.dutyID != b.dutyID { return a.dutyID < b.dutyID }
            if a.occurrence != b.occurrence { return a.occurrence < b.occurrence }
            if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
            return a.offsetLabel < b.offsetLabel
        }
        return result
    }

    /// The notices of one duty in `(after, through]`, unsorted: those of its occurrences as changes left them
    /// (moved, cancelled, added, paused), the change notices and the snoozes' repeats.
    public func appendNotices(of duty: Duty, after: Date, through: Date, into result: inout [Notice]) {
        let from = after.addingTimeInterval(-Self.trail(of: duty))
        let to = through.addingTimeInterval(Self.lead(of: duty))
        guard !perDuty.isEmpty, let changes = perDuty[duty.id] else {
            for occurrence in duty.occurrences(after: from, through: to) {
                appendNotices(of: duty, at: occurrence, original: nil, after: after, through: through, into: &result)
            }
            return
        }
        for (original, at) in changes.effectiveOccurrences(of: duty, after: from, through: to) {
            guard let effect = changes.pauseEffect(at: at) else {
                appendNotices(of: duty, at: at, original: original, after: after, through: through, into: &result)
                continue
            }
            // Journaled at its instant, so that what a pause skipped is not silently lost.
            let pause = effect.pause.change
            if at > after && at <= through {
                var persons: [String]?
                if case .partial(_, let paused) = effect { persons = paused }
                result.append(
                    Notice(
                        dutyID: duty.id, occurrence: at, fireAt: at, kind: .skipped, offsetLabel: "pause-\(pause.id)",
                        escalationStep: 0, originalOccurrence: original,
                        change: ReminderChange(
                            id: pause.id, action: "pause", note: pause.note, actor: pause.actor, actorUID: pause.actorUID,
                            people: persons)))
            }
            if case .partial(_, let paused) = effect {
                var notices: [Notice] = []
                appendNotices(of: duty, at: at, original: original, after: after, through: through, into: &notices)
                for var notice in notices {
                    notice.excluded = paused
                    result.append(notice)
                }
            }
        }
        appendChangeNotices(of: duty, changes: changes, after: after, through: through, into: &result)
    }

    /// The notices of one occurrence at `at` (moved from `original`, if it was) in `(after, through]`.
    func appendNotices(
        of duty: Duty, at occurrence: Date, original: Date?, after: Date, through: Date, into result: inout [Notice]
    ) {
        func add(_ fireAt: Date, _ kind: ReminderKind, _ label: String = "", step: Int = 0) {
            if fireAt > after && fireAt <= through {
                result.append(
                    Notice(
                        dutyID: duty.id, occurrence: occurrence, fireAt: fireAt, kind: kind, offsetLabel: label,
                        escalationStep: step, originalOccurrence: original))
            }
        }
        add(occurrence, .due)
        if let issuedAt = duty.issuedAt, issuedAt <= occurrence {
            add(issuedAt, duty.issueKind)
        }
        for warning in duty.warnings {
            let fireAt = warning.warningInstant(
                for: occurrence, in: duty.timeZone, calendar: duty.workdays ?? .everyDay)
            add(fireAt, .warning, warning.description)
        }
        if duty.needsAcknowledgement {
            add(occurrence.addingTimeInterval(duty.grace), .overdue)
            for step in duty.escalation.indices {
                add(
                    occurrence.addingTimeInterval(duty.grace * Double(step + 2)), .escalation, "step-\(step + 1)",
                    step: step + 1)
            }
        }
    }

    /// The fire time of the first notice after `after`, looking no further than `limit`.
    ///
    /// The search widens a window from a minute by a factor of 8 (a minute, 8 minutes, about an hour, 8 hours, …,
    /// 400 days in 9 steps): each step costs one pass over the duties, and a first window of a day would expand
    /// a day of every dense duty (100 duties every 2 seconds are 4.3 million notices; docs/reliability.md,
    /// finding 5).
    public func nextFireTime(after: Date, limit: Date) -> Date? {
        var windowStart = after
        var span: TimeInterval = 60
        while windowStart < limit {
            let windowEnd = min(windowStart.addingTimeInterval(span), limit)
            if let first = notices(after: windowStart, through: windowEnd).first {
                return first.fireAt
            }
            windowStart = windowEnd
            span *= 8
        }
        return nil
    }

    /// The reminders a notice produces: one per person, roles expanded to their members, duplicates removed.
    /// Empty when the duty reaches nobody (see `deliverableReminders(for:)`).
    public func reminders(for notice: Notice) -> [Reminder] {
        guard let duty = schedules.duty(id: notice.dutyID) else { return [] }
        let targets: [String]
        if let person = notice.recipient {
            return schedules.persons(for: [person]).map { person in
                Self.reminder(for: notice, duty: duty, schedules: schedules, recipient: person.recipient)
            }
        }
        if !notice.excluded.isEmpty {
            var unfiltered = notice
            unfiltered.excluded = []
            return reminders(for: unfiltered).filter { !notice.excluded.contains($0.recipient.id) }
        }
        switch notice.kind {
        case .skipped:
            targets = []
        case .overdue:
            targets = duty.recipients + duty.responsible
        case .escalation:
            let index = notice.escalationStep - 1
            targets = duty.escalation.indices.contains(index) ? [duty.escalation[index]] : []
        default:
            targets = duty.recipients
        }
        return schedules.persons(for: targets).map { person in
            var reminder = Self.reminder(for: notice, duty: duty, schedules: schedules, recipient: person.recipient)
            reminder.digest = person.digest ?? duty.digest
            return reminder
        }
    }

    /// The reminders of a notice as the daemon hands them out: `reminders(for:)`, or, when the duty reaches
    /// nobody (no recipients resolve to a person), one reminder to `Recipient.nobody`, which the journal records
    /// and no mail channel serves, so a duty without people is still visible where operators look.
    public func deliverableReminders(for notice: Notice) -> [Reminder] {
        let reminders = self.reminders(for: notice)
        // A notice whose every recipient a pause silences is not sent at all (its skipped entry says so).
        guard reminders.isEmpty, notice.excluded.isEmpty, let duty = schedules.duty(id: notice.dutyID) else { return reminders }
        return [Self.reminder(for: notice, duty: duty, schedules: schedules, recipient: .nobody)]
    }

    /// The priority of a notice of a duty: the duty's own, raised to at least `high` for escalations.
    public static func priority(of notice: Notice, duty: Duty) -> DutyPriority {
        notice.kind == .escalation ? max(duty.priority, .high) : duty.priority
    }

    static func reminder(for notice: Notice, duty: Duty, schedules: ScheduleSet, recipient: Recipient) -> Reminder {
        Reminder(
            dutyID: duty.id, title: duty.title, description: duty.description, clause: duty.clause,
            responsible: duty.responsible.map { schedules.displayName(of: $0) },
            occurrence: notice.occurrence, timeZoneIdentifier: duty.timeZone.identifier, fireAt: notice.fireAt,
            kind: notice.kind, offsetLabel: notice.offsetLabel, priority: priority(of: notice, duty: duty),
            recipient: recipient, scheduleFile: duty.location.file, originalOccurrence: notice.originalOccurrence,
            change: notice.change)
    }
}

extension Recipient {
    /// The addressee of a reminder of a duty that reaches nobody: the journal only (id `-`).
    public static let nobody = Recipient(id: "-", name: "", channels: [])
}

extension DutyPriority: Comparable {
    private var rank: Int {
        switch self {
        case .low: 0
        case .normal: 1
        case .high: 2
        case .alert: 3
        }
    }

    public static func < (lhs: DutyPriority, rhs: DutyPriority) -> Bool { lhs.rank < rhs.rank }
}

extension AdvanceWarning {
    /// An upper bound of how long before its occurrence this warning fires (workdays may span a long holiday).
    public var maximumLead: TimeInterval {
        let n = Double(amount)
        switch unit {
        case .minutes: return 60 * n
        case .hours: return 3600 * n
        case .days: return (n + 1) * 86_400
        case .weeks: return (7 * n + 1) * 86_400
        case .workdays: return (n * 7 / 5 + 16) * 86_400
        }
    }
}

extension AdvanceWarningError: PositionedError {
    public var message: String { "expected \(expected)" }
}
