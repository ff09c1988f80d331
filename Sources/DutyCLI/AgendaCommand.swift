import ArgumentParser
import DutyCore
import Foundation

/// `dutyctl agenda`: every occurrence and advance warning in a window, in time order, straight from the files.
struct AgendaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agenda",
        abstract: "Show due dates and advance warnings in a window, or a month grid.",
        discussion: """
            Dates are read and shown in --timezone (default: the plan's zone, the first [defaults] timezone of \
            the schedule files, else the host's). --from and --to are inclusive calendar dates (YYYY-MM-DD). \
            --month YYYY-MM draws a month grid like cal(1) and remind -c, with the duties in their days. An \
            unknown person, role, duty or township is refused as the daemon refuses it. With --changes the \
            daemon's changes apply: moved occurrences at their new time, extra ones added, cancelled ones and \
            those a pause skips listed as such.
            """)

    @OptionGroup var schedules: ScheduleOptions
    @OptionGroup var filter: RecipientFilterOptions
    @OptionGroup var township: TownshipOption
    @OptionGroup var changes: ChangeSourceOptions

    @Option(help: "First day (YYYY-MM-DD, inclusive).")
    var from: String?

    @Option(help: "Last day (YYYY-MM-DD, inclusive).")
    var to: String?

    @Option(help: "Draw a month grid for YYYY-MM.")
    var month: String?

    @Flag(help: "Leave out advance warnings.")
    var noWarnings = false

    @Option(help: "Time zone for reading and showing dates (default: the plan's zone).")
    var timezone: String?

    @Option(help: "Grid column width (with --month).")
    var cellWidth = 18

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if month == nil && (from == nil || to == nil) {
            throw ValidationError("give --from and --to, or --month")
        }
        if month != nil && (from != nil || to != nil) {
            throw ValidationError("--month cannot be combined with --from/--to")
        }
        try checkTimeZone(timezone)
        if let from { _ = try Self.date(from, option: "--from") }
        if let to { _ = try Self.date(to, option: "--to") }
        if let month { _ = try Self.month(month) }
        if cellWidth < 8 { throw ValidationError("--cell-width must be at least 8") }
    }

    /// `--from`/`--to`: a date read by the one ISO 8601 reader; a usage error names the column.
    static func date(_ text: String, option: String) throws -> CivilDate {
        do {
            return try ISO8601Time.date(text)
        } catch {
            throw ValidationError("\(option) must be a date YYYY-MM-DD, not '\(text)': \(error.message) (column \(error.column))")
        }
    }

    static func month(_ text: String) throws -> CivilDate {
        do {
            return try ISO8601Time.month(text)
        } catch {
            throw ValidationError("--month must be YYYY-MM, not '\(text)': \(error.message) (column \(error.column))")
        }
    }

    func run() throws {
        let set = try schedules.load(quietWarnings: true)
        let zone = set.zone(timezone)
        let filter = self.filter.filter(township: township.township)
        try set.check(filter)
        let first: CivilDate
        let last: CivilDate
        if let month {
            first = try Self.month(month)
            last = CivilDate(year: first.year, month: first.month, day: CivilDate.daysInMonth(year: first.year, month: first.month))
        } else {
            first = try Self.date(from!, option: "--from")
            last = try Self.date(to!, option: "--to")
        }
        let entries = Agenda(schedules: set, changes: try changes.load()).entries(
            from: first, through: last, in: zone, filter: filter, warnings: !noWarnings)
        if json {
            Terminal.standardOutput.write(try JSONOutput.render(entries) + "\n")
        } else if month != nil {
            Terminal.standardOutput.write(MonthGrid(year: first.year, month: first.month, cellWidth: cellWidth).render(entries))
        } else {
            var table = TextTable(columns: ["WHEN", "KIND", "CLAUSE", "TITLE", "DUTY"])
            for e in entries {
                var kind = e.kind == "warning" ? "warning \(e.offset ?? "")" : e.kind
                if let status = e.status, e.kind != status { kind += " (\(status))" }
                table.append([e.localTime, kind, e.clause ?? "-", e.title, e.duty])
            }
            Terminal.standardOutput.write(table.rendered())
            Terminal.standardOutput.write("\n\(entries.count) entries.\n")
        }
    }
}

/// One agenda line, also the `--json` shape.
struct AgendaEntry: Codable, Equatable {
    var duty: String
    var title: String
    var clause: String?
    var kind: String
    var offset: String?
    var fireAt: String
    var occurrence: String
    var localTime: String
    var localDate: String
    var responsible: [String]
    var recipients: [String]
    var priority: String
    var file: String
    /// With --changes: `moved`, `added` (due and warnings of such occurrences), `cancelled` or `paused`.
    var status: String?
    /// With --changes: the occurrence's own instant when it was moved.
    var scheduled: String?
    /// The occurrence id (with --changes).
    var occurrenceId: String?
}

struct Agenda {
    let schedules: ScheduleSet
    var changes: OccurrenceChanges = .none

    /// The entries of the duties `filter` selects (its ids are checked by the caller) in the window: due dates and
    /// warnings; with changes, also the occurrences a pause skips (`skipped`) and the cancelled ones
    /// (`cancelled`, at the time they had).
    func entries(from first: CivilDate, through last: CivilDate, in zone: TimeZone, filter: RecipientFilter, warnings: Bool) -> [AgendaEntry] {
        let start = TimeFormatting.instant(first, in: zone).addingTimeInterval(-0.000_001)
        let end = TimeFormatting.instant(last.adding(days: 1), in: zone).addingTimeInterval(-0.000_001)
        let planner = Planner(schedules: filter.apply(to: schedules), changes: changes)
        let annotated = !changes.isEmpty
        var notices = planner.notices(after: start, through: end).filter {
            $0.kind == .due || (warnings && $0.kind == .warning) || $0.kind == .skipped
        }
        if annotated {
            for duty in planner.schedules.duties {
                for o in planner.plannedOccurrences(of: duty, after: start, through: end, cancelled: true) where o.cancelled {
                    notices.append(
                        Notice(
                            dutyID: duty.id, occurrence: o.at, fireAt: o.at, kind: .cancelled, offsetLabel: "",
                            escalationStep: 0, originalOccurrence: o.movedFrom.map { _ in o.id.instant }))
                }
            }
            notices.sort { ($0.fireAt, $0.dutyID, $0.kind.rawValue) < ($1.fireAt, $1.dutyID, $1.kind.rawValue) }
        }
        return notices.compactMap { notice -> AgendaEntry? in
            guard let duty = schedules.duty(id: notice.dutyID) else { return nil }
            let planned = annotated ? planner.plannedOccurrence(notice.occurrenceID) : nil
            return AgendaEntry(
                duty: duty.id, title: duty.title, clause: duty.clause, kind: notice.kind.rawValue,
                offset: notice.kind == .warning ? notice.offsetLabel : nil,
                fireAt: TimeFormatting.iso8601(notice.fireAt, in: zone),
                occurrence: TimeFormatting.iso8601(notice.occurrence, in: zone),
                localTime: TimeFormatting.localMinute(notice.fireAt, in: zone),
                localDate: TimeFormatting.localDate(notice.fireAt, in: zone).description,
                responsible: duty.responsible, recipients: duty.recipients, priority: duty.priority.rawValue,
                file: duty.location.description,
                status: planned.flatMap { $0.status == .scheduled ? nil : $0.status.rawValue },
                scheduled: notice.originalOccurrence.map { TimeFormatting.iso8601($0, in: zone) },
                occurrenceId: annotated ? notice.occurrenceID.description : nil)
        }
    }
}

/// A month drawn as a grid of boxes, Monday first, each day listing its entries (like `remind -c`).
struct MonthGrid {
    var year: Int
    var month: Int
    var cellWidth: Int

    func render(_ entries: [AgendaEntry]) -> String {
        var byDay: [String: [AgendaEntry]] = [:]
        for e in entries { byDay[e.localDate, default: []].append(e) }
        let first = CivilDate(year: year, month: month, day: 1)
        let days = CivilDate.daysInMonth(year: year, month: month)
        let lead = first.weekday.mondayBasedIndex
        let w = cellWidth
        let rule = "+" + Array(repeating: String(repeating: "-", count: w) + "+", count: 7).joined() + "\n"
        var out = ""
        let title = "\(year)-\(month < 10 ? "0" : "")\(month)"
        let totalWidth = 7 * (w + 1) + 1
        out += String(repeating: " ", count: max(0, (totalWidth - title.count) / 2)) + title + "\n"
        out += rule
        out += "|" + Weekday.allCases.map { DisplayWidth.fit($0.shortName, w) + "|" }.joined() + "\n"
        out += rule
        var day = 1 - lead
        while day <= days {
            var cells: [[String]] = []
            for _ in 0..<7 {
                var lines: [String] = []
                if day >= 1 && day <= days {
                    let date = CivilDate(year: year, month: month, day: day)
                    lines.append(String(day))
                    for e in byDay[date.description] ?? [] {
                        let time = String(e.localTime.suffix(5))
                        let mark = e.kind == "warning" ? "!" : (e.kind == "due" ? "" : " [\(e.kind)]")
                        lines.append("\(time)\(mark) \(e.title)")
                    }
                }
                cells.append(lines)
                day += 1
            }
            let height = max(3, cells.map(\.count).max() ?? 0)
            for row in 0..<height {
                out += "|" + cells.map { DisplayWidth.fit(row < $0.count ? $0[row] : "", w) + "|" }.joined() + "\n"
            }
            out += rule
        }
        out += "(\"!\" marks an advance warning; times in the duty's zone shown in the agenda's zone)\n"
        return out
    }
}
