import Foundation

extension RecurrenceSet {
    /// Reads iCalendar recurrence lines the way dateutil's `rrulestr` does:
    ///
    ///     DTSTART;TZID=Europe/Berlin:20180917T090000
    ///     RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO
    ///     RDATE;TZID=Europe/Berlin:20181003T090000,20181004T090000
    ///     EXDATE;TZID=Europe/Berlin:20181001T090000
    ///
    /// Also `DTSTART:20180917T010000Z`, `DTSTART;VALUE=DATE:20180917` and floating `DTSTART:20180917T090000`
    /// (read in `floatingTimeZone`). Lines may be folded (a continuation line starts with a space) and end in
    /// CRLF. Property and parameter names are case-insensitive. A bare rule line (`FREQ=...`) is taken as RRULE.
    /// DTSTART is required (the core never reads the clock).
    public init(icalendar text: String, floatingTimeZone: TimeZone = RecurrenceSet.utc) throws(RecurrenceRuleError)
    {
        // Unfold and split, remembering original line numbers.
        var lines: [(number: Int, text: String)] = []
        // "\r\n" is one Character in Swift: normalise line ends before splitting.
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        for (i, raw) in normalized.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            if let first = line.first, first == " " || first == "\t", !lines.isEmpty {
                lines[lines.count - 1].text += line.dropFirst()
                continue
            }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            lines.append((i + 1, line))
        }
        var start: Moment? = nil
        var rules: [RecurrenceRule] = []
        var inclusions: [Moment] = []
        var exclusions: [Moment] = []

        for (number, line) in lines {
            func fail(_ code: RecurrenceRuleError.Code, _ message: String, column: Int = 1, length: Int? = nil)
                -> RecurrenceRuleError
            {
                RecurrenceRuleError(
                    code: code, message: message, input: line, line: number, column: column,
                    length: length ?? line.count)
            }
            guard let colon = line.firstIndex(of: ":") else {
                if line.uppercased().hasPrefix("FREQ=") || line.uppercased().contains("FREQ=") {
                    do {
                        rules.append(try RecurrenceRule(parsing: line))
                    } catch {
                        var e = error
                        e.line = number
                        throw e
                    }
                    continue
                }
                throw fail(.malformedLine, "expected NAME[;PARAM=VALUE]:VALUE")
            }
            let head = line[..<colon]
            let valueColumn = line.distance(from: line.startIndex, to: colon) + 2
            let value = String(line[line.index(after: colon)...])
            let headParts = head.split(separator: ";", omittingEmptySubsequences: false)
            let name = headParts[0].uppercased()
            var tzid: String? = nil
            var valueType = "DATE-TIME"
            var paramColumn = headParts[0].count + 2
            for param in headParts.dropFirst() {
                let kv = param.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2 else {
                    throw fail(.malformedLine, "expected PARAM=VALUE", column: paramColumn, length: param.count)
                }
                switch kv[0].uppercased() {
                case "TZID": tzid = String(kv[1])
                case "VALUE": valueType = kv[1].uppercased()
                default:
                    throw fail(
                        .unknownProperty, "unsupported parameter '\(kv[0])'", column: paramColumn,
                        length: kv[0].count)
                }
                paramColumn += param.count + 1
            }
            guard valueType == "DATE" || valueType == "DATE-TIME" else {
                throw fail(.invalidValue, "unsupported VALUE=\(valueType) (DATE or DATE-TIME)", column: 1, length: head.count)
            }
            var zone: Zone = .floating
            if let tzid {
                guard let tz = TimeZone(identifier: tzid) else {
                    throw fail(.unknownTimeZone, "unknown time zone '\(tzid)'", column: 1, length: head.count)
                }
                zone = .zoned(tz)
            }

            func moments() throws(RecurrenceRuleError) -> [Moment] {
                var out: [Moment] = []
                var column = valueColumn
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let bad = fail(
                        .invalidDateTime,
                        "expected \(valueType == "DATE" ? "YYYYMMDD" : "YYYYMMDDTHHMMSS[Z]"), found '\(item)'",
                        column: column, length: item.count)
                    guard let parsed = RecurrenceRule.parseDateTime(item) else { throw bad }
                    switch parsed {
                    case .date(let d):
                        guard valueType == "DATE" || tzid == nil else { throw bad }
                        out.append(.day(d))
                    case .local(let d, let s):
                        guard valueType == "DATE-TIME" else { throw bad }
                        out.append(Moment(date: d, second: s, zone: zone))
                    case .utc(let d, let s):
                        guard valueType == "DATE-TIME", tzid == nil else { throw bad }
                        out.append(Moment(date: d, second: s, zone: .utc))
                    }
                    column += item.count + 1
                }
                return out
            }

            switch name {
            case "DTSTART":
                if start != nil { throw fail(.duplicatePart, "DTSTART given more than once", length: name.count) }
                let values = try moments()
                guard values.count == 1 else {
                    throw fail(.invalidValue, "DTSTART takes one value", column: valueColumn, length: value.count)
                }
                start = values[0]
            case "RRULE":
                do {
                    rules.append(try RecurrenceRule(parsing: value))
                } catch {
                    var e = error
                    e.input = line
                    e.line = number
                    e.column += valueColumn - 1
                    throw e
                }
            case "RDATE": inclusions += try moments()
            case "EXDATE": exclusions += try moments()
            case "EXRULE":
                throw fail(.unknownProperty, "EXRULE is deprecated by RFC 5545 and not supported", length: name.count)
            default:
                throw fail(.unknownProperty, "unknown property '\(headParts[0])'", length: headParts[0].count)
            }
        }
        guard let start else {
            let line = lines.first?.text ?? text
            throw RecurrenceRuleError(
                code: .missingStart, message: "DTSTART is required (e.g. DTSTART;TZID=Europe/Berlin:20260105T090000)",
                input: line, line: lines.first?.number ?? 1, column: 1, length: max(1, line.count))
        }
        self.init(
            start: start, rules: rules, inclusions: inclusions, exclusions: exclusions,
            floatingTimeZone: floatingTimeZone)
    }

    /// iCalendar text that `init(icalendar:)` reads back to an equal set.
    public var icalendarText: String {
        func property(_ name: String, _ values: [Moment]) -> String {
            guard let first = values.first else { return "" }
            var head = name
            if first.isDateOnly { head += ";VALUE=DATE" }
            if case .zoned(let tz) = first.zone { head += ";TZID=" + tz.identifier }
            return head + ":" + values.map(\.description).joined(separator: ",")
        }
        var lines = [property("DTSTART", [start])]
        lines += rules.map { "RRULE:\($0)" }
        // One line per value keeps mixed zones exact.
        lines += inclusions.map { property("RDATE", [$0]) }
        lines += exclusions.map { property("EXDATE", [$0]) }
        return lines.joined(separator: "\n")
    }
}
