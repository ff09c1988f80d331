import Foundation

/// Everything one load of the schedules produced: people, roles, the plan's places, duties and trigger rules.
/// Built by `DutySchedules`; lookups by id are O(1).
public struct ScheduleSet: Sendable {
    public private(set) var persons: [Person]
    public private(set) var roles: [Role]
    public private(set) var counties: [County]
    public private(set) var townships: [Township]
    public private(set) var duties: [Duty]
    public private(set) var triggers: [TriggerRule]
    public private(set) var calendars: [WorkdayCalendar]
    /// The directories the set was loaded from, in precedence order.
    public var sources: [String]
    /// The plan's time zone: the `[defaults] timezone` of the schedule files (when files disagree, the first file
    /// in load order that sets one), else the host's zone (`TimeZone.current`, as systemd's `OnCalendar=` does).
    /// Duties of a file without `[defaults] timezone` and without their own `timezone` are in this zone; dates
    /// without a zone that people give the daemon or `dutyctl` (`from=2018-10-01`, `agenda --from`) are read in
    /// it, and the daemon shows its own times (status, missed summaries, problems) in it.
    public var timeZone: TimeZone

    private var personIndex: [String: Int] = [:]
    private var roleIndex: [String: Int] = [:]
    private var dutyIndex: [String: Int] = [:]
    private var townshipIndex: [String: Int] = [:]
    private var countyIndex: [String: Int] = [:]
    /// Account name → the first person with that account (the socket's peer is known by account).
    private var accountIndex: [String: Int] = [:]

    /// A set of the given parts; `timeZone` defaults to the host's zone, as for schedule files that set none.
    public init(
        persons: [Person] = [], roles: [Role] = [], counties: [County] = [], townships: [Township] = [],
        duties: [Duty] = [], triggers: [TriggerRule] = [], calendars: [WorkdayCalendar] = [], sources: [String] = [],
        timeZone: TimeZone = .current
    ) {
        self.persons = persons
        self.roles = roles
        self.counties = counties
        self.townships = townships
        self.duties = duties
        self.triggers = triggers
        self.calendars = calendars
        self.sources = sources
        self.timeZone = timeZone
        for (i, p) in persons.enumerated() { personIndex[p.id] = i }
        for (i, r) in roles.enumerated() { roleIndex[r.id] = i }
        dutyIndex.reserveCapacity(duties.count)
        for (i, d) in duties.enumerated() { dutyIndex[d.id] = i }
        for (i, t) in townships.enumerated() { townshipIndex[t.id] = i }
        for (i, c) in counties.enumerated() { countyIndex[c.id] = i }
        for (i, p) in persons.enumerated() { if let account = p.account, accountIndex[account] == nil { accountIndex[account] = i } }
    }

    public func duty(id: String) -> Duty? { dutyIndex[id].map { duties[$0] } }

    /// The same schedules with extra duties (created by events: interviews, problems to rectify). Extra duties
    /// whose id is already taken are left out.
    public func adding(duties extra: [Duty]) -> ScheduleSet {
        let fresh = extra.filter { dutyIndex[$0.id] == nil }
        // Without event duties the plan is this one (the 55,166 visits are not copied and indexed again).
        guard !fresh.isEmpty else { return self }
        var copy = self
        copy.duties.reserveCapacity(duties.count + fresh.count)
        for duty in fresh {
            copy.dutyIndex[duty.id] = copy.duties.count
            copy.duties.append(duty)
        }
        return copy
    }

    /// The same schedules with only the duties `keep` accepts (see `RecipientFilter.apply(to:)`).
    public func keepingDuties(where keep: (Duty) -> Bool) -> ScheduleSet {
        ScheduleSet(
            persons: persons, roles: roles, counties: counties, townships: townships, duties: duties.filter(keep),
            triggers: triggers, calendars: calendars, sources: sources, timeZone: timeZone)
    }
    public func person(id: String) -> Person? { personIndex[id].map { persons[$0] } }
    /// The first person (in load order) whose `account` is this one.
    public func person(account: String) -> Person? { accountIndex[account].map { persons[$0] } }
    public func role(id: String) -> Role? { roleIndex[id].map { roles[$0] } }
    public func township(id: String) -> Township? { townshipIndex[id].map { townships[$0] } }
    public func county(id: String) -> County? { countyIndex[id].map { counties[$0] } }
    public func township(named name: String) -> Township? { townships.first { $0.name == name || $0.id == name } }

    /// True when the id names a role or a person.
    public func isParty(_ id: String) -> Bool { roleIndex[id] != nil || personIndex[id] != nil }

    /// The display name of a role or person id (the id itself when unknown).
    public func displayName(of id: String) -> String {
        role(id: id)?.name ?? person(id: id)?.name ?? id
    }

    /// The persons that role and person ids stand for, in order of first mention, without duplicates.
    public func persons(for ids: [String]) -> [Person] {
        var seen = Set<String>()
        var result: [Person] = []
        func add(_ person: Person) {
            if seen.insert(person.id).inserted { result.append(person) }
        }
        for id in ids {
            if let role = role(id: id) {
                for member in role.members { if let p = person(id: member) { add(p) } }
            } else if let p = person(id: id) {
                add(p)
            }
        }
        return result
    }

    /// The duties a person is a recipient of, directly or through a role.
    public func duties(forPerson personID: String) -> [Duty] {
        duties.filter { duty in persons(for: duty.recipients + duty.responsible).contains { $0.id == personID } }
    }
}

/// What a trigger reacts to (`on = "..."` in a schedule file).
public enum TriggerEvent: String, Sendable, Hashable, CaseIterable, Codable {
    /// A ranking of the townships was submitted: the bottom ones' leaders are interviewed, repeated interviews
    /// escalate.
    case ranking
    /// A problem was recorded in the rectification ledger: it is reminded until closed (销号).
    case problem
    /// A township's bulletin is delivered on demand.
    case bulletin
}

/// How a `problem` trigger reminds of an open problem: the duty it creates per problem.
public struct ProblemDutyTemplate: Sendable, Hashable {
    /// Title with `{text}`, `{township}`, `{id}` placeholders.
    public var title: String
    public var warnings: [AdvanceWarning]
    public var grace: TimeInterval
    /// Escalation targets: role or person ids, or `{county.role}`, `{county.org_role}`, `{county.leader_role}`,
    /// `{township.role}` resolved per problem.
    public var escalation: [String]
    public var priority: DutyPriority

    public init(title: String, warnings: [AdvanceWarning], grace: TimeInterval, escalation: [String], priority: DutyPriority) {
        self.title = title
        self.warnings = warnings
        self.grace = grace
        self.escalation = escalation
        self.priority = priority
    }
}

/// An event-driven rule: a ranking of townships triggers interview duties at several levels and repeated
/// interviews escalate (`ranking`); a recorded problem is reminded until closed (`problem`); a bulletin is
/// delivered on demand (`bulletin`). The ranking fields apply to `ranking` triggers, `problem` to problem ones.
public struct TriggerRule: Sendable, Hashable {
    public struct Level: Sendable, Hashable {
        public var id: String
        public var title: String
        public var interviewer: [String]
        public var interviewee: String

        public init(id: String, title: String, interviewer: [String], interviewee: String) {
            self.id = id
            self.title = title
            self.interviewer = interviewer
            self.interviewee = interviewee
        }
    }

    public enum Ties: String, Sendable, Hashable, Codable {
        /// Every township tied with the N-th from the bottom is included (the bottom set may exceed N).
        case include
        /// Only townships strictly inside the bottom N are included (the set may fall short of N).
        case exclude
    }

    public var id: String
    public var clause: String?
    public var event: TriggerEvent
    /// For `problem` triggers: the duty of each open problem.
    public var problem: ProblemDutyTemplate?
    public var bottom: Int
    public var ties: Ties
    public var dueWithin: TimeInterval
    public var escalateAfter: Int
    public var escalationTo: [String]
    public var escalationTitle: String
    public var levels: [Level]
    public var location: SourceLocation

    public init(
        id: String, clause: String?, event: TriggerEvent, bottom: Int = 3, ties: Ties = .include, dueWithin: TimeInterval = 7 * 86_400,
        escalateAfter: Int = 2, escalationTo: [String] = [], escalationTitle: String = "", levels: [Level] = [],
        problem: ProblemDutyTemplate? = nil, location: SourceLocation
    ) {
        self.id = id
        self.clause = clause
        self.event = event
        self.problem = problem
        self.bottom = bottom
        self.ties = ties
        self.dueWithin = dueWithin
        self.escalateAfter = escalateAfter
        self.escalationTo = escalationTo
        self.escalationTitle = escalationTitle
        self.levels = levels
        self.location = location
    }
}
