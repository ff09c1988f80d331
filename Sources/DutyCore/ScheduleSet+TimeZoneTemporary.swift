import Foundation

// TEMPORARY until the branch that adds `ScheduleSet.timeZone` (read from the files) is merged.
extension ScheduleSet {
    public var timeZone: TimeZone { duties.first?.timeZone ?? .current }
}

// TEMPORARY until the OccurrenceID type lands.
extension Reminder {
    public static func occurrenceID(duty: String, at occurrence: Date) -> String {
        "\(duty)@\(Int64(occurrence.timeIntervalSince1970.rounded(.down)))"
    }
}
