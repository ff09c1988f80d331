import DutyCore
import Foundation
import Synchronization
import Testing

/// The one conformance suite of the `ReminderChannel` seam, run by every channel's tests (the journal on a real
/// journald, mbox and maildir on real files, sendmail through a real program, the in-memory test channel).
///
/// A channel's test supplies a `Subject`: the channel, a route for a recipient, and a probe that counts how many
/// copies of a reminder really arrived where the recipient reads it (journal entries by `DUTY_KEY`, messages by
/// Message-ID), read independently of the channel's own code.
public enum ChannelConformance {
    public struct Subject: Sendable {
        public var channel: any ReminderChannel
        /// The route of a recipient on this channel.
        public var route: @Sendable (Recipient) -> DeliveryRoute
        /// How many copies of the reminder arrived (waiting, where arrival is asynchronous, until `expected` are
        /// seen or a few seconds passed).
        public var copies: @Sendable (Reminder, _ expected: Int) async throws -> Int
        /// Whether the channel can look for a delivered reminder (sendmail hands mail on and cannot).
        public var canReconcile: Bool
        /// Recipients the channel can deliver to (accounts and addresses that exist for the test).
        public var recipients: [Recipient]

        public init(
            channel: any ReminderChannel, recipients: [Recipient], canReconcile: Bool = true,
            route: @escaping @Sendable (Recipient) -> DeliveryRoute,
            copies: @escaping @Sendable (Reminder, Int) async throws -> Int
        ) {
            self.channel = channel
            self.recipients = recipients
            self.canReconcile = canReconcile
            self.route = route
            self.copies = copies
        }
    }

    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        public let run: @Sendable (Subject) async throws -> Void
        public var description: String { name }
    }

    /// A reminder unique to one test run (so probes of a shared journal or spool see only this run's copies).
    public static func reminder(to recipient: Recipient, kind: ReminderKind = .due, title: String = "双周例会") -> Reminder {
        let run = UUID().uuidString.prefix(8).lowercased()
        let t0 = Date(timeIntervalSince1970: 1_537_146_000)
        return Reminder(
            dutyID: "conformance-\(run)", title: title, description: "东川区委召开双周例会。\n请准时参加。", clause: "二(一)1",
            responsible: ["东川区委"], occurrence: t0, timeZoneIdentifier: "Asia/Chongqing", fireAt: t0, kind: kind,
            priority: .normal, recipient: recipient, scheduleFile: "standing.toml")
    }

    public static let cases: [Case] = [
        Case(name: "a batch is delivered, one outcome per delivery in order, one copy each", run: batch),
        Case(name: "reconciliation finds what was delivered and nothing else", run: reconciliation),
        Case(name: "the batch limit is at least one", run: limits),
        Case(name: "hostile text (newlines, quotes, long Chinese text) is delivered whole", run: hostileText),
        Case(name: "envelopes cover a batch once, deterministically; each row is reconciled in its envelope", run: envelopes),
    ]

    static func batch(_ subject: Subject) async throws {
        let reminders = subject.recipients.flatMap { recipient in
            [reminder(to: recipient), reminder(to: recipient, kind: .warning)]
        }
        let deliveries = reminders.map { ChannelDelivery(reminder: $0, route: subject.route($0.recipient), attempt: 1) }
        let outcomes = await subject.channel.deliver(deliveries)
        #expect(outcomes.count == deliveries.count)
        for (reminder, outcome) in zip(reminders, outcomes) {
            #expect(outcome.isSuccess, "\(reminder.key): \(outcome)")
            #expect(try await subject.copies(reminder, 1) == 1, "\(reminder.key)")
        }
    }

    static func reconciliation(_ subject: Subject) async throws {
        let recipient = try #require(subject.recipients.first)
        let sent = reminder(to: recipient)
        let absent = reminder(to: recipient)
        let route = subject.route(recipient)
        #expect(await subject.channel.reconcile(ChannelDelivery(reminder: absent, route: route, attempt: 1)) == .notFound)
        let outcome = await subject.channel.deliver([ChannelDelivery(reminder: sent, route: route, attempt: 1)])
        #expect(outcome.first?.isSuccess == true)
        #expect(try await subject.copies(sent, 1) == 1)
        let found = await subject.channel.reconcile(ChannelDelivery(reminder: sent, route: route, attempt: 2))
        #expect(found == (subject.canReconcile ? .alreadyThere : .notFound))
        #expect(await subject.channel.reconcile(ChannelDelivery(reminder: absent, route: route, attempt: 1)) == .notFound)
        #expect(try await subject.copies(absent, 0) == 0)
    }

    static func limits(_ subject: Subject) async throws {
        #expect(subject.channel.batchLimit >= 1)
        #expect(await subject.channel.deliver([]).isEmpty)
    }

    /// Three reminders that may share a digest (one recipient, kind and instant) and one that may not: every
    /// delivery is in exactly one envelope; an envelope's own deliveries pack to the same envelope and id (what
    /// the pipeline records before sending is what the channel sends); all are delivered; each is found again by
    /// the id of its envelope, and the one outside the digest arrives as its own message.
    static func envelopes(_ subject: Subject) async throws {
        let recipient = try #require(subject.recipients.first)
        let route = subject.route(recipient)
        var grouped: [Reminder] = []
        for title in ["入户走访：甲户", "入户走访：乙户", "入户走访：丙户"] {
            var r = reminder(to: recipient, title: title)
            r.digest = .instant
            grouped.append(r)
        }
        let alone = reminder(to: recipient, kind: .warning)
        let deliveries = (grouped + [alone]).map { ChannelDelivery(reminder: $0, route: route, attempt: 1) }
        let packed = subject.channel.envelopes(deliveries)
        #expect(packed.flatMap(\.members).sorted() == Array(deliveries.indices))
        for envelope in packed {
            let again = subject.channel.envelopes(envelope.members.map { deliveries[$0] })
            #expect(again.count == 1 && again.first?.members.count == envelope.members.count)
            #expect(again.first?.messageID == envelope.messageID)
        }
        let outcomes = await subject.channel.deliver(deliveries)
        #expect(outcomes.count == deliveries.count && outcomes.allSatisfy(\.isSuccess), "\(outcomes)")
        for envelope in packed {
            for member in envelope.members {
                var delivery = deliveries[member]
                delivery.messageID = envelope.messageID
                delivery.attempt = 2
                let found = await subject.channel.reconcile(delivery)
                #expect(found == (subject.canReconcile ? .alreadyThere : .notFound), "\(delivery.reminder.key)")
            }
        }
        #expect(try await subject.copies(alone, 1) == 1)
    }

    static func hostileText(_ subject: Subject) async throws {
        let recipient = try #require(subject.recipients.first)
        var r = reminder(to: recipient, title: "\"<script>alert(1)</script>\"\r\nBcc: evil@example.org " + String(repeating: "扶贫", count: 300))
        r.description = String(repeating: "第一行\n\u{0}第二行 ", count: 200)
        let outcome = await subject.channel.deliver([ChannelDelivery(reminder: r, route: subject.route(recipient), attempt: 1)])
        #expect(outcome.first?.isSuccess == true, "\(outcome)")
        #expect(try await subject.copies(r, 1) == 1)
    }
}

/// A channel in memory, for unit tests of the pipeline: it keeps what it delivered, and a test can script
/// failures per reminder key and make `reconcile` find or miss a reminder.
public final class InMemoryChannel: ReminderChannel {
    public let kind: ChannelKind
    public let batchLimit: Int
    private let state = Mutex(State())

    struct State {
        var delivered: [String] = []
        var script: [String: [ChannelOutcome]] = [:]
        var calls = 0
        var onDeliver: (@Sendable (ChannelDelivery) -> Void)?
    }

    public init(kind: ChannelKind = "memory", batchLimit: Int = 100) {
        self.kind = kind
        self.batchLimit = batchLimit
    }

    /// The outcomes the next deliveries of this reminder key get, in order (then `.delivered`).
    public func script(_ key: String, _ outcomes: [ChannelOutcome]) {
        state.withLock { $0.script[key, default: []] += outcomes }
    }

    /// Called for each delivery before its outcome is decided (a test can stop the daemon there).
    public func onDeliver(_ body: @escaping @Sendable (ChannelDelivery) -> Void) {
        state.withLock { $0.onDeliver = body }
    }

    /// Pretends an earlier process delivered this reminder (for reconciliation).
    public func preload(_ key: String) { state.withLock { $0.delivered.append(key) } }

    /// The keys delivered, in order, with repeats.
    public var delivered: [String] { state.withLock { $0.delivered } }
    /// How many `deliver` calls were made.
    public var calls: Int { state.withLock { $0.calls } }

    public func deliver(_ batch: [ChannelDelivery]) async -> [ChannelOutcome] {
        precondition(batch.count <= batchLimit, "the pipeline passed more than the batch limit")
        let hook = state.withLock { $0.calls += 1; return $0.onDeliver }
        return batch.map { delivery in
            hook?(delivery)
            return state.withLock { s in
                let key = delivery.reminder.key
                if var queued = s.script[key], !queued.isEmpty {
                    let next = queued.removeFirst()
                    s.script[key] = queued
                    if case .delivered = next { s.delivered.append(key) }
                    return next
                }
                s.delivered.append(key)
                return .delivered
            }
        }
    }

    public func reconcile(_ delivery: ChannelDelivery) async -> Reconciliation {
        state.withLock { $0.delivered.contains(delivery.reminder.key) } ? .alreadyThere : .notFound
    }
}

