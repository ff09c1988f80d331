import ArgumentParser
import DutyCore
import Foundation

/// `dutyctl export --ics`: the duties as an iCalendar file that calendar programs import.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the duties as iCalendar (RFC 5545).",
        discussion: """
            One VEVENT per duty. Occurrences are those of the window --from..--to (inclusive dates in \
            --timezone, default the plan's zone), holiday moves applied, written as DTSTART plus RDATEs so that \
            every calendar program shows exactly dutyd's dates; advance warnings become VALARMs (a workday \
            warning is approximated by calendar days there, and named in X-DUTYD-WARN). With --changes the \
            daemon's changes are written as calendar programs expect them: a cancelled occurrence (or one a \
            pause skips whole) as an EXDATE, a moved one as an override VEVENT with its RECURRENCE-ID, an extra \
            one as an RDATE; occurrences are taken by their own instant.
            """)

    @OptionGroup var schedules: ScheduleOptions
    @OptionGroup var filter: RecipientFilterOptions
    @OptionGroup var township: TownshipOption
    @OptionGroup var changes: ChangeSourceOptions

    @Flag(help: "Write iCalendar (the only format for now).")
    var ics = false

    @Option(help: "First day of the export window (YYYY-MM-DD).")
    var from: String

    @Option(help: "Last day of the export window (YYYY-MM-DD).")
    var to: String

    @Option(help: "Time zone of the window dates (default: the plan's zone).")
    var timezone: String?

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard ics else { throw ValidationError("choose a format: --ics") }
        _ = try AgendaCommand.date(from, option: "--from")
        _ = try AgendaCommand.date(to, option: "--to")
        try checkTimeZone(timezone)
    }

    func run() throws {
        let set = try schedules.load(quietWarnings: true)
        let zone = set.zone(timezone)
        let filter = self.filter.filter(township: township.township)
        try set.check(filter)
        let start = TimeFormatting.instant(try AgendaCommand.date(from, option: "--from"), in: zone).addingTimeInterval(-0.000_001)
        let end = TimeFormatting.instant(try AgendaCommand.date(to, option: "--to").adding(days: 1), in: zone)
            .addingTimeInterval(-0.000_001)
        let filtered = filter.apply(to: set)
        let planner = Planner(schedules: filtered, changes: try changes.load())
        let text = ICalendarWriter.calendar(for: filtered, planner: planner, after: start, through: end)
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                Terminal.standardError.write("dutyctl: cannot write \(output)\n")
                throw ExitStatus.failure.exitCode
            }
        } else {
            Terminal.standardOutput.write(text)
        }
    }
}

/// iCalendar text: CRLF line ends, lines folded at 75 octets without splitting a UTF-8 sequence, TEXT escaped.
enum ICalendarWriter {
    /// What the changes did to a duty's occurrences in the window, by their own instant.
    struct Changed {
        /// Extra occurrences (`add`), written as RDATEs.
        var added: [Date] = []
        /// Cancelled, or skipped whole by a pause: EXDATEs.
        var excluded: [Date] = []
        /// Moved: an override VEVENT each (own instant, new instant, number of changes).
        var moved: [(own: Date, to: Date, sequence: Int)] = []
    }

    static func changed(_ duty: Duty, _ planner: Planner, _ occurrences: [Date], after start: Date, through end: Date) -> Changed {
        var result = Changed()
        let extra = planner.changes.occurrences.filter { id, state in
            id.duty == duty.id && state.added && id.instant > start && id.instant <= end
        }.keys.map(\.instant)
        result.added = extra.filter { !occurrences.contains($0) }.sorted()
        for own in (occurrences + result.added) {
            let id = OccurrenceID(duty: duty.id, at: own)
            guard planner.changes.state(of: id) != nil || !planner.changes.pauses.isEmpty,
                let planned = planner.plannedOccurrence(id)
            else { continue }
            switch planned.status {
            case .cancelled, .paused: result.excluded.append(own)
            case .moved: result.moved.append((own, planned.at, planner.changes.history(of: id).count))
            default: break
            }
        }
        return result
    }

    static func calendar(for set: ScheduleSet, planner: Planner? = nil, after start: Date, through end: Date) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dutyd//dutyctl \(DutyCore.version)//EN", "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH", "X-WR-CALNAME:dutyd",
        ]
        for duty in set.duties {
            var occurrences = duty.occurrences(after: start, through: end)
            var changed = Changed()
            if let planner, !planner.changes.isEmpty {
                changed = Self.changed(duty, planner, occurrences, after: start, through: end)
                occurrences = (occurrences + changed.added).sorted()
            }
            guard let first = occurrences.first else { continue }
            let zone = duty.timeZone
            lines.append("BEGIN:VEVENT")
            lines.append("UID:\(duty.id)@dutyd")
            lines.append("DTSTAMP:\(utcStamp(first))")
            lines.append("DTSTART;TZID=\(zone.identifier):\(localStamp(first, zone))")
            lines.append("DURATION:PT1H")
            if occurrences.count > 1 {
                // RDATE lists kept short per line (folding handles length; one property per 50 dates keeps it tidy).
                let rest = occurrences.dropFirst().map { localStamp($0, zone) }
                var index = 0
                while index < rest.count {
                    let chunk = rest[index..<min(index + 50, rest.count)]
                    lines.append("RDATE;TZID=\(zone.identifier):\(chunk.joined(separator: ","))")
                    index += 50
                }
            }
            if !changed.excluded.isEmpty {
                lines.append("EXDATE;TZID=\(zone.identifier):\(changed.excluded.map { localStamp($0, zone) }.joined(separator: ","))")
            }
            lines.append("SUMMARY:\(escape(duty.title))")
            var description = duty.description
            if let clause = duty.clause { description = "[\(clause)] " + description }
            if !duty.responsible.isEmpty {
                description += "\n责任单位 / responsible: " + duty.responsible.map { set.displayName(of: $0) }.joined(separator: "、")
            }
            lines.append("DESCRIPTION:\(escape(description))")
            if let clause = duty.clause { lines.append("X-DUTYD-CLAUSE:\(escape(clause))") }
            lines.append("CATEGORIES:\(escape(duty.priority.rawValue))")
            for warning in duty.warnings {
                lines.append("BEGIN:VALARM")
                lines.append("ACTION:DISPLAY")
                lines.append("DESCRIPTION:\(escape(duty.title))")
                lines.append("TRIGGER:-\(duration(warning))")
                lines.append("X-DUTYD-WARN:\(escape(warning.description))")
                lines.append("END:VALARM")
            }
            lines.append("END:VEVENT")
            // Moved occurrences: one override each, the same UID, the instance it replaces named by RECURRENCE-ID.
            for move in changed.moved {
                lines.append("BEGIN:VEVENT")
                lines.append("UID:\(duty.id)@dutyd")
                lines.append("DTSTAMP:\(utcStamp(first))")
                lines.append("RECURRENCE-ID;TZID=\(zone.identifier):\(localStamp(move.own, zone))")
                lines.append("DTSTART;TZID=\(zone.identifier):\(localStamp(move.to, zone))")
                lines.append("DURATION:PT1H")
                lines.append("SEQUENCE:\(move.sequence)")
                lines.append("SUMMARY:\(escape(duty.title))")
                lines.append("X-DUTYD-OCCURRENCE:\(OccurrenceID(duty: duty.id, at: move.own).description)")
                lines.append("END:VEVENT")
            }
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined()
    }

    static func duration(_ warning: AdvanceWarning) -> String {
        switch warning.unit {
        case .minutes: return "PT\(warning.amount)M"
        case .hours: return "PT\(warning.amount)H"
        case .days, .workdays: return "P\(warning.amount)D"
        case .weeks: return "P\(warning.amount)W"
        }
    }

    static func localStamp(_ date: Date, _ zone: TimeZone) -> String {
        let iso = TimeFormatting.iso8601(date, in: zone)  // 2018-09-17T09:00:00+08:00
        return iso.prefix(19).filter { $0 != "-" && $0 != ":" }
    }

    static func utcStamp(_ date: Date) -> String {
        localStamp(date, TimeZone(identifier: "UTC")!) + "Z"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n", "\r\n": out += "\\n"
            case "\r": continue
            default: out.append(c)
            }
        }
        return out
    }

    /// Folds one content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 sequence, and ends it with CRLF.
    static func fold(_ line: String) -> String {
        var out = ""
        var count = 0
        var limit = 75
        for scalar in line.unicodeScalars {
            let size = String(scalar).utf8.count
            if count + size > limit {
                out += "\r\n "
                count = 0
                limit = 74  // the leading space counts
            }
            out.unicodeScalars.append(scalar)
            count += size
        }
        return out + "\r\n"
    }
}
