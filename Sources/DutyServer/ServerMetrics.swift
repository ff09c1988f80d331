import CoreMetrics
import Prometheus
import Synchronization

/// The server's own metrics (responses by status, connections), recorded through swift-metrics into a Prometheus
/// registry of their own and exposed after the backend's (`DutyQueryBackend.metrics()`), on `/metrics`.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// One counter per status code seen (made on first use).
    private let responses = Mutex<[Int: CoreMetrics.Counter]>([:])
    private let open: Meter
    private let accepted: CoreMetrics.Counter
    private let refusedCounter: CoreMetrics.Counter
    private let timedOutCounter: CoreMetrics.Counter
    private let openCount = Atomic<Int>(0)

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        factory = PrometheusMetricsFactory(registry: registry)
        open = Meter(label: "dutyd_http_connections_open", dimensions: [], factory: factory)
        accepted = Counter(label: "dutyd_http_connections_accepted_total", dimensions: [], factory: factory)
        refusedCounter = Counter(label: "dutyd_http_connections_refused_total", dimensions: [], factory: factory)
        timedOutCounter = Counter(label: "dutyd_http_connections_timed_out_total", dimensions: [], factory: factory)
        open.set(0)
    }

    func count(status: Int) {
        let counter = responses.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = Counter(label: "dutyd_http_responses_total", dimensions: [("code", String(status))], factory: factory)
            counters[status] = counter
            return counter
        }
        counter.increment()
    }

    func opened() {
        openCount.add(1, ordering: .relaxed)
        open.increment()
        accepted.increment()
    }

    func closed() {
        openCount.subtract(1, ordering: .relaxed)
        open.decrement()
    }
    func refused() { refusedCounter.increment() }
    func timedOut() { timedOutCounter.increment() }

    public var openConnections: Int { openCount.load(ordering: .relaxed) }

    /// Prometheus text exposition (format 0.0.4) of the server's metrics.
    public func exposition() -> String { registry.emitToString() }
}
