import DutyCore
import DutyTOML

/// A schedule's view of a TOML value: dates as `CivilDate`, the two date-time kinds in one case, fractional seconds
/// dropped (schedules work in whole seconds). Templates compile it (`TemplateNode`); tables are checked key by key.
indirect enum Node: Sendable, Hashable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case date(CivilDate)
    /// A local date-time (no offset) or, when `offsetMinutes` is set, an offset date-time.
    case dateTime(CivilDate, hour: Int, minute: Int, second: Int, offsetMinutes: Int?)
    case time(hour: Int, minute: Int, second: Int)
    case array([Node])
    case table([String: Node])

    init(_ value: TOMLValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .integer(let i): self = .int(Int(i))
        case .float(let d): self = .double(d)
        case .boolean(let b): self = .bool(b)
        case .localDate(let d): self = .date(CivilDate(d))
        case .localTime(let t): self = .time(hour: t.hour, minute: t.minute, second: t.second)
        case .localDateTime(let d, let t):
            self = .dateTime(CivilDate(d), hour: t.hour, minute: t.minute, second: t.second, offsetMinutes: nil)
        case .offsetDateTime(let d, let t, let offset):
            self = .dateTime(CivilDate(d), hour: t.hour, minute: t.minute, second: t.second, offsetMinutes: offset)
        case .array(let items): self = .array(items.map(Node.init))
        case .table(let dict): self = .table(dict.mapValues(Node.init))
        }
    }

    /// A word for error messages: "a string", "an integer", ...
    var kindName: String {
        switch self {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a float"
        case .bool: "a boolean"
        case .date: "a date"
        case .dateTime: "a date-time"
        case .time: "a time"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

extension CivilDate {
    init(_ date: TOMLDate) {
        self.init(year: date.year, month: date.month, day: date.day)
    }
}
