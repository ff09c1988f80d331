import DutyCore

/// Something that puts a composed message where a recipient reads mail.
///
/// Deliverers are synchronous and blocking (file locks, fsync, a child process); the daemon calls them from a
/// worker, never from its event loop. A successful return means the message is durable (fsynced, or accepted by
/// the MTA). On error nothing half-written is left behind.
public protocol MailDeliverer: Sendable {
    func deliver(_ message: MailMessage, to recipient: Recipient) throws(DeliveryError)

    /// Whether a message with this `Message-ID` (`<…>`) is already in the recipient's mailbox. Used after a crash
    /// between the append and the ledger commit, so a reminder is not delivered twice. `false` when unknown.
    func alreadyDelivered(messageID: String, to recipient: Recipient) -> Bool
}
