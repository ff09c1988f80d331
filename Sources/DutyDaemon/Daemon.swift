import DutyCore
import DutySchedules
import DutyStore
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

    public enum StartError: Error, CustomStringConvertible {
        case schedules([ScheduleDiagnostic])
        case noSchedules([String])
        case stateDirectory(String, String)
        case socket(String, String)
        case state(String, StoreError)

        public var description: String {
            switch self {
            case .schedules(let diagnostics):
                return diagnostics.map(\.description).joined(separator: "\n")
                    + "\n\(diagnostics.filter { $0.severity == .error }.count) schedule error(s): not starting"
            case .noSchedules(let dirs):
                return "no schedule files in \(dirs.joined(separator: ", ")): not starting"
            case .stateDirectory(let dir, let why):
                return "state directory \(dir): \(why)"
            case .socket(let path, let why):
                return "query socket \(path): \(why)"
            case .state(let path, let error):
                let recoverable: Set<StoreError.Code> = [.notADatabase, .corrupt, .foreignDatabase, .newerSchema]
                return "ledger \(path): \(error): not starting"
                    + (recoverable.contains(error.code)
                        ? "\n(to move it aside and start with an empty ledger, restart with --reset-state; reminders already delivered may be sent again)"
                        : "")
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
        let notifier = SystemdNotifier()
        let result = ScheduleLoader(directories: configuration.scheduleDirectories).load()
        for diagnostic in result.warnings { logger.warning("\(diagnostic.description)") }
        guard let schedules = result.schedules else { throw StartError.schedules(result.diagnostics) }
        guard !result.files.isEmpty else { throw StartError.noSchedules(configuration.scheduleDirectories) }

        do {
            try FileManager.default.createDirectory(
                atPath: configuration.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw StartError.stateDirectory(configuration.stateDirectory, "\(error)")
        }
        let store = try openStore()
        let clock: any DaemonClock =
            configuration.clockStart.map { SimulatedClock(start: $0, rate: configuration.clockRate) } ?? SystemClock()
        let status = DaemonStatus()
        status.reloaded(ok: true, errors: [], files: result.files)
        let pipeline = try DeliveryPipeline(store: store, configuration: configuration, logger: logger)
        let scheduler = try SchedulerService(
            configuration: configuration, schedules: schedules, clock: clock, pipeline: pipeline, store: store,
            notifier: notifier, status: status, logger: logger)

        let triggers = TriggerEngine(
            store: store, logger: logger, schedules: { [scheduler] in scheduler.schedules },
            publish: { [scheduler] in scheduler.setEventDuties($0) }, deliver: { [scheduler] in scheduler.deliverNow($0) })
        try triggers.refresh()

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: scheduler, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: SignalService(scheduler: scheduler, logger: logger), successTerminationBehavior: .ignore),
        ]
        if let interval = notifier.watchdogInterval {
            services.append(.init(service: WatchdogService(notifier: notifier, interval: interval), successTerminationBehavior: .ignore))
        }
        // The query socket last, so that it stops first.
        let queryServer = try makeQueryServer(scheduler: scheduler, status: status, store: store, clock: clock, triggers: triggers)
        services.append(.init(service: queryServer, successTerminationBehavior: .ignore))
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint]
        let group = ServiceGroup(configuration: groupConfiguration)
        logger.info(
            "starting",
            metadata: [
                "schedules": "\(configuration.scheduleDirectories.joined(separator: ","))", "duties": "\(schedules.duties.count)",
                "state": "\(configuration.databasePath)",
                "clock": "\(configuration.clockStart.map { "simulated from \(TimeFormatting.iso8601($0, in: TimeZone(identifier: "UTC")!)) x\(configuration.clockRate)" } ?? "system")",
            ])
        try await group.run()
    }
}

/// Turns SIGHUP into reload requests.
struct SignalService: Service {
    let scheduler: SchedulerService
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading schedules")
            scheduler.requestReload()
        }
    }
}

/// Sends `WATCHDOG=1` at half of systemd's `WatchdogSec=` (the only periodic wake-up).
struct WatchdogService: Service {
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
