/// Which duties a listing is about: those reaching a person, those of a role, one duty, or those of a township.
/// The one filter of the query socket (`upcoming`, `overdue`) and of dutyctl's schedule commands (`agenda`,
/// `export`), so that both select the same duties and refuse the same unknown ids with the same words.
///
/// Every given field must hold (they combine with "and"); an empty filter selects every duty.
/// - `person`: the duty reaches that person, directly or through one of their roles (recipients or responsible).
/// - `role`: the role is among the duty's recipients or responsible.
/// - `duty`: the duty has that id.
/// - `township`: the township's role (by township id or name) is among the duty's recipients or responsible; a
///   township without a role selects nothing.
public struct RecipientFilter: Sendable, Hashable {
    public var person: String?
    public var role: String?
    public var duty: String?
    public var township: String?

    public init(person: String? = nil, role: String? = nil, duty: String? = nil, township: String? = nil) {
        self.person = person
        self.role = role
        self.duty = duty
        self.township = township
    }

    /// True when no field is set.
    public var isEmpty: Bool { person == nil && role == nil && duty == nil && township == nil }

    /// Refuses ids the schedules do not know, in the order person, role, duty, township, with the message the
    /// daemon answers (HTTP 404): `no person 'x'`.
    public func validate(against schedules: ScheduleSet) throws(RecipientFilterError) {
        if let person, schedules.person(id: person) == nil { throw RecipientFilterError(.person, person) }
        if let role, schedules.role(id: role) == nil { throw RecipientFilterError(.role, role) }
        if let duty, schedules.duty(id: duty) == nil { throw RecipientFilterError(.duty, duty) }
        if let township, schedules.township(named: township) == nil { throw RecipientFilterError(.township, township) }
    }

    /// Whether the filter selects `duty` (of `schedules`, which resolves roles and townships).
    public func selects(_ duty: Duty, in schedules: ScheduleSet) -> Bool {
        if let id = self.duty, duty.id != id { return false }
        let parties = duty.recipients + duty.responsible
        if let role, !parties.contains(role) { return false }
        if let township {
            guard let role = schedules.township(named: township)?.role, parties.contains(role) else { return false }
        }
        if let person, !schedules.persons(for: parties).contains(where: { $0.id == person }) { return false }
        return true
    }

    /// The schedules with only the duties the filter selects (everything else kept).
    public func apply(to schedules: ScheduleSet) -> ScheduleSet {
        guard !isEmpty else { return schedules }
        return schedules.keepingDuties { selects($0, in: schedules) }
    }
}

/// A filter names an id the schedules do not know. `description` is the daemon's 404 reason: `no person 'x'`.
public struct RecipientFilterError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case person, role, duty, township
    }

    public var field: Field
    public var id: String

    public init(_ field: Field, _ id: String) {
        self.field = field
        self.id = id
    }

    public var description: String { "no \(field.rawValue) '\(id)'" }
}
