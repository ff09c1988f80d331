import DutyCore
import Foundation

extension ScheduleBuilder {
    // MARK: - Duties

    /// Builds one duty from a `[[duty]]` table.
    mutating func buildDuty(_ r: TableReader, defaults: Defaults) {
        var family = DutyFamily.none
        buildDuty(r, defaults: defaults, family: &family)
    }

    /// Builds one duty from a `[[duty]]` table or a template's expanded duty table; the duties of one family
    /// read their timing once (on the first row) and share it.
    mutating func buildDuty(_ r: TableReader, defaults: Defaults, family: inout DutyFamily) {
        defer { r.finish(known: Self.dutyKeys) }
        guard let id = readID(r, kind: "duty") else { return }
        guard duties.count < limits.maxDuties else {
            sink.error("too many duties (at most \(limits.maxDuties))", at: r.tableLocation)
            return
        }
        let title = r.string("title", required: true) ?? id
        if title.utf8.count > limits.maxStringBytes || title.contains(where: { $0.isNewline }) {
            sink.error("'title' must be one line of at most \(limits.maxStringBytes) bytes\(r.context)", at: r.stringLocation("title"))
        }
        let description = r.string("description") ?? ""
        if description.utf8.count > limits.maxStringBytes {
            sink.error("'description' is longer than \(limits.maxStringBytes) bytes\(r.context)", at: r.stringLocation("description"))
        }
        let clause = r.string("clause")
        let responsible = r.strings("responsible") ?? []
        noteParties(responsible, reader: r, key: "responsible")
        var recipients = responsible
        if let explicit = r.strings("recipients") {
            recipients = explicit
            noteParties(explicit, reader: r, key: "recipients")
        }
        if recipients.isEmpty {
            sink.warning("duty '\(id)' has no recipients: it is journaled but mailed to nobody\(r.context)", at: r.tableLocation)
        }
        let escalation = r.strings("escalate") ?? []
        noteParties(escalation, reader: r, key: "escalate")

        let timing: DutyTiming
        var firstOfFamily = true
        switch family {
        case .none:
            guard let t = readTiming(r, defaults: defaults) else { return }
            timing = t
        case .pending:
            guard let t = readTiming(r, defaults: defaults) else {
                family = .failed
                return
            }
            family = .known(t)
            timing = t
        case .known(let t):
            timing = t
            firstOfFamily = false
        case .failed:
            return  // the first row said why
        }
        if !escalation.isEmpty && !timing.ack {
            sink.error("'escalate' needs 'ack = true': only unacknowledged duties escalate\(r.context)", at: r.keyLocation("escalate"))
        }

        var duty = Duty(
            id: id, title: title, description: description, clause: clause, responsible: shared(responsible),
            recipients: shared(recipients), recurrence: timing.recurrence, notBefore: timing.notBefore,
            notAfter: timing.notAfter, timeZone: timing.timeZone, workdays: timing.workdays,
            holidayPolicy: timing.holiday, warnings: timing.warnings, needsAcknowledgement: timing.ack,
            grace: timing.grace, escalation: shared(escalation), priority: timing.priority,
            localChoice: r.string("local_choice"), location: r.stringLocation("id"))
        duty.labels = labelPool.insert(readLabels(r)).memberAfterInsert
        // One family shares its timing: the first duty's check says it for all of them.
        if firstOfFamily, duty.nextOccurrence(after: Date(timeIntervalSince1970: 0)) == nil {
            sink.warning("duty '\(id)' never occurs\(r.context)", at: r.keyLocation(r.has("calendar") ? "calendar" : "id"))
        }
        duties.append(duty)
    }

    /// An equal list read before, or this one: the duties of a template share their party lists (a cadre's four
    /// households name the same recipients), as they share their labels (`labelPool`).
    mutating func shared(_ parties: [String]) -> [String] {
        parties.isEmpty ? parties : partyListPool.insert(parties).memberAfterInsert
    }

    /// When and how a duty's notices fire: everything `buildDuty` reads besides what names and addresses the
    /// duty. nil when a key is unusable (reported).
    mutating func readTiming(_ r: TableReader, defaults: Defaults) -> DutyTiming? {
        var timeZoneName = defaults.timeZone ?? defaultTimeZone.identifier
        if let tz = r.string("timezone") { timeZoneName = tz }
        guard let timeZone = zone(timeZoneName, reader: r, key: r.has("timezone") ? "timezone" : "id") else { return nil }

        var workdays: WorkdayCalendar?
        if let w = r.string("workdays") ?? defaults.workdays {
            workdays = calendars[w]
            if workdays == nil, r.has("workdays") {
                sink.error("unknown workday calendar '\(w)'; known: \(calendarOrder.joined(separator: ", "))\(r.context)", at: r.stringLocation("workdays"))
            }
        }
        var holiday = defaults.holiday
        if let h = r.string("holiday") {
            if let policy = HolidayPolicy(rawValue: h) {
                holiday = policy
            } else {
                sink.error("invalid holiday policy '\(h)': expected keep, skip, previous or next\(r.context)", at: r.stringLocation("holiday"))
            }
        }
        if holiday != .keep, workdays == nil, r.has("holiday") {
            sink.error("holiday policy '\(holiday.rawValue)' needs a workday calendar ('workdays')\(r.context)", at: r.stringLocation("holiday"))
        }

        var warnings: [AdvanceWarning] = []
        if let texts = r.strings("warn") {
            warnings = parseWarnings(texts, reader: r, key: "warn")
        } else if !defaults.warn.isEmpty, let dr = defaults.warnReader {
            warnings = parseWarnings(defaults.warn, reader: dr, key: "warn")
        }
        var priority = defaults.priority
        if let p = r.string("priority") {
            if let value = DutyPriority(rawValue: p) {
                priority = value
            } else {
                sink.error("invalid priority '\(p)': expected low, normal, high or alert\(r.context)", at: r.stringLocation("priority"))
            }
        }
        let ack = r.bool("ack") ?? false
        var grace: TimeInterval = 86_400
        if let span = readTimeSpan(r, key: "grace") { grace = span.timeInterval }

        let notBefore = readInstant(r, key: "start", zone: timeZone, endOfDay: false)
        let notAfter = readInstant(r, key: "until", zone: timeZone, endOfDay: true)
        guard let recurrence = readRecurrence(r, zone: timeZone, zoneName: timeZoneName, workdays: workdays) else { return nil }
        return DutyTiming(
            timeZone: timeZone, workdays: workdays, holiday: holiday, warnings: warnings, priority: priority, ack: ack,
            grace: grace, notBefore: notBefore, notAfter: notAfter, recurrence: recurrence)
    }

    /// `labels = { key = "value", ... }`: at most 16 labels, ids as keys, one-line values of at most 256 bytes.
    func readLabels(_ r: TableReader) -> [String: String] {
        guard let table = r.table("labels") else { return [:] }
        var labels: [String: String] = [:]
        for (key, node) in table.sorted(by: { $0.key < $1.key }) {
            guard case .string(let value) = node else {
                sink.error("label '\(key)' must be a string\(r.context)", at: r.valueLocation("labels"))
                continue
            }
            guard Self.isValidID(key), value.utf8.count <= 256, !value.contains(where: { $0.isNewline }) else {
                sink.error("label '\(key)': keys are ids, values one line of at most 256 bytes\(r.context)", at: r.valueLocation("labels"))
                continue
            }
            labels[key] = value
        }
        if labels.count > 16 {
            sink.error("at most 16 labels\(r.context)", at: r.valueLocation("labels"))
            return [:]
        }
        return labels
    }

    mutating func parseWarnings(_ texts: [String], reader r: TableReader, key: String) -> [AdvanceWarning] {
        var result: [AdvanceWarning] = []
        for (i, text) in texts.enumerated() {
            do {
                result.append(try AdvanceWarning(text))
            } catch let error as any PositionedError {
                sink.error("invalid warning '\(text)': \(error.message)\(r.context)", at: r.stringLocation(key, index: i, column: error.column))
            } catch {
                sink.error("invalid warning '\(text)': \(error)\(r.context)", at: r.stringLocation(key, index: i))
            }
        }
        return result
    }

    /// `start`/`until`: a TOML date (the start or, with `endOfDay`, the end of that day) or date-time (local, in the
    /// duty's zone, or with an offset).
    func readInstant(_ r: TableReader, key: String, zone: TimeZone, endOfDay: Bool) -> Date? {
        guard let node = r.raw(key) else { return nil }
        switch node {
        case .date(let d):
            return endOfDay
                ? TimeFormatting.instant(d, hour: 23, minute: 59, second: 59, in: zone)
                : TimeFormatting.instant(d, hour: 0, minute: 0, second: 0, in: zone)
        case .dateTime(let d, let h, let m, let s, let offset):
            if let offset {
                let seconds = d.dayNumber * 86_400 + h * 3600 + m * 60 + s - offset * 60
                return Date(timeIntervalSince1970: TimeInterval(seconds))
            }
            return TimeFormatting.instant(d, hour: h, minute: m, second: s, in: zone)
        default:
            sink.error("'\(key)' must be a date or a date-time (unquoted, e.g. 2018-09-13 or 2018-09-13T09:00:00), not \(node.kindName)\(r.context)", at: r.valueLocation(key))
            return nil
        }
    }

    mutating func readRecurrence(_ r: TableReader, zone: TimeZone, zoneName: String, workdays: WorkdayCalendar?) -> Recurrence? {
        let forms = ["calendar", "rrule", "due", "nth_workday"].filter { r.has($0) }
        guard forms.count == 1 else {
            if forms.isEmpty {
                sink.error("missing recurrence: expected one of 'calendar', 'rrule', 'due' or 'nth_workday'\(r.context)", at: r.tableLocation)
            } else {
                sink.error("conflicting recurrences \(forms.map { "'\($0)'" }.joined(separator: " and ")): expected exactly one\(r.context)", at: r.keyLocation(forms[1]))
            }
            for key in ["calendar", "rrule", "due", "nth_workday", "time", "count", "exdates", "rdates"] { _ = r.raw(key) }
            return nil
        }
        switch forms[0] {
        case "calendar":
            guard let texts = r.strings("calendar") else { return nil }
            var specs: [CalendarSpec] = []
            for (i, text) in texts.enumerated() {
                if let cached = specCache[text] {
                    specs.append(cached)
                    continue
                }
                do {
                    let spec = try CalendarSpec(text)
                    specCache[text] = spec
                    specs.append(spec)
                } catch let error as any PositionedError {
                    sink.error("invalid calendar expression '\(text)': \(error.message)\(r.context)", at: r.stringLocation("calendar", index: i, column: error.column))
                } catch {
                    sink.error("invalid calendar expression '\(text)': \(error)\(r.context)", at: r.stringLocation("calendar", index: i))
                }
            }
            return specs.count == texts.count && !specs.isEmpty ? .calendar(specs) : nil
        case "due":
            guard let node = r.raw("due") else { return nil }
            switch node {
            case .dateTime(let d, let h, let m, let s, let offset):
                if let offset {
                    return .once(Date(timeIntervalSince1970: TimeInterval(d.dayNumber * 86_400 + h * 3600 + m * 60 + s - offset * 60)))
                }
                return .once(TimeFormatting.instant(d, hour: h, minute: m, second: s, in: zone))
            case .date(let d):
                return .once(TimeFormatting.instant(d, hour: 17, minute: 0, second: 0, in: zone))
            default:
                sink.error("'due' must be a date-time like 2018-12-31T17:30:00 (unquoted), not \(node.kindName)\(r.context)", at: r.valueLocation("due"))
                return nil
            }
        case "nth_workday":
            guard let n = r.int("nth_workday") else { return nil }
            guard n != 0, (-23...23).contains(n) else {
                sink.error("'nth_workday' must be 1...23 or -23...-1 (negative counts from the end of the month)\(r.context)", at: r.valueLocation("nth_workday"))
                return nil
            }
            if workdays == nil {
                sink.error("'nth_workday' needs a workday calendar ('workdays')\(r.context)", at: r.keyLocation("nth_workday"))
            }
            let (h, m, s) = readTimeOfDay(r) ?? (9, 0, 0)
            return .nthWorkday(n, hour: h, minute: m, second: s)
        default:
            return readRRule(r, zoneName: zoneName)
        }
    }

    func readTimeOfDay(_ r: TableReader) -> (Int, Int, Int)? {
        guard let text = r.string("time") else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }),
            let h = parts[0], let m = parts[1], (0...23).contains(h), (0...59).contains(m),
            (0...59).contains(parts.count == 3 ? parts[2]! : 0)
        else {
            sink.error("invalid time '\(text)': expected HH:MM or HH:MM:SS (24-hour)\(r.context)", at: r.stringLocation("time"))
            return nil
        }
        return (h, m, parts.count == 3 ? parts[2]! : 0)
    }

    mutating func readRRule(_ r: TableReader, zoneName: String) -> Recurrence? {
        guard let text = r.string("rrule") else { return nil }
        var body = text.hasPrefix("RRULE:") ? String(text.dropFirst(6)) : text
        let prefixShift = text.count - body.count
        do {
            _ = try RecurrenceRule(parsing: body)
        } catch let error as any PositionedError {
            sink.error("invalid rrule: \(error.message)\(r.context)", at: r.stringLocation("rrule", column: error.column + prefixShift))
            return nil
        } catch {
            sink.error("invalid rrule: \(error)\(r.context)", at: r.stringLocation("rrule"))
            return nil
        }
        guard case .dateTime(let d, let h, let m, let s, let offset)? = r.raw("start") ?? nil, offset == nil else {
            sink.error("'rrule' needs 'start' as a local date-time (e.g. start = 2018-09-17T09:00:00, unquoted)\(r.context)", at: r.keyLocation(r.has("start") ? "start" : "rrule"))
            return nil
        }
        if let count = r.int("count") {
            guard count > 0 else {
                sink.error("'count' must be positive\(r.context)", at: r.valueLocation("count"))
                return nil
            }
            body += ";COUNT=\(count)"
        }
        func stamp(_ d: CivilDate, _ h: Int, _ m: Int, _ s: Int) -> String {
            func p2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return d.description.replacingOccurrences(of: "-", with: "") + "T" + p2(h) + p2(m) + p2(s)
        }
        var lines = ["DTSTART;TZID=\(zoneName):\(stamp(d, h, m, s))", "RRULE:\(body)"]
        for (key, property) in [("rdates", "RDATE"), ("exdates", "EXDATE")] {
            guard let node = r.raw(key) else { continue }
            guard case .array(let items) = node else {
                sink.error("'\(key)' must be an array of local date-times\(r.context)", at: r.valueLocation(key))
                return nil
            }
            var stamps: [String] = []
            for item in items {
                switch item {
                case .dateTime(let d, let h, let m, let s, nil): stamps.append(stamp(d, h, m, s))
                case .date(let d): stamps.append(stamp(d, h, m, s))
                default:
                    sink.error("'\(key)' must hold local dates or date-times, not \(item.kindName)\(r.context)", at: r.valueLocation(key))
                    return nil
                }
            }
            if !stamps.isEmpty { lines.append("\(property);TZID=\(zoneName):\(stamps.joined(separator: ","))") }
        }
        do {
            return .rrule(try RecurrenceSet(icalendar: lines.joined(separator: "\n")))
        } catch {
            sink.error("invalid recurrence: \(error)\(r.context)", at: r.keyLocation("rrule"))
            return nil
        }
    }

    /// The longest `grace` or `due_within`.
    static let maximumScheduleSpan = TimeSpan(seconds: 400 * 86_400)

    /// A positive time span shorter than 400 days (`grace`, `due_within`), read by `TimeSpan`; an error names the
    /// column of the problem inside the string.
    func readTimeSpan(_ r: TableReader, key: String) -> TimeSpan? {
        guard let text = r.string(key) else { return nil }
        let span: TimeSpan
        do {
            span = try TimeSpan(text)
        } catch {
            sink.error(
                "invalid duration '\(text)': \(error.message)\(r.context)",
                at: r.stringLocation(key, column: error.column))
            return nil
        }
        guard span > .zero, span < Self.maximumScheduleSpan else {
            sink.error(
                "invalid duration '\(text)': must be longer than 0 and shorter than \(Self.maximumScheduleSpan)\(r.context)",
                at: r.stringLocation(key))
            return nil
        }
        return span
    }
}

/// The part of a duty that decides when its notices fire.
struct DutyTiming {
    var timeZone: TimeZone
    var workdays: WorkdayCalendar?
    var holiday: HolidayPolicy
    var warnings: [AdvanceWarning]
    var priority: DutyPriority
    var ack: Bool
    var grace: TimeInterval
    var notBefore: Date?
    var notAfter: Date?
    var recurrence: Recurrence
}

/// A template's duties whose timing keys have no placeholder: their timing is read from the first row and shared
/// (one parse, one check, one copy of the warnings for 55,166 duties).
enum DutyFamily {
    /// Not a family: every duty reads its own timing.
    case none
    /// A family whose first duty is still to come.
    case pending
    case known(DutyTiming)
    /// The first duty's timing was unusable (and reported): the family's other duties are not built.
    case failed
}
