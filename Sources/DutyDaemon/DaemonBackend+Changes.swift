import DutyAPI
import DutyCore
import DutyServer
import Foundation

/// Changes to the plan over the query socket. Each is checked against the plan in effect, recorded in the ledger
/// (uid, actor, note, time) with the caller's revision as the concurrency check, written to the audit log, and
/// handed to the scheduler's loop, which reads the changes again and replans; the request returns once the
/// change is in effect and its notices are delivered. Refusals (403, 409) are audited too.
extension DaemonBackend: DutyChangeBackend {
    /// Changes of occurrences may be made from now on; instants before now are refused.
    func move(occurrenceID: String, request: MoveRequest, peer: Peer) async throws -> ChangeResult {
        let (duty, planned) = try resolveOccurrence(occurrenceID)
        let who = try await requireAdmin(peer, "move", planned.id.description)
        let now = clock.now()
        let to = try instant(request.to, field: "to", zone: duty.timeZone)
        guard to > now else {
            throw DutyQueryError(.badRequest, "to: \(iso(to, duty)) is not in the future (now \(iso(now, duty)))")
        }
        try await check(!planned.cancelled, peer, "move", planned.id, "\(planned.id) is cancelled: restore it first")
        try await check(
            planned.at > now, peer, "move", planned.id,
            "\(planned.id) was due \(iso(planned.at, duty)) already: add an extra occurrence instead")
        let change = try await record(
            .move(planned.id, to: to), who: who, peer: peer, note: request.note, expected: request.ifRevision)
        return result(change, occurrence: planned.id)
    }

    func cancel(occurrenceID: String, request: ChangeRequest, peer: Peer) async throws -> ChangeResult {
        let (_, planned) = try resolveOccurrence(occurrenceID)
        let who = try await requireAdmin(peer, "cancel", planned.id.description)
        try await check(!planned.cancelled, peer, "cancel", planned.id, "\(planned.id) is cancelled already")
        let change = try await record(
            .cancel(planned.id), who: who, peer: peer, note: request.note, expected: request.ifRevision)
        return result(change, occurrence: planned.id)
    }

    func restore(occurrenceID: String, request: ChangeRequest, peer: Peer) async throws -> ChangeResult {
        let (_, planned) = try resolveOccurrence(occurrenceID)
        let who = try await requireAdmin(peer, "restore", planned.id.description)
        try await check(
            planned.cancelled || planned.movedFrom != nil, peer, "restore", planned.id,
            "\(planned.id) is neither cancelled nor moved: nothing to restore")
        let change = try await record(
            .restore(planned.id), who: who, peer: peer, note: request.note, expected: request.ifRevision)
        return result(change, occurrence: planned.id)
    }

    func snooze(occurrenceID: String, request: SnoozeRequest, peer: Peer) async throws -> ChangeResult {
        let (duty, planned) = try resolveOccurrence(occurrenceID)
        let schedules = publication.current.planner.schedules
        let own = peer.account.flatMap { schedules.person(account: $0) }
        let person: String
        if let asked = request.person {
            guard schedules.person(id: asked) != nil else { throw DutyQueryError(.notFound, "no person '\(asked)'") }
            guard peer.isAdmin || own?.id == asked else {
                throw await refused(peer, "snooze", planned.id.description, "only root and the admin group may snooze for another person")
            }
            person = asked
        } else if let own {
            person = own.id
        } else {
            throw await refused(
                peer, "snooze", planned.id.description,
                "account \(peer.account ?? "uid \(peer.uid)") is not mapped to a person in the schedules; give person")
        }
        let concerned = schedules.persons(for: duty.recipients + duty.responsible + duty.escalation)
        guard concerned.contains(where: { $0.id == person }) else {
            throw await refused(peer, "snooze", planned.id.description, "\(person) receives no reminders of \(duty.id)")
        }
        let span: TimeSpan
        do {
            span = try TimeSpan(request.span)
        } catch {
            throw DutyQueryError(.badRequest, "span: \(error.message) (column \(error.column)), like 2h, 30m or 1d")
        }
        guard span > .zero, span <= SnoozeRequest.maximumSpan else {
            throw DutyQueryError(.badRequest, "span must be more than 0 and at most \(SnoozeRequest.maximumSpan)")
        }
        try await check(!planned.cancelled, peer, "snooze", planned.id, "\(planned.id) is cancelled")
        let change = try await record(
            .snooze(planned.id, person: person, span: span), who: person, peer: peer, note: request.note, expected: nil)
        return result(change, occurrence: planned.id)
    }

    func addOccurrence(dutyID: String, request: AddOccurrenceRequest, peer: Peer) async throws -> ChangeResult {
        let planner = publication.current.planner
        guard let duty = planner.schedules.duty(id: dutyID) else { throw DutyQueryError(.notFound, "no duty '\(dutyID)'") }
        let at = try instant(request.at, field: "at", zone: duty.timeZone)
        let id = OccurrenceID(duty: duty.id, at: at)
        let who = try await requireAdmin(peer, "add", id.description)
        let now = clock.now()
        guard at > now else { throw DutyQueryError(.badRequest, "at: \(iso(at, duty)) is not in the future (now \(iso(now, duty)))") }
        if let existing = planner.plannedOccurrence(id) {
            throw await refused(
                peer, "add", id.description, "\(id) exists already (\(existing.status.rawValue))", status: .conflict)
        }
        let change = try await record(.add(id), who: who, peer: peer, note: request.note, expected: 0)
        return result(change, occurrence: id)
    }

    func pause(_ request: PauseRequest, peer: Peer) async throws -> ChangeResult {
        let scope = try pauseScope(request)
        let who = try await requireAdmin(peer, "pause", scope.description)
        let zone = self.zone
        let now = clock.now()
        guard let untilText = request.until else { throw DutyQueryError(.badRequest, "give until") }
        let from = try request.from.map { try instant($0, field: "from", zone: zone) } ?? now
        let until = try instant(untilText, field: "until", zone: zone, endOfDay: true)
        guard until > from, until > now else {
            throw DutyQueryError(.badRequest, "until must be after from and after now")
        }
        let change = try await record(
            .pause(scope, from: from, until: until), who: who, peer: peer, note: request.note,
            expected: request.ifRevision)
        let planner = publication.current.planner
        let pause = planner.changes.pauses.first { $0.change.id == change.id }
        return ChangeResult(change: ChangeItem(change, zone: zone), skipped: pause.map { skippedItems(planner.skipped(by: $0)) } ?? [])
    }

    func resume(_ request: PauseRequest, peer: Peer) async throws -> ChangeResult {
        guard request.from == nil, request.until == nil else {
            throw DutyQueryError(.badRequest, "resume takes no from or until: it ends the pauses now")
        }
        let scope = try pauseScope(request)
        let who = try await requireAdmin(peer, "resume", scope.description)
        let now = clock.now()
        let before = publication.current.planner.changes.pauses(of: scope, inForceAt: now).map(\.change.id)
        guard !before.isEmpty else {
            throw await refused(peer, "resume", scope.description, "no pause of \(scope) is in force or to come", status: .conflict)
        }
        let change = try await record(.resume(scope), who: who, peer: peer, note: request.note, expected: request.ifRevision)
        // What the shortened pauses skipped up to the resume.
        let planner = publication.current.planner
        let skipped = planner.changes.pauses.filter { before.contains($0.change.id) }.flatMap { planner.skipped(by: $0) }
        return ChangeResult(change: ChangeItem(change, zone: zone), skipped: skippedItems(skipped))
    }

    func changes(duty: String?) async throws -> ChangeList {
        let planner = publication.current.planner
        let schedules = planner.schedules
        if let duty, schedules.duty(id: duty) == nil { throw DutyQueryError(.notFound, "no duty '\(duty)'") }
        let orphans = Dictionary(planner.orphanedChanges.map { ($0.change.id, $0.reason) }, uniquingKeysWith: { a, _ in a })
        let now = clock.now()
        let items = planner.changes.records.filter { change in
            guard let duty else { return true }
            if let occurrence = change.action.occurrence { return occurrence.duty == duty }
            return change.action.scope == .duty(duty)
        }.map { ChangeItem($0, zone: self.zone(of: $0, in: schedules), orphaned: orphans[$0.id]) }
        let pauses = planner.changes.pauses.compactMap { pause -> PauseItem? in
            let skipped = planner.skipped(by: pause).filter { duty == nil || $0.id.duty == duty }
            if let duty, pause.scope != .duty(duty), skipped.isEmpty { return nil }
            return PauseItem(
                change: pause.change.id, scope: pause.scope.description, from: TimeFormatting.iso8601(pause.from, in: zone),
                until: TimeFormatting.iso8601(pause.until, in: zone), resumedBy: pause.resumedBy,
                inForce: pause.contains(now), actor: pause.change.actor, note: pause.change.note,
                skipped: skippedItems(skipped))
        }
        return ChangeList(changes: items, pauses: pauses)
    }

    // MARK: - Helpers

    /// The caller's name for the record, or a refusal (audited) when the caller is neither root nor in the admin
    /// group.
    private func requireAdmin(_ peer: Peer, _ action: String, _ target: String) async throws -> String {
        guard peer.isAdmin else {
            throw await refused(peer, action, target, "changing the plan needs root or the admin group")
        }
        let schedules = publication.current.planner.schedules
        return peer.account.flatMap { schedules.person(account: $0)?.id } ?? peer.account ?? "uid:\(peer.uid)"
    }

    /// A state the change needs (409 otherwise, audited).
    private func check(_ condition: Bool, _ peer: Peer, _ action: String, _ occurrence: OccurrenceID, _ reason: String)
        async throws
    {
        if !condition { throw await refused(peer, action, occurrence.description, reason, status: .conflict) }
    }

    /// Writes the refusal to the audit log and returns the error to throw.
    private func refused(
        _ peer: Peer, _ action: String, _ target: String, _ reason: String, status: DutyQueryError.Code = .forbidden
    ) async -> DutyQueryError {
        let now = clock.now()
        try? await ledger.logEvent(
            actorUID: peer.uid, action: "change refused",
            details: ["change": action, "target": target, "reason": reason, "status": status.rawValue], at: now)
        return DutyQueryError(status, reason)
    }

    /// Records a change, audits it, and waits until the scheduler has it in effect. The expected revision is the
    /// caller's `if_revision`, else the revision of the plan the request was checked against: a change recorded
    /// meanwhile by another client makes this one a conflict rather than silently overriding it.
    private func record(
        _ action: ChangeAction, who: String, peer: Peer, note: String?, expected: Int64?
    ) async throws -> OccurrenceChange {
        let planner = publication.current.planner
        let subject = action.subject
        let expected = expected ?? planner.changes.revision(of: subject)
        let now = clock.now()
        let new = NewOccurrenceChange(action: action, actorUID: peer.uid, actor: who, note: note)
        let change: OccurrenceChange
        do {
            change = try await ledger.recordChange(new, expectedRevision: expected, at: now)
        } catch let error where error.code == .conflict {
            let latest = try? await ledger.changes().last { $0.action.subject == action.subject }
            let winner = latest.map { " by \($0.actor) (change \($0.id), \($0.action.name))" } ?? ""
            throw await refused(
                peer, action.name, action.occurrence?.description ?? action.scope?.description ?? subject,
                "changed meanwhile\(winner); the revision is now \(latest?.id ?? 0), not \(expected): look again and retry",
                status: .conflict)
        } catch {
            return try await answer { () throws(LedgerError) -> OccurrenceChange in throw error }
        }
        var details = ["change": String(change.id), "action": action.name, "actor": who]
        if let occurrence = action.occurrence { details["occurrence"] = occurrence.description }
        if let scope = action.scope { details["scope"] = scope.description }
        try? await ledger.logEvent(actorUID: peer.uid, action: "change", details: details, at: now)
        await inbox.changesChanged()
        return change
    }

    /// The answer to an occurrence change: the change and the occurrence as it now stands.
    private func result(_ change: OccurrenceChange, occurrence id: OccurrenceID) -> ChangeResult {
        let planner = publication.current.planner
        let zone = planner.schedules.duty(id: id.duty)?.timeZone ?? self.zone
        let item = ChangeItem(change, zone: zone)
        guard let planned = planner.plannedOccurrence(id) else { return ChangeResult(change: item) }
        return ChangeResult(
            change: item,
            occurrence: .init(
                occurrenceId: id.description, status: planned.status.rawValue,
                at: TimeFormatting.iso8601(planned.at, in: zone),
                scheduled: planned.movedFrom.map { TimeFormatting.iso8601($0, in: zone) },
                revision: planner.changes.revision(of: id.description)))
    }

    private func skippedItems(_ occurrences: [PlannedOccurrence]) -> [SkippedOccurrence] {
        let schedules = publication.current.planner.schedules
        return occurrences.map { o in
            let duty = schedules.duty(id: o.id.duty)
            return SkippedOccurrence(
                occurrenceId: o.id.description, duty: o.id.duty, title: duty?.title ?? "",
                at: TimeFormatting.iso8601(o.at, in: duty?.timeZone ?? zone))
        }
    }

    /// The scope of a pause or resume request: exactly one of duty, role, township (by id or name).
    private func pauseScope(_ request: PauseRequest) throws -> PauseScope {
        let schedules = publication.current.planner.schedules
        let given = [request.duty, request.role, request.township].compactMap { $0 }
        guard given.count == 1 else { throw DutyQueryError(.badRequest, "give exactly one of duty, role, township") }
        if let duty = request.duty {
            guard schedules.duty(id: duty) != nil else { throw DutyQueryError(.notFound, "no duty '\(duty)'") }
            return .duty(duty)
        }
        if let role = request.role {
            guard schedules.role(id: role) != nil else { throw DutyQueryError(.notFound, "no role '\(role)'") }
            return .role(role)
        }
        let name = request.township ?? ""
        guard let township = schedules.township(id: name) ?? schedules.township(named: name) else {
            throw DutyQueryError(.notFound, "no township '\(name)'")
        }
        return .township(township.id)
    }

    /// An instant given by a client: ISO 8601 with an offset, or a local date or date-time read in `zone`; with
    /// `endOfDay`, a date alone is the end of that day (the start of the next).
    private func instant(_ text: String, field: String, zone: TimeZone, endOfDay: Bool = false) throws -> Date {
        let parsed: ISO8601Time
        do {
            parsed = try ISO8601Time(text)
        } catch {
            throw DutyQueryError(.badRequest, "\(field): \(error.message) (column \(error.column)), like 2018-10-10T15:00 or 2018-10-10T15:00:00+08:00")
        }
        if endOfDay && parsed.isDateOnly {
            return TimeFormatting.instant(parsed.date.adding(days: 1), in: zone)
        }
        return parsed.instant(defaultZone: zone)
    }

    private func iso(_ date: Date, _ duty: Duty) -> String { TimeFormatting.iso8601(date, in: duty.timeZone) }

    private func zone(of change: OccurrenceChange, in schedules: ScheduleSet) -> TimeZone {
        change.action.occurrence.flatMap { schedules.duty(id: $0.duty)?.timeZone } ?? zone
    }
}
