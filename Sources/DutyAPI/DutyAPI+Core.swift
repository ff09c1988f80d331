import DutyCore
import Foundation

extension DutySummary {
    /// The summary of a duty, as both the daemon and `dutyctl list` offline render it.
    public init(_ duty: Duty) {
        self.init(
            id: duty.id, title: duty.title, clause: duty.clause, recurrence: Self.recurrenceSummary(duty.recurrence),
            responsible: duty.responsible, recipients: duty.recipients, priority: duty.priority.rawValue,
            ack: duty.needsAcknowledgement, file: duty.location.description, localChoice: duty.localChoice)
    }

    /// A one-line summary of a recurrence for listings.
    public static func recurrenceSummary(_ recurrence: Recurrence) -> String {
        switch recurrence {
        case .calendar(let specs): return specs.map(\.description).joined(separator: " | ")
        case .rrule(let set): return set.rules.map { "RRULE:\($0.description)" }.joined(separator: " | ")
        case .once(let date): return "once \(TimeFormatting.iso8601(date, in: TimeZone(identifier: "UTC")!))"
        case .nthWorkday(let n, let h, let m, _):
            let time = (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
            return n > 0
                ? "workday #\(n) of each month \(time)"
                : (n == -1 ? "last workday of each month \(time)" : "workday #\(n) from month end \(time)")
        }
    }
}

extension OccurrenceEntry {
    /// The entry of a planned notice of `duty`.
    public init(notice: Notice, duty: Duty, acknowledged: Bool? = nil) {
        self.init(
            occurrenceId: notice.occurrenceID.description, duty: duty.id, title: duty.title,
            clause: duty.clause, kind: notice.kind.rawValue, offset: notice.offsetLabel.isEmpty ? nil : notice.offsetLabel,
            fireAt: TimeFormatting.iso8601(notice.fireAt, in: duty.timeZone),
            occurrence: TimeFormatting.iso8601(notice.occurrence, in: duty.timeZone), priority: duty.priority.rawValue,
            responsible: duty.responsible, recipients: duty.recipients, acknowledged: acknowledged,
            scheduled: notice.originalOccurrence.map { TimeFormatting.iso8601($0, in: duty.timeZone) })
    }
}
