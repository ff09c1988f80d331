import DutyCore
import TOMLKit

/// A plain, `Sendable` copy of a TOML value, detached from TOMLKit's C++ nodes so that templates can substitute
/// placeholders and tables can be checked key by key.
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

    init(_ value: any TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .int(value.int ?? 0)
        case .double: self = .double(value.double ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .date:
            let d = value.date!
            self = .date(CivilDate(year: d.year, month: d.month, day: d.day))
        case .time:
            let t = value.time!
            self = .time(hour: t.hour, minute: t.minute, second: t.second)
        case .dateTime:
            let dt = value.dateTime!
            self = .dateTime(
                CivilDate(year: dt.date.year, month: dt.date.month, day: dt.date.day), hour: dt.time.hour,
                minute: dt.time.minute, second: dt.time.second, offsetMinutes: dt.offset?.offset)
        case .array:
            self = .array(value.array.map { array in array.map { Node($0) } } ?? [])
        case .table:
            var dict: [String: Node] = [:]
            if let table = value.table {
                for (key, child) in table { dict[key] = Node(child) }
            }
            self = .table(dict)
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

    /// Replaces `{name}` placeholders in every string with `values[name]`; collects names that have no value.
    func substituting(_ values: [String: String], missing: inout Set<String>) -> Node {
        switch self {
        case .string(let s): return .string(Node.substitute(s, values, missing: &missing))
        case .array(let items): return .array(items.map { $0.substituting(values, missing: &missing) })
        case .table(let dict): return .table(dict.mapValues { $0.substituting(values, missing: &missing) })
        default: return self
        }
    }

    static func substitute(_ text: String, _ values: [String: String], missing: inout Set<String>) -> String {
        guard text.contains("{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                out += rest[open...]
                return out
            }
            let name = String(rest[rest.index(after: open)..<close])
            if let value = values[name] {
                out += value
            } else {
                missing.insert(name)
                out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }
}
