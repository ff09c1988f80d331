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
/// outcome is unknown: the caller reconciles it (`ReminderChannel.reconcile(_:)`) before it retries.
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
    /// The channel route (`DeliveryRoute.description`: `journal`, `mbox`, `sendmail:office@example.org`, …).
    public var channel: String
    public var dutyID: String
    public var occurrenceID: String
    public var kind: ReminderKind
    public var recipientID: String
    public var fireAt: Date
    public var state: DeliveryState
    /// How many times the row was claimed.
    public var attempts: Int
    /// The last failure, as given to `markFailed` or `recordMissed` (capped at `LedgerError.maximumStoredText`).
    public var lastError: String?
    /// When the row may be claimed next: the fire time for planned rows, the retry time for failed ones; nil for
    /// delivering, delivered, missed, and failed rows that will not be retried.
    public var nextAttemptAt: Date?
    /// The reminder as planned, so a restart can deliver it without re-planning.
    public var reminder: Reminder
    public var createdAt: Date
    public var updatedAt: Date
    /// The lease epoch of the claim that set the row `delivering` (several instances; nil on a single host).
    public var epoch: Int64?
    /// The instances that ever claimed the row, oldest first (several instances; empty on a single host). A
    /// journal entry written on another host cannot be looked up here (docs/lease-protocol.md, 3.8).
    public var claimedBy: [String]
    /// The Message-ID of the mail that carries (or carried) this row, as recorded by `Ledger.recordMessageIDs`:
    /// the digest's for a reminder sent in one. nil for the journal and rows not sent yet.
    public var messageID: String?

    /// A row left in `delivering` (by a crash, or by a delivery still running): its outcome must be reconciled.
    public var needsReconciliation: Bool { state == .delivering }

    /// The row's identity.
    public var deliveryKey: DeliveryKey { DeliveryKey(key: key, channel: channel) }

    public init(
        key: String, channel: String, dutyID: String, occurrenceID: String, kind: ReminderKind, recipientID: String,
        fireAt: Date, state: DeliveryState, attempts: Int, lastError: String?, nextAttemptAt: Date?, reminder: Reminder,
        createdAt: Date, updatedAt: Date, epoch: Int64? = nil, claimedBy: [String] = [], messageID: String? = nil
    ) {
        self.key = key
        self.channel = channel
        self.dutyID = dutyID
        self.occurrenceID = occurrenceID
        self.kind = kind
        self.recipientID = recipientID
        self.fireAt = fireAt
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.reminder = reminder
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.epoch = epoch
        self.claimedBy = claimedBy
        self.messageID = messageID
    }
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

    public init(occurrenceID: String, who: String, peerUID: UInt32?, note: String?, at: Date) {
        self.occurrenceID = occurrenceID
        self.who = who
        self.peerUID = peerUID
        self.note = note
        self.at = at
    }
}

/// One line of the audit log.
public struct EventLogEntry: Sendable, Hashable {
    public var id: Int64
    public var actorUID: UInt32?
    public var action: String
    /// The details, a JSON object of strings.
    public var details: [String: String]
    public var at: Date

    public init(id: Int64, actorUID: UInt32?, action: String, details: [String: String], at: Date) {
        self.id = id
        self.actorUID = actorUID
        self.action = action
        self.details = details
        self.at = at
    }
}

/// What `Ledger.prune(_:shouldContinue:)` removed.
public struct PruneResult: Sendable, Hashable {
    public var deliveries: Int
    public var acknowledgements: Int
    public var events: Int
    /// False when the prune stopped early (asked to by its caller); acknowledgements and audit lines are then
    /// left for the next one.
    public var complete: Bool = true

    public var total: Int { deliveries + acknowledgements + events }

    public init(deliveries: Int, acknowledgements: Int, events: Int, complete: Bool = true) {
        self.deliveries = deliveries
        self.acknowledgements = acknowledgements
        self.events = events
        self.complete = complete
    }
}

/// What a retention pass may delete (`Ledger.prune(_:shouldContinue:)`); made by `RetentionPolicy.init(now:…)`.
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
