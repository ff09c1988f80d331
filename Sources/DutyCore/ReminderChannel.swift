import Foundation

/// The kind of a channel: the name a `ReminderChannel` registers under and the first part of every route it
/// serves (`journal`, `mbox`, `maildir`, `sendmail`). Other kinds can be added without touching the pipeline.
public struct ChannelKind: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let name: String

    public init(_ name: String) { self.name = name }
    public init(stringLiteral name: String) { self.name = name }

    public var description: String { name }

    public static let journal: ChannelKind = "journal"
    public static let mbox: ChannelKind = "mbox"
    public static let maildir: ChannelKind = "maildir"
    public static let sendmail: ChannelKind = "sendmail"
}

/// Where one ledger row goes: the journal, or one of the recipient's mail channels. `description` is the
/// ledger's channel column (`journal`, `mbox`, `maildir:/path`, `sendmail:address`).
public enum DeliveryRoute: Hashable, Sendable, CustomStringConvertible {
    case journal
    case mail(Recipient.Channel)

    public var kind: ChannelKind {
        switch self {
        case .journal: .journal
        case .mail(let channel): channel.kind
        }
    }

    public var description: String {
        switch self {
        case .journal: "journal"
        case .mail(let channel): channel.routeName
        }
    }

    /// Reads a ledger channel column back; `mbox` takes the account of the row's recipient.
    public init?(_ name: String, recipient: Recipient) {
        if name == "journal" {
            self = .journal
        } else if let channel = Recipient.Channel(routeName: name, account: recipient.account) {
            self = .mail(channel)
        } else {
            return nil
        }
    }

    /// Every route of a reminder: the journal (when `journal`), then the recipient's mail channels (when `mail`).
    public static func routes(of reminder: Reminder, journal: Bool, mail: Bool) -> [DeliveryRoute] {
        var routes: [DeliveryRoute] = journal ? [.journal] : []
        if mail { routes += reminder.recipient.channels.map(DeliveryRoute.mail) }
        return routes
    }
}

/// One reminder on its way through one channel.
public struct ChannelDelivery: Sendable, Hashable {
    public var reminder: Reminder
    public var route: DeliveryRoute
    /// Attempts so far, this one included.
    public var attempt: Int
    /// The Message-ID the ledger recorded for this row (`Ledger.recordMessageIDs`): the message that carries it,
    /// a digest's for a reminder sent in one. `reconcile` looks for this message; nil: the reminder's own.
    public var messageID: String?

    public init(reminder: Reminder, route: DeliveryRoute, attempt: Int, messageID: String? = nil) {
        self.reminder = reminder
        self.route = route
        self.attempt = attempt
        self.messageID = messageID
    }
}

/// One message a channel will send for a batch: the deliveries it carries (indices into the batch, in order) and
/// its Message-ID when the channel has one. A digest is one envelope with several deliveries.
public struct ChannelEnvelope: Sendable, Hashable {
    public var members: [Int]
    public var messageID: String?

    public init(members: [Int], messageID: String?) {
        self.members = members
        self.messageID = messageID
    }
}

/// Why a delivery failed: a code the channel chose (`mailboxFull`, `journalUnreachable`), a message for the
/// operator, and the channel's own error kept for logs.
public struct ChannelFailure: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var underlying: (any Error & Sendable)?

    public init(code: String, message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}

/// What a channel did with one delivery.
public enum ChannelOutcome: Sendable, CustomStringConvertible {
    /// The reminder is where the recipient reads it (durably: fsynced, accepted by the MTA, handed to journald).
    case delivered
    /// Not delivered now; trying again later may help. `retryAfter` is the channel's hint (nil: use back-off).
    case temporaryFailure(ChannelFailure, retryAfter: Duration?)
    /// Not delivered, and trying again will not help (an unknown user, a refused mailbox).
    case permanentFailure(ChannelFailure)

    public var isSuccess: Bool {
        switch self {
        case .delivered: true
        case .temporaryFailure, .permanentFailure: false
        }
    }

    public var description: String {
        switch self {
        case .delivered: "delivered"
        case .temporaryFailure(let failure, let after): "temporary failure (\(failure))\(after.map { ", retry after \($0)" } ?? "")"
        case .permanentFailure(let failure): "permanent failure (\(failure))"
        }
    }
}

/// A way reminders reach people: the journal, an mbox spool, maildirs, an MTA's sendmail.
///
/// The seam between the delivery pipeline and the outside world, with one conformance suite
/// (`DutyConformance.ChannelConformance`) that every implementation passes. The pipeline knows channels only
/// by their `kind`: it looks up the channel of a row's route and never switches on names.
///
/// Exactly-once rests on two promises:
/// - `deliver` returns `.delivered` only once the reminder is durable where the recipient reads it, and leaves
///   nothing half-written when it fails;
/// - `reconcile` can tell, after a crash between the side effect and the ledger's commit, whether the reminder is
///   there already (the journal by `DUTY_KEY`, a mailbox by `Message-ID`).
///
/// Implementations do their blocking I/O on a `BlockingExecutor`, never on the caller's thread.
public protocol ReminderChannel: Sendable {
    var kind: ChannelKind { get }

    /// At most this many envelopes (messages) per `deliver` call. The pipeline checks for a stop request between
    /// calls, so this bounds how long a graceful stop waits: many for the journal (a send is a datagram), one for
    /// mail (a lock, an append and an fsync each, whether the message is one reminder or a digest of many).
    var batchLimit: Int { get }

    /// How this channel sends a batch: which deliveries share a message, and that message's id. Pure and
    /// deterministic: the envelopes of a batch made of exactly one envelope's deliveries are that one envelope,
    /// with the same id. The pipeline records the ids in the ledger before it calls `deliver` with the deliveries
    /// of at most `batchLimit` envelopes. The default: every delivery its own envelope, without an id.
    func envelopes(_ batch: [ChannelDelivery]) -> [ChannelEnvelope]

    /// Delivers a batch (all of this channel's kind); one outcome per delivery, in order. A batch lets a channel
    /// amortise its fixed costs (one executor hop, one journal connection); deliveries in different envelopes are
    /// independent, and those of one envelope share its outcome.
    func deliver(_ batch: [ChannelDelivery]) async -> [ChannelOutcome]

    /// For a row left `delivering` by an earlier process: whether the reminder is there already (in the message
    /// `delivery.messageID` names, when the ledger recorded one). A channel that
    /// cannot look (sendmail hands mail to an MTA) or failed to look answers `.notFound`, and the pipeline
    /// delivers again: at least once, with the same Message-ID, so the mail server can drop the second copy.
    func reconcile(_ delivery: ChannelDelivery) async -> Reconciliation

    /// `deliver(_:)` behind the final check of a lease (several instances, docs/lease-protocol.md 3.6): each side
    /// effect starts only if `gate` allows it, checked after everything that can block; a refused delivery is
    /// `.temporaryFailure(.leaseRefused, …)` and nothing of it was attempted. Default (Leadership.swift): one
    /// check before the batch.
    func deliver(_ batch: [ChannelDelivery], gate: any LeaseGate) async -> [ChannelOutcome]

    /// Called when this instance starts leading, before it reconciles. Default: nothing.
    func beginTerm() async
}

extension ReminderChannel {
    public func envelopes(_ batch: [ChannelDelivery]) -> [ChannelEnvelope] {
        batch.indices.map { ChannelEnvelope(members: [$0], messageID: nil) }
    }
}

/// What reconciliation found.
public enum Reconciliation: Sendable, Hashable {
    case alreadyThere
    case notFound
}
