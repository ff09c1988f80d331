/// What happens to an occurrence that falls on a day that is not a workday (remind's `SKIP`/`BEFORE`/`AFTER`).
public enum HolidayPolicy: String, Sendable, Codable, CaseIterable {
    /// Keep the occurrence on its day (remind without SKIP/BEFORE/AFTER).
    case keep
    /// Drop the occurrence (remind `SKIP`).
    case skip
    /// Move it to the last workday before it (remind `BEFORE`: before the whole block of days off).
    case previous
    /// Move it to the first workday after it (remind `AFTER`: after the whole block of days off).
    case next

    /// The day the occurrence happens on, or nil when it is skipped. A workday is always kept as it is.
    public func apply(to date: CivilDate, in calendar: WorkdayCalendar) -> CivilDate? {
        switch self {
        case .keep: return date
        case .skip: return calendar.isWorkday(date) ? date : nil
        case .previous: return calendar.previousWorkday(onOrBefore: date)
        case .next: return calendar.nextWorkday(onOrAfter: date)
        }
    }
}
