import Foundation

/// Who may plan and deliver: with several dutyd instances on one shared ledger, exactly one (the leader) at a time.
///
/// The seam between the scheduler and the way instances agree on a leader, as `Ledger` is between the daemon and
/// its storage: a single instance on SQLite always leads (`SoleLeadership`); instances sharing a PostgreSQL ledger
/// hold a lease in the database (`DutyStorePostgres.PostgresLease`, docs/lease-protocol.md). The scheduler's loop
/// plans and delivers only while it leads, and is told when it stops leading; every write of the delivery ledger
/// is fenced by the leader's epoch inside the ledger, and every side effect passes the `LeaseGate` first.
public protocol Leadership: Sendable {
    /// The final check before every side effect (docs/lease-protocol.md, 3.6).
    var gate: any LeaseGate { get }

    /// Whether this instance leads from the start and never stops (one instance): the scheduler then starts at
    /// once, as a single-host dutyd always did.
    var isSole: Bool { get }

    /// Campaigns for the lease until cancelled: acquires it when free, renews it while leading, and reports
    /// every change of role through `report`, in order, from this task. Returns when cancelled.
    func run(report: @escaping @Sendable (LeadershipChange) -> Void) async throws

    /// Stops leading at once (a fenced write was refused, the final check failed and a renewal did not help):
    /// no further side effect passes the gate. The lease is not released: it expires in the database.
    func stepDown(reason: String)

    /// Gives the lease up (a graceful stop, after the last write), so that another instance takes over at once.
    func release() async

    /// Publishes this instance's schedule digest: followers compare theirs with the leader's.
    func advertise(scheduleDigest: String)

    /// What `dutyctl status` and `/metrics` show.
    func status() -> LeadershipStatus
}

/// A change of this instance's role, as `Leadership.run(report:)` reports it.
public enum LeadershipChange: Sendable, Hashable {
    /// This instance leads now, with this epoch (0 for a sole instance). Reconcile before the first side effect.
    case acquired(epoch: Int64)
    /// This instance no longer leads: stop planning and delivering, write nothing more to the delivery ledger.
    case lost(reason: String)
    /// A follower found that the leader runs other schedules (content digests differ).
    case leaderSchedules(mine: String, leader: String, leaderInstance: String)
}

/// The final check before a side effect: whether this instance's view of its lease is still fresh.
///
/// Implementations are non-blocking (an atomic read and a clock read) so that a channel can call them on a
/// blocking thread immediately before the write that makes a reminder visible, after everything else that can
/// block (a message composed, a mailbox lock taken).
public protocol LeaseGate: Sendable {
    /// Whether a side effect may start now.
    func mayAct() -> Bool

    /// Runs `sideEffect` if `mayAct()`, and measures the time from the check to the end of the side effect (the
    /// window of assumption A2). Returns nil, without running it, when the check fails.
    func withPermit<T, E: Error>(_ sideEffect: () throws(E) -> T) throws(E) -> T?

    /// One synchronous renewal, for a check that failed: true when the view is fresh again.
    func refresh() async -> Bool
}

/// The gate of a single instance: always open.
public struct OpenLeaseGate: LeaseGate {
    public init() {}
    public func mayAct() -> Bool { true }
    public func withPermit<T, E: Error>(_ sideEffect: () throws(E) -> T) throws(E) -> T? { try sideEffect() }
    public func refresh() async -> Bool { true }
}

/// The role of an instance, as the status shows it.
public struct LeadershipStatus: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        /// The only instance (SQLite): always leads.
        case sole
        case leader
        case follower
    }

    public var role: Role
    /// This instance's id (`host:state-directory`).
    public var instance: String
    /// The instance holding the lease, when known ("" when nobody holds it).
    public var leader: String?
    /// The lease epoch this instance leads with, or the latest it saw.
    public var epoch: Int64
    /// Where the ledger is (`sqlite:/var/lib/dutyd/dutyd.sqlite`, `postgresql://dutyd@db:5432/dutyd`): no password.
    public var database: String
    /// This instance's schedule digest, and the leader's when it differs (nil: the same, or unknown).
    public var scheduleDigest: String?
    public var leaderScheduleDigest: String?
    /// Acquisitions by this instance since it started.
    public var acquisitions: Int
    /// Side effects whose time from the final check exceeded the window W (assumption A2 breached).
    public var windowBreaches: Int
    /// The longest time from a final check to the end of its side effect, seconds.
    public var longestWindow: Double

    public init(
        role: Role, instance: String, leader: String?, epoch: Int64, database: String, scheduleDigest: String? = nil,
        leaderScheduleDigest: String? = nil, acquisitions: Int = 0, windowBreaches: Int = 0, longestWindow: Double = 0
    ) {
        self.role = role
        self.instance = instance
        self.leader = leader
        self.epoch = epoch
        self.database = database
        self.scheduleDigest = scheduleDigest
        self.leaderScheduleDigest = leaderScheduleDigest
        self.acquisitions = acquisitions
        self.windowBreaches = windowBreaches
        self.longestWindow = longestWindow
    }

    /// Whether this instance's schedules differ from the leader's (both digests known and different).
    public var schedulesDiffer: Bool {
        guard let mine = scheduleDigest, let theirs = leaderScheduleDigest else { return false }
        return mine != theirs
    }
}

/// The leadership of a single instance: it always leads, with epoch 0, and its gate is always open.
public struct SoleLeadership: Leadership {
    public let database: String
    public let instance: String
    public var gate: any LeaseGate { OpenLeaseGate() }
    public var isSole: Bool { true }

    public init(database: String, instance: String) {
        self.database = database
        self.instance = instance
    }

    public func run(report: @escaping @Sendable (LeadershipChange) -> Void) async throws {}
    public func stepDown(reason: String) {}
    public func release() async {}
    public func advertise(scheduleDigest: String) {}

    public func status() -> LeadershipStatus {
        LeadershipStatus(role: .sole, instance: instance, leader: instance, epoch: 0, database: database)
    }
}

extension ChannelFailure {
    /// The code of a delivery the final check refused: nothing was attempted, the row stays `delivering` for the
    /// next leader's reconciliation.
    public static let leaseRefusedCode = "lease.refused"

    /// A delivery not attempted because this instance's lease view is stale.
    public static var leaseRefused: ChannelFailure {
        ChannelFailure(code: leaseRefusedCode, message: "not attempted: this instance's lease is stale or lost")
    }
}

extension ChannelOutcome {
    /// Whether the final check refused this delivery (nothing was attempted).
    public var isLeaseRefusal: Bool {
        if case .temporaryFailure(let failure, _) = self { return failure.code == ChannelFailure.leaseRefusedCode }
        return false
    }
}

extension ReminderChannel {
    /// Delivers a batch behind the final check. Channels that can check immediately before each side effect
    /// (after their locks) implement this themselves; this default checks once, before the batch.
    public func deliver(_ batch: [ChannelDelivery], gate: any LeaseGate) async -> [ChannelOutcome] {
        guard gate.mayAct() else { return batch.map { _ in .temporaryFailure(.leaseRefused, retryAfter: nil) } }
        return await deliver(batch)
    }

    /// Called when this instance starts leading, before it reconciles anything: a channel that caches what it
    /// learnt about earlier deliveries (the journal's synchronisation marker) starts afresh.
    public func beginTerm() async {}
}
