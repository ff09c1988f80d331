import DutyAPI
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
enum DaemonError: Error, CustomStringConvertible {
    case alarmUnavailable(Int32)

    var description: String {
        switch self {
        case .alarmUnavailable(let code): "cannot create the scheduler's timerfd (errno \(code))"
        }
    }
}

final class SchedulerService: Service, @unchecked Sendable {
    enum Event: Sendable {
        case wake(generation: Int)
        case reload
        /// A reload whose outcome is reported once it is in effect (the query socket's reload endpoint).
        case reloadReporting(@Sendable (ReloadOutcome) -> Void)
        case clockChanged
        /// Duties created by events (interviews, problems): replaces the previous set of them.
        case setEventDuties([Duty])
        /// Reminders to deliver at once (an on-demand bulletin).
        case deliverNow([Reminder])
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
    /// The schedules from the files, and the duties created by events on top of them.
    private var baseSchedules: ScheduleSet
    private var eventDuties: [Duty] = []
    private var alarm: Alarm?
    private var generation = 0
    /// Where the scheduler's blocking work runs (see `offPool`).
    private let queue = DispatchQueue(label: "dutyd.scheduler")
    /// When the next retention pass is due (nil: at the next step, i.e. at start).
    private var nextRetentionPass: Date?
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
        baseSchedules = schedules
        currentBase = schedules
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

    /// Replaces the duties created by events.
    func setEventDuties(_ duties: [Duty]) { continuation.yield(.setEventDuties(duties)) }

    /// Delivers these reminders now, through the ledger like any other.
    func deliverNow(_ reminders: [Reminder]) { continuation.yield(.deliverNow(reminders)) }

    /// The schedules from the files (without event duties), for building event duties.
    var schedules: ScheduleSet { lock.withLock { currentBase } }
    private let lock = NSLock()
    private var currentBase: ScheduleSet

    private func replan() {
        let combined = baseSchedules.adding(duties: eventDuties)
        machine.reload(Planner(schedules: combined))
        lock.withLock { currentBase = baseSchedules }
        plannerSnapshot.withLock { $0 = PlannerSnapshot(generation: $0.generation + 1, planner: machine.planner) }
    }

    func run() async throws {
        alarm = Alarm(clock: clock) { [continuation] event in
            switch event {
            case .deadline(let generation): continuation.yield(.wake(generation: generation))
            case .clockChanged: continuation.yield(.clockChanged)
            }
        }
        guard let alarm else { throw DaemonError.alarmUnavailable(errno) }
        alarm.start()
        defer { alarm.stop() }
        // The first step (a catch-up after downtime can be long) runs inside the handler, so that SIGTERM stops
        // it too: the pipeline checks the stop request before every delivery.
        try await withGracefulShutdownHandler {
            try await offPool { try self.step() }
            guard !pipeline.isStopping else { return }
            _ = try? notifier.notify(ready: true, status: statusText())
            logger.info("ready", metadata: ["duties": "\(machine.planner.schedules.duties.count)"])
            for await event in events {
                if pipeline.isStopping { return }
                guard try await offPool({ try self.handle(event) }) else { return }
            }
        } onGracefulShutdown: { [continuation, pipeline] in
            pipeline.requestStop()
            continuation.yield(.stop)
        }
        _ = try? notifier.notify(status: "stopping", stopping: true)
    }

    /// Handles one event (on the scheduler's queue); false when the service is to end.
    private func handle(_ event: Event) throws -> Bool {
        switch event {
        case .stop:
            return false
        case .wake(let g) where g != generation:
            return true  // a timer that was replaced
        case .reload:
            reload()
        case .reloadReporting(let reply):
            reload()
            try step()
            reply(reloadOutcome())
            return true
        case .clockChanged:
            logger.notice("wall clock changed: re-planning")
        case .setEventDuties(let duties):
            eventDuties = duties
            replan()
            try handOutLateIssueNotices(of: duties)
        case .deliverNow(let reminders):
            try pipeline.deliverNow(reminders, now: clock.now())
        case .wake:
            break
        }
        try step()
        _ = try? notifier.notify(status: statusText())
        return true
    }

    /// An event duty is issued at the instant its event was recorded (a ranking submitted at T issues its interview
    /// notices at T), but the scheduler may have ticked past T before it gets the duty (another event's step ran
    /// in between): without this, notices from the issue time up to the horizon would never be handed out. They
    /// are planned now; the ledger's insert-or-ignore makes a second hand-out (e.g. at a restart, when every
    /// event duty is published again) add nothing, and nothing before the issue time or older than the catch-up
    /// window is considered.
    private func handOutLateIssueNotices(of duties: [Duty]) throws {
        let horizon = machine.horizon
        let floor = horizon.addingTimeInterval(-configuration.catchUpWindow)
        var notices: [Notice] = []
        for duty in duties {
            guard let issuedAt = duty.issuedAt, issuedAt <= horizon, issuedAt > floor else { continue }
            machine.planner.appendNotices(of: duty, after: issuedAt.addingTimeInterval(-0.001), through: horizon, into: &notices)
        }
        guard !notices.isEmpty else { return }
        notices.sort { ($0.fireAt, $0.dutyID) < ($1.fireAt, $1.dutyID) }
        try pipeline.plan(notices, planner: machine.planner, horizon: horizon, now: clock.now())
    }

    /// Runs blocking work (SQLite, journald's socket, mailbox locks, fsync) on the scheduler's own serial queue,
    /// never on a thread of the cooperative pool: on a 2-core machine that pool has two threads, and a long
    /// delivery run on one of them left the query socket's handlers a single thread (and none while an
    /// acknowledgement waited for the ledger's write lock).
    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// How long one round delivers before it returns to planning (see `DeliveryPipeline.deliverDue(now:budget:)`).
    static let deliveryBudget: Duration = .seconds(2)

    /// One round: tick the state machine at the current time, perform its actions, deliver what is due, arm the
    /// timer for the next instant.
    private func step() throws {
        guard !pipeline.isStopping else { return }
        let now = clock.now()
        var sleepTarget: Date?
        for action in machine.tick(now: now) {
            switch action {
            case .recordMissed(let notices):
                // Cut short by a stop request: leave the horizon where it was (the next start finds them again).
                guard try pipeline.recordMissed(notices, planner: machine.planner, now: now) else { return }
            case .fire(let notices):
                guard try pipeline.plan(notices, planner: machine.planner, horizon: machine.horizon, now: now) else { return }
            case .persistHorizon(let horizon):
                try store.resetHorizon(to: horizon)
            case .sleep(let until):
                sleepTarget = until
            }
        }
        let outcome = try pipeline.deliverDue(now: now, budget: Self.deliveryBudget)
        if outcome.delivered + outcome.failed + outcome.reconciled > 0 {
            logger.debug("delivered", metadata: ["delivered": "\(outcome.delivered)", "failed": "\(outcome.failed)", "reconciled": "\(outcome.reconciled)"])
        }
        if outcome.interrupted {
            logger.notice("stopping: delivery interrupted, the rest stays planned for the next start", metadata: ["delivered": "\(outcome.delivered)"])
            return
        }
        if outcome.more {
            // A backlog: plan what fell due meanwhile, then go on delivering (straight back, through the event
            // stream, so a stop or reload request is seen between rounds).
            sleepTarget = now
        }
        if let pass = retentionPass(now: now) {
            sleepTarget = sleepTarget.map { min($0, pass) } ?? pass
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
        generation += 1
        if let target, target <= clock.now() {
            continuation.yield(.wake(generation: generation))
            alarm?.arm(nil, generation: generation)
            return
        }
        alarm?.arm(target, generation: generation)
    }

    // MARK: - Retention

    /// One retention pass a day on the scheduler's clock (the first at start): prunes the ledger by
    /// `retentionPolicy(now:retention:)` and logs what went. Returns when the next pass is due (nil: retention off).
    /// A pass that fails is logged and retried a day later; it never stops the daemon.
    private func retentionPass(now: Date) -> Date? {
        guard let retention = configuration.retention else { return nil }
        // Due, or the clock went back by more than a day (then the stored instant is distrusted).
        if let next = nextRetentionPass, next > now, next <= now.addingTimeInterval(Self.retentionInterval) { return next }
        let policy = retentionPolicy(now: now, retention: retention)
        let zone = TimeZone(identifier: "UTC")!
        do {
            let result = try store.prune(policy, shouldContinue: { [pipeline] in !pipeline.isStopping })
            pipeline.prunedBefore = max(pipeline.prunedBefore ?? policy.cutoff, policy.cutoff)
            let metadata: Logger.Metadata = [
                "retention.cutoff": "\(TimeFormatting.iso8601(policy.cutoff, in: zone))",
                "retention.deliveries": "\(result.deliveries)", "retention.acknowledgements": "\(result.acknowledgements)",
                "retention.events": "\(result.events)",
            ]
            if result.total > 0 {
                logger.notice("retention: pruned the ledger", metadata: metadata)
                try store.logEvent(
                    actorUID: nil, action: "prune",
                    details: [
                        "cutoff": TimeFormatting.iso8601(policy.cutoff, in: zone), "deliveries": String(result.deliveries),
                        "acknowledgements": String(result.acknowledgements), "events": String(result.events),
                    ], at: now)
            } else {
                logger.debug("retention: nothing to prune", metadata: metadata)
            }
        } catch {
            logger.error("retention: pruning the ledger failed, retrying in a day", metadata: ["store.error": "\(error)"])
        }
        nextRetentionPass = now.addingTimeInterval(Self.retentionInterval)
        return nextRetentionPass
    }

    /// A day of the scheduler's clock between retention passes.
    static let retentionInterval: TimeInterval = 86_400

    /// What a pass at `now` may delete. The cutoff is `now - retention`, but never later than the horizon minus
    /// the catch-up window, so rows a catch-up or a replan could still meet are kept. Occurrences of duties that
    /// need an acknowledgement stay open (their rows kept while unacknowledged, their acknowledgements kept) as
    /// long as `dutyctl overdue` can list them (its longest window, 366 days) or overdue and escalation notices
    /// of them can still come (the longest grace x (escalation steps + 1) of those duties).
    func retentionPolicy(now: Date, retention: TimeInterval) -> RetentionPolicy {
        let floor = machine.horizon.addingTimeInterval(-configuration.catchUpWindow)
        let cutoff = min(now.addingTimeInterval(-retention), floor)
        let acknowledged = machine.planner.schedules.duties.filter(\.needsAcknowledgement)
        let trail = acknowledged.map { $0.grace * Double($0.escalation.count + 1) }.max() ?? 0
        let lookBack = Double(UpcomingQuery.maximumDays) * 86_400
        let openSince = min(now.addingTimeInterval(-lookBack), floor).addingTimeInterval(-trail)
        return RetentionPolicy(cutoff: cutoff, acknowledgedDuties: Set(acknowledged.map(\.id)), openSince: openSince)
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
            baseSchedules = schedules
            replan()
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
