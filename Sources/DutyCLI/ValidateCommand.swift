import ArgumentParser
import DutyCore
import DutySchedules

/// `dutyctl validate [DIR...]`: load schedules with the daemon's own loader and report every problem as
/// `file:line:column: error: message`. Exit 0 when there is no error (warnings allowed), 1 otherwise.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check schedule directories and report every problem with file:line:column.")

    @Argument(help: "Schedule directories in increasing precedence (default: the installed layering).")
    var directories: [String] = []

    @Flag(help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        let dirs = directories.isEmpty ? ScheduleLoader.installedDirectories() : directories
        let result = ScheduleLoader(directories: dirs).load()
        for diagnostic in result.diagnostics { Terminal.standardError.write(diagnostic.description + "\n") }
        guard let set = result.schedules else {
            Terminal.standardError.write(
                "\(result.errors.count) error(s), \(result.warnings.count) warning(s) in \(result.files.count) file(s)\n")
            throw ExitCode(ExitCodes.failure)
        }
        if result.files.isEmpty {
            Terminal.standardError.write("no schedule files in \(dirs.joined(separator: ", "))\n")
            throw ExitCode(ExitCodes.failure)
        }
        if !quiet {
            Terminal.standardOutput.write(
                "\(result.files.count) file(s): \(set.duties.count) duties, \(set.persons.count) persons, "
                    + "\(set.roles.count) roles, \(set.townships.count) townships, \(set.triggers.count) triggers, "
                    + "\(set.calendars.count) workday calendars; \(result.warnings.count) warning(s)\n")
        }
    }
}

/// `dutyctl list`: the duties, one line each.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the duties of the schedules.")

    @OptionGroup var schedules: ScheduleOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let set = try schedules.load(quietWarnings: true)
        if json {
            let items = set.duties.map { duty in
                DutyListItem(
                    id: duty.id, title: duty.title, clause: duty.clause, recurrence: duty.recurrence.summary,
                    responsible: duty.responsible, recipients: duty.recipients, priority: duty.priority.rawValue,
                    ack: duty.needsAcknowledgement, file: duty.location.description, localChoice: duty.localChoice)
            }
            Terminal.standardOutput.write(try JSONOutput.render(items) + "\n")
            return
        }
        var table = TextTable(columns: ["ID", "CLAUSE", "RECURRENCE", "TITLE"])
        for duty in set.duties {
            table.append([duty.id, duty.clause ?? "-", duty.recurrence.summary, duty.title])
        }
        Terminal.standardOutput.write(table.rendered())
        Terminal.standardOutput.write("\n\(set.duties.count) duties listed.\n")
    }
}

extension Recurrence {
    /// A one-line summary for listings.
    var summary: String {
        switch self {
        case .calendar(let specs): return specs.map(\.description).joined(separator: " | ")
        case .rrule(let set): return set.rules.map { "RRULE:\($0.description)" }.joined(separator: " | ")
        case .once(let date): return "once \(date.timeIntervalSince1970)"
        case .nthWorkday(let n, let h, let m, _):
            let time = (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
            return n > 0 ? "workday #\(n) of each month \(time)" : (n == -1 ? "last workday of each month \(time)" : "workday #\(n) from month end \(time)")
        }
    }
}

struct DutyListItem: Codable {
    var id: String
    var title: String
    var clause: String?
    var recurrence: String
    var responsible: [String]
    var recipients: [String]
    var priority: String
    var ack: Bool
    var file: String
    var localChoice: String?
}
