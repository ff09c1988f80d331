import DutyCore
import Foundation
import Logging
import PostgresNIO

/// Everything of one instance's PostgreSQL ledger: the connection pool, the `PostgresLedger`, the
/// `PostgresLease` (its `Leadership`), and the listener that learns of other instances' changes through
/// `LISTEN`/`NOTIFY` instead of polling.
///
/// ```swift
/// let backend = try PostgresBackend(configuration: c, instance: id, host: machineID, logger: logger)
/// try await backend.run {
///     try await backend.migrate()
///     … backend.ledger, backend.lease, backend.changes …
/// }
/// ```
public final class PostgresBackend: Sendable {
    public let configuration: PostgresStoreConfiguration
    public let ledger: PostgresLedger
    public let lease: PostgresLease
    let connector: PostgresConnector
    let logger: Logger
    /// What other instances changed (`events`: rankings or problems; `ack`: an acknowledgement; `planChanges`: a
    /// change to the plan), one element per notification, from the listener.
    public let changes: AsyncStream<Change>
    let changesContinuation: AsyncStream<Change>.Continuation

    /// A change another instance announced.
    public enum Change: String, Sendable {
        case events
        case ack
        /// A change to the plan (move, cancel, …) was recorded (`Ledger.recordChange`).
        case planChanges = "changes"
    }

    /// - Parameters:
    ///   - instance: this instance's id (`host:state directory`), the lease's holder.
    ///   - host: this host's id (the machine id), recorded in `claimed_by`.
    public init(configuration: PostgresStoreConfiguration, instance: String, host: String, logger: Logger)
        throws(PostgresStoreConfiguration.ConfigurationError)
    {
        self.configuration = configuration
        self.logger = logger
        connector = try PostgresConnector(configuration: configuration, logger: logger)
        lease = PostgresLease(connector: connector, instance: instance, host: host, logger: logger)
        ledger = PostgresLedger(connector: connector, lease: lease)
        (changes, changesContinuation) = AsyncStream.makeStream(of: Change.self, bufferingPolicy: .bufferingNewest(16))
    }

    /// The `NOTIFY` channel of a schema.
    static func notificationChannel(schema: String) -> String { "dutyd_\(schema)" }

    /// Runs the pool and the listener around `body`, and stops them when it returns.
    public func run<T>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await self.connector.run() }
            group.addTask { await self.listen() }
            defer { group.cancelAll() }
            let result = try await body()
            changesContinuation.finish()
            return result
        }
    }

    /// Checks the schema (refusing another application's or a newer dutyd's) and applies missing migrations.
    @discardableResult
    public func migrate() async throws(LedgerError) -> [String] {
        try await connector.probe()
        return try await PostgresSchema.migrate(connector)
    }

    /// `LISTEN dutyd_<schema>` on a connection of its own, again after a lost connection, until cancelled.
    func listen() async {
        let channel = Self.notificationChannel(schema: configuration.schema)
        let me = lease.instance
        var delay: Duration = .milliseconds(250)
        while !Task.isCancelled {
            do {
                try await connector.client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        delay = .milliseconds(250)
                        // A change made while the listener was away is not announced: look once.
                        self.lease.leaseChanged()
                        self.changesContinuation.yield(.events)
                        self.changesContinuation.yield(.planChanges)
                        for try await notification in notifications {
                            self.handle(notification.payload, me: me)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.debug("listener: connection lost, listening again", metadata: ["store.error": "\(error)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }

    func handle(_ payload: String, me: String) {
        let parts = payload.split(separator: " ", maxSplits: 2).map(String.init)
        guard let kind = parts.first else { return }
        switch kind {
        case "acquired", "released":
            lease.leaseChanged()
        case "events", "ack", "changes":
            if parts.count >= 2, parts[1] == me { return }
            if let change = Change(rawValue: kind) { changesContinuation.yield(change) }
        default:
            break
        }
    }
}
