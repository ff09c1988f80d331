import DutyAPI
import DutyCore
import DutyServer
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What the report endpoints and the pages remember between requests: per planner generation, the duties that
/// carry a `report` label and display names; per (generation, report, month), the occurrences of the labelled
/// duties with their acknowledgement; and per calendar feed the fingerprint of its content and when that last
/// changed.
///
/// A month's acknowledgements are the expensive part on a 55,166-household roster (one ledger lookup per
/// occurrence). They are looked up in full once (after a start, a reload, or `fullLifetime`), then kept current
/// from the audit log: every acknowledgement is logged with its occurrence id (`action` `acknowledge`), so a
/// request reads only the log lines since the last one it saw (any instance's, on a shared ledger). A burst of
/// more lines than `maximumIncrement` falls back to the full lookup.
final class ReportCache: Sendable {
    struct Labelled: Sendable {
        var generation: Int
        /// report label → duty positions
        var byReport: [String: [Int32]]
        var names: [String: String]
    }

    struct Month: Sendable {
        var key: String
        /// When the acknowledgements were last looked up in full.
        var full: ContinuousClock.Instant
        /// The daemon's clock at the last refresh, and the newest audit line applied.
        var refreshedAt: Date
        var lastEvent: Int64
        /// Parallel arrays: duty position, occurrence, its id (nil: needs no acknowledgement), acknowledged.
        var duty: [Int32]
        var at: [Date]
        var ids: [String?]
        var acknowledged: [Bool]
        /// Occurrence id → index.
        var index: [String: Int]
    }

    static let fullLifetime: Duration = .seconds(600)
    static let maximumIncrement = 5000

    private let labelled = Mutex<Labelled?>(nil)
    private let months = Mutex<[String: Month]>([:])
    private let feeds = Mutex<[String: (fingerprint: String, modified: Date)]>([:])

    func labelled(_ snapshot: PlannerSnapshot) -> Labelled {
        if let hit = labelled.withLock({ $0?.generation == snapshot.generation ? $0 : nil }) { return hit }
        let schedules = snapshot.planner.schedules
        var byReport: [String: [Int32]] = [:]
        for (i, duty) in schedules.duties.enumerated() {
            if let report = duty.labels["report"] { byReport[report, default: []].append(Int32(i)) }
        }
        var names: [String: String] = [:]
        for role in schedules.roles { names[role.id] = role.name }
        for person in schedules.persons { names[person.id] = person.name }
        let made = Labelled(generation: snapshot.generation, byReport: byReport, names: names)
        labelled.withLock { $0 = made }
        return made
    }

    func month(_ key: String) -> Month? {
        let now = ContinuousClock.now
        return months.withLock { months in
            guard let hit = months[key], now - hit.full < Self.fullLifetime else { return nil }
            return hit
        }
    }

    func store(_ month: Month) {
        months.withLock {
            if $0.count > 24 { $0.removeAll() }
            $0[month.key] = month
        }
    }

    /// When the feed's content last changed: now if its fingerprint differs from the last one seen.
    func feedModified(_ key: String, fingerprint: String, now: Date) -> Date {
        feeds.withLock { feeds in
            if let seen = feeds[key], seen.fingerprint == fingerprint { return seen.modified }
            if feeds.count > 1024 { feeds.removeAll() }
            feeds[key] = (fingerprint, now)
            return now
        }
    }
}

extension DaemonBackend: DutyReportBackend {
    // MARK: - Shared pieces

    /// `(after, through]` of the local days `first` … `first + days - 1` in the plan's zone.
    func window(_ first: CivilDate, days: Int) -> (Date, Date) {
        (
            TimeFormatting.instant(first, in: zone).addingTimeInterval(-0.001),
            TimeFormatting.instant(first.adding(days: days), in: zone).addingTimeInterval(-0.001)
        )
    }

    func today() -> CivilDate { TimeFormatting.localDate(clock.now(), in: zone) }

    func monthText(_ date: CivilDate) -> String { String(date.description.prefix(7)) }

    func parseMonth(_ month: String?) throws -> CivilDate {
        guard let month else {
            let t = today()
            return CivilDate(year: t.year, month: t.month, day: 1)
        }
        guard month.utf8.count == 7, let first = CivilDate(iso: month + "-01") else {
            throw DutyQueryError(.badRequest, "month must be YYYY-MM, not '\(month)'")
        }
        return first
    }

    func names(_ ids: [String], _ labelled: ReportCache.Labelled) -> [String] {
        ids.map { labelled.names[$0] ?? $0 }
    }

    /// The occurrences of a duty in a window. Duties of one roster template share a recurrence: expanding it once
    /// per distinct recurrence (`memo`) keeps a 55,166-duty month to a few thousand expansions.
    func occurrences(of duty: Duty, after: Date, through: Date, memo: inout [String: [Date]]) -> [Date] {
        guard case .nthWorkday(let n, let h, let m, let s) = duty.recurrence else {
            return duty.occurrences(after: after, through: through)
        }
        let key =
            "\(n):\(h):\(m):\(s):\(duty.timeZone.identifier):\(duty.workdays?.id ?? "-"):\(duty.holidayPolicy.rawValue):"
            + "\(duty.notBefore?.timeIntervalSince1970 ?? -1):\(duty.notAfter?.timeIntervalSince1970 ?? -1)"
        if let hit = memo[key] { return hit }
        let dates = duty.occurrences(after: after, through: through)
        memo[key] = dates
        return dates
    }

    /// The occurrences of the duties labelled `report` in a month, with their acknowledgement: from the cache,
    /// brought up to date with the audit lines since its last refresh, or looked up in full.
    func labelledMonth(_ snapshot: PlannerSnapshot, report: String, first: CivilDate) async throws -> ReportCache.Month {
        let key = "\(snapshot.generation):\(report):\(first)"
        let now = clock.now()
        if var month = reportCache.month(key), try await apply(since: month, now: now, to: &month) {
            reportCache.store(month)
            return month
        }
        // The newest audit line before the full lookup: lines after it are applied by the next refresh.
        let mark = try await answer { () throws(LedgerError) in
            try await ledger.events(since: now.addingTimeInterval(-120), limit: ReportCache.maximumIncrement)
        }
        let labelled = reportCache.labelled(snapshot)
        let schedules = snapshot.planner.schedules
        let (after, through) = window(first, days: CivilDate.daysInMonth(year: first.year, month: first.month))
        var memo: [String: [Date]] = [:]
        var duty: [Int32] = []
        var at: [Date] = []
        var ids: [String?] = []
        for position in labelled.byReport[report] ?? [] {
            let d = schedules.duties[Int(position)]
            for occurrence in occurrences(of: d, after: after, through: through, memo: &memo) {
                duty.append(position)
                at.append(occurrence)
                ids.append(d.needsAcknowledgement ? OccurrenceID(duty: d.id, at: occurrence).description : nil)
            }
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() { if let id { index[id] = i } }
        let acknowledgedIDs = try await answer { () throws(LedgerError) in try await ledger.acknowledged(among: Set(index.keys)) }
        let month = ReportCache.Month(
            key: key, full: .now, refreshedAt: now, lastEvent: mark.last?.id ?? 0, duty: duty, at: at, ids: ids,
            acknowledged: ids.map { $0.map(acknowledgedIDs.contains) ?? false }, index: index)
        reportCache.store(month)
        return month
    }

    /// Applies the acknowledgements logged since the month's last refresh. Returns false when there were too many
    /// lines to apply (look up in full instead).
    func apply(since cached: ReportCache.Month, now: Date, to month: inout ReportCache.Month) async throws -> Bool {
        // Lines are read from a little before the last refresh (another instance's clock may lag) and applied
        // after the newest one seen.
        let lines = try await answer { () throws(LedgerError) in
            try await ledger.events(since: min(cached.refreshedAt, now).addingTimeInterval(-120), limit: ReportCache.maximumIncrement)
        }
        if lines.count == ReportCache.maximumIncrement { return false }
        for line in lines where line.id > month.lastEvent {
            month.lastEvent = line.id
            guard line.action == "acknowledge", let id = line.details["occurrence"], let i = month.index[id] else { continue }
            month.acknowledged[i] = true
        }
        month.refreshedAt = now
        return true
    }

    /// Due, acknowledged, overdue or pending, at `now`.
    func counts(_ duty: Duty, at occurrence: Date, acknowledged: Bool, now: Date) -> VisitCounts {
        if !duty.needsAcknowledgement { return VisitCounts(due: 1) }
        if acknowledged { return VisitCounts(due: 1, acknowledged: 1) }
        if occurrence.addingTimeInterval(duty.grace) <= now { return VisitCounts(due: 1, overdue: 1) }
        return VisitCounts(due: 1, pending: 1)
    }

    // MARK: - DutyReportBackend

    func planInfo() async throws -> PlanInfo {
        let snapshot = publication.current
        let schedules = snapshot.planner.schedules
        let now = clock.now()
        let today = TimeFormatting.localDate(now, in: zone)
        let townships = schedules.townships.map {
            TownshipInfo(id: $0.id, name: $0.name, county: $0.county, countyName: schedules.county(id: $0.county)?.name ?? $0.county)
        }
        return PlanInfo(
            now: TimeFormatting.iso8601(now, in: zone), today: today.description, month: monthText(today),
            timeZone: zone.identifier, townships: townships, names: reportCache.labelled(snapshot).names,
            levels: Dictionary(
                schedules.triggers.filter { $0.event == .ranking }.flatMap(\.levels).map { level in
                    (level.id, level.title.replacingOccurrences(of: "{county}", with: "县区").replacingOccurrences(of: "{township}", with: "乡镇"))
                }, uniquingKeysWith: { first, _ in first }))
    }

    func agenda(from: String?, days: Int) async throws -> Agenda {
        guard (1...62).contains(days) else { throw DutyQueryError(.badRequest, "an agenda spans 1 to 62 days") }
        let first: CivilDate
        if let from {
            guard let date = CivilDate(iso: from) else { throw DutyQueryError(.badRequest, "from must be YYYY-MM-DD") }
            first = date
        } else {
            first = today()
        }
        let snapshot = publication.current
        let schedules = snapshot.planner.schedules
        let labelled = reportCache.labelled(snapshot)
        let now = clock.now()
        let (after, through) = window(first, days: days)
        var entries: [(Duty, Date)] = []
        for duty in schedules.duties where duty.labels["report"] == nil {
            for occurrence in duty.occurrences(after: after, through: through) { entries.append((duty, occurrence)) }
        }
        let ids = Set(entries.filter { $0.0.needsAcknowledgement }.map { OccurrenceID(duty: $0.0.id, at: $0.1).description })
        let acknowledged = try await answer { () throws(LedgerError) in try await ledger.acknowledged(among: ids) }
        var byDay: [CivilDate: [AgendaEntry]] = [:]
        for (duty, occurrence) in entries.sorted(by: { ($0.1, $0.0.title) < ($1.1, $1.0.title) }) {
            let id = OccurrenceID(duty: duty.id, at: occurrence).description
            let local = TimeFormatting.localDate(occurrence, in: zone)
            let c = counts(duty, at: occurrence, acknowledged: acknowledged.contains(id), now: now)
            byDay[local, default: []].append(
                AgendaEntry(
                    occurrenceId: id, duty: duty.id, title: duty.title, clause: duty.clause,
                    occurrence: TimeFormatting.iso8601(occurrence, in: duty.timeZone),
                    time: String(TimeFormatting.localMinute(occurrence, in: zone).suffix(5)), priority: duty.priority.rawValue,
                    needsAcknowledgement: duty.needsAcknowledgement,
                    acknowledged: duty.needsAcknowledgement ? acknowledged.contains(id) : nil, overdue: c.overdue > 0,
                    responsible: names(duty.responsible, labelled)))
        }
        // Labelled duties: counted per day from their months.
        var groups: [CivilDate: [String: VisitCounts]] = [:]
        let last = first.adding(days: days - 1)
        for report in labelled.byReport.keys.sorted() {
            var month = CivilDate(year: first.year, month: first.month, day: 1)
            while month <= last {
                let data = try await labelledMonth(snapshot, report: report, first: month)
                for i in data.at.indices where data.at[i] > after && data.at[i] <= through {
                    let duty = schedules.duties[Int(data.duty[i])]
                    let local = TimeFormatting.localDate(data.at[i], in: zone)
                    groups[local, default: [:]][report, default: VisitCounts()] =
                        groups[local, default: [:]][report, default: VisitCounts()]
                        + counts(duty, at: data.at[i], acknowledged: data.acknowledged[i], now: now)
                }
                month = month.adding(days: CivilDate.daysInMonth(year: month.year, month: month.month))
            }
        }
        let calendar = schedules.calendars.first
        let result = (0..<days).map { offset -> AgendaDay in
            let date = first.adding(days: offset)
            return AgendaDay(
                date: date.description, weekday: date.weekday.rawValue, workday: calendar.map { $0.isWorkday(date) },
                entries: byDay[date] ?? [],
                groups: (groups[date] ?? [:]).sorted { $0.key < $1.key }.map { AgendaGroup(report: $0.key, counts: $0.value) })
        }
        return Agenda(from: first.description, to: last.description, today: today().description, days: result)
    }

    func overdueReport(days: Int, limit: Int) async throws -> OverdueReport {
        let snapshot = publication.current
        let schedules = snapshot.planner.schedules
        let labelled = reportCache.labelled(snapshot)
        let now = clock.now()
        let start = now.addingTimeInterval(-Double(days) * 86_400)
        var candidates: [(Duty, Date)] = []
        for duty in schedules.duties where duty.needsAcknowledgement && duty.labels["report"] == nil {
            for occurrence in duty.occurrences(after: start.addingTimeInterval(-duty.grace), through: now)
            where occurrence.addingTimeInterval(duty.grace) <= now {
                candidates.append((duty, occurrence))
            }
        }
        let ids = Set(candidates.map { OccurrenceID(duty: $0.0.id, at: $0.1).description })
        let acknowledged = try await answer { () throws(LedgerError) in try await ledger.acknowledged(among: ids) }
        let open = candidates.filter { !acknowledged.contains(OccurrenceID(duty: $0.0.id, at: $0.1).description) }
            .sorted { ($0.1, $0.0.id) < ($1.1, $1.0.id) }
        let items = open.prefix(limit).map { duty, occurrence -> OverdueItem in
            let steps = duty.escalation.indices.filter { occurrence.addingTimeInterval(duty.grace * Double($0 + 2)) <= now }.count
            return OverdueItem(
                occurrenceId: OccurrenceID(duty: duty.id, at: occurrence).description, duty: duty.id, title: duty.title,
                occurrence: TimeFormatting.iso8601(occurrence, in: duty.timeZone),
                overdueSince: TimeFormatting.iso8601(occurrence.addingTimeInterval(duty.grace), in: duty.timeZone), step: steps,
                escalatedTo: names(Array(duty.escalation.prefix(steps)), labelled), responsible: names(duty.responsible, labelled))
        }
        // Labelled duties: counted over the months the window touches.
        var groups: [AgendaGroup] = []
        let firstDay = TimeFormatting.localDate(start, in: zone)
        let lastDay = TimeFormatting.localDate(now, in: zone)
        for report in labelled.byReport.keys.sorted() {
            var total = VisitCounts()
            var month = CivilDate(year: firstDay.year, month: firstDay.month, day: 1)
            while month <= lastDay {
                let data = try await labelledMonth(snapshot, report: report, first: month)
                for i in data.at.indices where data.at[i].addingTimeInterval(schedules.duties[Int(data.duty[i])].grace) > start {
                    total = total + counts(schedules.duties[Int(data.duty[i])], at: data.at[i], acknowledged: data.acknowledged[i], now: now)
                }
                month = month.adding(days: CivilDate.daysInMonth(year: month.year, month: month.month))
            }
            groups.append(AgendaGroup(report: report, counts: total))
        }
        return OverdueReport(
            now: TimeFormatting.iso8601(now, in: zone), days: days, total: open.count, items: Array(items), groups: groups)
    }

    /// The audit log's last `limit` lines, newest first. The ledger reads the log forward from an instant, so this
    /// looks for a window that holds at least `limit` lines and less than a page: from an hour back, four times
    /// shorter while a page is full (a burst of acknowledgements), eight times longer while too few are found.
    /// At most 16 reads of at most 500 lines, whatever the log's size.
    func latestEvents(limit: Int) async throws -> [EventLogEntry] {
        let now = clock.now()
        let page = 500
        var span: TimeInterval = 3600
        var best: [EventLogEntry] = []
        for _ in 0..<16 {
            let events = try await answer { () throws(LedgerError) in
                try await ledger.events(since: now.addingTimeInterval(-span), limit: page)
            }
            if events.count == page {
                // Too many: the newest lines are beyond this page. Keep it in case nothing better comes.
                if best.count < limit { best = events }
                if span < 1 { break }
                span /= 4
                continue
            }
            best = events
            if events.count >= limit || span > 400 * 86_400 { break }
            span *= 8
        }
        return Array(best.suffix(limit).reversed())
    }

    func change(_ e: EventLogEntry) -> AuditItem {
        AuditItem(at: TimeFormatting.iso8601(e.at, in: zone), action: e.action, actorUid: e.actorUID, details: e.details)
    }

    func recentChanges(limit: Int) async throws -> AuditList {
        AuditList(items: try await latestEvents(limit: limit).map(change))
    }

    /// The occurrence's history from the ledger's own records (its acknowledgements, oldest first), not from a scan
    /// of the audit log, which has no index by occurrence. Moves and cancellations, once the ledger records them,
    /// belong here too.
    func occurrenceChanges(id: String) async throws -> AuditList {
        _ = try resolveOccurrence(id)
        let acks = try await answer { () throws(LedgerError) in try await ledger.acknowledgements(occurrenceID: id) }
        return AuditList(
            items: acks.map {
                var details = ["occurrence": id, "person": $0.who]
                if let note = $0.note { details["note"] = note }
                return AuditItem(at: TimeFormatting.iso8601($0.at, in: zone), action: "acknowledge", actorUid: $0.peerUID, details: details)
            })
    }

    func visitReport(month: String?, township: String?, cadres wanted: Bool) async throws -> VisitReport {
        let first = try parseMonth(month)
        let snapshot = publication.current
        let schedules = snapshot.planner.schedules
        if let township, schedules.township(id: township) == nil {
            throw DutyQueryError(.notFound, "no township '\(township)'")
        }
        let data = try await labelledMonth(snapshot, report: "visits", first: first)
        let now = clock.now()
        var byTownship: [String: VisitCounts] = [:]
        var byUnit: [String: VisitCounts] = [:]
        var byCadre: [String: (VisitReport.Cadre)] = [:]
        var total = VisitCounts()
        for i in data.at.indices {
            let duty = schedules.duties[Int(data.duty[i])]
            let c = counts(duty, at: data.at[i], acknowledged: data.acknowledged[i], now: now)
            let t = duty.labels["township"] ?? ""
            total = total + c
            byTownship[t, default: VisitCounts()] = byTownship[t, default: VisitCounts()] + c
            let unit = duty.labels["unit"] ?? ""
            byUnit[unit, default: VisitCounts()] = byUnit[unit, default: VisitCounts()] + c
            if wanted && (township == nil || township == t) {
                let cadre = duty.labels["cadre"] ?? duty.responsible.first ?? ""
                var row =
                    byCadre[cadre]
                    ?? VisitReport.Cadre(
                        id: cadre, name: schedules.person(id: cadre)?.name ?? cadre, unit: unit, township: t,
                        townshipName: schedules.township(id: t)?.name ?? t, counts: VisitCounts(), overdueOccurrences: [])
                row.counts = row.counts + c
                if c.overdue > 0 { row.overdueOccurrences.append(OccurrenceID(duty: duty.id, at: data.at[i]).description) }
                byCadre[cadre] = row
            }
        }
        // Townships in the schedules' order, every one listed (a township without visits shows zeros).
        var townships = schedules.townships.map {
            VisitReport.Group(id: $0.id, name: $0.name, counts: byTownship[$0.id] ?? VisitCounts())
        }
        for (id, c) in byTownship where schedules.township(id: id) == nil {
            townships.append(VisitReport.Group(id: id, name: id.isEmpty ? "—" : id, counts: c))
        }
        let units = byUnit.sorted { $0.key < $1.key }.map { VisitReport.Group(id: $0.key, name: $0.key.isEmpty ? "—" : $0.key, counts: $0.value) }
        let cadres = byCadre.values.sorted { ($0.township, $0.unit, $0.name, $0.id) < ($1.township, $1.unit, $1.name, $1.id) }
        return VisitReport(
            month: monthText(first), now: TimeFormatting.iso8601(now, in: zone), total: total, townships: townships, units: units,
            cadres: cadres, township: township)
    }

    func dutyReport(from: String, to: String) async throws -> DutyReport {
        guard let start = CivilDate(iso: from), let end = CivilDate(iso: to) else {
            throw DutyQueryError(.badRequest, "from and to must be dates YYYY-MM-DD")
        }
        guard start <= end, end.dayNumber - start.dayNumber < UpcomingQuery.maximumDays else {
            throw DutyQueryError(.badRequest, "to must not be before from, and the window at most \(UpcomingQuery.maximumDays) days")
        }
        let snapshot = publication.current
        let schedules = snapshot.planner.schedules
        let labelled = reportCache.labelled(snapshot)
        let now = clock.now()
        let (after, through) = window(start, days: end.dayNumber - start.dayNumber + 1)
        var perDuty: [(Duty, [Date])] = []
        var ids = Set<String>()
        for duty in schedules.duties where duty.labels["report"] == nil {
            let dates = duty.occurrences(after: after, through: through)
            guard !dates.isEmpty else { continue }
            perDuty.append((duty, dates))
            if duty.needsAcknowledgement { for d in dates { ids.insert(OccurrenceID(duty: duty.id, at: d).description) } }
        }
        let acknowledged = try await answer { () throws(LedgerError) in try await ledger.acknowledged(among: ids) }
        let rows = perDuty.map { duty, dates -> DutyReport.Row in
            let c = dates.reduce(VisitCounts()) {
                $0 + counts(duty, at: $1, acknowledged: acknowledged.contains(OccurrenceID(duty: duty.id, at: $1).description), now: now)
            }
            return DutyReport.Row(
                duty: duty.id, title: duty.title, clause: duty.clause, responsible: names(duty.responsible, labelled),
                needsAcknowledgement: duty.needsAcknowledgement, occurrences: dates.count, counts: c,
                first: dates.first.map { TimeFormatting.iso8601($0, in: duty.timeZone) },
                last: dates.last.map { TimeFormatting.iso8601($0, in: duty.timeZone) })
        }
        return DutyReport(from: start.description, to: end.description, now: TimeFormatting.iso8601(now, in: zone), rows: rows)
    }

    func rankings() async throws -> RankingList {
        let schedules = publication.current.planner.schedules
        let stored = try await answer { () throws(LedgerError) in try await ledger.rankings() }
        return RankingList(
            rankings: stored.sorted { $0.ranking.period < $1.ranking.period }.map { submitted in
                RankingList.Period(
                    period: submitted.ranking.period, submittedAt: TimeFormatting.iso8601(submitted.submittedAt, in: zone),
                    entries: submitted.ranking.entries.map {
                        RankingList.Entry(
                            township: $0.township, townshipName: schedules.township(id: $0.township)?.name ?? $0.township,
                            score: $0.score, position: $0.position)
                    })
            })
    }

    func dutyOccurrences(id: String, days: Int) async throws -> [AgendaEntry] {
        let snapshot = publication.current
        guard let duty = snapshot.planner.schedules.duty(id: id) else { throw DutyQueryError(.notFound, "no duty '\(id)'") }
        let labelled = reportCache.labelled(snapshot)
        let now = clock.now()
        var dates = duty.occurrences(after: now.addingTimeInterval(-Double(days) * 86_400), through: now)
        var after = now
        for _ in 0..<5 {
            guard let next = duty.nextOccurrence(after: after) else { break }
            dates.append(next)
            after = next
        }
        let ids = Set(dates.map { OccurrenceID(duty: duty.id, at: $0).description })
        let acknowledged = try await answer { () throws(LedgerError) in try await ledger.acknowledged(among: ids) }
        return dates.map { at in
            let occurrenceID = OccurrenceID(duty: duty.id, at: at).description
            let c = counts(duty, at: at, acknowledged: acknowledged.contains(occurrenceID), now: now)
            return AgendaEntry(
                occurrenceId: occurrenceID, duty: duty.id, title: duty.title, clause: duty.clause,
                occurrence: TimeFormatting.iso8601(at, in: duty.timeZone),
                time: String(TimeFormatting.localMinute(at, in: zone).suffix(5)), priority: duty.priority.rawValue,
                needsAcknowledgement: duty.needsAcknowledgement,
                acknowledged: duty.needsAcknowledgement ? acknowledged.contains(occurrenceID) : nil, overdue: c.overdue > 0,
                responsible: names(duty.responsible, labelled))
        }
    }

    func bulletinReport(township: String, month: String) async throws -> BulletinReport {
        let snapshot = publication.current
        let schedules = snapshot.base
        guard let t = schedules.township(id: township) ?? schedules.township(named: township) else {
            throw DutyQueryError(.notFound, "no township '\(township)'")
        }
        let first = try parseMonth(month)
        let bulletin: Bulletin
        do {
            bulletin = try await triggers.bulletin(township: t.id, month: month)
        } catch let error as LedgerError {
            return try await answer { () throws(LedgerError) in throw error }
        } catch {
            throw DutyQueryError(.badRequest, "\(error)")
        }
        var visits: VisitCounts?
        if reportCache.labelled(snapshot).byReport["visits"] != nil {
            let data = try await labelledMonth(snapshot, report: "visits", first: first)
            let now = clock.now()
            var c = VisitCounts()
            for i in data.at.indices {
                let duty = snapshot.planner.schedules.duties[Int(data.duty[i])]
                if duty.labels["township"] == t.id { c = c + counts(duty, at: data.at[i], acknowledged: data.acknowledged[i], now: now) }
            }
            visits = c
        }
        let interviews = bulletin.interviews.map { InterviewItem($0, townshipName: t.name, zone: zone) }
        return BulletinReport(
            title: bulletin.title, township: t.id, townshipName: t.name,
            countyName: bulletin.county?.name ?? t.county, month: month,
            generatedAt: TimeFormatting.iso8601(clock.now(), in: zone),
            duties: bulletin.duties.map {
                BulletinReport.Line(
                    title: $0.title, clause: $0.clause, occurrence: TimeFormatting.iso8601($0.occurrence, in: zone),
                    acknowledged: $0.acknowledged)
            },
            problems: bulletin.problems.map { ProblemItem($0, zone: zone, closedByName: $0.closedBy.flatMap(Self.accountName)) },
            interviews: interviews, visits: visits, text: bulletin.text)
    }

    func calendarFeed(_ filter: RecipientFilter) async throws -> CalendarFeed {
        let snapshot = publication.current
        let schedules = snapshot.planner.schedules
        do {
            try filter.validate(against: schedules)
        } catch {
            throw DutyQueryError(.notFound, error.description)
        }
        let labelled = reportCache.labelled(snapshot)
        let today = self.today()
        // From the first of last month to a year ahead; duties with a report of their own (visits) only in a
        // person's feed, where they are that person's own.
        let first = CivilDate(year: today.year, month: today.month, day: 1).adding(days: -28)
        let start = CivilDate(year: first.year, month: first.month, day: 1)
        let (after, through) = window(start, days: 400)
        var events: [ICalendarFeed.Event] = []
        var memo: [String: [Date]] = [:]
        // Duties changed while the plan runs (moved, cancelled, added) come from the planner with the changes
        // applied: a moved occurrence keeps its UID at its new time, a cancelled one is STATUS:CANCELLED, each
        // with SEQUENCE = its number of changes, so a subscribed calendar updates the event in place.
        let planner = snapshot.planner
        let changed = Set(planner.changes.records.compactMap { $0.action.occurrence?.duty })
        for duty in schedules.duties where filter.selects(duty, in: schedules) {
            if duty.labels["report"] != nil && filter.person == nil { continue }
            var description = duty.description
            if let clause = duty.clause { description = "[\(clause)] " + description }
            if !duty.responsible.isEmpty {
                description += "\n责任单位 / responsible: " + names(duty.responsible, labelled).joined(separator: "、")
            }
            let planned: [PlannedOccurrence] =
                changed.contains(duty.id)
                ? planner.plannedOccurrences(of: duty, after: after, through: through, cancelled: true)
                : occurrences(of: duty, after: after, through: through, memo: &memo).map {
                    PlannedOccurrence(id: OccurrenceID(duty: duty.id, at: $0), at: $0, movedFrom: nil, cancelled: false, added: false)
                }
            for occurrence in planned {
                let sequence = changed.contains(duty.id) ? planner.changes.history(of: occurrence.id).count : 0
                events.append(
                    ICalendarFeed.Event(
                        uid: occurrence.id.description, start: occurrence.at, zone: duty.timeZone, summary: duty.title,
                        description: description, categories: duty.priority.rawValue, sequence: sequence,
                        cancelled: occurrence.cancelled))
                guard events.count <= 20_000 else {
                    throw DutyQueryError(.badRequest, "the feed would hold more than 20,000 events: filter by person, role or township")
                }
            }
        }
        events.sort { ($0.start, $0.uid) < ($1.start, $1.uid) }
        let name = "dutyd " + ([filter.person, filter.role, filter.township].compactMap { $0 }.first ?? "all")
        let probe = ICalendarFeed.calendar(name: name, events: events, stamp: Date(timeIntervalSince1970: 0))
        let key = "\(filter.person ?? ""):\(filter.role ?? ""):\(filter.township ?? "")"
        var fingerprint: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in probe.utf8 {
            fingerprint ^= UInt64(byte)
            fingerprint = fingerprint &* 0x100_0000_01b3
        }
        let modified = reportCache.feedModified(key, fingerprint: String(fingerprint), now: clock.now())
        let stamp = Date(timeIntervalSince1970: floor(modified.timeIntervalSince1970))
        return CalendarFeed(text: ICalendarFeed.calendar(name: name, events: events, stamp: stamp), lastModified: stamp)
    }

    /// The account name of a uid (for "closed by").
    static func accountName(_ uid: UInt32) -> String? {
        var record = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid_t(uid), &record, &buffer, buffer.count, &result) == 0, result != nil, let name = record.pw_name else {
            return nil
        }
        return String(cString: name)
    }
}
