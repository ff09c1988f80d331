import DutyCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The lease of docs/lease-protocol.md: one row in `dutyd_lease` (epoch, holder, expiry on the database's clock)
/// and this instance's local view of it on `ContinuousClock` (`CLOCK_BOOTTIME` on Linux: it counts pauses and
/// suspends), fresh until `t0 + TTL − M` for the `t0` read before the last successful acquisition or renewal.
///
/// `run(report:)` is the campaign: a follower tries to acquire every `poll` (at once when a release is
/// announced), a leader renews every `renewal`, and each change of role is reported to the scheduler. The local
/// view is the gate every side effect passes (`withPermit`), and `currentTerm()` the epoch every fenced write of
/// `PostgresLedger` carries.
public final class PostgresLease: Leadership, LeaseGate {
    /// An epoch this instance leads with.
    public struct Term: Sendable, Hashable {
        public var epoch: Int64
    }

    struct View {
        /// The epoch this instance leads with; nil while it follows.
        var epoch: Int64?
        var freshUntil: ContinuousClock.Instant
        /// Why it stepped down, until the campaign reports it.
        var stepDownReason: String?
        /// What the lease row said last (holder, epoch, the leader's schedule digest).
        var holder: String?
        var latestEpoch: Int64 = 0
        var leaderDigest: String?
        var scheduleDigest = ""
        var acquisitions = 0
        var windowBreaches = 0
        var longestWindow: Duration = .zero
        /// A difference of schedules found by a follower's poll, until the campaign reports it.
        var pendingMismatch: (mine: String, leader: String, instance: String)?
    }

    let connector: PostgresConnector
    public let timing: PostgresStoreConfiguration.LeaseTiming
    /// This instance (`host:state directory`): the lease's holder.
    public let instance: String
    /// This host (its machine id): what `claimed_by` records.
    public let host: String
    let logger: Logger
    private let view: Mutex<View>
    let wakeup = Wakeup()
    private let clock = ContinuousClock()

    init(connector: PostgresConnector, instance: String, host: String, logger: Logger) {
        self.connector = connector
        timing = connector.configuration.lease
        self.instance = instance
        self.host = host
        self.logger = logger
        view = Mutex(View(freshUntil: ContinuousClock.now))
    }

    public var gate: any LeaseGate { self }
    public var isSole: Bool { false }

    /// The epoch to fence writes with, while this instance leads (fresh or not: the database decides).
    public func currentTerm() -> Term? {
        view.withLock { $0.epoch.map(Term.init(epoch:)) }
    }

    // MARK: LeaseGate

    public func mayAct() -> Bool {
        let now = clock.now
        return view.withLock { $0.epoch != nil && now < $0.freshUntil }
    }

    public func withPermit<T, E: Error>(_ sideEffect: () throws(E) -> T) throws(E) -> T? {
        let checked = clock.now
        guard view.withLock({ $0.epoch != nil && checked < $0.freshUntil }) else { return nil }
        let result = try sideEffect()
        let window = clock.now - checked
        let breached = window > timing.window
        view.withLock {
            if window > $0.longestWindow { $0.longestWindow = window }
            if breached { $0.windowBreaches += 1 }
        }
        if breached {
            logger.warning(
                "a side effect took longer than the window W after its final check (assumption A2)",
                metadata: ["lease.window": "\(window)", "lease.w": "\(timing.window)"])
        }
        return result
    }

    public func refresh() async -> Bool {
        guard currentTerm() != nil else { return false }
        _ = await renew()
        return mayAct()
    }

    // MARK: Leadership

    public func stepDown(reason: String) {
        let changed = view.withLock { view -> Bool in
            guard view.epoch != nil else { return false }
            view.epoch = nil
            view.stepDownReason = reason
            return true
        }
        if changed {
            logger.warning("stepping down: no more side effects or ledger writes", metadata: ["lease.reason": "\(reason)"])
            wakeup.signal()
        }
    }

    public func advertise(scheduleDigest: String) {
        view.withLock { $0.scheduleDigest = scheduleDigest }
    }

    public func status() -> LeadershipStatus {
        let v = view.withLock { $0 }
        let digest = v.scheduleDigest.isEmpty ? nil : v.scheduleDigest
        let seconds = Double(v.longestWindow.components.seconds) + Double(v.longestWindow.components.attoseconds) / 1e18
        return LeadershipStatus(
            role: v.epoch != nil ? .leader : .follower, instance: instance, leader: v.holder,
            epoch: v.epoch ?? v.latestEpoch, database: connector.configuration.redacted, scheduleDigest: digest,
            leaderScheduleDigest: v.leaderDigest.flatMap { $0.isEmpty ? nil : $0 }, acquisitions: v.acquisitions,
            windowBreaches: v.windowBreaches, longestWindow: seconds)
    }

    /// A notification on the lease (`acquired`, `released`): wake the campaign to look at once.
    func leaseChanged() { wakeup.signal() }

    public func run(report: @escaping @Sendable (LeadershipChange) -> Void) async throws {
        var reportedEpoch: Int64? = nil
        while !Task.isCancelled {
            // A step-down requested by a fenced write or the pipeline, or one found by the renewal.
            let (epoch, reason) = view.withLock { v -> (Int64?, String?) in
                defer { v.stepDownReason = nil }
                return (v.epoch, v.stepDownReason)
            }
            if let previous = reportedEpoch, epoch != previous {
                reportedEpoch = nil
                report(.lost(reason: reason ?? "the lease was lost"))
            }
            if epoch != nil {
                await wakeup.wait(for: timing.renewal)
                if Task.isCancelled { break }
                if currentTerm() != nil { await renewOrStepDown() }
            } else {
                if let acquired = await acquire() {
                    reportedEpoch = acquired
                    report(.acquired(epoch: acquired))
                    continue
                }
                if let m = view.withLock({ v in defer { v.pendingMismatch = nil }; return v.pendingMismatch }) {
                    report(.leaderSchedules(mine: m.mine, leader: m.leader, leaderInstance: m.instance))
                }
                await wakeup.wait(for: timing.poll)
            }
        }
    }

    public func release() async {
        guard let term = currentTerm() else { return }
        view.withLock {
            $0.epoch = nil
            $0.stepDownReason = nil
        }
        let channel = PostgresBackend.notificationChannel(schema: connector.configuration.schema)
        let payload = "released \(term.epoch) \(instance)"
        do {
            try await connector.withConnection("release the lease", timeout: timing.statementTimeout * 2) { connection, logger in
                try await connection.query(
                    "UPDATE dutyd_lease SET expires_at = '-infinity' WHERE id = 1 AND epoch = \(term.epoch)", logger: logger)
                try await connection.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
            }
            logger.notice("released the lease", metadata: ["lease.epoch": "\(term.epoch)"])
        } catch {
            logger.warning("could not release the lease: it expires on its own", metadata: ["lease.error": "\(error)"])
        }
    }

    // MARK: Steps

    /// 3.2: one acquisition attempt; the epoch when it succeeded.
    func acquire() async -> Int64? {
        let t0 = clock.now
        let ttl = Self.interval(timing.ttl)
        let me = instance
        let digest = view.withLock { $0.scheduleDigest }
        let channel = PostgresBackend.notificationChannel(schema: connector.configuration.schema)
        let timeout = timing.statementTimeout
        do {
            let (acquired, row) = try await connector.transaction("acquire the lease", timeout: timeout * 2) {
                connection, logger -> (Int64?, (Int64, String, String)?) in
                try await connection.query("SET LOCAL statement_timeout = \(unescaped: "'\(Self.milliseconds(timeout))ms'")", logger: logger)
                let acquired = try await connection.query(
                    """
                    UPDATE dutyd_lease SET epoch = epoch + 1, holder = \(me), acquired_at = now(),
                        expires_at = now() + make_interval(secs => \(ttl)), schedule_digest = \(digest)
                    WHERE id = 1 AND expires_at <= now()
                    RETURNING epoch
                    """, logger: logger
                ).collect().first.map { try $0.decode(Int64.self) }
                if let acquired {
                    try await connection.query(
                        "SELECT pg_notify(\(channel), \("acquired \(acquired) \(me)"))", logger: logger)
                    return (acquired, nil)
                }
                let row = try await connection.query(
                    """
                    SELECT epoch, CASE WHEN expires_at > now() THEN holder ELSE '' END, schedule_digest
                    FROM dutyd_lease WHERE id = 1
                    """, logger: logger
                ).collect().first.map { try $0.decode((Int64, String, String).self) }
                return (nil, row)
            }
            if let acquired {
                view.withLock {
                    $0.epoch = acquired
                    $0.freshUntil = t0 + timing.freshFor
                    $0.holder = me
                    $0.latestEpoch = acquired
                    $0.leaderDigest = digest
                    $0.acquisitions += 1
                    $0.stepDownReason = nil
                }
                logger.notice("acquired the lease: leading", metadata: ["lease.epoch": "\(acquired)"])
                return acquired
            }
            if let (epoch, holder, leaderDigest) = row {
                let mismatch = view.withLock { v -> Bool in
                    let before = v.leaderDigest
                    v.latestEpoch = epoch
                    v.holder = holder.isEmpty ? nil : holder
                    v.leaderDigest = holder.isEmpty ? before : leaderDigest
                    let differs = !holder.isEmpty && before != leaderDigest && !leaderDigest.isEmpty && !v.scheduleDigest.isEmpty
                        && leaderDigest != v.scheduleDigest
                    if differs { v.pendingMismatch = (v.scheduleDigest, leaderDigest, holder) }
                    return differs
                }
                if mismatch {
                    logger.warning(
                        "this instance's schedules differ from the leader's",
                        metadata: ["lease.leader": "\(holder)", "schedules.digest": "\(digest)", "schedules.leader_digest": "\(leaderDigest)"])
                }
            }
        } catch {
            logger.debug("lease: acquisition attempt failed", metadata: ["lease.error": "\(error)"])
        }
        return nil
    }

    enum RenewalOutcome { case renewed, lost, unknown }

    /// 3.3: one renewal.
    func renew() async -> RenewalOutcome {
        guard let term = currentTerm() else { return .lost }
        let t0 = clock.now
        let ttl = Self.interval(timing.ttl)
        let timeout = timing.statementTimeout
        let digest = view.withLock { $0.scheduleDigest }
        do {
            let renewed = try await connector.transaction("renew the lease", timeout: timeout * 2) { connection, logger in
                try await connection.query("SET LOCAL statement_timeout = \(unescaped: "'\(Self.milliseconds(timeout))ms'")", logger: logger)
                return !(try await connection.query(
                    """
                    UPDATE dutyd_lease SET expires_at = now() + make_interval(secs => \(ttl)), schedule_digest = \(digest)
                    WHERE id = 1 AND epoch = \(term.epoch) AND expires_at > now()
                    RETURNING 1
                    """, logger: logger
                ).collect().isEmpty)
            }
            if renewed {
                view.withLock {
                    if $0.epoch == term.epoch { $0.freshUntil = t0 + timing.freshFor }
                    $0.leaderDigest = digest
                }
                return .renewed
            }
            return .lost
        } catch {
            logger.debug("lease: renewal failed", metadata: ["lease.error": "\(error)"])
            return .unknown
        }
    }

    func renewOrStepDown() async {
        switch await renew() {
        case .renewed: break
        case .lost: stepDown(reason: "the lease was taken by another instance or expired")
        case .unknown:
            // Keep the old deadline: the view goes stale on its own. Once stale, nothing more can be done as
            // leader (the gate refuses): stop leading, the lease expires in the database.
            if !mayAct() { stepDown(reason: "the lease could not be renewed in time (database unreachable?)") }
        }
    }

    static func interval(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }
}

/// A wake-up signal for one waiter: `wait(for:)` returns after the duration, at a `signal()`, or at
/// cancellation, whichever comes first. A signal with nobody waiting is kept for the next wait.
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    func wait(for duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: duration)
                if !Task.isCancelled { self.signal() }
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let now = self.state.withLock { s -> Bool in
                            if s.pending {
                                s.pending = false
                                return true
                            }
                            s.waiter = continuation
                            return false
                        }
                        if now { continuation.resume() }
                    }
                } onCancel: {
                    self.signal()
                }
            }
            _ = await group.next()
            group.cancelAll()
        }
        // A timer's signal that raced with a real one must not wake the next wait spuriously; a real signal that
        // came after this wait ended is kept (it is cheap to look once more).
    }
}
