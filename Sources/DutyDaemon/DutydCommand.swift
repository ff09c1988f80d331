import ArgumentParser
import DutyCore
import DutySchedules
import Foundation
import Logging

/// The `dutyd` daemon's command line. Runs in the foreground (no fork, no pid file): systemd supervises it.
public struct DutydCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dutyd",
        abstract: "Run the dutyd scheduling and reminder daemon in the foreground.",
        discussion: """
            Defaults follow systemd: --state-dir is $STATE_DIRECTORY or /var/lib/dutyd, --socket is \
            $RUNTIME_DIRECTORY/dutyd.sock or /run/dutyd/dutyd.sock. SIGHUP reloads the schedules (a broken \
            schedule keeps the previous ones running), SIGTERM stops. --clock-start and --clock-rate run a \
            simulated clock, e.g. to watch the 2018 plan unfold: \
            dutyd --schedules Schedules --clock-start 2018-09-13T08:00:00+08:00 --clock-rate 3600
            """,
        version: DutyCore.version)

    @Option(name: .customLong("schedules"), help: ArgumentHelp("Schedule directory (repeatable, increasing precedence).", valueName: "dir"))
    var schedules: [String] = []

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Directory of the SQLite ledger.", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("socket"), help: ArgumentHelp("Path of the query socket.", valueName: "path"))
    var socket: String?

    @Option(name: .customLong("socket-group"), help: ArgumentHelp("Group of the query socket; its members may read.", valueName: "group"))
    var socketGroup: String?

    @Option(name: .customLong("admin-group"), help: ArgumentHelp("Group whose members may acknowledge for others and reload.", valueName: "group"))
    var adminGroup: String?

    @Option(name: .customLong("mail-spool"), help: ArgumentHelp("mbox spool directory.", valueName: "dir"))
    var mailSpool = "/var/mail"

    @Flag(name: .customLong("private-spool"), help: "Mailboxes in --mail-spool belong to dutyd's own user; accounts need not exist (demos, tests).")
    var privateSpool = false

    @Option(name: .customLong("hostname"), help: "Host name used in mail addresses and Message-IDs.")
    var hostName: String?

    @Option(
        name: .customLong("max-roster-size"),
        help: ArgumentHelp("Largest roster CSV a template may read (bytes, or with K, M, G).", valueName: "size"))
    var maxRosterSize = "64M"

    @Option(name: .customLong("catch-up"), help: "Reminders found later than this after their time are recorded as missed (e.g. 1d, 12h).")
    var catchUp = "1d"

    @Option(
        name: .customLong("retention"),
        help: ArgumentHelp(
            "Keep delivered and missed reminders, acknowledgements and audit lines this long, pruned at start and once a day (e.g. 400d, 90d; 0 or off keeps everything). Planned and retrying reminders and unacknowledged occurrences that can still be overdue are always kept.",
            valueName: "duration"))
    var retention = "400d"

    @Option(name: .customLong("clock-start"), help: ArgumentHelp("Start a simulated clock at this ISO 8601 instant.", valueName: "iso8601"))
    var clockStart: String?

    @Option(name: .customLong("clock-rate"), help: "Simulated seconds per real second (with --clock-start).")
    var clockRate = 1.0

    @Flag(name: .customLong("no-journal"), help: "Write reminders to stderr instead of journald.")
    var noJournal = false

    @Flag(name: .customLong("no-mail"), help: "Do not deliver mail (journal only).")
    var noMail = false

    @Option(name: .customLong("sendmail"), help: ArgumentHelp("sendmail program for sendmail: recipients.", valueName: "path"))
    var sendmailPath = "/usr/sbin/sendmail"

    @Option(name: .customLong("sendmail-timeout"), help: "Seconds before a hanging sendmail is killed (retried later).")
    var sendmailTimeout = 60.0

    @Flag(name: .customLong("reset-state"), help: "If the ledger cannot be opened (corrupt, foreign, newer schema), move it aside as dutyd.sqlite.corrupt-<time> and start with an empty one. Reminders already delivered may then be sent again.")
    var resetState = false

    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "The ledger: 'sqlite' (in --state-dir, the default) or postgresql://USER@HOST:PORT/DB?sslmode=verify-full&sslrootcert=CA shared by several instances (also $DUTYD_STORE). The password comes from the systemd credential --store-credential, never from the URL.",
            valueName: "store"))
    var store: String?

    @Option(name: .customLong("store-credential"), help: ArgumentHelp("Name of the systemd credential with the PostgreSQL password.", valueName: "name"))
    var storeCredential = "dutyd-store-password"

    @Flag(name: .customLong("store-allow-plaintext"), help: "Allow sslmode=disable to a PostgreSQL host that is not loopback.")
    var storeAllowPlaintext = false

    @Option(name: .customLong("message-id-domain"), help: ArgumentHelp("Domain of Message-IDs (default: --hostname); the same on every instance sharing a ledger.", valueName: "domain"))
    var messageIDDomain: String?

    @Option(name: .customLong("journal-collector"), help: ArgumentHelp("Journal directory of a systemd-journal-remote collector that reconciliation also reads.", valueName: "dir"))
    var journalCollector: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    public init() {}

    public func validate() throws {
        if let clockStart, TimeFormatting.parseISO8601(clockStart, defaultZone: TimeZone(identifier: "UTC")!) == nil {
            throw ValidationError("--clock-start must be ISO 8601, like 2018-09-13T08:00:00+08:00")
        }
        guard clockRate > 0, clockRate <= 1_000_000 else { throw ValidationError("--clock-rate must be in (0, 1000000]") }
        guard ScheduleLoader.Limits.byteCount(maxRosterSize) != nil else {
            throw ValidationError("--max-roster-size must be a size like 64M or 268435456")
        }
        guard Self.duration(catchUp) != nil else { throw ValidationError("--catch-up must be a duration like 1d or 12h") }
        guard Self.retention(retention) != nil else { throw ValidationError("--retention must be a duration like 400d or 12h, or 0 or off") }
        guard sendmailTimeout > 0, sendmailTimeout <= 86_400 else { throw ValidationError("--sendmail-timeout must be in (0, 86400]") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        if let store = store ?? ProcessInfo.processInfo.environment["DUTYD_STORE"], store != "sqlite",
            !store.hasPrefix("postgresql://"), !store.hasPrefix("postgres://")
        {
            throw ValidationError("--store must be sqlite or a postgresql:// URL")
        }
    }

    static func duration(_ text: String) -> TimeInterval? {
        (try? TimeSpan(text))?.timeInterval
    }

    /// `--retention`: a duration, or `0`/`off` for none (`.some(nil)`); nil when malformed.
    static func retention(_ text: String) -> TimeInterval?? {
        if text == "0" || text == "off" { return .some(nil) }
        guard let seconds = duration(text) else { return nil }
        return .some(seconds > 0 ? seconds : nil)
    }

    public func run() async throws {
        var configuration = DaemonConfiguration()
        if !schedules.isEmpty { configuration.scheduleDirectories = schedules }
        if let stateDirectory { configuration.stateDirectory = stateDirectory }
        if let socket { configuration.socketPath = socket }
        configuration.mailSpool = mailSpool
        configuration.privateSpool = privateSpool
        configuration.socketGroup = socketGroup
        configuration.adminGroup = adminGroup
        if let hostName { configuration.hostName = hostName }
        configuration.catchUpWindow = Self.duration(catchUp)!
        configuration.scheduleLimits.maxRosterBytes = ScheduleLoader.Limits.byteCount(maxRosterSize)!
        configuration.clockStart = clockStart.flatMap { TimeFormatting.parseISO8601($0, defaultZone: TimeZone(identifier: "UTC")!) }
        configuration.clockRate = clockRate
        configuration.useJournal = !noJournal
        configuration.deliverMail = !noMail
        configuration.sendmailPath = sendmailPath
        configuration.sendmailTimeout = sendmailTimeout
        configuration.resetState = resetState
        configuration.retention = Self.retention(retention)!
        if let store = store ?? ProcessInfo.processInfo.environment["DUTYD_STORE"], store != "sqlite", !store.isEmpty {
            configuration.store = .postgresql(url: store)
        }
        configuration.storeCredential = storeCredential
        configuration.storeAllowPlaintext = storeAllowPlaintext
        configuration.messageIDDomain = messageIDDomain
        configuration.journalCollectorDirectory = journalCollector

        // A file-size limit must produce a temporary delivery error (the mailbox is truncated back), not kill
        // the daemon; a peer closing the socket early must not either.
        signal(SIGXFSZ, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)

        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "dutyd")
        do {
            try await Daemon(configuration: configuration, logger: logger).run()
        } catch let error as Daemon.StartError {
            FileHandle.standardError.write(Data("dutyd: \(error)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
