import Foundation
import Synchronization

extension Duty {
    /// How far back raw occurrences are looked at when a holiday policy may move them forward past the base.
    static let policyLookback: TimeInterval = 31 * 86_400
    /// Safety valve: raw occurrences examined for one answer (a skip policy over a long holiday stays far below).
    static let maxIterations = 10_000

    /// The first occurrence strictly after `base`, with the holiday policy applied and the bounds respected, or nil
    /// when the duty never occurs again.
    ///
    /// Holiday moves are monotone (moving to the next or previous workday never reorders occurrences), so the
    /// first moved occurrence after `base`, scanning raw occurrences from `base - policyLookback`, is the answer;
    /// two raw occurrences moved onto the same instant count once.
    public func nextOccurrence(after base: Date) -> Date? {
        let movesForward = workdays != nil && holidayPolicy == .next
        var cursor = movesForward ? base.addingTimeInterval(-Self.policyLookback) : base
        if let notBefore, cursor < notBefore {
            // Start just before the lower bound so an occurrence exactly at it is produced.
            cursor = notBefore.addingTimeInterval(-0.000_001)
            if movesForward { cursor = cursor.addingTimeInterval(-Self.policyLookback) }
        }
        for _ in 0..<Self.maxIterations {
            guard let raw = rawOccurrence(after: cursor) else { return nil }
            cursor = raw
            if let notAfter, raw > notAfter, holidayPolicy != .previous || raw > notAfter + Self.policyLookback {
                return nil
            }
            guard let moved = applyHolidayPolicy(to: raw) else { continue }
            if moved <= base { continue }
            if let notBefore, moved < notBefore { continue }
            if let notAfter, moved > notAfter { continue }
            return moved
        }
        return nil
    }

    /// All occurrences in `(after, through]`, in time order.
    public func occurrences(after: Date, through: Date) -> [Date] {
        var result: [Date] = []
        var cursor = after
        while let next = nextOccurrence(after: cursor), next <= through {
            result.append(next)
            cursor = next
        }
        return result
    }

    /// The next occurrence of the recurrence itself, before any holiday policy.
    func rawOccurrence(after base: Date) -> Date? {
        switch recurrence {
        case .calendar(let specs):
            var best: Date?
            for spec in specs {
                if let next = spec.nextElapse(after: base, in: timeZone), best.map({ next < $0 }) ?? true {
                    best = next
                }
            }
            return best
        case .rrule(let set):
            return set.nextOccurrence(after: base)
        case .once(let date):
            return date > base ? date : nil
        case .nthWorkday(let n, let hour, let minute, let second):
            let calendar = workdays ?? WorkdayCalendar.everyDay
            let local = LocalTime(base, in: timeZone)
            var year = local.date.year
            var month = local.date.month
            // A month without an N-th workday is skipped; 14 months is enough to find the next one or none.
            for _ in 0..<14 {
                if let day = calendar.workday(n, ofMonth: month, year: year) {
                    let instant = LocalTime.instant(
                        date: day, hour: hour, minute: minute, second: second, in: timeZone)
                    if instant > base { return instant }
                }
                month += 1
                if month > 12 {
                    month = 1
                    year += 1
                }
            }
            return nil
        }
    }

    /// Moves an occurrence that falls on a non-workday according to the policy, keeping its local time of day.
    /// Returns nil when the policy drops it.
    func applyHolidayPolicy(to instant: Date) -> Date? {
        guard let workdays, holidayPolicy != .keep else { return instant }
        if case .nthWorkday = recurrence { return instant }  // already a workday by construction
        let local = LocalTime(instant, in: timeZone)
        guard let day = holidayPolicy.apply(to: local.date, in: workdays) else { return nil }
        if day == local.date { return instant }
        return LocalTime.instant(
            date: day, hour: local.hour, minute: local.minute, second: local.second, in: timeZone)
    }
}

/// A local wall-clock reading of an instant in a time zone (second resolution), and the inverse, through the
/// shared `ZonedTime` tables.
struct LocalTime: Sendable, Hashable {
    var date: CivilDate
    var hour: Int
    var minute: Int
    var second: Int

    init(_ instant: Date, in zone: TimeZone) {
        let seconds = Int64(instant.timeIntervalSince1970.rounded(.down))
        let local = ZoneRegistry.withZone(zone) { $0.localDateTime(at: seconds) }
        date = local.date
        hour = local.hour
        minute = local.minute
        second = local.second
    }

    /// The instant of a local date and time. A time in a DST gap is taken with the offset before the gap (so it
    /// lands after the gap, as most calendar programs do); a repeated time resolves to its first instance.
    static func instant(date: CivilDate, hour: Int, minute: Int, second: Int, in zone: TimeZone) -> Date {
        let local = LocalDateTime(date: date, hour: hour, minute: minute, second: second)
        let seconds = ZoneRegistry.withZone(zone) { $0.instant(for: local, policy: .earlierOrShiftForward) }
        return Date(timeIntervalSince1970: TimeInterval(seconds ?? local.localSeconds))
    }
}

/// One `ZonedTime` (offset tables) per zone, shared by everything that converts wall-clock times, so that the
/// tables are built once per zone and not per call.
enum ZoneRegistry {
    private static let zones = Mutex<[String: ZonedTime]>([:])

    static func withZone<T>(_ zone: TimeZone, _ body: (inout ZonedTime) -> T) -> T {
        zones.withLock { zones in
            // Taken out of the dictionary while in use, so that mutating its tables does not copy them.
            var zoned = zones.removeValue(forKey: zone.identifier) ?? ZonedTime(zone)
            let result = body(&zoned)
            zones[zone.identifier] = zoned
            return result
        }
    }
}
