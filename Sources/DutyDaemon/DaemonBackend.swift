import DutyAPI
import DutyCore
import DutyServer
import Foundation
import Prometheus
import CoreMetrics

/// The daemon's answers to the query socket, over the planner the scheduler published, the status and the
/// ledger. Ledger calls run on the daemon's blocking pool (inside the `Ledger`); plan queries are computation on
/// the caller's task.
final class DaemonBackend: DutyQueryBackend {
    let publication: PlanPublication
    let inbox: SchedulerInbox
    let daemonStatus: DaemonStatus
    let ledger: any Ledger
    let clock: any DaemonClock
    let configuration: DaemonConfiguration
    let socketPath: String
    let socketActivated: Bool
    let started = ContinuousClock.now
    let index = UpcomingIndex()
    /// Rankings, interviews, problems and bulletins.
    let triggers: TriggerEngine
    let metricsRegistry = PrometheusCollectorRegistry()
    /// What the reports and pages keep between requests (DaemonBackend+Reports.swift).
    let reportCache = ReportCache()
    let gauges: DaemonGauges
    /// This instance's role among those sharing the ledger.
    let leadership: any Leadership

    init(
        publication: PlanPublication, inbox: SchedulerInbox, status: DaemonStatus, ledger: any Ledger,
        clock: any DaemonClock, configuration: DaemonConfiguration, triggers: TriggerEngine, socketPath: String,
        socketActivated: Bool, leadership: any Leadership
    ) {
        self.leadership = leadership
        self.publication = publication
        self.inbox = inbox
        self.daemonStatus = status
        self.ledger = ledger
        self.clock = clock
        self.configuration = configuration
        self.triggers = triggers
        self.socketPath = socketPath
        self.socketActivated = socketActivated
        gauges = DaemonGauges(factory: PrometheusMetricsFactory(registry: metricsRegistry))
    }

    /// The plan's time zone (from the schedule files): the default for showing instants.
    var zone: TimeZone { publication.current.base.timeZone }

    /// A ledger error as the socket's answer: unavailable for what may pass (a lock, a full disk), an internal
    /// error otherwise.
    func answer<T>(_ body: () async throws(LedgerError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            switch error.remedy {
            case .retry: throw DutyQueryError(.unavailable, "the ledger is busy or unavailable; try again")
            case .fixRequest where error.code == .notFound: throw DutyQueryError(.notFound, error.message)
            default: throw DutyQueryError(.internalError, "ledger error (\(error.code))")
            }
        }
    }

    static let utc = TimeZone(identifier: "UTC")!

    // MARK: - Reading

    func upcoming(_ query: UpcomingQuery) async throws -> UpcomingPage {
        let snapshot = publication.current
        let schedules = snapshot.planner.schedules
        try checkFilters(query, schedules)
        let (start, end) = try query.window(now: clock.now(), defaultZone: schedules.timeZone)
        let mask = index.dutyMask(snapshot, person: query.person, role: query.role)
        var kindMask = [Bool](repeating: false, count: ReminderKind.allCases.count)
        for kind in query.kinds.compactMap(ReminderKind.init(rawValue:)) { kindMask[Int(kind.code)] = true }
        let (window, range) = index.notices(snapshot, after: start, through: end)
        let only = query.duty.flatMap { index.positions(snapshot)[$0] }
        var total = 0
        var items: [OccurrenceEntry] = []
        items.reserveCapacity(min(query.limit, 1000))
        // Without duty, person or role filters the total comes from per-kind counts, and the scan stops once
        // the page is full.
        let unfiltered = only == nil && mask == nil && query.duty == nil
        let wanted = query.offset + query.limit
        window.kind.withUnsafeBufferPointer { kinds in
            window.duty.withUnsafeBufferPointer { duties in
                for i in range {
                    guard kindMask[Int(kinds[i])] else { continue }
                    let position = Int(duties[i])
                    if let only, duties[i] != only { continue }
                    if let mask, position < 0 || !mask[position] { continue }
                    if total >= query.offset && items.count < query.limit && position >= 0 {
                        items.append(OccurrenceEntry(notice: window.notices[i], duty: schedules.duties[position]))
                    }
                    total += 1
                    if unfiltered && total >= wanted { break }
                }
            }
        }
        if unfiltered {
            total = kindMask.indices.filter { kindMask[$0] }.reduce(0) { $0 + window.count(kind: $1, in: range) }
        }
        let next = query.offset + items.count < total ? query.offset + items.count : nil
        return UpcomingPage(
            from: TimeFormatting.iso8601(start, in: Self.utc), to: TimeFormatting.iso8601(end, in: Self.utc), total: total,
            offset: query.offset, limit: query.limit, nextOffset: next, items: items)
    }

    func overdue(_ query: UpcomingQuery) async throws -> OverdueList {
        let snapshot = publication.current
        let schedules = snapshot.planner.schedules
        try checkFilters(query, schedules)
        let now = clock.now()
        let start = query.start(defaultZone: schedules.timeZone) ?? now.addingTimeInterval(-Double(query.days ?? 30) * 86_400)
        let end = min(query.end(defaultZone: schedules.timeZone) ?? now, now)
        guard end.timeIntervalSince(start) <= Double(UpcomingQuery.maximumDays) * 86_400 + 1 else {
            throw DutyQueryError(.badRequest, "the window may span at most \(UpcomingQuery.maximumDays) days")
        }
        let mask = index.dutyMask(snapshot, person: query.person, role: query.role)
        var notices: [Notice] = []
        for (position, duty) in schedules.duties.enumerated() where duty.needsAcknowledgement {
            if let id = query.duty, duty.id != id { continue }
            if let mask, !mask[position] { continue }
            snapshot.planner.appendNotices(of: duty, after: start, through: end, into: &notices)
        }
        notices = notices.filter { $0.kind == .overdue }.sorted { ($0.fireAt, $0.dutyID) < ($1.fireAt, $1.dutyID) }
        var items: [OccurrenceEntry] = []
        // Acknowledgements are looked up a chunk at a time, until the page is full.
        var next = 0
        while next < notices.count && items.count < query.limit {
            let chunk = notices[next..<min(next + 500, notices.count)]
            next += chunk.count
            let ids = Set(chunk.map { $0.occurrenceID.description })
            let acknowledged = try await answer { () throws(LedgerError) in try await ledger.acknowledged(among: ids) }
            for notice in chunk {
                guard let duty = schedules.duty(id: notice.dutyID),
                    !acknowledged.contains(notice.occurrenceID.description)
                else { continue }
                items.append(OccurrenceEntry(notice: notice, duty: duty, acknowledged: false))
                if items.count >= query.limit { break }
            }
        }
        return OverdueList(items: items)
    }

    func duties() async throws -> DutyList {
        DutyList(duties: publication.current.planner.schedules.duties.map { DutySummary($0) })
    }

    func duty(id: String) async throws -> DutyDetail {
        let planner = publication.current.planner
        guard let duty = planner.schedules.duty(id: id) else { throw DutyQueryError(.notFound, "no duty '\(id)'") }
        // The next five as changes left them: moved ones at their new time, extra ones included, cancelled ones not.
        let next = planner.nextOccurrences(of: duty, after: clock.now(), count: 5).map {
            DutyDetail.NextOccurrence(occurrenceId: $0.id.description, at: TimeFormatting.iso8601($0.at, in: duty.timeZone))
        }
        return DutyDetail(
            duty: DutySummary(duty), description: duty.description, timeZone: duty.timeZone.identifier,
            warnings: duty.warnings.map(\.description), graceSeconds: duty.grace, escalation: duty.escalation, next: next)
    }

    func occurrence(id: String) async throws -> OccurrenceDetail {
        let (duty, planned) = try resolveOccurrence(id)
        let id = planned.id.description
        let at = planned.at
        let acks = try await answer { () throws(LedgerError) in try await ledger.acknowledgements(occurrenceID: id) }
        let deliveries = try await answer { () throws(LedgerError) in try await ledger.deliveries(occurrenceID: id) }
        let zone = duty.timeZone
        let planner = publication.current.planner
        var detail = OccurrenceDetail(
            occurrenceId: id, duty: duty.id, title: duty.title, clause: duty.clause,
            occurrence: TimeFormatting.iso8601(at, in: zone),
            overdueAt: duty.needsAcknowledgement ? TimeFormatting.iso8601(at.addingTimeInterval(duty.grace), in: zone) : nil,
            needsAcknowledgement: duty.needsAcknowledgement, acknowledged: !acks.isEmpty, responsible: duty.responsible,
            recipients: duty.recipients,
            acknowledgements: acks.map {
                .init(person: $0.who, uid: $0.peerUID, note: $0.note, at: TimeFormatting.iso8601($0.at, in: zone))
            },
            deliveries: deliveries.map {
                .init(
                    kind: $0.reminder.offsetLabel.isEmpty ? $0.kind.rawValue : "\($0.kind.rawValue) \($0.reminder.offsetLabel)",
                    recipient: $0.recipientID, channel: $0.channel, state: $0.state.rawValue, attempts: $0.attempts,
                    fireAt: TimeFormatting.iso8601($0.fireAt, in: zone), lastError: $0.lastError)
            })
        detail.status = planned.status.rawValue
        detail.scheduled = planned.movedFrom.map { TimeFormatting.iso8601($0, in: zone) }
        detail.revision = planner.changes.revision(of: planned.id.description)
        detail.pausedBy = planned.pausedBy
        let orphans = Dictionary(planner.orphanedChanges.map { ($0.change.id, $0.reason) }, uniquingKeysWith: { a, _ in a })
        detail.changes = planner.changes.history(of: planned.id).map { ChangeItem($0, zone: zone, orphaned: orphans[$0.id]) }
        return detail
    }

    func status() async throws -> StatusReport {
        let s = daemonStatus.snapshot
        let zone = self.zone
        let counts = try await answer { () throws(LedgerError) in try await ledger.counts() }
        var ledgerCounts: [String: Int] = [:]
        for state in DeliveryState.allCases { ledgerCounts[state.rawValue] = counts[state] ?? 0 }
        let uptime = ContinuousClock.now - started
        return StatusReport(
            version: DutyCore.version, now: TimeFormatting.iso8601(clock.now(), in: zone),
            clock: clock.isSimulated ? "simulated x\(configuration.clockRate)" : "system",
            uptimeSeconds: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
            schedules: .init(directories: configuration.scheduleDirectories, files: s.files),
            duties: publication.current.planner.schedules.duties.count,
            nextDue: s.nextFire.map { .init(at: TimeFormatting.iso8601($0, in: zone), title: s.nextTitle) },
            lastReload: .init(ok: s.lastReloadOK, errors: s.lastReloadErrors, count: s.reloads), ledger: ledgerCounts,
            socket: socketPath, socketActivated: socketActivated, instance: Self.instanceReport(leadership.status()))
    }

    static func instanceReport(_ l: LeadershipStatus) -> StatusReport.Instance {
        StatusReport.Instance(
            role: l.role.rawValue, id: l.instance, leader: l.leader, epoch: l.epoch, database: l.database,
            scheduleDigest: l.scheduleDigest, leaderScheduleDigest: l.schedulesDiffer ? l.leaderScheduleDigest : nil,
            schedulesDiffer: l.schedulesDiffer, acquisitions: l.acquisitions, windowBreaches: l.windowBreaches,
            longestWindowSeconds: l.longestWindow)
    }

    func metrics() async throws -> String {
        let counts = try await answer { () throws(LedgerError) in try await ledger.counts() }
        gauges.update(
            status: daemonStatus.snapshot, duties: publication.current.planner.schedules.duties.count, ledger: counts,
            uptime: ContinuousClock.now - started)
        gauges.update(leadership: leadership.status())
        return metricsRegistry.emitToString()
    }

    // MARK: - Changing

    func acknowledge(occurrenceID: String, request: AcknowledgeRequest, peer: Peer) async throws -> AcknowledgeResponse {
        let (duty, _) = try resolveOccurrence(occurrenceID)
        let schedules = publication.current.planner.schedules
        let concerned = schedules.persons(for: duty.recipients + duty.responsible)
        let own = peer.account.flatMap { schedules.person(account: $0) }
        let who: String
        if let person = request.person {
            guard schedules.person(id: person) != nil else { throw DutyQueryError(.notFound, "no person '\(person)'") }
            guard peer.isAdmin || own?.id == person else {
                throw DutyQueryError(.forbidden, "only root and the admin group may acknowledge for another person")
            }
            who = person
        } else if let own {
            who = own.id
        } else if peer.isAdmin {
            who = peer.account ?? "uid:\(peer.uid)"
        } else {
            throw DutyQueryError(.forbidden, "account \(peer.account ?? "uid \(peer.uid)") is not mapped to a person in the schedules")
        }
        if !peer.isAdmin && !concerned.contains(where: { $0.id == who }) {
            throw DutyQueryError(.forbidden, "\(who) is not responsible for or a recipient of \(duty.id)")
        }
        let now = clock.now()
        let note = request.note
        let recorded = try await answer { () throws(LedgerError) in
            try await ledger.acknowledge(occurrenceID: occurrenceID, by: who, uid: peer.uid, note: note, at: now)
        }
        if recorded {
            try await answer { () throws(LedgerError) in
                try await ledger.logEvent(
                    actorUID: peer.uid, action: "acknowledge", details: ["occurrence": occurrenceID, "person": who], at: now)
            }
        }
        let count = try await answer { () throws(LedgerError) in try await ledger.acknowledgements(occurrenceID: occurrenceID).count }
        return AcknowledgeResponse(occurrenceId: occurrenceID, person: who, recorded: recorded, acknowledgements: count)
    }

    func reload(peer: Peer) async throws -> ReloadResult {
        let outcome = await inbox.reload()
        if outcome.stopping { throw DutyQueryError(.unavailable, "the daemon is stopping") }
        let now = clock.now()
        try await answer { () throws(LedgerError) in
            try await ledger.logEvent(
                actorUID: peer.uid, action: "reload",
                details: ["ok": String(outcome.ok), "duties": String(outcome.duties), "errors": String(outcome.errors.count)],
                at: now)
        }
        return ReloadResult(ok: outcome.ok, duties: outcome.duties, errors: outcome.errors, warnings: outcome.warnings)
    }

    // MARK: - Helpers

    /// The duty of an occurrence id and the occurrence as changes left it: one of the duty's occurrences, or an
    /// extra one (`dutyctl add`).
    func resolveOccurrence(_ id: String, in planner: Planner? = nil) throws -> (Duty, PlannedOccurrence) {
        let occurrence: OccurrenceID
        do {
            occurrence = try OccurrenceID(parsing: id)
        } catch {
            throw DutyQueryError(.badRequest, "\(error.message): occurrence ids look like <duty id>@<unix seconds>")
        }
        let planner = planner ?? publication.current.planner
        guard let duty = planner.schedules.duty(id: occurrence.duty) else {
            throw DutyQueryError(.notFound, "no duty '\(occurrence.duty)'")
        }
        guard let planned = planner.plannedOccurrence(occurrence) else {
            let at = occurrence.instant
            throw DutyQueryError(.notFound, "\(duty.id) has no occurrence at \(TimeFormatting.iso8601(at, in: duty.timeZone))")
        }
        return (duty, planned)
    }

    /// The daemon refuses an unknown person, role or duty with 404, in the words the CLI uses too.
    func checkFilters(_ query: UpcomingQuery, _ schedules: ScheduleSet) throws {
        do {
            try query.filter.validate(against: schedules)
        } catch {
            throw DutyQueryError(.notFound, error.description)
        }
    }
}
