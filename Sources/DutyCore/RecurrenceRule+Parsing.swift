extension RecurrenceRule {
    /// Parses rule text such as `FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1`, with or without the `RRULE:`
    /// prefix. Names and values are case-insensitive. Validates the RFC 5545 §3.3.10 constraints.
    public init(parsing text: String) throws(RecurrenceRuleError) {
        var parser = RuleParser(input: text)
        self = try parser.parse()
    }
}

/// One-pass parser over the characters of a rule; columns are 1-based character positions in the input.
private struct RuleParser {
    let input: String
    let chars: [Character]

    init(input: String) {
        self.input = input
        self.chars = Array(input)
    }

    func fail(_ code: RecurrenceRuleError.Code, _ message: String, at offset: Int, length: Int = 1)
        -> RecurrenceRuleError
    {
        RecurrenceRuleError(code: code, message: message, input: input, column: offset + 1, length: length)
    }

    mutating func parse() throws(RecurrenceRuleError) -> RecurrenceRule {
        var start = 0
        if chars.count >= 6, String(chars[0..<6]).uppercased() == "RRULE:" { start = 6 }
        var end = chars.count
        while end > start, chars[end - 1] == " " || chars[end - 1] == "\r" || chars[end - 1] == "\n" { end -= 1 }
        guard end > start else { throw fail(.empty, "empty recurrence rule", at: start) }

        // Split into parts, remembering where each starts.
        var parts: [(offset: Int, text: String)] = []
        var partStart = start
        for i in start...end where i == end || chars[i] == ";" {
            parts.append((partStart, String(chars[partStart..<i])))
            partStart = i + 1
        }

        var rule = RecurrenceRule(frequency: .daily)
        var seen: [String: (offset: Int, length: Int)] = [:]
        for (offset, text) in parts {
            guard let eq = text.firstIndex(of: "=") else {
                throw fail(.malformedPart, "expected NAME=VALUE, found '\(text)'", at: offset, length: text.count)
            }
            let name = text[..<eq].uppercased()
            let value = String(text[text.index(after: eq)...]).uppercased()
            let valueOffset = offset + name.count + 1
            guard !name.isEmpty else { throw fail(.malformedPart, "missing part name", at: offset) }
            if seen[name] != nil {
                throw fail(.duplicatePart, "\(name) given more than once", at: offset, length: name.count)
            }
            guard !value.isEmpty else {
                throw fail(.invalidValue, "\(name) needs a value", at: offset, length: text.count)
            }
            seen[name] = (offset, text.count)
            switch name {
            case "FREQ":
                guard let f = RecurrenceRule.Frequency.allCases.first(where: { $0.name == value }) else {
                    throw fail(
                        .invalidValue, "unknown frequency '\(value)' (SECONDLY ... YEARLY)", at: valueOffset,
                        length: value.count)
                }
                rule.frequency = f
            case "INTERVAL":
                rule.interval = try number(value, at: valueOffset, name: name, range: 1...Int(Int32.max))
            case "COUNT":
                rule.count = try number(value, at: valueOffset, name: name, range: 1...Int(Int32.max))
            case "UNTIL":
                rule.until = try until(value, at: valueOffset)
            case "BYSECOND": rule.bySecond = try list(value, at: valueOffset, name: name, range: 0...60)
            case "BYMINUTE": rule.byMinute = try list(value, at: valueOffset, name: name, range: 0...59)
            case "BYHOUR": rule.byHour = try list(value, at: valueOffset, name: name, range: 0...23)
            case "BYMONTHDAY":
                rule.byMonthDay = try list(value, at: valueOffset, name: name, range: -31...31, signed: true)
            case "BYYEARDAY":
                rule.byYearDay = try list(value, at: valueOffset, name: name, range: -366...366, signed: true)
            case "BYWEEKNO":
                rule.byWeekNumber = try list(value, at: valueOffset, name: name, range: -53...53, signed: true)
            case "BYMONTH": rule.byMonth = try list(value, at: valueOffset, name: name, range: 1...12)
            case "BYSETPOS":
                rule.bySetPosition = try list(value, at: valueOffset, name: name, range: -366...366, signed: true)
            case "BYDAY": rule.byDay = try weekdays(value, at: valueOffset)
            case "WKST":
                guard let wd = RuleParser.weekday(value) else {
                    throw fail(.invalidValue, "unknown weekday '\(value)' (MO ... SU)", at: valueOffset, length: value.count)
                }
                rule.weekStart = wd
            default:
                throw fail(.unknownPart, "unknown rule part '\(name)'", at: offset, length: name.count)
            }
        }

        guard seen["FREQ"] != nil else {
            throw fail(.missingFrequency, "FREQ is required", at: start, length: end - start)
        }
        if let c = seen["COUNT"], seen["UNTIL"] != nil {
            throw fail(.countWithUntil, "COUNT and UNTIL must not both occur", at: c.offset, length: c.length)
        }
        func notAllowed(_ part: String, _ why: String) throws(RecurrenceRuleError) {
            if let p = seen[part] { throw fail(.partNotAllowed, "\(part) \(why)", at: p.offset, length: p.length) }
        }
        let f = rule.frequency
        if f == .weekly { try notAllowed("BYMONTHDAY", "is not allowed with FREQ=WEEKLY") }
        if f == .daily || f == .weekly || f == .monthly {
            try notAllowed("BYYEARDAY", "is not allowed with FREQ=\(f.name)")
        }
        if f != .yearly { try notAllowed("BYWEEKNO", "is only allowed with FREQ=YEARLY") }
        if rule.byDay.contains(where: { $0.ordinal != nil }) {
            if f != .monthly && f != .yearly {
                try notAllowed("BYDAY", "with an ordinal (like 1MO) is only allowed with FREQ=MONTHLY or YEARLY")
            }
            if f == .yearly && !rule.byWeekNumber.isEmpty {
                try notAllowed("BYDAY", "with an ordinal is not allowed together with BYWEEKNO")
            }
        }
        if !rule.bySetPosition.isEmpty {
            let selectors = [
                "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH",
            ]
            if !selectors.contains(where: { seen[$0] != nil }), let p = seen["BYSETPOS"] {
                throw fail(
                    .setPositionWithoutSelector, "BYSETPOS must be used together with another BYxxx part",
                    at: p.offset, length: p.length)
            }
        }
        return rule
    }

    static func weekday(_ text: some StringProtocol) -> Weekday? {
        Weekday.allCases.first { $0.icalName == text }
    }

    func number(_ text: String, at offset: Int, name: String, range: ClosedRange<Int>) throws(RecurrenceRuleError)
        -> Int
    {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), text.count <= 10,
            let v = Int(text)
        else {
            throw fail(.invalidValue, "\(name) must be a number, found '\(text)'", at: offset, length: text.count)
        }
        guard range.contains(v) else {
            throw fail(.valueOutOfRange, "\(name) must be at least \(range.lowerBound)", at: offset, length: text.count)
        }
        return v
    }

    func list(_ text: String, at offset: Int, name: String, range: ClosedRange<Int>, signed: Bool = false)
        throws(RecurrenceRuleError) -> [Int]
    {
        var out: [Int] = []
        var itemOffset = offset
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            var digits = Substring(item)
            var sign = 1
            if signed, let first = digits.first, first == "+" || first == "-" {
                sign = first == "-" ? -1 : 1
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let v = Int(digits)
            else {
                throw fail(
                    .invalidValue, "\(name) value '\(item)' is not a number", at: itemOffset,
                    length: max(1, item.count))
            }
            let value = sign * v
            guard range.contains(value), !(signed && value == 0) else {
                let bounds =
                    signed
                    ? "\(range.lowerBound)...-1 or 1...\(range.upperBound)" : "\(range.lowerBound)...\(range.upperBound)"
                throw fail(
                    .valueOutOfRange, "\(name) value \(value) out of range \(bounds)", at: itemOffset,
                    length: item.count)
            }
            out.append(value)
            itemOffset += item.count + 1
        }
        return out
    }

    func weekdays(_ text: String, at offset: Int) throws(RecurrenceRuleError) -> [RecurrenceRule.WeekdayNumber] {
        var out: [RecurrenceRule.WeekdayNumber] = []
        var itemOffset = offset
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard item.count >= 2, let wd = RuleParser.weekday(item.suffix(2)) else {
                throw fail(
                    .invalidValue, "BYDAY value '\(item)' is not a weekday like MO, 1MO or -1FR", at: itemOffset,
                    length: max(1, item.count))
            }
            let prefix = item.dropLast(2)
            var ordinal: Int? = nil
            if !prefix.isEmpty {
                var digits = prefix
                var sign = 1
                if let first = digits.first, first == "+" || first == "-" {
                    sign = first == "-" ? -1 : 1
                    digits = digits.dropFirst()
                }
                guard !digits.isEmpty, digits.count <= 2, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                    let v = Int(digits)
                else {
                    throw fail(
                        .invalidValue, "BYDAY ordinal '\(prefix)' is not a number", at: itemOffset,
                        length: prefix.count)
                }
                guard (1...53).contains(v) else {
                    throw fail(
                        .valueOutOfRange, "BYDAY ordinal \(sign * v) out of range -53...-1 or 1...53",
                        at: itemOffset, length: prefix.count)
                }
                ordinal = sign * v
            }
            out.append(.init(wd, ordinal: ordinal))
            itemOffset += item.count + 1
        }
        return out
    }

    func until(_ text: String, at offset: Int) throws(RecurrenceRuleError) -> RecurrenceRule.Until {
        guard let value = RecurrenceRule.parseDateTime(text) else {
            throw fail(
                .invalidValue, "UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ, found '\(text)'",
                at: offset, length: text.count)
        }
        switch value {
        case .date(let d): return .date(d)
        case .local(let d, let s): return .local(d, secondOfDay: s)
        case .utc(let d, let s): return .utc(d, secondOfDay: s)
        }
    }
}

extension RecurrenceRule {
    enum ParsedDateTime: Hashable {
        case date(CivilDate)
        case local(CivilDate, Int)
        case utc(CivilDate, Int)
    }

    /// Parses iCalendar `DATE` / `DATE-TIME` text: `YYYYMMDD`, `YYYYMMDDTHHMMSS`, `YYYYMMDDTHHMMSSZ`.
    static func parseDateTime(_ text: some StringProtocol) -> ParsedDateTime? {
        let c = Array(text.utf8)
        func digits(_ from: Int, _ n: Int) -> Int? {
            guard from + n <= c.count else { return nil }
            var v = 0
            for i in from..<(from + n) {
                guard c[i] >= 48 && c[i] <= 57 else { return nil }
                v = v * 10 + Int(c[i] - 48)
            }
            return v
        }
        guard c.count == 8 || c.count == 15 || c.count == 16, let y = digits(0, 4), let m = digits(4, 2),
            let d = digits(6, 2)
        else { return nil }
        let date = CivilDate(year: y, month: m, day: d)
        guard y >= 1, date.isValid else { return nil }
        if c.count == 8 { return .date(date) }
        guard c[8] == UInt8(ascii: "T") || c[8] == UInt8(ascii: "t"), let hh = digits(9, 2), let mm = digits(11, 2),
            let ss = digits(13, 2), hh < 24, mm < 60, ss < 60
        else { return nil }
        let sod = hh * 3600 + mm * 60 + ss
        if c.count == 15 { return .local(date, sod) }
        guard c[15] == UInt8(ascii: "Z") || c[15] == UInt8(ascii: "z") else { return nil }
        return .utc(date, sod)
    }
}
