import DutySchedules
import Foundation

/// Everything the daemon needs to start, with documented defaults. Read once, by `DutydCommand`, from flags
/// over the environment systemd provides (`STATE_DIRECTORY`, `RUNTIME_DIRECTORY`).
public struct DaemonConfiguration: Sendable {
    /// Schedule directories in increasing precedence (default: vendor then admin directory).
    public var scheduleDirectories: [String]
    /// Bounds on what the schedule files may make the loader read (`--max-roster-size`).
    public var scheduleLimits = ScheduleLoader.Limits()
    /// Where the SQLite ledger lives (default `$STATE_DIRECTORY` or `/var/lib/dutyd`).
    public var stateDirectory: String
    /// The query socket (default `$RUNTIME_DIRECTORY/dutyd.sock` or `/run/dutyd/dutyd.sock`).
    public var socketPath: String
    /// Group of a socket dutyd binds itself, whose members may read (nil: the group of the process).
    public var socketGroup: String?
    /// Members of this group may do everything root may over the socket (nil: root and dutyd's user only).
    public var adminGroup: String?
    /// The mbox spool directory (default `/var/mail`).
    public var mailSpool: String
    /// A private spool: mailboxes are owned by dutyd's own user and need no local account (demos and tests).
    public var privateSpool: Bool = false
    /// Mail sender address and host name used in From, Message-ID and the From_ line.
    public var hostName: String
    /// Reminders found later than this after their fire time are recorded as missed, not delivered.
    public var catchUpWindow: TimeInterval
    /// Simulated clock: start instant and rate (nil: the host's wall clock).
    public var clockStart: Date?
    public var clockRate: Double
    /// Retry back-off for temporary delivery failures: first delay, doubling up to the maximum.
    public var retryInitialDelay: TimeInterval
    public var retryMaximumDelay: TimeInterval
    /// Write to journald (false: stderr only, for tests).
    public var useJournal: Bool
    /// Deliver mail (false: journal only).
    public var deliverMail: Bool
    /// Path of sendmail for `sendmail:` recipients.
    public var sendmailPath: String
    /// Seconds a sendmail run may take before its process group is killed (a temporary failure).
    public var sendmailTimeout: Double = 60
    /// At start, move a ledger that cannot be opened (corrupt, foreign, newer schema) aside as
    /// `dutyd.sqlite.corrupt-<time>` and start with an empty one (`--reset-state`).
    public var resetState = false
    /// How long closed ledger rows, acknowledgements and audit lines are kept (`--retention`); nil keeps
    /// everything. Pruned at start and then once a day of the scheduler's clock; open items are never pruned
    /// (see `DutyStore.prune(_:)` and `SchedulerService.retentionPolicy`).
    public var retention: TimeInterval? = DaemonConfiguration.defaultRetention
    /// Threads of the daemon's one pool for blocking work (SQLite, journal, mail; see `BlockingPool`).
    public var blockingThreads = BlockingPool.defaultThreads
    /// Where the ledger is: SQLite in the state directory (one host, the default), or a PostgreSQL database
    /// shared by several instances (`--store postgresql://…`, `DUTYD_STORE`).
    public var store: Store = .sqlite
    /// The systemd credential holding the PostgreSQL password (`LoadCredential=NAME:…`, read from
    /// `$CREDENTIALS_DIRECTORY/NAME`).
    public var storeCredential = "dutyd-store-password"
    /// Allow a plain (no TLS) connection to a PostgreSQL host that is not loopback.
    public var storeAllowPlaintext = false
    /// The domain part of Message-IDs (default: `hostName`). Instances sharing a ledger must share it, so that a
    /// reminder sent again by another instance carries the same Message-ID.
    public var messageIDDomain: String?
    /// A systemd-journal-remote collector's journal directory that reconciliation also reads (several hosts).
    public var journalCollectorDirectory: String?

    public enum Store: Sendable, Hashable {
        case sqlite
        case postgresql(url: String)
    }

    /// This instance's id among those sharing a ledger: `host:state-directory`.
    public var instanceID: String { "\(hostName):\(stateDirectory)" }

    /// The ledger as logs and the status name it, without secrets.
    public var storeDescription: String {
        switch store {
        case .sqlite: "sqlite:\(databasePath)"
        case .postgresql(let url): url.split(separator: "?").first.map(String.init) ?? url
        }
    }

    /// This host's id (`/etc/machine-id`, else the host name): what a claim records, so that reconciliation knows
    /// whose journal holds an entry.
    public static func hostID() -> String {
        if let text = try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8) {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty { return id }
        }
        return defaultHostName()
    }

    /// The default retention: 400 days, so a full year of history (and the year-ago occurrence) stays queryable.
    public static let defaultRetention: TimeInterval = 400 * 86_400

    public init(
        scheduleDirectories: [String] = ScheduleLoader.installedDirectories(),
        stateDirectory: String = DaemonConfiguration.defaultStateDirectory(),
        socketPath: String = DaemonConfiguration.defaultSocketPath(),
        mailSpool: String = "/var/mail",
        hostName: String = DaemonConfiguration.defaultHostName(),
        catchUpWindow: TimeInterval = 86_400,
        clockStart: Date? = nil,
        clockRate: Double = 1,
        retryInitialDelay: TimeInterval = 30,
        retryMaximumDelay: TimeInterval = 3600,
        useJournal: Bool = true,
        deliverMail: Bool = true,
        sendmailPath: String = "/usr/sbin/sendmail"
    ) {
        self.scheduleDirectories = scheduleDirectories
        self.stateDirectory = stateDirectory
        self.socketPath = socketPath
        self.mailSpool = mailSpool
        self.hostName = hostName
        self.catchUpWindow = catchUpWindow
        self.clockStart = clockStart
        self.clockRate = clockRate
        self.retryInitialDelay = retryInitialDelay
        self.retryMaximumDelay = retryMaximumDelay
        self.useJournal = useJournal
        self.deliverMail = deliverMail
        self.sendmailPath = sendmailPath
    }

    public static func defaultStateDirectory() -> String {
        // systemd may pass several colon-separated directories; the first is ours.
        if let dir = ProcessInfo.processInfo.environment["STATE_DIRECTORY"]?.split(separator: ":").first {
            return String(dir)
        }
        return "/var/lib/dutyd"
    }

    public static func defaultSocketPath() -> String {
        if let dir = ProcessInfo.processInfo.environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first {
            return String(dir) + "/dutyd.sock"
        }
        return "/run/dutyd/dutyd.sock"
    }

    public static func defaultHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    public var databasePath: String { (stateDirectory as NSString).appendingPathComponent("dutyd.sqlite") }
}
