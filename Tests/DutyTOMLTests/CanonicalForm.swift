import DutyTOML

/// One text per value tree, written identically by scripts/toml-oracle.py from tomllib's tree, so that the
/// differential test compares two strings. Floats are compared by their bits (so -0.0 differs from 0.0), every NaN
/// is the same, and times keep microseconds, Python's precision.
extension TOMLValue {
    var canonicalForm: String {
        switch self {
        case .string(let text): return Self.quote(text)
        case .integer(let value): return "int:\(value)"
        case .float(let value): return value.isNaN ? "float:nan" : "float:" + String(value.bitPattern, radix: 16)
        case .boolean(let value): return "bool:\(value)"
        case .offsetDateTime(let date, let time, let offset):
            return "odt:\(Self.form(date))T\(Self.form(time))@\(offset)"
        case .localDateTime(let date, let time): return "ldt:\(Self.form(date))T\(Self.form(time))"
        case .localDate(let date): return "ld:\(Self.form(date))"
        case .localTime(let time): return "lt:\(Self.form(time))"
        case .array(let elements): return "[" + elements.map(\.canonicalForm).joined(separator: ",") + "]"
        case .table(let table):
            let keys = table.keys.sorted {
                $0.unicodeScalars.map(\.value).lexicographicallyPrecedes($1.unicodeScalars.map(\.value))
            }
            return "{" + keys.map { Self.quote($0) + ":" + (table[$0]?.canonicalForm ?? "") }.joined(separator: ",")
                + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if (0x20..<0x7F).contains(scalar.value) && scalar != "\"" && scalar != "\\" {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return out + "\""
    }

    static func form(_ date: TOMLDate) -> String {
        "\(digits(date.year, 4))-\(digits(date.month, 2))-\(digits(date.day, 2))"
    }

    static func form(_ time: TOMLTime) -> String {
        [digits(time.hour, 2), digits(time.minute, 2), digits(time.second, 2)].joined(separator: ":") + "."
            + digits(time.nanosecond / 1000, 6)
    }

    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
