import ArgumentParser
import DutyCore

/// The `dutyctl` command: offline tools over the core and the schedule files, and (later) a client of the
/// daemon's query socket. Exit codes are decided here and only here (see `ExitCodes`).
public struct Dutyctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dutyctl",
        abstract: "Inspect duties, calendar expressions and recurrence rules; talk to dutyd.",
        discussion: """
            status, upcoming, list, show, ack, overdue and reload talk to the daemon over its query socket \
            (--socket, else $DUTYD_SOCKET, else /run/dutyd/dutyd.sock); list falls back to the schedule files \
            when the daemon is not running. Exit codes: 0 success; 1 invalid input, a schedule error, a failed \
            reload or a request the daemon rejected; 64 usage error; 69 the daemon is not running or its socket \
            cannot be opened; 77 the daemon refused the request (permission).
            """,
        version: DutyCore.version,
        subcommands: [
            StatusCommand.self,
            UpcomingCommand.self,
            ListCommand.self,
            ShowCommand.self,
            AckCommand.self,
            OverdueCommand.self,
            ReloadCommand.self,
            RankingCommand.self,
            InterviewsCommand.self,
            ProblemCommand.self,
            BulletinCommand.self,
            ValidateCommand.self,
            AgendaCommand.self,
            ExportCommand.self,
            CalendarCommand.self,
            RRuleCommand.self,
        ]
    )

    public init() {}
}
