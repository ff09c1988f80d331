import CoreMetrics
import DutyCore
import Foundation
import Synchronization

/// The daemon's gauges on `/metrics`, recorded through swift-metrics (the factory is swift-prometheus's, on the
/// backend's registry) and brought up to date at each scrape.
final class DaemonGauges: Sendable {
    let info: Gauge
    let duties: Gauge
    let loads: CoreMetrics.Counter
    /// Loads already counted into `loads`.
    private let countedLoads = Atomic<Int>(0)
    let lastReloadSuccess: Gauge
    let ledgerRows: [DeliveryState: Gauge]
    let nextFire: Gauge
    let uptime: Gauge

    init(factory: any MetricsFactory) {
        info = Gauge(label: "dutyd_info", dimensions: [("version", DutyCore.version)], factory: factory)
        duties = Gauge(label: "dutyd_duties", dimensions: [], factory: factory)
        loads = Counter(label: "dutyd_schedule_loads_total", dimensions: [], factory: factory)
        lastReloadSuccess = Gauge(label: "dutyd_last_reload_success", dimensions: [], factory: factory)
        var rows: [DeliveryState: Gauge] = [:]
        for state in DeliveryState.allCases {
            rows[state] = Gauge(label: "dutyd_ledger_rows", dimensions: [("state", state.rawValue)], factory: factory)
        }
        ledgerRows = rows
        nextFire = Gauge(label: "dutyd_next_fire_timestamp_seconds", dimensions: [], factory: factory)
        uptime = Gauge(label: "dutyd_uptime_seconds", dimensions: [], factory: factory)
        info.record(1)
    }

    func update(status: DaemonStatus.Snapshot, duties count: Int, ledger: [DeliveryState: Int], uptime elapsed: Duration) {
        duties.record(count)
        let counted = countedLoads.exchange(status.reloads, ordering: .relaxed)
        if status.reloads > counted { loads.increment(by: status.reloads - counted) }
        lastReloadSuccess.record(status.lastReloadOK ? 1 : 0)
        for (state, gauge) in ledgerRows { gauge.record(ledger[state] ?? 0) }
        nextFire.record(status.nextFire.map { Int64($0.timeIntervalSince1970) } ?? 0)
        uptime.record(elapsed.components.seconds)
    }
}
