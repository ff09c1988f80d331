import DutyCore
import Foundation

/// The state of one ledger row.
///
/// ```
/// planned ──claim──▶ delivering ──markDelivered──▶ delivered
///    ▲                  │  │
///    │                  │  └──markFailed(retryAt: t)──▶ failed ──claim (at ≥ t)──▶ delivering …
///    │                  │                               (retryAt nil: failed for good)
///    └── planned/failed/delivering ──markMissed──▶ missed
/// ```
/// `delivering` is written *before* the side effect, so a row found in that state after a restart means the
/// outcome is unknown: the caller reconciles it (e.g. `JournalWriter.contains(key:since:)`) before it retries.
public enum DeliveryState: String, Sendable, Hashable, Codable, CaseIterable {
    case planned
    case delivering
    case delivered
    case failed
    case missed

    /// Delivered and missed rows are closed; failed rows are closed once they have no retry time.
    public var isTerminal: Bool { self == .delivered || self == .missed }
}

/// One row of the delivery ledger: one reminder on one channel.
public struct Delivery: Sendable, Hashable {
    /// `Reminder.key`.
    public var key: String
    /// The channel name (`journal`, `mail`, …).
    public var channel: String
    public var dutyID: String
    public var occurrenceID: String
    public var kind: ReminderKind
    public var recipientID: String
    public var fireAt: Date
    public var state: DeliveryState
    /// How many times the row was claimed.
    public var attempts: Int
    /// The last failure, as given to `markFailed`/`markMissed` (capped at `DutyStore.maxErrorLength`).
    public var lastError: String?
    /// When the row may be claimed next: the fire time for planned rows, the retry time for failed ones; nil for
    /// delivering, delivered, missed, and failed rows that will not be retried.
    public var nextAttemptAt: Date?
    /// The reminder as planned, so a restart can deliver it without re-planning.
    public var reminder: Reminder
    public var createdAt: Date
    public var updatedAt: Date

    /// A row left in `delivering` (by a crash, or by a delivery still running): its outcome must be reconciled.
    public var needsReconciliation: Bool { state == .delivering }
}

/// One acknowledgement of an occurrence.
public struct Acknowledgement: Sendable, Hashable {
    public var occurrenceID: String
    /// The person id from the schedules.
    public var who: String
    /// The Unix uid of the peer that sent the acknowledgement (from `SO_PEERCRED`), when known.
    public var peerUID: UInt32?
    public var note: String?
    public var at: Date
}

/// One line of the audit log.
public struct EventLogEntry: Sendable, Hashable {
    public var id: Int64
    public var actorUID: UInt32?
    public var action: String
    /// The details, a JSON object of strings.
    public var details: [String: String]
    public var at: Date
}

/// What `DutyStore.prune(olderThan:)` / `prune(_:)` removed.
public struct PruneResult: Sendable, Hashable {
    public var deliveries: Int
    public var acknowledgements: Int
    public var events: Int
    /// False when the prune stopped early (asked to by its caller); acknowledgements and audit lines are then
    /// left for the next one.
    public var complete: Bool = true

    public var total: Int { deliveries + acknowledgements + events }
}

/// What a retention pass may delete (`DutyStore.prune(_:)`).
public struct RetentionPolicy: Sendable, Hashable {
    /// Closed ledger rows due and last touched before this instant go, as do acknowledgements made and audit lines
    /// written before it.
    public var cutoff: Date
    /// Duties whose occurrences must be acknowledged: the rows of their unacknowledged occurrences at or after
    /// `openSince` are kept, whatever their age.
    public var acknowledgedDuties: Set<String>
    /// The earliest occurrence instant that is still open: an unacknowledged occurrence from then on may still be
    /// listed as overdue or get overdue and escalation notices, and an acknowledgement of one from then on still
    /// silences them.
    public var openSince: Date

    public init(cutoff: Date, acknowledgedDuties: Set<String> = [], openSince: Date? = nil) {
        self.cutoff = cutoff
        self.acknowledgedDuties = acknowledgedDuties
        self.openSince = openSince ?? cutoff
    }
}
