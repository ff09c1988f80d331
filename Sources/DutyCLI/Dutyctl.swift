import ArgumentParser
import DutyCore

/// The `dutyctl` command: offline tools over the core and the schedule files, and (later) a client of the
/// daemon's query socket. Exit codes are decided here and only here (see `ExitCodes`).
public struct Dutyctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dutyctl",
        abstract: "Inspect duties, calendar expressions and recurrence rules; talk to dutyd.",
        version: DutyCore.version,
        subcommands: [
            ValidateCommand.self,
            ListCommand.self,
            AgendaCommand.self,
            ExportCommand.self,
            CalendarCommand.self,
            RRuleCommand.self,
        ]
    )

    public init() {}
}
