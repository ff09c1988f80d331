import DutyCore
import Foundation

/// Mail as a `ReminderChannel`: composes each reminder (`MailComposer`) and hands it to a `MailDeliverer` on the
/// daemon's blocking executor. One instance per kind: `mbox` (`MboxDeliverer`), `maildir` (`MaildirDeliverer`),
/// `sendmail` (`SendmailDeliverer`).
///
/// Digests: deliveries of one batch whose reminders have the same digest group (recipient, kind, slot: see
/// `DigestPolicy`) and the same route share one envelope, sent as one message (`MailComposer.composeDigest`) with
/// a Message-ID made from the set of reminder keys; a reminder alone, or with its digest off, is its own message
/// with its own Message-ID. `batchLimit` counts messages: one per call, so a stop waits for one mailbox at most.
///
/// Outcomes: a composition error is permanent (the reminder cannot become a valid message); a deliverer error is
/// temporary or permanent as the deliverer classifies it (`DeliveryError.isTemporary`); the reminders of one
/// message share its outcome. Reconciliation looks for the Message-ID the ledger recorded for the row (the
/// digest's) in the mailbox; sendmail cannot look, so a row left `delivering` is sent again with the same
/// Message-ID (the MTA or the reader can drop the second copy).
public struct MailChannel: ReminderChannel {
    public let kind: ChannelKind
    public let batchLimit = 1
    public let composer: MailComposer
    public let deliverer: any MailDeliverer
    let executor: any BlockingExecutor

    public init(kind: ChannelKind, composer: MailComposer, deliverer: any MailDeliverer, executor: any BlockingExecutor) {
        self.kind = kind
        self.composer = composer
        self.deliverer = deliverer
        self.executor = executor
    }

    private struct GroupKey: Hashable {
        var route: String
        var group: DigestGroup
    }

    /// Deliveries of one route and digest group share a message (at most `MailComposer.maximumDigestSize`, taken in
    /// key order); every other delivery is a message of its own. Envelopes come in the order of their first member.
    public func envelopes(_ batch: [ChannelDelivery]) -> [ChannelEnvelope] {
        var groups: [[Int]] = []
        var index: [GroupKey: Int] = [:]
        for (position, delivery) in batch.enumerated() {
            if let group = delivery.reminder.digestGroup {
                let key = GroupKey(route: delivery.route.description, group: group)
                if let existing = index[key] {
                    groups[existing].append(position)
                    continue
                }
                index[key] = groups.count
            }
            groups.append([position])
        }
        var envelopes: [ChannelEnvelope] = []
        for members in groups {
            let ordered = members.count == 1 ? members : members.sorted { batch[$0].reminder.key < batch[$1].reminder.key }
            var start = 0
            while start < ordered.count {
                let chunk = Array(ordered[start..<min(start + MailComposer.maximumDigestSize, ordered.count)])
                start += chunk.count
                envelopes.append(ChannelEnvelope(members: chunk, messageID: composer.carrierID(for: chunk.map { batch[$0].reminder })))
            }
        }
        return envelopes
    }

    public func deliver(_ batch: [ChannelDelivery]) async -> [ChannelOutcome] {
        await sendAll(batch, gate: nil)
    }

    /// Each message behind the final check, made after the deliverer's lock (`MailDeliverer.deliver(_:to:via:gate:)`):
    /// once a message is refused, the rest of the batch is not attempted either.
    public func deliver(_ batch: [ChannelDelivery], gate: any LeaseGate) async -> [ChannelOutcome] {
        await sendAll(batch, gate: gate)
    }

    private func sendAll(_ batch: [ChannelDelivery], gate: (any LeaseGate)?) async -> [ChannelOutcome] {
        var outcomes = [ChannelOutcome?](repeating: nil, count: batch.count)
        var refused = false
        // One executor hop per message: each is its own lock, append and fsync (or MTA run), and a long batch on
        // one thread would hold it for seconds.
        for envelope in envelopes(batch) {
            let outcome: ChannelOutcome =
                refused
                ? .temporaryFailure(.leaseRefused, retryAfter: nil)
                : await send(envelope.members.map { batch[$0] }, gate: gate)
            if outcome.isLeaseRefusal { refused = true }
            for member in envelope.members { outcomes[member] = outcome }
        }
        return outcomes.map { $0 ?? .permanentFailure(ChannelFailure(code: "mail.envelope", message: "not packed")) }
    }

    /// Sends one message: the reminder of a single delivery, or the digest of several (same route and group),
    /// behind `gate`'s final check when there is one.
    func send(_ deliveries: [ChannelDelivery], gate: (any LeaseGate)? = nil) async -> ChannelOutcome {
        guard let delivery = deliveries.first else {
            return .permanentFailure(ChannelFailure(code: "mail.envelope", message: "an empty message"))
        }
        guard case .mail(let channel) = delivery.route else {
            return .permanentFailure(ChannelFailure(code: "mail.route", message: "route \(delivery.route) is not mail"))
        }
        let message: MailMessage
        do {
            let reminders = deliveries.map(\.reminder)
            let date = delivery.reminder.digestSlot ?? delivery.reminder.fireAt
            message = try composer.composeDigest(reminders, via: channel, date: date)
        } catch {
            return .permanentFailure(ChannelFailure(code: "mail.compose", message: "\(error)", underlying: error))
        }
        let deliverer = self.deliverer
        let recipient = delivery.reminder.recipient
        do {
            guard let gate else {
                try await executor.run { try deliverer.deliver(message, to: recipient, via: channel) }
                return .delivered
            }
            let attempted = try await executor.run { try deliverer.deliver(message, to: recipient, via: channel, gate: gate) }
            return attempted ? .delivered : .temporaryFailure(.leaseRefused, retryAfter: nil)
        } catch let error as DeliveryError {
            let failure = ChannelFailure(code: "mail.\(error.code.rawValue)", message: "\(error)", underlying: error)
            return error.isTemporary ? .temporaryFailure(failure, retryAfter: nil) : .permanentFailure(failure)
        } catch {
            return .temporaryFailure(ChannelFailure(code: "mail.stopped", message: "the executor has shut down"), retryAfter: nil)
        }
    }

    public func reconcile(_ delivery: ChannelDelivery) async -> Reconciliation {
        guard case .mail(let channel) = delivery.route else { return .notFound }
        let id = delivery.messageID ?? composer.messageID(for: delivery.reminder)
        let deliverer = self.deliverer
        let recipient = delivery.reminder.recipient
        let found = try? await executor.run { deliverer.alreadyDelivered(messageID: id, to: recipient, via: channel) }
        return found == true ? .alreadyThere : .notFound
    }
}
