import DutyAPI
import DutyCore

/// The reports of the command office (台账) and what its pages show beyond the plain API: the visit and duty
/// reports, the agenda of a window, overdue occurrences with their escalation step, the latest changes, the
/// rankings, the bulletin as data, the calendar feed. The daemon implements it over the published planner and the
/// `Ledger`; a backend without it answers 404 for these endpoints and pages.
public protocol DutyReportBackend: Sendable {
    /// The daemon's clock, the plan's zone and places.
    func planInfo() async throws -> PlanInfo
    /// The occurrences of each day `from` (a date, default today) for `days` days; duties with a `report` label
    /// are counted per day, not listed.
    func agenda(from: String?, days: Int) async throws -> Agenda
    /// Overdue occurrences of the last `days` days (at most `limit` listed).
    func overdueReport(days: Int, limit: Int) async throws -> OverdueReport
    /// The latest lines of the audit log, newest first.
    func recentChanges(limit: Int) async throws -> AuditList
    /// `month` `YYYY-MM` (default this month); `township` filters the cadres; without `cadres` the report's
    /// `cadres` is empty (the totals of the overview need none).
    func visitReport(month: String?, township: String?, cadres: Bool) async throws -> VisitReport
    /// `from` and `to` are dates (inclusive), ISO 8601.
    func dutyReport(from: String, to: String) async throws -> DutyReport
    func rankings() async throws -> RankingList
    /// The occurrences of a duty in the last `days` days and the next few, with their state.
    func dutyOccurrences(id: String, days: Int) async throws -> [AgendaEntry]
    /// The audit lines about one occurrence (acknowledgements, later moves and cancellations), oldest first.
    func occurrenceChanges(id: String) async throws -> AuditList
    func bulletinReport(township: String, month: String) async throws -> BulletinReport
    /// The iCalendar feed of the occurrences the filter selects (person, role or township).
    func calendarFeed(_ filter: RecipientFilter) async throws -> CalendarFeed
}
