import Foundation

// Wire types of the command office's reports (台账) and of the pages built on them: the visit report, the duty
// report, the agenda of a window (overview and month grid), overdue occurrences with their escalation step, the
// latest changes, the rankings, a duty's recent occurrences and the monthly bulletin.

/// Visits due, acknowledged (done), overdue and not yet due, for one group of visit duties.
public struct VisitCounts: Codable, Sendable, Hashable {
    public var due: Int
    public var acknowledged: Int
    public var overdue: Int
    /// Not acknowledged and not overdue yet (the deadline or its grace period is still ahead).
    public var pending: Int

    public init(due: Int = 0, acknowledged: Int = 0, overdue: Int = 0, pending: Int = 0) {
        self.due = due
        self.acknowledged = acknowledged
        self.overdue = overdue
        self.pending = pending
    }

    public static func + (a: VisitCounts, b: VisitCounts) -> VisitCounts {
        VisitCounts(
            due: a.due + b.due, acknowledged: a.acknowledged + b.acknowledged, overdue: a.overdue + b.overdue,
            pending: a.pending + b.pending)
    }

    /// Acknowledged visits as a share of those due, 0 when none is due.
    public var completion: Double { due == 0 ? 0 : Double(acknowledged) / Double(due) }
}

/// `GET /v1/reports/visits?month=YYYY-MM[&township=ID]`: the household visits (duties labelled
/// `report = "visits"`) of a month per township, per cadre unit and per cadre.
public struct VisitReport: Codable, Sendable, Hashable {
    public struct Group: Codable, Sendable, Hashable {
        /// Township id, or the unit's name for units.
        public var id: String
        public var name: String
        public var counts: VisitCounts

        public init(id: String, name: String, counts: VisitCounts) {
            self.id = id
            self.name = name
            self.counts = counts
        }
    }

    public struct Cadre: Codable, Sendable, Hashable {
        public var id: String
        public var name: String
        public var unit: String
        public var township: String
        public var townshipName: String
        public var counts: VisitCounts
        /// The occurrence ids of the cadre's overdue visits.
        public var overdueOccurrences: [String]

        public init(
            id: String, name: String, unit: String, township: String, townshipName: String, counts: VisitCounts,
            overdueOccurrences: [String]
        ) {
            self.id = id
            self.name = name
            self.unit = unit
            self.township = township
            self.townshipName = townshipName
            self.counts = counts
            self.overdueOccurrences = overdueOccurrences
        }
    }

    public var month: String
    /// The daemon's clock when the report was made (overdue is relative to it).
    public var now: String
    public var total: VisitCounts
    public var townships: [Group]
    public var units: [Group]
    /// Every cadre with a visit due in the month (of `township` only, when the query names one).
    public var cadres: [Cadre]
    /// The township the cadres were filtered to.
    public var township: String?

    public init(
        month: String, now: String, total: VisitCounts, townships: [Group], units: [Group], cadres: [Cadre],
        township: String?
    ) {
        self.month = month
        self.now = now
        self.total = total
        self.townships = townships
        self.units = units
        self.cadres = cadres
        self.township = township
    }
}

/// `GET /v1/reports/duties?from=&to=`: every duty (but those with a report of their own, such as visits) with its
/// occurrences in the window and how many were acknowledged, are overdue or still open.
public struct DutyReport: Codable, Sendable, Hashable {
    public struct Row: Codable, Sendable, Hashable {
        public var duty: String
        public var title: String
        public var clause: String?
        /// Display names of the responsible roles and persons.
        public var responsible: [String]
        public var needsAcknowledgement: Bool
        public var occurrences: Int
        public var counts: VisitCounts
        /// The first and last occurrence in the window (ISO 8601).
        public var first: String?
        public var last: String?

        public init(
            duty: String, title: String, clause: String?, responsible: [String], needsAcknowledgement: Bool,
            occurrences: Int, counts: VisitCounts, first: String?, last: String?
        ) {
            self.duty = duty
            self.title = title
            self.clause = clause
            self.responsible = responsible
            self.needsAcknowledgement = needsAcknowledgement
            self.occurrences = occurrences
            self.counts = counts
            self.first = first
            self.last = last
        }
    }

    public var from: String
    public var to: String
    public var now: String
    public var rows: [Row]

    public init(from: String, to: String, now: String, rows: [Row]) {
        self.from = from
        self.to = to
        self.now = now
        self.rows = rows
    }
}

/// One occurrence on a day of an agenda.
public struct AgendaEntry: Codable, Sendable, Hashable {
    public var occurrenceId: String
    public var duty: String
    public var title: String
    public var clause: String?
    /// ISO 8601 in the duty's zone.
    public var occurrence: String
    /// Local `HH:MM` in the plan's zone.
    public var time: String
    public var priority: String
    public var needsAcknowledgement: Bool
    /// Whether it was acknowledged (nil for duties that need no acknowledgement).
    public var acknowledged: Bool?
    /// Past its grace period and not acknowledged.
    public var overdue: Bool
    /// Display names of the responsible roles and persons.
    public var responsible: [String]

    public init(
        occurrenceId: String, duty: String, title: String, clause: String?, occurrence: String, time: String,
        priority: String, needsAcknowledgement: Bool, acknowledged: Bool?, overdue: Bool, responsible: [String]
    ) {
        self.occurrenceId = occurrenceId
        self.duty = duty
        self.title = title
        self.clause = clause
        self.occurrence = occurrence
        self.time = time
        self.priority = priority
        self.needsAcknowledgement = needsAcknowledgement
        self.acknowledged = acknowledged
        self.overdue = overdue
        self.responsible = responsible
    }
}

/// Occurrences of duties with a report of their own (visits), counted per day instead of listed.
public struct AgendaGroup: Codable, Sendable, Hashable {
    /// The `report` label (`visits`).
    public var report: String
    public var counts: VisitCounts

    public init(report: String, counts: VisitCounts) {
        self.report = report
        self.counts = counts
    }
}

public struct AgendaDay: Codable, Sendable, Hashable {
    /// `YYYY-MM-DD` in the plan's zone.
    public var date: String
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    public var weekday: Int
    /// Whether the plan's workday calendar counts it a workday (nil without a calendar).
    public var workday: Bool?
    public var entries: [AgendaEntry]
    public var groups: [AgendaGroup]

    public init(date: String, weekday: Int, workday: Bool?, entries: [AgendaEntry], groups: [AgendaGroup]) {
        self.date = date
        self.weekday = weekday
        self.workday = workday
        self.entries = entries
        self.groups = groups
    }
}

/// The occurrences due on each day of a window of whole days.
public struct Agenda: Codable, Sendable, Hashable {
    public var from: String
    public var to: String
    /// Today in the plan's zone, by the daemon's clock.
    public var today: String
    public var days: [AgendaDay]

    public init(from: String, to: String, today: String, days: [AgendaDay]) {
        self.from = from
        self.to = to
        self.today = today
        self.days = days
    }
}

/// An overdue occurrence and how far its escalation chain got.
public struct OverdueItem: Codable, Sendable, Hashable {
    public var occurrenceId: String
    public var duty: String
    public var title: String
    public var occurrence: String
    public var overdueSince: String
    /// Escalation steps reached (0: overdue, nobody above notified yet).
    public var step: Int
    /// Display names of the parties notified so far by escalation, in order.
    public var escalatedTo: [String]
    public var responsible: [String]

    public init(
        occurrenceId: String, duty: String, title: String, occurrence: String, overdueSince: String, step: Int,
        escalatedTo: [String], responsible: [String]
    ) {
        self.occurrenceId = occurrenceId
        self.duty = duty
        self.title = title
        self.occurrence = occurrence
        self.overdueSince = overdueSince
        self.step = step
        self.escalatedTo = escalatedTo
        self.responsible = responsible
    }
}

/// Overdue occurrences of the last `days` days: listed for ordinary duties, counted for report groups (visits).
public struct OverdueReport: Codable, Sendable, Hashable {
    public var now: String
    public var days: Int
    public var total: Int
    public var items: [OverdueItem]
    public var groups: [AgendaGroup]

    public init(now: String, days: Int, total: Int, items: [OverdueItem], groups: [AgendaGroup]) {
        self.now = now
        self.days = days
        self.total = total
        self.items = items
        self.groups = groups
    }
}

/// One line of the audit log: an acknowledgement, a reload, a ranking, a problem recorded or closed, a bulletin.
public struct AuditItem: Codable, Sendable, Hashable {
    public var at: String
    public var action: String
    public var actorUid: UInt32?
    public var details: [String: String]

    public init(at: String, action: String, actorUid: UInt32?, details: [String: String]) {
        self.at = at
        self.action = action
        self.actorUid = actorUid
        self.details = details
    }
}

public struct AuditList: Codable, Sendable, Hashable {
    public var items: [AuditItem]

    public init(items: [AuditItem]) { self.items = items }
}

/// The rankings recorded, by period.
public struct RankingList: Codable, Sendable, Hashable {
    public struct Entry: Codable, Sendable, Hashable {
        public var township: String
        public var townshipName: String
        public var score: Double?
        public var position: Int

        public init(township: String, townshipName: String, score: Double?, position: Int) {
            self.township = township
            self.townshipName = townshipName
            self.score = score
            self.position = position
        }
    }

    public struct Period: Codable, Sendable, Hashable {
        public var period: String
        public var submittedAt: String
        public var entries: [Entry]

        public init(period: String, submittedAt: String, entries: [Entry]) {
            self.period = period
            self.submittedAt = submittedAt
            self.entries = entries
        }
    }

    public var rankings: [Period]

    public init(rankings: [Period]) { self.rankings = rankings }
}

/// A township of the plan, for menus and names.
public struct TownshipInfo: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var county: String
    public var countyName: String

    public init(id: String, name: String, county: String, countyName: String) {
        self.id = id
        self.name = name
        self.county = county
        self.countyName = countyName
    }
}

/// What every page needs: the daemon's clock and the plan's places.
public struct PlanInfo: Codable, Sendable, Hashable {
    public var now: String
    /// Today and this month in the plan's zone.
    public var today: String
    public var month: String
    public var timeZone: String
    public var townships: [TownshipInfo]
    /// Role and person ids with their display names, for showing ids as names.
    public var names: [String: String]
    /// Interview level ids of the ranking triggers with a display name (`city` → 市委组织部约谈…).
    public var levels: [String: String]

    public init(
        now: String, today: String, month: String, timeZone: String, townships: [TownshipInfo], names: [String: String],
        levels: [String: String] = [:]
    ) {
        self.now = now
        self.today = today
        self.month = month
        self.timeZone = timeZone
        self.townships = townships
        self.names = names
        self.levels = levels
    }
}

/// The monthly bulletin (一月一通报) as structured data, for the printable page.
public struct BulletinReport: Codable, Sendable, Hashable {
    public struct Line: Codable, Sendable, Hashable {
        public var title: String
        public var clause: String?
        public var occurrence: String
        public var acknowledged: Bool

        public init(title: String, clause: String?, occurrence: String, acknowledged: Bool) {
            self.title = title
            self.clause = clause
            self.occurrence = occurrence
            self.acknowledged = acknowledged
        }
    }

    public var title: String
    public var township: String
    public var townshipName: String
    public var countyName: String
    public var month: String
    public var generatedAt: String
    public var duties: [Line]
    public var problems: [ProblemItem]
    public var interviews: [InterviewItem]
    /// The household visits of the township in the month, when the plan has visit duties.
    public var visits: VisitCounts?
    /// The plain-text bulletin, as mailed.
    public var text: String

    public init(
        title: String, township: String, townshipName: String, countyName: String, month: String, generatedAt: String,
        duties: [Line], problems: [ProblemItem], interviews: [InterviewItem], visits: VisitCounts?, text: String
    ) {
        self.title = title
        self.township = township
        self.townshipName = townshipName
        self.countyName = countyName
        self.month = month
        self.generatedAt = generatedAt
        self.duties = duties
        self.problems = problems
        self.interviews = interviews
        self.visits = visits
        self.text = text
    }
}

/// `GET /v1/calendar.ics`: the iCalendar text of a filter's occurrences and what a subscriber polls with.
public struct CalendarFeed: Sendable, Hashable {
    public var text: String
    /// When what the feed shows last changed (the plan in effect, the events recorded).
    public var lastModified: Date

    public init(text: String, lastModified: Date) {
        self.text = text
        self.lastModified = lastModified
    }
}
