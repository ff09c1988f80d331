import Synchronization

/// The server's own counters, appended to the backend's `/metrics` text.
public final class ServerMetrics: Sendable {
    struct State {
        var responses: [Int: Int] = [:]
        var connectionsOpen = 0
        var connectionsAccepted = 0
        var connectionsRefused = 0
        var connectionsTimedOut = 0
    }

    private let state = Mutex(State())

    public init() {}

    func count(status: Int) { state.withLock { $0.responses[status, default: 0] += 1 } }
    func opened() { state.withLock { $0.connectionsOpen += 1; $0.connectionsAccepted += 1 } }
    func closed() { state.withLock { $0.connectionsOpen -= 1 } }
    func refused() { state.withLock { $0.connectionsRefused += 1 } }
    func timedOut() { state.withLock { $0.connectionsTimedOut += 1 } }

    public var openConnections: Int { state.withLock { $0.connectionsOpen } }

    /// Prometheus text exposition (format 0.0.4).
    public func exposition() -> String {
        let s = state.withLock { $0 }
        var out = "# HELP dutyd_http_responses_total HTTP responses sent on the query socket, by status code.\n"
        out += "# TYPE dutyd_http_responses_total counter\n"
        for (code, n) in s.responses.sorted(by: { $0.key < $1.key }) {
            out += "dutyd_http_responses_total{code=\"\(code)\"} \(n)\n"
        }
        out += "# HELP dutyd_http_connections_open Connections open on the query socket.\n"
        out += "# TYPE dutyd_http_connections_open gauge\ndutyd_http_connections_open \(s.connectionsOpen)\n"
        out += "# HELP dutyd_http_connections_accepted_total Connections accepted.\n"
        out += "# TYPE dutyd_http_connections_accepted_total counter\ndutyd_http_connections_accepted_total \(s.connectionsAccepted)\n"
        out += "# HELP dutyd_http_connections_refused_total Connections closed at once because the limit was reached.\n"
        out += "# TYPE dutyd_http_connections_refused_total counter\ndutyd_http_connections_refused_total \(s.connectionsRefused)\n"
        out += "# HELP dutyd_http_connections_timed_out_total Connections cut off by the header, body or idle timeout.\n"
        out += "# TYPE dutyd_http_connections_timed_out_total counter\ndutyd_http_connections_timed_out_total \(s.connectionsTimedOut)\n"
        return out
    }
}
