import DutyCore
import Foundation
import Logging

/// Event-driven duties: rankings submitted by an admin become interview and escalation duties, problems found in
/// inspections become rectification duties until closed (销号), and a township's monthly bulletin is composed
/// and delivered on demand. Everything is stored in the ledger; the scheduler's loop computes the event duties
/// from it (`ScheduleSet.eventDuties`), so resubmitting or restarting never counts twice. A change returns once
/// the scheduler has its duties in effect.
struct TriggerEngine: Sendable {
    let ledger: any Ledger
    let publication: PlanPublication
    let inbox: SchedulerInbox
    let logger: Logger

    enum EngineError: Error, CustomStringConvertible {
        case unknownTownship(String)
        case unknownProblem(Int64)
        case noTrigger(TriggerEvent)
        case invalid(String)

        var description: String {
            switch self {
            case .unknownTownship(let t): "unknown township '\(t)'"
            case .unknownProblem(let id): "no problem #\(id)"
            case .noTrigger(let event): "the schedules declare no trigger on = \"\(event.rawValue)\""
            case .invalid(let why): why
            }
        }
    }

    /// The schedules from the files in effect.
    var schedules: ScheduleSet { publication.current.base }

    var timeZone: TimeZone { schedules.timeZone }

    // MARK: Rankings and interviews

    /// Records a period's ranking (replacing an earlier one of the same period) and returns the decisions it
    /// leads to for that period.
    func submitRanking(period: String, text: String, uid: UInt32?, now: Date) async throws -> [InterviewDecision] {
        let set = schedules
        guard set.trigger(on: .ranking) != nil else { throw EngineError.noTrigger(.ranking) }
        let ranking = try RankingParser.parse(text, period: period, townships: set.townships)
        try await ledger.saveRanking(SubmittedRanking(ranking: ranking, submittedAt: now, submittedBy: uid))
        try await ledger.logEvent(actorUID: uid, action: "ranking.submit", details: ["period": period], at: now)
        await inbox.eventsChanged()
        let decisions = try await interviews().filter { $0.period == period }
        logger.notice(
            "ranking submitted",
            metadata: ["ranking.period": "\(period)", "ranking.decisions": "\(decisions.count)", "peer.uid": "\(uid.map(String.init) ?? "-")"])
        return decisions
    }

    /// Every decision of every ranking trigger, in period order.
    func interviews() async throws -> [InterviewDecision] {
        schedules.interviewDecisions(rankings: try await ledger.rankings())
    }

    // MARK: Rectification ledger

    func addProblem(township: String, text: String, deadline: Date, responsible: [String], uid: UInt32?, now: Date) async throws
        -> Problem
    {
        let set = schedules
        guard set.trigger(on: .problem) != nil else { throw EngineError.noTrigger(.problem) }
        guard let t = set.township(id: township) ?? set.township(named: township) else {
            throw EngineError.unknownTownship(township)
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 4096, !trimmed.contains(where: { $0.isNewline }) else {
            throw EngineError.invalid("the problem text must be one line of 1 to 4096 bytes")
        }
        for party in responsible where !set.isParty(party) {
            throw EngineError.invalid("unknown role or person '\(party)'")
        }
        let problem = try await ledger.addProblem(
            NewProblem(township: t.id, text: trimmed, deadline: deadline, responsible: responsible, createdBy: uid), at: now)
        try await ledger.logEvent(actorUID: uid, action: "problem.add", details: ["id": String(problem.id), "township": t.id], at: now)
        await inbox.eventsChanged()
        return problem
    }

    /// Closes a problem (销号): its reminders stop, and its occurrence counts as acknowledged.
    func closeProblem(id: Int64, uid: UInt32?, who: String, note: String?, now: Date) async throws -> Bool {
        guard let problem = try await ledger.problems(township: nil).first(where: { $0.id == id }) else {
            throw EngineError.unknownProblem(id)
        }
        let closed = try await ledger.closeProblem(id: id, at: now, by: uid, note: note)
        _ = try await ledger.acknowledge(
            occurrenceID: OccurrenceID(duty: problem.dutyID, at: problem.deadline).description, by: who, uid: uid, note: note,
            at: now)
        try await ledger.logEvent(actorUID: uid, action: "problem.close", details: ["id": String(id)], at: now)
        await inbox.eventsChanged()
        return closed
    }

    // MARK: Bulletins

    func bulletin(township: String, month: String) async throws -> Bulletin {
        let set = schedules
        guard let t = set.township(id: township) ?? set.township(named: township) else {
            throw EngineError.unknownTownship(township)
        }
        let zone = timeZone
        guard let range = Bulletin.monthRange(month, in: zone) else {
            throw EngineError.invalid("invalid month '\(month)': expected YYYY-MM")
        }
        let rankings = try await ledger.rankings()
        let problems = try await ledger.problems(township: nil)
        let all = set.adding(duties: set.eventDuties(rankings: rankings, problems: problems))
        var occurrences: [(Duty, Date)] = []
        for duty in all.duties where t.role.map({ (duty.recipients + duty.responsible).contains($0) }) ?? false {
            for occurrence in duty.occurrences(after: range.after, through: range.through) {
                occurrences.append((duty, occurrence))
            }
        }
        let acknowledged = try await ledger.acknowledged(
            among: Set(occurrences.map { OccurrenceID(duty: $0.0.id, at: $0.1).description }))
        let lines = occurrences.map { duty, occurrence in
            Bulletin.DutyLine(
                title: duty.title, clause: duty.clause, occurrence: occurrence,
                acknowledged: acknowledged.contains(OccurrenceID(duty: duty.id, at: occurrence).description))
        }
        let interviews = set.interviewDecisions(rankings: rankings).filter { $0.township == t.id && $0.period == month }
        return Bulletin(
            township: t, county: set.county(id: t.county), month: month, duties: lines,
            problems: problems.filter { $0.township == t.id && $0.createdAt <= range.through },
            interviews: interviews, timeZone: zone)
    }

    /// Composes the bulletin and delivers it (journal and mail) to the township and its county.
    func deliverBulletin(township: String, month: String, uid: UInt32?, now: Date) async throws -> Bulletin {
        let set = schedules
        guard let rule = set.trigger(on: .bulletin) else { throw EngineError.noTrigger(.bulletin) }
        let bulletin = try await self.bulletin(township: township, month: month)
        let parties = [bulletin.township.role, bulletin.county?.role].compactMap { $0 }
        let reminders = set.persons(for: parties).map { person in
            Reminder(
                dutyID: "bulletin.\(bulletin.township.id).\(month)", title: bulletin.title, description: bulletin.text,
                clause: rule.clause, responsible: parties.map { set.displayName(of: $0) }, occurrence: now,
                timeZoneIdentifier: timeZone.identifier, fireAt: now, kind: .bulletin, priority: .normal,
                recipient: person.recipient, scheduleFile: nil)
        }
        try await ledger.logEvent(
            actorUID: uid, action: "bulletin.deliver", details: ["township": bulletin.township.id, "month": month], at: now)
        await inbox.deliverNow(reminders)
        return bulletin
    }
}
