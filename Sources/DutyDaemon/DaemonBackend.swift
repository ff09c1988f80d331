import DutyAPI
import DutyCore
import DutyServer
import DutyStore
import Foundation

/// The daemon's answers to the query socket, over the scheduler's current planner, the status and the ledger.
final class DaemonBackend: DutyQueryBackend {
    let scheduler: SchedulerService
    let daemonStatus: DaemonStatus
    let store: DutyStore
    let clock: any DaemonClock
    let configuration: DaemonConfiguration
    let socketPath: String
    let socketActivated: Bool
    let started = ContinuousClock.now
    let index = UpcomingIndex()
    /// Rankings, interviews, problems and bulletins; set once before the server starts.
    nonisolated(unsafe) var triggers: TriggerEngine?

    init(
        scheduler: SchedulerService, status: DaemonStatus, store: DutyStore, clock: any DaemonClock,
        configuration: DaemonConfiguration, socketPath: String, socketActivated: Bool
    ) {
        self.scheduler = scheduler
        self.daemonStatus = status
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.socketPath = socketPath
        self.socketActivated = socketActivated
    }

    static let utc = TimeZone(identifier: "UTC")!

    // MARK: - Reading

    func upcoming(_ query: UpcomingQuery) throws -> UpcomingPage {
        let snapshot = scheduler.currentPlanner
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

    func overdue(_ query: UpcomingQuery) throws -> OverdueList {
        let snapshot = scheduler.currentPlanner
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
        for notice in notices {
            guard let duty = schedules.duty(id: notice.dutyID) else { continue }
            let id = OccurrenceID(duty: duty.id, at: notice.occurrence).description
            if try store.isAcknowledged(occurrenceID: id) { continue }
            items.append(OccurrenceEntry(notice: notice, duty: duty, acknowledged: false))
            if items.count >= query.limit { break }
        }
        return OverdueList(items: items)
    }

    func duties() throws -> DutyList {
        DutyList(duties: scheduler.currentPlanner.planner.schedules.duties.map { DutySummary($0) })
    }

    func duty(id: String) throws -> DutyDetail {
        let schedules = scheduler.currentPlanner.planner.schedules
        guard let duty = schedules.duty(id: id) else { throw DutyQueryError(.notFound, "no duty '\(id)'") }
        var next: [DutyDetail.NextOccurrence] = []
        var after = clock.now()
        while next.count < 5, let at = duty.nextOccurrence(after: after) {
            next.append(.init(occurrenceId: OccurrenceID(duty: duty.id, at: at).description, at: TimeFormatting.iso8601(at, in: duty.timeZone)))
            after = at
        }
        return DutyDetail(
            duty: DutySummary(duty), description: duty.description, timeZone: duty.timeZone.identifier,
            warnings: duty.warnings.map(\.description), graceSeconds: duty.grace, escalation: duty.escalation, next: next)
    }

    func occurrence(id: String) throws -> OccurrenceDetail {
        let (duty, at) = try resolveOccurrence(id)
        let acks = try store.acknowledgements(occurrenceID: id)
        let deliveries = try store.deliveries(occurrenceID: id)
        let zone = duty.timeZone
        return OccurrenceDetail(
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
    }

    func status() throws -> StatusReport {
        let s = daemonStatus.snapshot
        let zone = scheduler.currentPlanner.planner.schedules.timeZone
        let counts = try store.counts()
        var ledger: [String: Int] = [:]
        for state in DeliveryState.allCases { ledger[state.rawValue] = counts[state] ?? 0 }
        let uptime = ContinuousClock.now - started
        return StatusReport(
            version: DutyCore.version, now: TimeFormatting.iso8601(clock.now(), in: zone),
            clock: clock.isSimulated ? "simulated x\(configuration.clockRate)" : "system",
            uptimeSeconds: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
            schedules: .init(directories: configuration.scheduleDirectories, files: s.files),
            duties: scheduler.currentPlanner.planner.schedules.duties.count,
            nextDue: s.nextFire.map { .init(at: TimeFormatting.iso8601($0, in: zone), title: s.nextTitle) },
            lastReload: .init(ok: s.lastReloadOK, errors: s.lastReloadErrors, count: s.reloads), ledger: ledger,
            socket: socketPath, socketActivated: socketActivated)
    }

    func metrics() throws -> String {
        let s = daemonStatus.snapshot
        let counts = try store.counts()
        let uptime = ContinuousClock.now - started
        var out = "# HELP dutyd_info Version of the running daemon.\n# TYPE dutyd_info gauge\n"
        out += "dutyd_info{version=\"\(DutyCore.version)\"} 1\n"
        out += "# HELP dutyd_duties Duties in the schedules in effect.\n# TYPE dutyd_duties gauge\n"
        out += "dutyd_duties \(scheduler.currentPlanner.planner.schedules.duties.count)\n"
        out += "# HELP dutyd_schedule_loads_total Schedule loads since start (the first included).\n"
        out += "# TYPE dutyd_schedule_loads_total counter\ndutyd_schedule_loads_total \(s.reloads)\n"
        out += "# HELP dutyd_last_reload_success Whether the last schedule load succeeded.\n"
        out += "# TYPE dutyd_last_reload_success gauge\ndutyd_last_reload_success \(s.lastReloadOK ? 1 : 0)\n"
        out += "# HELP dutyd_ledger_rows Delivery ledger rows by state.\n# TYPE dutyd_ledger_rows gauge\n"
        for state in DeliveryState.allCases { out += "dutyd_ledger_rows{state=\"\(state.rawValue)\"} \(counts[state] ?? 0)\n" }
        if let next = s.nextFire {
            out += "# HELP dutyd_next_fire_timestamp_seconds When the next reminder fires (daemon clock).\n"
            out += "# TYPE dutyd_next_fire_timestamp_seconds gauge\ndutyd_next_fire_timestamp_seconds \(Int64(next.timeIntervalSince1970))\n"
        }
        out += "# HELP dutyd_uptime_seconds Seconds since the daemon started.\n# TYPE dutyd_uptime_seconds gauge\n"
        out += "dutyd_uptime_seconds \(uptime.components.seconds)\n"
        return out
    }

    // MARK: - Changing

    func acknowledge(occurrenceID: String, request: AcknowledgeRequest, peer: Peer) throws -> AcknowledgeResponse {
        let (duty, _) = try resolveOccurrence(occurrenceID)
        let schedules = scheduler.currentPlanner.planner.schedules
        let concerned = schedules.persons(for: duty.recipients + duty.responsible)
        let own = peer.account.flatMap { schedules.person(account: $0) }
        let who: String
        if let person = request.person {
            guard schedules.person(id: person) != nil else { throw DutyQueryError(.badRequest, "no person '\(person)'") }
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
        let recorded = try store.acknowledge(occurrenceID: occurrenceID, by: who, uid: peer.uid, note: request.note, at: now)
        if recorded {
            try store.logEvent(
                actorUID: peer.uid, action: "acknowledge", details: ["occurrence": occurrenceID, "person": who], at: now)
        }
        return AcknowledgeResponse(
            occurrenceId: occurrenceID, person: who, recorded: recorded,
            acknowledgements: try store.acknowledgements(occurrenceID: occurrenceID).count)
    }

    func reload(peer: Peer) async throws -> ReloadResult {
        let outcome = await scheduler.reloadAndReport()
        try store.logEvent(
            actorUID: peer.uid, action: "reload",
            details: ["ok": String(outcome.ok), "duties": String(outcome.duties), "errors": String(outcome.errors.count)],
            at: clock.now())
        return ReloadResult(ok: outcome.ok, duties: outcome.duties, errors: outcome.errors)
    }

    // MARK: - Helpers

    /// The duty and instant of an occurrence id, checked against the duty's recurrence.
    func resolveOccurrence(_ id: String) throws -> (Duty, Date) {
        guard let occurrence = OccurrenceID(id) else {
            throw DutyQueryError(.badRequest, "occurrence ids look like <duty id>@<unix seconds>")
        }
        let (dutyID, at) = (occurrence.duty, occurrence.instant)
        guard let duty = scheduler.currentPlanner.planner.schedules.duty(id: dutyID) else {
            throw DutyQueryError(.notFound, "no duty '\(dutyID)'")
        }
        let match = duty.occurrences(after: at.addingTimeInterval(-1), through: at.addingTimeInterval(1)).first {
            OccurrenceID(duty: dutyID, at: $0) == occurrence
        }
        guard let match else { throw DutyQueryError(.notFound, "\(dutyID) has no occurrence at \(TimeFormatting.iso8601(at, in: duty.timeZone))") }
        return (duty, match)
    }

    func checkFilters(_ query: UpcomingQuery, _ schedules: ScheduleSet) throws {
        if let person = query.person, schedules.person(id: person) == nil { throw DutyQueryError(.notFound, "no person '\(person)'") }
        if let role = query.role, schedules.role(id: role) == nil { throw DutyQueryError(.notFound, "no role '\(role)'") }
        if let duty = query.duty, schedules.duty(id: duty) == nil { throw DutyQueryError(.notFound, "no duty '\(duty)'") }
    }
}
