import DutyCore
import DutyJournal
import DutyMail
import DutySchedules
import DutyStore
import DutyStorePostgres
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The daemon: loads schedules and state, then runs its services in one `ServiceGroup` until SIGTERM or SIGINT.
/// SIGHUP reloads the schedules (a broken schedule keeps the old ones running).
public struct Daemon: Sendable {
    public let configuration: DaemonConfiguration
    public let logger: Logger

    public init(configuration: DaemonConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Why the daemon did not start. Each case has one exit status (`exitCode`), documented in dutyd(8).
    public enum StartError: Error, CustomStringConvertible {
        case schedules([ScheduleDiagnostic])
        case noSchedules([String])
        case stateDirectory(String, String)
        case socket(String, String)
        case state(String, StoreError)
        case ledger(String, LedgerError)
        /// The store's configuration (`--store`, its credential, TLS) is wrong.
        case store(String)

        /// sysexits(3) codes, so that an administrator (and systemd's `RestartPreventExitStatus=`) can tell
        /// a configuration to fix from a state directory that cannot be written from damaged data.
        public var exitCode: Int32 {
            switch self {
            case .schedules, .noSchedules: 78  // EX_CONFIG
            case .socket, .store: 78
            case .stateDirectory: 73  // EX_CANTCREAT
            case .state(_, let error): Self.exitCode(for: LedgerError(error))
            case .ledger(_, let error): Self.exitCode(for: error)
            }
        }

        static func exitCode(for error: LedgerError) -> Int32 {
            switch error.remedy {
            case .corrupt: 65  // EX_DATAERR
            case .refuseToStart where error.code == .newerSchema || error.code == .foreignDatabase: 65
            case .refuseToStart, .retry: 73  // EX_CANTCREAT: cannot open or write the ledger
            case .fixRequest: 70  // EX_SOFTWARE
            }
        }

        public var description: String {
            switch self {
            case .schedules(let diagnostics):
                return diagnostics.map(\.description).joined(separator: "\n")
                    + "\n\(diagnostics.filter { $0.severity == .error }.count) schedule error(s): not starting"
            case .noSchedules(let dirs):
                return "no schedule files in \(dirs.joined(separator: ", ")): not starting"
            case .stateDirectory(let dir, let why):
                return "state directory \(dir): \(why): not starting"
            case .socket(let path, let why):
                return "query socket \(path): \(why): not starting"
            case .state(let path, let error):
                return Self.ledgerText(path, LedgerError(error))
            case .ledger(let path, let error):
                return Self.ledgerText(path, error)
            case .store(let why):
                return "ledger store: \(why): not starting"
            }
        }

        static func ledgerText(_ path: String, _ error: LedgerError) -> String {
            if PostgresStoreConfiguration.isPostgresURL(path) {
                return "ledger \(path): \(error): not starting"
            }
            let store = (error.underlying as? StoreError).map { "\($0)" } ?? "\(error)"
            switch error.code {
            case .readOnly, .cannotOpen, .io:
                let directory = (path as NSString).deletingLastPathComponent
                return "ledger \(path): cannot be written (\(store)): the state directory \(directory) is read-only, "
                    + "full or not ours: not starting"
            case .notADatabase, .corrupt, .foreignDatabase, .newerSchema:
                return "ledger \(path): \(store): not starting"
                    + "\n(to move it aside and start with an empty ledger, restart with --reset-state; reminders already delivered may be sent again)"
            default:
                return "ledger \(path): \(store): not starting"
            }
        }
    }

    /// Opens the ledger; with `--reset-state`, a file that is not a usable ledger is renamed
    /// `dutyd.sqlite.corrupt-<UTC time>` (with its -wal and -shm) and a fresh one is created.
    func openStore() throws -> DutyStore {
        let path = configuration.databasePath
        let recoverable: Set<StoreError.Code> = [.notADatabase, .corrupt, .foreignDatabase, .newerSchema]
        do throws(StoreError) {
            // An existing file is checked read-only first: a read-write open would switch another program's
            // database to WAL mode (rewriting its header) before the store gets to refuse it.
            if FileManager.default.fileExists(atPath: path) {
                var probe = DutyStore.Configuration()
                probe.readOnly = true
                do {
                    _ = try DutyStore(path: path, configuration: probe)
                } catch let error where recoverable.contains(error.code) {
                    throw error
                } catch {
                    // Not conclusive read-only (e.g. a WAL ledger without its -shm file): the read-write open decides.
                }
            }
            return try DutyStore(path: path)
        } catch let error {
            guard configuration.resetState, recoverable.contains(error.code) else { throw StartError.state(path, error) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let aside = path + ".corrupt-" + formatter.string(from: Date())
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                guard rename(path + suffix, aside + suffix) == 0 else {
                    throw StartError.stateDirectory(configuration.stateDirectory, "cannot move \(path + suffix) aside: errno \(errno)")
                }
            }
            logger.critical(
                "--reset-state: the ledger could not be opened and was moved aside; starting with an empty one",
                metadata: ["store.error": "\(error)", "store.moved_to": "\(aside)"])
            do {
                return try DutyStore(path: path)
            } catch {
                throw StartError.state(path, error)
            }
        }
    }

    public func run() async throws {
        let result = ScheduleLoader(directories: configuration.scheduleDirectories, limits: configuration.scheduleLimits).load()
        for diagnostic in result.warnings { logger.warning("\(diagnostic.description)") }
        guard let schedules = result.schedules else { throw StartError.schedules(result.diagnostics) }
        guard !result.files.isEmpty else { throw StartError.noSchedules(configuration.scheduleDirectories) }

        do {
            try FileManager.default.createDirectory(
                atPath: configuration.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw StartError.stateDirectory(configuration.stateDirectory, "\(error)")
        }
        let digest = ScheduleDigest.of(files: result.files, directories: configuration.scheduleDirectories)
        let pool = BlockingPool(threads: configuration.blockingThreads)
        // The one place that names a ledger backend: SQLite for one host, PostgreSQL for several instances.
        switch configuration.store {
        case .sqlite:
            let store = try openStore()
            let leadership = SoleLeadership(database: configuration.storeDescription, instance: configuration.instanceID)
            try await run(
                schedules: schedules, files: result.files, digest: digest, pool: pool,
                ledger: SQLiteLedger(store: store, executor: pool), leadership: leadership, changes: nil)
        case .postgresql(let url):
            let backend = try openPostgres(url)
            try await backend.run {
                let applied = try await ledgerCall { () throws(LedgerError) in try await backend.migrate() }
                if !applied.isEmpty {
                    logger.notice("migrated the ledger", metadata: ["store.migrations": "\(applied.joined(separator: ", "))"])
                }
                try await run(
                    schedules: schedules, files: result.files, digest: digest, pool: pool, ledger: backend.ledger,
                    leadership: backend.lease, changes: backend.changes)
            }
        }
    }

    /// The PostgreSQL backend of `--store postgresql://…`: the password from the systemd credential, never from
    /// the URL, the command line or the environment.
    func openPostgres(_ url: String) throws -> PostgresBackend {
        do {
            var store = try PostgresStoreConfiguration(url: url)
            store.password = try PostgresStoreConfiguration.credential(named: configuration.storeCredential)
            store.allowPlaintext = configuration.storeAllowPlaintext
            var postgresLogger = logger
            postgresLogger[metadataKey: "store"] = "\(store.redacted)"
            return try PostgresBackend(
                configuration: store, instance: configuration.instanceID, host: DaemonConfiguration.hostID(),
                logger: postgresLogger)
        } catch {
            throw StartError.store("\(error)")
        }
    }

    /// The daemon on a ledger and a leadership: its services in one group until SIGTERM.
    func run(
        schedules: ScheduleSet, files: [String], digest: String, pool: BlockingPool, ledger: any Ledger,
        leadership: any Leadership, changes: AsyncStream<PostgresBackend.Change>?
    ) async throws {
        let notifier = SystemdNotifier()
        let clock: any DaemonClock =
            configuration.clockStart.map { SimulatedClock(start: $0, rate: configuration.clockRate) } ?? SystemClock()
        let startedAt = clock.now()
        let status = DaemonStatus()
        status.reloaded(ok: true, errors: [], files: files, digest: digest)
        leadership.advertise(scheduleDigest: digest)
        let (events, inbox) = SchedulerInbox.make()
        let publication = PlanPublication(schedules: schedules)
        var journalWriter = JournalWriter()
        journalWriter.ledgerID = try await ledgerCall { () throws(LedgerError) in try await ledger.ledgerID() }
        let channels = try makeChannels(journal: journalWriter, executor: pool)
        var pipeline = DeliveryPipeline(
            ledger: ledger, channels: ChannelRegistry(channels),
            retry: RetryPolicy(initialDelay: configuration.retryInitialDelay, maximumDelay: configuration.retryMaximumDelay),
            mail: configuration.deliverMail, stop: StopSignal(), logger: logger)
        pipeline.gate = leadership.gate
        let journal = OperatorJournal(writer: configuration.useJournal ? journalWriter : nil, executor: pool, logger: logger)
        let scheduler = SchedulerService(
            dependencies: .init(
                configuration: configuration, clock: clock, ledger: ledger, pipeline: pipeline, executor: pool,
                notifier: notifier, status: status, publication: publication, leadership: leadership,
                journal: journal, logger: logger, startedAt: startedAt),
            initialSchedules: schedules, events: events, inbox: inbox)
        let triggers = TriggerEngine(ledger: ledger, publication: publication, inbox: inbox, logger: logger)

        // The pool first, so that it stops last; the lease before the scheduler, so that it is released only after
        // the scheduler stopped acting; the query socket last, so that it stops first.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: pool, successTerminationBehavior: .ignore),
            .init(
                service: LeadershipService(leadership: leadership, inbox: inbox, logger: logger),
                successTerminationBehavior: .ignore),
            .init(service: scheduler, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: SignalService(inbox: inbox, logger: logger), successTerminationBehavior: .ignore),
        ]
        if let changes {
            services.append(.init(service: ChangeService(changes: changes, inbox: inbox), successTerminationBehavior: .ignore))
        }
        if let interval = notifier.watchdogInterval {
            services.append(.init(service: WatchdogService(notifier: notifier, interval: interval), successTerminationBehavior: .ignore))
        }
        let queryServer = try makeQueryServer(
            publication: publication, inbox: inbox, status: status, ledger: ledger, clock: clock, triggers: triggers,
            leadership: leadership)
        services.append(.init(service: queryServer, successTerminationBehavior: .ignore))
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint]
        let group = ServiceGroup(configuration: groupConfiguration)
        logger.info(
            "starting",
            metadata: [
                "schedules": "\(configuration.scheduleDirectories.joined(separator: ","))", "duties": "\(schedules.duties.count)",
                "state": "\(configuration.storeDescription)", "role": "\(leadership.isSole ? "sole" : "follower until it leads")",
                "channels": "\(channels.map(\.kind.name).joined(separator: ","))",
                "clock": "\(configuration.clockStart.map { "simulated from \(TimeFormatting.iso8601($0, in: TimeZone(identifier: "UTC")!)) x\(configuration.clockRate)" } ?? "system")",
            ])
        try await group.run()
    }

    /// The channels of this daemon: the journal (or standard error with `--no-journal`), and with mail on, mbox,
    /// maildir and sendmail.
    func makeChannels(journal: JournalWriter, executor: any BlockingExecutor) throws -> [any ReminderChannel] {
        var channels: [any ReminderChannel] = [
            configuration.useJournal
                ? JournalChannel(writer: journal, executor: executor, collectorDirectory: configuration.journalCollectorDirectory)
                : StderrJournalChannel()
        ]
        guard configuration.deliverMail else { return channels }
        let composer = try MailComposer(hostName: configuration.hostName)
            .withMessageIDDomain(configuration.messageIDDomain ?? configuration.hostName)
        let sender = "dutyd@\(configuration.hostName)"
        var mboxConfiguration = MboxDeliverer.Configuration()
        mboxConfiguration.privateSpool = configuration.privateSpool
        let mbox = MboxDeliverer(
            spoolDirectory: configuration.mailSpool, envelopeSender: sender, configuration: mboxConfiguration)
        let swept = mbox.sweepAbandonedLockFiles()
        if swept > 0 { logger.notice("removed \(swept) abandoned dot-lock file(s) of killed deliverers from the spool") }
        channels.append(MailChannel(kind: .mbox, composer: composer, deliverer: mbox, executor: executor))
        channels.append(
            MailChannel(
                kind: .maildir, composer: composer,
                deliverer: MaildirDeliverer(root: "/", hostName: configuration.hostName), executor: executor))
        channels.append(
            MailChannel(
                kind: .sendmail, composer: composer,
                deliverer: SendmailDeliverer(
                    path: configuration.sendmailPath, sender: sender, timeout: configuration.sendmailTimeout),
                executor: executor))
        return channels
    }

    /// A ledger call at start: its error is a start error.
    func ledgerCall<T>(_ body: () async throws(LedgerError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw StartError.ledger(configuration.databasePath, error)
        }
    }
}

/// Campaigns for the lease (several instances) and tells the scheduler when this instance starts or stops
/// leading; at a graceful stop, once the scheduler has stopped acting (the group stops services in reverse order),
/// releases the lease so that another instance takes over at once. A single instance leads from the start.
struct LeadershipService: Service {
    let leadership: any Leadership
    let inbox: SchedulerInbox
    let logger: Logger

    func run() async throws {
        guard !leadership.isSole else { return }
        let inbox = self.inbox
        try await cancelWhenGracefulShutdown {
            try await leadership.run { change in inbox.send(.leadership(change)) }
        }
        await leadership.release()
    }
}

/// Changes other instances announced (`NOTIFY`): rankings or problems recorded elsewhere become the scheduler's
/// `eventsChanged`, so that the duties they create are planned here too, and changes to the plan (move, cancel, …)
/// its `changesChanged`, so that the leader replans with them; without polling.
struct ChangeService: Service {
    let changes: AsyncStream<PostgresBackend.Change>
    let inbox: SchedulerInbox

    func run() async throws {
        for await change in changes.cancelOnGracefulShutdown() {
            switch change {
            case .events: inbox.send(.eventsChanged(reply: nil))
            case .planChanges: inbox.send(.changesChanged(reply: nil))
            case .ack: break
            }
        }
    }
}

/// Turns SIGHUP into reload requests.
struct SignalService: Service, CustomStringConvertible {
    var description: String { "SignalService" }

    let inbox: SchedulerInbox
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading schedules")
            inbox.send(.reload(reply: nil))
        }
    }
}

/// Sends `WATCHDOG=1` at half of systemd's `WatchdogSec=` (the only periodic wake-up).
struct WatchdogService: Service, CustomStringConvertible {
    var description: String { "WatchdogService" }

    let notifier: SystemdNotifier
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = try? notifier.notify(watchdog: true)
                // Cancelled at graceful shutdown: end quietly, or the group fails and dutyd exits 1 on SIGTERM.
                try? await Task.sleep(for: interval)
            }
        }
    }
}
