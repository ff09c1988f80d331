import DutyAPI

/// What the query server asks of the daemon. The daemon implements it over its scheduler, status and ledger
/// (`DaemonBackend`); tests implement it with fixed data.
///
/// Calls are `async` and must not block the calling thread: a backend that does blocking I/O (a ledger in
/// SQLite) hands it to a `BlockingExecutor`, as the daemon's `Ledger` does. Swift's cooperative pool has one
/// thread per core; a handler that blocks one stalls every route (docs/reliability.md, finding 10).
public protocol DutyQueryBackend: Sendable {
    /// Notices in a window, filtered and paged.
    func upcoming(_ query: UpcomingQuery) async throws -> UpcomingPage
    func duties() async throws -> DutyList
    func duty(id: String) async throws -> DutyDetail
    func occurrence(id: String) async throws -> OccurrenceDetail
    /// Records an acknowledgement. The backend checks that a caller who is not an administrator acknowledges
    /// only an occurrence of a duty that reaches the caller's own person, and records the peer uid.
    func acknowledge(occurrenceID: String, request: AcknowledgeRequest, peer: Peer) async throws -> AcknowledgeResponse
    /// Unacknowledged occurrences past their grace period in the last `query.days` days (default 30).
    func overdue(_ query: UpcomingQuery) async throws -> OverdueList
    func status() async throws -> StatusReport
    /// Loads the schedules again and reports the result once it is in effect.
    func reload(peer: Peer) async throws -> ReloadResult
    /// Prometheus text exposition of the daemon's metrics, the server's own included (`ServerMetrics`).
    func metrics() async throws -> String
}

/// A refusal or failure of a backend call. `DutyServer` turns the code into the HTTP status, in one place.
public struct DutyQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case badRequest
        case forbidden
        case notFound
        case conflict
        case unavailable
        case internalError
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
