import ArgumentParser
import DutyCore

/// The `dutyctl` command: offline tools over the core and the schedule files, and (later) a client of the
/// daemon's query socket. Exit codes are decided in one place, `ExitStatus`.
public struct Dutyctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dutyctl",
        abstract: "Inspect duties, calendar expressions and recurrence rules; talk to dutyd.",
        discussion: """
            status, upcoming, list, show, ack, move, cancel, restore, snooze, add, pause, resume, changes, overdue \
            and reload talk to the daemon over its query socket \
            (--socket, else $DUTYD_SOCKET, else /run/dutyd/dutyd.sock); list falls back to the schedule files \
            when the daemon is not running. agenda, export, upcoming and overdue read dates without a zone \
            (--from 2018-10-01) in the plan's zone: the first [defaults] timezone of the schedule files in load \
            order, else the host's. \(ExitStatus.helpText)
            """,
        version: DutyCore.version,
        subcommands: [
            StatusCommand.self,
            UpcomingCommand.self,
            ListCommand.self,
            ShowCommand.self,
            AckCommand.self,
            MoveCommand.self,
            CancelCommand.self,
            RestoreCommand.self,
            SnoozeCommand.self,
            AddCommand.self,
            PauseCommand.self,
            ResumeCommand.self,
            ChangesCommand.self,
            OverdueCommand.self,
            ReloadCommand.self,
            RankingCommand.self,
            InterviewsCommand.self,
            ProblemCommand.self,
            BulletinCommand.self,
            ReportCommand.self,
            ValidateCommand.self,
            AgendaCommand.self,
            ExportCommand.self,
            CalendarCommand.self,
            RRuleCommand.self,
        ]
    )

    public init() {}
}
