import DutyCore
import DutySchedules
import DutyStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The one service that owns the planner. It sleeps until the next due instant (or a retry, a reload request or
/// a change of the wall clock), hands the due notices to the delivery pipeline, and sleeps again: no polling, no
/// periodic wake-ups while nothing is due.
final class SchedulerService: Service, @unchecked Sendable {
    enum Event: Sendable {
        case wake(generation: Int)
        case reload
        /// A reload whose outcome is reported once it is in effect (the query socket's reload endpoint).
        case reloadReporting(@Sendable (ReloadOutcome) -> Void)
        case clockChanged
        case stop
    }

    let configuration: DaemonConfiguration
    let clock: any DaemonClock
    let pipeline: DeliveryPipeline
    let store: DutyStore
    let notifier: SystemdNotifier
    let logger: Logger
    let status: DaemonStatus

    private let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private var machine: SchedulerStateMachine
    private var timer: Task<Void, Never>?
    private var generation = 0
    /// The planner in effect and how many times it was replaced, for readers on other threads (the query socket).
    let plannerSnapshot: Mutex<PlannerSnapshot>

    init(
        configuration: DaemonConfiguration, schedules: ScheduleSet, clock: any DaemonClock, pipeline: DeliveryPipeline,
        store: DutyStore, notifier: SystemdNotifier, status: DaemonStatus, logger: Logger
    ) throws {
        self.configuration = configuration
        self.clock = clock
        self.pipeline = pipeline
        self.store = store
        self.notifier = notifier
        self.status = status
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
        machine = SchedulerStateMachine(
            planner: Planner(schedules: schedules), storedHorizon: try store.horizon(), now: clock.now(),
            catchUpWindow: configuration.catchUpWindow)
        plannerSnapshot = Mutex(PlannerSnapshot(generation: 0, planner: machine.planner))
    }

    /// Asks for a reload (SIGHUP, the socket's reload endpoint).
    func requestReload() { continuation.yield(.reload) }

    /// Asks for a reload and calls `reply` with its outcome once it is in effect (see `reloadAndReport()`).
    func enqueueReload(_ reply: @escaping @Sendable (ReloadOutcome) -> Void) { continuation.yield(.reloadReporting(reply)) }

    /// Reports a change of the host's wall clock or time zone.
    func clockChanged() { continuation.yield(.clockChanged) }

    func run() async throws {
        let watcher: ClockChangeWatcher? = clock.isSimulated ? nil : ClockChangeWatcher { [continuation] in continuation.yield(.clockChanged) }
        watcher?.start()
        defer { watcher?.stop() }
        try step()
        _ = try? notifier.notify(ready: true, status: statusText())
        logger.info("ready", metadata: ["duties": "\(machine.planner.schedules.duties.count)"])
        try await withGracefulShutdownHandler {
            for await event in events {
                switch event {
                case .stop:
                    return
                case .wake(let g) where g != generation:
                    continue  // a timer that was replaced
                case .reload:
                    reload()
                case .reloadReporting(let reply):
                    reload()
                    try step()
                    reply(reloadOutcome())
                    continue
                case .clockChanged:
                    logger.notice("wall clock changed: re-planning")
                case .wake:
                    break
                }
                try step()
                _ = try? notifier.notify(status: statusText())
            }
        } onGracefulShutdown: { [continuation] in
            continuation.yield(.stop)
        }
        timer?.cancel()
        _ = try? notifier.notify(status: "stopping", stopping: true)
    }

    /// One round: tick the state machine at the current time, perform its actions, deliver what is due, arm the
    /// timer for the next instant.
    private func step() throws {
        let now = clock.now()
        var sleepTarget: Date?
        for action in machine.tick(now: now) {
            switch action {
            case .recordMissed(let notices):
                try pipeline.recordMissed(notices, planner: machine.planner, now: now)
            case .fire(let notices):
                try pipeline.plan(notices, planner: machine.planner, horizon: machine.horizon, now: now)
            case .persistHorizon(let horizon):
                try store.resetHorizon(to: horizon)
            case .sleep(let until):
                sleepTarget = until
            }
        }
        let outcome = try pipeline.deliverDue(now: now)
        if outcome.delivered + outcome.failed + outcome.reconciled > 0 {
            logger.debug("delivered", metadata: ["delivered": "\(outcome.delivered)", "failed": "\(outcome.failed)", "reconciled": "\(outcome.reconciled)"])
        }
        if let retry = try store.nextDueDate() {
            sleepTarget = sleepTarget.map { min($0, retry) } ?? retry
        }
        arm(sleepTarget)
        status.update(
            nextFire: machine.nextFireTime(), nextTitle: machine.bufferedNotices.first.flatMap { machine.planner.schedules.duty(id: $0.dutyID)?.title },
            dutyCount: machine.planner.schedules.duties.count, now: now)
    }

    private func arm(_ target: Date?) {
        timer?.cancel()
        generation += 1
        guard let target else {
            timer = nil
            return
        }
        let delay = clock.realDelay(until: target)
        let generation = self.generation
        let continuation = self.continuation
        if delay <= .zero {
            continuation.yield(.wake(generation: generation))
            return
        }
        // The only unstructured task: a cancellable one-shot timer that posts into the service's own event stream.
        timer = Task {
            do {
                try await Task.sleep(for: delay)
                continuation.yield(.wake(generation: generation))
            } catch {}
        }
    }

    private func reload() {
        _ = try? notifier.notify(status: "reloading schedules", reloading: true)
        let result = ScheduleLoader(directories: configuration.scheduleDirectories).load()
        for diagnostic in result.diagnostics {
            if diagnostic.severity == .error {
                logger.error("\(diagnostic.description)")
            } else {
                logger.warning("\(diagnostic.description)")
            }
        }
        if let schedules = result.schedules {
            machine.reload(Planner(schedules: schedules))
            plannerSnapshot.withLock { $0 = PlannerSnapshot(generation: $0.generation + 1, planner: machine.planner) }
            status.reloaded(ok: true, errors: [], files: result.files)
            logger.notice("schedules reloaded", metadata: ["duties": "\(schedules.duties.count)"])
        } else {
            status.reloaded(ok: false, errors: result.errors.map(\.description), files: result.files)
            pipeline.reportScheduleErrors(result.errors)
            logger.error("reload failed: keeping the previous schedules", metadata: ["errors": "\(result.errors.count)"])
        }
        _ = try? notifier.notify(ready: true, status: statusText())
    }

    private func statusText() -> String {
        status.text()
    }
}
