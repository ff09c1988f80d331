import DutyCore
import Foundation
import Synchronization

/// The journal as a `ReminderChannel`: one structured entry per reminder (`JournalWriter.fields(for:)`), sent
/// with `sd_journal_sendv` on the daemon's blocking executor, a batch per hop.
///
/// Reconciliation asks the journal for an entry with the row's `DUTY_KEY`, this ledger's `DUTY_LEDGER` and this
/// process's `_UID`. journald stores entries asynchronously, so before the first such question the channel sends
/// a marker and waits (on journal notifications, at most `synchronizationTimeout`) until it is visible: journald
/// handles its socket in order, so every entry an earlier process sent is stored by then.
public final class JournalChannel: ReminderChannel {
    public let kind: ChannelKind = .journal
    public let batchLimit = 256
    public let writer: JournalWriter
    let executor: any BlockingExecutor
    /// Whether the marker was seen (reconciliation may trust a "not found" from then on).
    private let synchronized = Mutex(false)
    public let synchronizationTimeout: Duration
    /// Called when the journal cannot be reached, with the reminder's fields (the daemon writes them to stderr,
    /// which systemd also collects, so the reminder is visible somewhere while the row waits for its retry).
    let onUnavailable: @Sendable ([JournalField], JournalError) -> Void

    public init(
        writer: JournalWriter, executor: any BlockingExecutor, synchronizationTimeout: Duration = .seconds(10),
        collectorDirectory: String? = nil,
        onUnavailable: @escaping @Sendable ([JournalField], JournalError) -> Void = { fields, _ in
            JournalWriter().writeToStderr(fields: fields)
        }
    ) {
        self.writer = writer
        self.executor = executor
        self.synchronizationTimeout = synchronizationTimeout
        self.onUnavailable = onUnavailable
        self.collectorDirectory = collectorDirectory
    }

    /// A temporary failure asks for a retry after this long (journald restarting takes about a second).
    static let retryHint: Duration = .seconds(1)

    /// A journal directory of other hosts' entries (a systemd-journal-remote collector's, e.g.
    /// `/var/log/journal/remote`), also asked by reconciliation; nil: this host's journal only. Forwarding is
    /// asynchronous, so "not there" from it is not proof (docs/lease-protocol.md 3.8: class R).
    public let collectorDirectory: String?

    public func deliver(_ batch: [ChannelDelivery]) async -> [ChannelOutcome] {
        await deliver(batch, gate: nil)
    }

    /// Each entry is sent only if `gate` allows it, checked immediately before its `sd_journal_sendv`; once
    /// refused, the rest of the batch is not attempted.
    public func deliver(_ batch: [ChannelDelivery], gate: any LeaseGate) async -> [ChannelOutcome] {
        await deliver(batch, gate: Optional(gate))
    }

    func deliver(_ batch: [ChannelDelivery], gate: (any LeaseGate)?) async -> [ChannelOutcome] {
        let writer = self.writer
        let onUnavailable = self.onUnavailable
        do {
            return try await executor.run {
                var refused = false
                return batch.map { delivery -> ChannelOutcome in
                    if refused { return .temporaryFailure(.leaseRefused, retryAfter: nil) }
                    let fields = writer.fields(for: delivery.reminder)
                    do throws(JournalError) {
                        if let gate {
                            guard try gate.withPermit({ () throws(JournalError) in try writer.send(fields: fields) }) != nil else {
                                refused = true
                                return .temporaryFailure(.leaseRefused, retryAfter: nil)
                            }
                        } else {
                            try writer.send(fields: fields)
                        }
                        return .delivered
                    } catch {
                        onUnavailable(fields, error)
                        let failure = ChannelFailure(code: "journal.\(error.code)", message: "\(error)", underlying: error)
                        return error.code == .invalidField
                            ? .permanentFailure(failure) : .temporaryFailure(failure, retryAfter: Self.retryHint)
                    }
                }
            }
        } catch {
            let failure = ChannelFailure(code: "journal.stopped", message: "the executor has shut down")
            return batch.map { _ in .temporaryFailure(failure, retryAfter: nil) }
        }
    }

    public func reconcile(_ delivery: ChannelDelivery) async -> Reconciliation {
        let writer = self.writer
        let timeout = synchronizationTimeout
        let needsSync = !synchronized.withLock { $0 }
        let collector = collectorDirectory
        let found: Bool? = try? await executor.run { [self] in
            if needsSync, Self.synchronize(writer, timeout: timeout) { self.synchronized.withLock { $0 = true } }
            if writer.contains(key: delivery.reminder.key, since: Date(timeIntervalSince1970: 0)) { return true }
            guard let collector else { return false }
            return (try? writer.lookup(key: delivery.reminder.key, inDirectory: collector)) ?? false
        }
        return found == true ? .alreadyThere : .notFound
    }

    /// A new term of leadership: the next reconciliation sends a new marker first, so that every entry another
    /// instance of this host sent before this one took the lease is visible to it.
    public func beginTerm() async {
        synchronized.withLock { $0 = false }
    }

    /// Sends a marker and waits until the journal shows it.
    static func synchronize(_ writer: JournalWriter, timeout: Duration) -> Bool {
        let marker = "sync-\(UUID().uuidString)"
        do {
            try writer.send(fields: [
                JournalField("MESSAGE", "dutyd: checking the journal before reconciling deliveries"),
                JournalField("PRIORITY", "7"), JournalField("DUTY_KEY", marker),
            ])
            return try writer.waitUntilVisible(key: marker, since: Date(timeIntervalSinceNow: -60), timeout: timeout)
        } catch {
            return false
        }
    }
}

/// The journal channel of a daemon run without journald (`dutyd --no-journal`, tests): each reminder's entry
/// goes to standard error as one line of `NAME=value` fields, which systemd collects as the unit's output.
/// Nothing can be looked up again, so reconciliation finds nothing and the line is written again.
public struct StderrJournalChannel: ReminderChannel {
    public let kind: ChannelKind = .journal
    public let batchLimit = 256
    let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.write = write
    }

    public func deliver(_ batch: [ChannelDelivery]) async -> [ChannelOutcome] {
        let writer = JournalWriter()
        return batch.map { delivery in
            write(writer.stderrLine(fields: writer.fields(for: delivery.reminder)))
            return .delivered
        }
    }

    public func reconcile(_ delivery: ChannelDelivery) async -> Reconciliation { .notFound }
}
