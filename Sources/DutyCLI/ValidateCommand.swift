import ArgumentParser
import DutyAPI
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

    @OptionGroup var limits: ScheduleLimitOptions

    @Flag(help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        let dirs = directories.isEmpty ? ScheduleLoader.installedDirectories() : directories
        let result = ScheduleLoader(directories: dirs, limits: limits.limits).load()
        for diagnostic in result.diagnostics { Terminal.standardError.write(diagnostic.description + "\n") }
        guard let set = result.schedules else {
            Terminal.standardError.write(
                "\(result.errors.count) error(s), \(result.warnings.count) warning(s) in \(result.files.count) file(s)\n")
            throw ExitStatus.failure.exitCode
        }
        if result.files.isEmpty {
            Terminal.standardError.write("no schedule files in \(dirs.joined(separator: ", "))\n")
            throw ExitStatus.failure.exitCode
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
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the duties (from the daemon, or the schedule files when it is not running).",
        discussion: """
            Asks the daemon for the duties in effect. With --schedules or --offline, or when the daemon cannot be \
            reached, reads the schedule files instead (and says so on standard error).
            """)

    @OptionGroup var schedules: ScheduleOptions
    @OptionGroup var client: ClientOptions

    @Flag(help: "Read the schedule files even if the daemon is running.")
    var offline = false

    func run() throws {
        var duties: [DutySummary]
        if offline || !schedules.directories.isEmpty {
            duties = try schedules.load(quietWarnings: true).duties.map { DutySummary($0) }
        } else {
            do {
                duties = try DaemonClient(path: client.socketPath).request("GET", APICoding.prefix + "/duties").decodedDuties()
            } catch DaemonClient.ClientError.unavailable(let why) {
                Terminal.standardError.write("dutyctl: \(why); listing the schedule files instead\n")
                duties = try schedules.load(quietWarnings: true).duties.map { DutySummary($0) }
            }
        }
        if client.json {
            Terminal.standardOutput.write(String(decoding: try APICoding.encode(duties, pretty: true), as: UTF8.self) + "\n")
            return
        }
        var table = TextTable(columns: ["ID", "CLAUSE", "RECURRENCE", "TITLE"])
        for duty in duties {
            table.append([duty.id, duty.clause ?? "-", duty.recurrence, duty.title])
        }
        Terminal.standardOutput.write(table.rendered())
        Terminal.standardOutput.write("\n\(duties.count) duties listed.\n")
    }
}

extension DaemonClient.Response {
    /// The duties of a `GET /v1/duties` answer; exits with the daemon's reason on an error status.
    func decodedDuties() throws -> [DutySummary] {
        if let refusal { throw ExitStatus.report(refusal) }
        return try APICoding.decode(DutyList.self, from: body).duties
    }
}
