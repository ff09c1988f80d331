import DutyAPI
import DutyCore
import DutySchedules
import Foundation
import Logging
import ServiceLifecycle

/// What can happen to the scheduler: every input reaches it as one of these, through one `AsyncStream`, and its
/// loop handles them one at a time. Nothing else touches the schedule state.
enum SchedulerEvent: Sendable {
    /// The alarm went off (a stale generation is a timer that was replaced).
    case wake(generation: Int)
    /// Load the schedule files again (SIGHUP, the socket); `reply` gets the outcome once it is in effect.
    case reload(reply: (@Sendable (ReloadOutcome) -> Void)?)
    /// The host's wall clock was set.
    case clockChanged
    /// Rankings or problems changed in the ledger: recompute the duties events created; `reply` once in effect.
    case eventsChanged(reply: (@Sendable () -> Void)?)
    /// Reminders to deliver at once (an on-demand bulletin); `reply` once they are planned and the due rows
    /// delivered.
    case deliverNow([Reminder], reply: (@Sendable () -> Void)?)
    /// This instance started or stopped leading (several instances; a single one leads from the start).
    case leadership(LeadershipChange)
    /// A change to the plan (move, cancel, restore, add, snooze, pause, resume) was recorded in the ledger: read
    /// the changes again and replan; `reply` once in effect (its change notices planned and delivered).
    case changesChanged(reply: (@Sendable () -> Void)?)
    /// Graceful shutdown.
    case stop
}

/// What a reload did, as the query socket reports it.
struct ReloadOutcome: Sendable {
    var ok: Bool
    var duties: Int
    var errors: [String]
    /// Changes the schedules in effect cannot place (`Planner.orphanedChanges`).
    var warnings: [String] = []
    /// The daemon was stopping: nothing was reloaded.
    var stopping = false
}

/// The address of the scheduler's loop: the other parts of the daemon (signals, the query socket, the trigger
/// engine) send it events and, where they need to, wait for the reply.
struct SchedulerInbox: Sendable {
    let continuation: AsyncStream<SchedulerEvent>.Continuation

    /// A new stream and the inbox that feeds it.
    static func make() -> (AsyncStream<SchedulerEvent>, SchedulerInbox) {
        let (stream, continuation) = AsyncStream.makeStream(of: SchedulerEvent.self)
        return (stream, SchedulerInbox(continuation: continuation))
    }

    @discardableResult
    func send(_ event: SchedulerEvent) -> Bool {
        if case .terminated = continuation.yield(event) { return false }
        return true
    }

    /// Reloads on the scheduler's loop and returns once the result is in effect.
    func reload() async -> ReloadOutcome {
        await withCheckedContinuation { continuation in
            if !send(.reload(reply: { continuation.resume(returning: $0) })) {
                continuation.resume(returning: ReloadOutcome(ok: false, duties: 0, errors: [], stopping: true))
            }
        }
    }

    /// Plans and delivers reminders on the scheduler's loop; returns once they are delivered (or failed).
    func deliverNow(_ reminders: [Reminder]) async {
        await withCheckedContinuation { continuation in
            if !send(.deliverNow(reminders, reply: { continuation.resume() })) { continuation.resume() }
        }
    }

    /// Tells the scheduler that events changed in the ledger and returns once their duties are in effect.
    func eventsChanged() async {
        await withCheckedContinuation { continuation in
            if !send(.eventsChanged(reply: { continuation.resume() })) { continuation.resume() }
        }
    }

    /// Tells the scheduler that a change to the plan was recorded and returns once it is in effect.
    func changesChanged() async {
        await withCheckedContinuation { continuation in
            if !send(.changesChanged(reply: { continuation.resume() })) { continuation.resume() }
        }
    }
}

/// The one service that owns the schedule state: the planner, the state machine and its horizon, the duties
/// events created, the retention timer. The state lives in `run()`'s local `SchedulerLoop`, fed by one stream
/// of `SchedulerEvent`s, so only this task can touch it, and the compiler checks that. The loop sleeps until the
/// next due instant (the alarm), a retry, a reload request or a change of the wall clock, hands what fell due to
/// the delivery pipeline, and sleeps again: no polling, no periodic wake-ups while nothing is due.
///
/// Readers on other tasks (the query socket) see the planner through `PlanPublication`, which only this loop
/// writes.
struct SchedulerService: Service, CustomStringConvertible {
    /// swift-service-lifecycle describes each service with `String(describing:)`; without this the default
    /// reflection printed the whole plan (55,256 duties: 8 s and 150 MiB at start with the full roster).
    var description: String { "SchedulerService" }

    struct Dependencies: Sendable {
        var configuration: DaemonConfiguration
        var clock: any DaemonClock
        var ledger: any Ledger
        var pipeline: DeliveryPipeline
        var executor: any BlockingExecutor
        var notifier: SystemdNotifier
        var status: DaemonStatus
        var publication: PlanPublication
        /// Who plans and delivers: the loop acts only while this instance leads.
        var leadership: any Leadership
        var journal: OperatorJournal
        var logger: Logger
        /// When the daemon started, on its clock: on a first start (no stored horizon) nothing due before it is
        /// delivered, and nothing after it is skipped however long the start takes.
        var startedAt: Date
    }

    let dependencies: Dependencies
    let initialSchedules: ScheduleSet
    let events: AsyncStream<SchedulerEvent>
    let inbox: SchedulerInbox

    func run() async throws {
        let d = dependencies
        guard let alarm = Alarm(clock: d.clock) else { throw DaemonError.alarmUnavailable(errno) }
        let inbox = self.inbox
        var loop = try await SchedulerLoop(dependencies: d, schedules: initialSchedules, alarm: alarm, inbox: inbox)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await alarm.watch(on: d.executor) { event in
                    switch event {
                    case .deadline(let generation): inbox.send(.wake(generation: generation))
                    case .clockChanged: inbox.send(.clockChanged)
                    }
                }
            }
            defer { alarm.stop() }
            // The first step (a catch-up after downtime can be long) runs inside the handler, so that SIGTERM stops
            // it too: the pipeline checks the stop request before every channel call.
            try await withGracefulShutdownHandler {
                try await loop.start()
                guard !d.pipeline.isStopping else { return }
                for await event in events {
                    if d.pipeline.isStopping { break }
                    guard try await loop.handleStayingUp(event) else { break }
                }
            } onGracefulShutdown: {
                d.pipeline.stop.request()
                inbox.send(.stop)
            }
        }
        // Whoever still waits for a reply is told that the daemon stopped.
        inbox.continuation.finish()
        for await event in events {
            switch event {
            case .reload(let reply): reply?(ReloadOutcome(ok: false, duties: 0, errors: [], stopping: true))
            case .eventsChanged(let reply): reply?()
            case .changesChanged(let reply): reply?()
            case .deliverNow(_, let reply): reply?()
            default: break
            }
        }
        _ = try? d.notifier.notify(status: "stopping", stopping: true)
    }
}

enum DaemonError: Error, CustomStringConvertible {
    case alarmUnavailable(Int32)

    var description: String {
        switch self {
        case .alarmUnavailable(let code): "cannot create the scheduler's timerfd (errno \(code))"
        }
    }
}

/// The scheduler's state and its steps. A value owned by `SchedulerService.run()`; every mutation happens on
/// that one task.
struct SchedulerLoop {
    let d: SchedulerService.Dependencies
    let alarm: Alarm
    let inbox: SchedulerInbox
    var machine: SchedulerStateMachine
    /// The schedules from the files, and the duties events created on top of them.
    var baseSchedules: ScheduleSet
    var eventDuties: [Duty] = []
    /// The changes to the plan, as last read from the ledger.
    var changes = OccurrenceChanges.none
    /// The orphaned changes last reported (so a replan does not log the same ones again).
    var reportedOrphans = Set<Int64>()
    /// The alarm generation: a wake-up of an older one is a timer that was replaced.
    var generation = 0
    /// When the next retention pass is due (nil: at the next step, i.e. at start).
    var nextRetentionPass: Date?
    /// The ledger's pruned-before mark: notices due before it are not planned again.
    var prunedBefore: Date?
    /// Whether this instance plans and delivers (always, for a single instance).
    var leading: Bool

    /// How long one round delivers before it returns to planning (see `DeliveryPipeline.deliverDue(now:budget:)`).
    static let deliveryBudget: Duration = .seconds(2)

    init(dependencies d: SchedulerService.Dependencies, schedules: ScheduleSet, alarm: Alarm, inbox: SchedulerInbox)
        async throws(LedgerError)
    {
        self.d = d
        self.alarm = alarm
        self.inbox = inbox
        baseSchedules = schedules
        leading = d.leadership.isSole
        machine = SchedulerStateMachine(
            planner: Planner(schedules: schedules), storedHorizon: try await d.ledger.horizon(),
            now: min(d.startedAt, d.clock.now()), catchUpWindow: d.configuration.catchUpWindow)
        prunedBefore = try await d.ledger.prunedBefore()
    }

    /// At start: the changes to the plan, the duties events created, the first step, READY=1. An instance that
    /// shares its ledger starts as a follower: it answers queries and waits to be told that it leads.
    mutating func start() async throws {
        d.leadership.advertise(scheduleDigest: d.status.snapshot.scheduleDigest)
        changes = OccurrenceChanges(try await d.ledger.changes())
        try await recomputeEventDuties()
        try await handOutLateChangeNotices()
        try await step()
        guard !d.pipeline.isStopping else { return }
        Heap.returnFreedMemory()
        _ = try? d.notifier.notify(ready: true, status: d.status.text())
        d.logger.info("ready", metadata: ["duties": "\(machine.planner.schedules.duties.count)", "role": "\(leading ? "leader" : "follower")"])
    }

    /// `handle(_:)`, for an instance that shares its ledger: a fenced write refused, a stale lease or a lost
    /// connection while leading is not the end of the daemon. A refused write steps down (another instance leads
    /// now); a database that does not answer is tried again in a second, while the lease decides who leads.
    mutating func handleStayingUp(_ event: SchedulerEvent) async throws -> Bool {
        guard !d.leadership.isSole else { return try await handle(event) }
        do {
            return try await handle(event)
        } catch let error as LedgerError where error.code == .fenced {
            d.leadership.stepDown(reason: error.message)
            becomeFollower(reason: error.message)
        } catch let error as LedgerError where error.remedy == .retry && error.code != .shutDown {
            d.logger.warning("the ledger is unavailable: trying again in a second", metadata: ["ledger.error": "\(error)"])
            generation += 1
            alarm.arm(d.clock.now().addingTimeInterval(1 * d.configuration.clockRate), generation: generation)
        }
        return true
    }

    /// This instance leads from now on, with `epoch`: the stored horizon and marks are read again (another
    /// instance moved them), the channels start a new term, and the first step reconciles every row left
    /// `delivering` before anything new is sent (`DeliveryPipeline.deliverDue` takes them first).
    mutating func becomeLeader(epoch: Int64) async throws {
        let now = d.clock.now()
        let horizon = try await d.ledger.horizon()
        prunedBefore = try await d.ledger.prunedBefore()
        machine = SchedulerStateMachine(
            planner: machine.planner, storedHorizon: horizon, now: now, catchUpWindow: d.configuration.catchUpWindow)
        leading = true
        nextRetentionPass = nil
        for kind in d.pipeline.channels.kinds { await d.pipeline.channels[kind]?.beginTerm() }
        d.logger.notice("leading: planning and delivering", metadata: ["lease.epoch": "\(epoch)"])
        await d.journal.leadership(leading: true, epoch: epoch, reason: nil)
        // Changes to the plan recorded while this instance followed (on any instance) are in effect from now on.
        changes = OccurrenceChanges(try await d.ledger.changes())
        try await recomputeEventDuties()
        try await handOutLateChangeNotices()
    }

    /// This instance no longer leads: nothing is planned or sent until it leads again.
    mutating func becomeFollower(reason: String) {
        guard leading else { return }
        leading = false
        generation += 1
        alarm.arm(nil, generation: generation)
        d.logger.notice("following: no longer planning or delivering", metadata: ["lease.reason": "\(reason)"])
        d.status.update(nextFire: nil, nextTitle: nil, dutyCount: machine.planner.schedules.duties.count, now: d.clock.now())
    }

    /// Handles one event; false when the loop is to end.
    mutating func handle(_ event: SchedulerEvent) async throws -> Bool {
        switch event {
        case .stop:
            return false
        case .wake(let g) where g != generation:
            return true  // a timer that was replaced
        case .wake:
            break
        case .reload(let reply):
            await reload()
            if let reply {
                try await step()
                reply(
                    ReloadOutcome(
                        ok: d.status.snapshot.lastReloadOK, duties: baseSchedules.duties.count,
                        errors: d.status.snapshot.lastReloadErrors,
                        warnings: machine.planner.orphanedChanges.map(\.description)))
                return true
            }
        case .clockChanged:
            d.logger.notice("wall clock changed: re-planning")
        case .eventsChanged(let reply):
            try await recomputeEventDuties()
            reply?()
        case .changesChanged(let reply):
            changes = OccurrenceChanges(try await d.ledger.changes())
            replan()
            try await handOutLateChangeNotices()
            if let reply {
                try await step()
                reply()
                _ = try? d.notifier.notify(status: d.status.text())
                return true
            }
        case .deliverNow(let reminders, let reply):
            defer { reply?() }
            guard leading else {
                d.logger.warning("not the leader: reminders to deliver now are left to the leader", metadata: ["reminders": "\(reminders.count)"])
                return true
            }
            try await d.pipeline.deliverNow(reminders, now: d.clock.now())
        case .leadership(.acquired(let epoch)):
            do {
                try await becomeLeader(epoch: epoch)
            } catch {
                // Leading without the stored state would plan from a wrong horizon: give the lease up.
                leading = false
                d.leadership.stepDown(reason: "could not read the ledger to start leading: \(error)")
                return true
            }
        case .leadership(.leaderSchedules(let mine, let theirs, let leader)):
            await d.journal.schedulesDiffer(mine: mine, leader: theirs, leaderInstance: leader)
            return true
        case .leadership(.lost(let reason)):
            becomeFollower(reason: reason)
            await d.journal.leadership(leading: false, epoch: nil, reason: reason)
            return true
        }
        try await step()
        _ = try? d.notifier.notify(status: d.status.text())
        return true
    }

    // MARK: - Planning and delivering

    /// One round: tick the state machine at the current time, perform its actions, deliver what is due, arm the
    /// alarm for the next instant.
    mutating func step() async throws {
        guard !d.pipeline.isStopping else { return }
        guard leading else { return }
        let now = d.clock.now()
        var planTarget: Date?
        for action in machine.tick(now: now) {
            switch action {
            case .recordMissed(let notices):
                // Cut short by a stop request: leave the horizon where it was (the next start finds them again).
                guard let count = try await d.pipeline.recordMissed(
                    notices, planner: machine.planner, now: now, prunedBefore: prunedBefore,
                    catchUpWindow: d.configuration.catchUpWindow)
                else { return }
                await d.journal.missed(count: count, notices: notices, catchUpWindow: d.configuration.catchUpWindow, zone: baseSchedules.timeZone)
            case .fire(let notices):
                guard try await d.pipeline.plan(
                    notices, planner: machine.planner, horizon: machine.horizon, now: now, prunedBefore: prunedBefore)
                else { return }
            case .persistHorizon(let horizon):
                try await d.ledger.resetHorizon(to: horizon)
            case .sleep(let until):
                planTarget = until
            }
        }
        let outcome = try await d.pipeline.deliverDue(now: now, budget: Self.deliveryBudget)
        if outcome.delivered + outcome.failed + outcome.reconciled > 0 {
            d.logger.debug(
                "delivered",
                metadata: ["delivered": "\(outcome.delivered)", "failed": "\(outcome.failed)", "reconciled": "\(outcome.reconciled)"])
        }
        if outcome.interrupted {
            d.logger.notice(
                "stopping: delivery interrupted, the rest stays planned for the next start",
                metadata: ["delivered": "\(outcome.delivered)"])
            return
        }
        let retention = await retentionPass(now: now)
        let target = WakeUp.next(
            now: now, plan: planTarget, backlog: outcome.more, retention: retention,
            nextDue: try await d.ledger.nextDueDate())
        arm(target)
        d.status.update(
            nextFire: machine.nextFireTime(),
            nextTitle: machine.bufferedNotices.first.flatMap { machine.planner.schedules.duty(id: $0.dutyID)?.title },
            dutyCount: machine.planner.schedules.duties.count, now: now)
    }

    /// Arms the alarm; a target that has come already is an event now (through the stream, so a stop or reload
    /// request is seen between rounds).
    mutating func arm(_ target: Date?) {
        generation += 1
        if let target, target <= d.clock.now() {
            alarm.arm(nil, generation: generation)
            inbox.send(.wake(generation: generation))
            return
        }
        alarm.arm(target, generation: generation)
    }

    /// The duties events created (interviews, escalations, open problems), read again from the ledger.
    mutating func recomputeEventDuties() async throws {
        let rankings = try await d.ledger.rankings()
        let problems = try await d.ledger.problems(township: nil)
        let duties = baseSchedules.eventDuties(rankings: rankings, problems: problems)
        let previous = Set(eventDuties.map(\.id))
        eventDuties = duties
        replan()
        guard leading else { return }
        try await handOutLateIssueNotices(of: duties.filter { !previous.contains($0.id) })
    }

    /// An event duty is issued at the instant its event was recorded (a ranking submitted at T issues its interview
    /// notices at T), but the scheduler may have ticked past T before it gets the duty: without this, notices from
    /// the issue time up to the horizon would never be handed out. They are planned now; the ledger's
    /// insert-or-ignore makes a second hand-out (at a restart, when every event duty is computed again) add
    /// nothing, and nothing before the issue time or older than the catch-up window is considered.
    mutating func handOutLateIssueNotices(of duties: [Duty]) async throws {
        let horizon = machine.horizon
        let floor = horizon.addingTimeInterval(-d.configuration.catchUpWindow)
        var notices: [Notice] = []
        for duty in duties {
            guard let issuedAt = duty.issuedAt, issuedAt <= horizon, issuedAt > floor else { continue }
            machine.planner.appendNotices(of: duty, after: issuedAt.addingTimeInterval(-0.001), through: horizon, into: &notices)
        }
        guard !notices.isEmpty else { return }
        notices.sort { ($0.fireAt, $0.dutyID) < ($1.fireAt, $1.dutyID) }
        _ = try await d.pipeline.plan(
            notices, planner: machine.planner, horizon: horizon, now: d.clock.now(), prunedBefore: prunedBefore)
    }

    /// A change is recorded at the instant the request came, but the scheduler may have ticked past it before it
    /// read the change: its notices (and snooze repeats) from then up to the horizon are planned now. As for late
    /// event duties, the ledger's insert-or-ignore makes a second hand-out (a restart) add nothing, and nothing
    /// older than the catch-up window is considered.
    mutating func handOutLateChangeNotices() async throws {
        guard leading else { return }
        let horizon = machine.horizon
        let notices = machine.planner.changeNotices(
            after: horizon.addingTimeInterval(-d.configuration.catchUpWindow), through: horizon)
        guard !notices.isEmpty else { return }
        _ = try await d.pipeline.plan(
            notices, planner: machine.planner, horizon: horizon, now: d.clock.now(), prunedBefore: prunedBefore)
    }

    /// Swaps in the planner of the base schedules plus the event duties, with the changes, and publishes it.
    mutating func replan() {
        let combined = baseSchedules.adding(duties: eventDuties)
        machine.reload(Planner(schedules: combined, changes: changes))
        d.publication.publish(planner: machine.planner, base: baseSchedules)
        for orphan in machine.planner.orphanedChanges where !reportedOrphans.contains(orphan.change.id) {
            d.logger.warning("a change has no effect on the schedules in effect", metadata: ["change": "\(orphan)"])
        }
        reportedOrphans = Set(machine.planner.orphanedChanges.map(\.change.id))
    }

    // MARK: - Reload

    mutating func reload() async {
        _ = try? d.notifier.notify(status: "reloading schedules", reloading: true)
        let directories = d.configuration.scheduleDirectories
        let limits = d.configuration.scheduleLimits
        // Reading and parsing the files is blocking work.
        let loaded = try? await d.executor.run {
            let result = ScheduleLoader(directories: directories, limits: limits).load()
            return (result, ScheduleDigest.of(files: result.files, directories: directories))
        }
        guard let (result, digest) = loaded else { return }
        for diagnostic in result.diagnostics {
            if diagnostic.severity == .error {
                d.logger.error("\(diagnostic.description)")
            } else {
                d.logger.warning("\(diagnostic.description)")
            }
        }
        if let schedules = result.schedules {
            baseSchedules = schedules
            do {
                // Event duties depend on the schedules (triggers, townships): compute them again.
                try await recomputeEventDuties()
            } catch {
                replan()
                d.logger.error("reload: reading events from the ledger failed", metadata: ["ledger.error": "\(error)"])
            }
            d.status.reloaded(ok: true, errors: [], files: result.files, digest: digest)
            d.leadership.advertise(scheduleDigest: d.status.snapshot.scheduleDigest)
            d.logger.notice("schedules reloaded", metadata: ["duties": "\(schedules.duties.count)"])
        } else {
            d.status.reloaded(ok: false, errors: result.errors.map(\.description), files: result.files)
            await d.journal.scheduleErrors(result.errors)
            d.logger.error("reload failed: keeping the previous schedules", metadata: ["errors": "\(result.errors.count)"])
        }
        Heap.returnFreedMemory()
        _ = try? d.notifier.notify(ready: true, status: d.status.text())
    }

    // MARK: - Retention

    /// One retention pass a day on the scheduler's clock (the first at start): prunes the ledger and logs what
    /// went. Returns when the next pass is due (nil: retention off). A pass that fails is logged and retried a
    /// day later; it never stops the daemon.
    mutating func retentionPass(now: Date) async -> Date? {
        guard let retention = d.configuration.retention else { return nil }
        guard RetentionPolicy.isPassDue(now: now, next: nextRetentionPass) else { return nextRetentionPass }
        let policy = RetentionPolicy(
            now: now, retention: retention, horizon: machine.horizon, catchUpWindow: d.configuration.catchUpWindow,
            duties: machine.planner.schedules.duties, lookBack: Double(UpcomingQuery.maximumDays) * 86_400)
        let zone = TimeZone(identifier: "UTC")!
        let stop = d.pipeline.stop
        do {
            let result = try await d.ledger.prune(policy, shouldContinue: { !stop.isRequested })
            prunedBefore = max(prunedBefore ?? policy.cutoff, policy.cutoff)
            let metadata: Logger.Metadata = [
                "retention.cutoff": "\(TimeFormatting.iso8601(policy.cutoff, in: zone))",
                "retention.deliveries": "\(result.deliveries)", "retention.acknowledgements": "\(result.acknowledgements)",
                "retention.events": "\(result.events)",
            ]
            if result.total > 0 {
                d.logger.notice("retention: pruned the ledger", metadata: metadata)
                try await d.ledger.logEvent(
                    actorUID: nil, action: "prune",
                    details: [
                        "cutoff": TimeFormatting.iso8601(policy.cutoff, in: zone), "deliveries": String(result.deliveries),
                        "acknowledgements": String(result.acknowledgements), "events": String(result.events),
                    ], at: now)
            } else {
                d.logger.debug("retention: nothing to prune", metadata: metadata)
            }
        } catch {
            d.logger.error("retention: pruning the ledger failed, retrying in a day", metadata: ["ledger.error": "\(error)"])
        }
        nextRetentionPass = now.addingTimeInterval(RetentionPolicy.interval)
        return nextRetentionPass
    }
}
