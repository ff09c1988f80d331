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
    let leader: Gauge
    let leaseEpoch: Gauge
    let leaseAcquisitions: Gauge
    let schedulesDiffer: Gauge
    let windowBreaches: Gauge
    let longestWindow: Gauge
    let factory: any MetricsFactory
    /// `dutyd_instance_info{role, database}`: the labels change with the role, so the last series is set to 0.
    private let instanceInfo = Mutex<(labels: [String], gauge: Gauge?)>(([], nil))

    init(factory: any MetricsFactory) {
        self.factory = factory
        leader = Gauge(label: "dutyd_leader", dimensions: [], factory: factory)
        leaseEpoch = Gauge(label: "dutyd_lease_epoch", dimensions: [], factory: factory)
        leaseAcquisitions = Gauge(label: "dutyd_lease_acquisitions", dimensions: [], factory: factory)
        schedulesDiffer = Gauge(label: "dutyd_schedules_differ_from_leader", dimensions: [], factory: factory)
        windowBreaches = Gauge(label: "dutyd_lease_window_breaches", dimensions: [], factory: factory)
        longestWindow = Gauge(label: "dutyd_lease_window_longest_seconds", dimensions: [], factory: factory)
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

    /// The instance's role among those sharing the ledger: `dutyd_leader` 1 while it leads (always, alone).
    func update(leadership l: LeadershipStatus) {
        leader.record(l.role == .follower ? 0 : 1)
        leaseEpoch.record(l.epoch)
        leaseAcquisitions.record(l.acquisitions)
        schedulesDiffer.record(l.schedulesDiffer ? 1 : 0)
        windowBreaches.record(l.windowBreaches)
        longestWindow.record(l.longestWindow)
        let labels = [l.role.rawValue, l.database, l.leader ?? ""]
        let factory = self.factory
        instanceInfo.withLock { current in
            guard current.labels != labels else { return }
            current.gauge?.record(0)
            let gauge = Gauge(
                label: "dutyd_instance_info",
                dimensions: [("role", labels[0]), ("database", labels[1]), ("leader", labels[2])], factory: factory)
            gauge.record(1)
            current = (labels, gauge)
        }
    }
}
