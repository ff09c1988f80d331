import DutyCore
import Foundation

/// Mail as a `ReminderChannel`: composes each reminder (`MailComposer`) and hands it to a `MailDeliverer` on the
/// daemon's blocking executor. One instance per kind: `mbox` (`MboxDeliverer`), `maildir` (`MaildirDeliverer`),
/// `sendmail` (`SendmailDeliverer`).
///
/// Outcomes: a composition error is permanent (the reminder cannot become a valid message); a deliverer error is
/// temporary or permanent as the deliverer classifies it (`DeliveryError.isTemporary`). Reconciliation looks for
/// the reminder's deterministic Message-ID in the mailbox; sendmail cannot look, so a row left `delivering` is
/// sent again with the same Message-ID (the MTA or the reader can drop the second copy).
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

    public func deliver(_ batch: [ChannelDelivery]) async -> [ChannelOutcome] {
        var outcomes: [ChannelOutcome] = []
        outcomes.reserveCapacity(batch.count)
        // One executor hop per message: each is its own lock, append and fsync (or MTA run), and a long batch on
        // one thread would hold it for seconds.
        for delivery in batch {
            outcomes.append(await deliver(delivery))
        }
        return outcomes
    }

    public func deliver(_ batch: [ChannelDelivery], gate: any LeaseGate) async -> [ChannelOutcome] {
        var outcomes: [ChannelOutcome] = []
        outcomes.reserveCapacity(batch.count)
        for delivery in batch {
            // Once refused, the rest is not attempted either.
            if outcomes.last?.isLeaseRefusal == true {
                outcomes.append(.temporaryFailure(.leaseRefused, retryAfter: nil))
                continue
            }
            outcomes.append(await deliver(delivery, gate: gate))
        }
        return outcomes
    }

    func deliver(_ delivery: ChannelDelivery, gate: (any LeaseGate)? = nil) async -> ChannelOutcome {
        guard case .mail(let channel) = delivery.route else {
            return .permanentFailure(ChannelFailure(code: "mail.route", message: "route \(delivery.route) is not mail"))
        }
        let message: MailMessage
        do {
            message = try composer.compose(delivery.reminder, via: channel, date: delivery.reminder.fireAt)
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
        let id = composer.messageID(for: delivery.reminder)
        let deliverer = self.deliverer
        let recipient = delivery.reminder.recipient
        let found = try? await executor.run { deliverer.alreadyDelivered(messageID: id, to: recipient, via: channel) }
        return found == true ? .alreadyThere : .notFound
    }
}
