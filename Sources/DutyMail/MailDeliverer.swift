import DutyCore

/// Something that puts a composed message where a recipient reads mail.
///
/// Deliverers are synchronous and blocking (file locks, fsync, a child process); the daemon calls them from a
/// worker, never from its event loop. A successful return means the message is durable (fsynced, or accepted by
/// the MTA). On error nothing half-written is left behind.
public protocol MailDeliverer: Sendable {
    /// Delivers through one of the recipient's channels (`channel`; nil: the recipient's account, as for a
    /// person reached by the journal only).
    func deliver(_ message: MailMessage, to recipient: Recipient, via channel: Recipient.Channel?) throws(DeliveryError)

    /// Whether a message with this `Message-ID` (`<…>`) is already in the mailbox `channel` leads to. Used after
    /// a crash between the append and the ledger commit, so a reminder is not delivered twice. `false` when
    /// unknown.
    func alreadyDelivered(messageID: String, to recipient: Recipient, via channel: Recipient.Channel?) -> Bool

    /// `deliver(_:to:via:)` behind the final check of a lease (several instances, docs/lease-protocol.md 3.6):
    /// the write that makes the message visible starts only if `gate` allows it, checked after everything that
    /// can block. Returns false, having written nothing, when the gate refused. Default: the check immediately
    /// before `deliver(_:to:via:)`.
    func deliver(_ message: MailMessage, to recipient: Recipient, via channel: Recipient.Channel?, gate: any LeaseGate)
        throws(DeliveryError) -> Bool
}

extension MailDeliverer {
    public func deliver(_ message: MailMessage, to recipient: Recipient, via channel: Recipient.Channel?, gate: any LeaseGate)
        throws(DeliveryError) -> Bool
    {
        try gate.withPermit { () throws(DeliveryError) in try deliver(message, to: recipient, via: channel) } != nil
    }

    /// Delivers through the recipient's first channel.
    public func deliver(_ message: MailMessage, to recipient: Recipient) throws(DeliveryError) {
        try deliver(message, to: recipient, via: recipient.channels.first)
    }

    /// `alreadyDelivered(messageID:to:via:)` for the recipient's first channel.
    public func alreadyDelivered(messageID: String, to recipient: Recipient) -> Bool {
        alreadyDelivered(messageID: messageID, to: recipient, via: recipient.channels.first)
    }
}
