import DutyCore
import DutyStore
import Foundation
import Logging

/// Event-driven duties (clause 二(一)2 and 3): rankings submitted by an admin become interview and escalation
/// duties, problems found in inspections become rectification duties until closed (销号), and a township's
/// monthly bulletin is composed and delivered on demand. Everything is persisted in the store and recomputed
/// from it, so resubmitting or restarting never counts twice.
final class TriggerEngine: Sendable {
    let store: DutyStore
    let logger: Logger
    /// The schedules from the files (current after reloads).
    let schedules: @Sendable () -> ScheduleSet
    /// Receives the full set of event duties whenever it changes.
    let publish: @Sendable ([Duty]) -> Void
    /// Delivers reminders at once (bulletins).
    let deliver: @Sendable ([Reminder]) -> Void

    init(
        store: DutyStore, logger: Logger, schedules: @escaping @Sendable () -> ScheduleSet,
        publish: @escaping @Sendable ([Duty]) -> Void, deliver: @escaping @Sendable ([Reminder]) -> Void
    ) {
        self.store = store
        self.logger = logger
        self.schedules = schedules
        self.publish = publish
        self.deliver = deliver
    }

    enum EngineError: Error, CustomStringConvertible {
        case unknownTownship(String)
        case unknownProblem(Int64)
        case noRankingTrigger
        case invalid(String)

        var description: String {
            switch self {
            case .unknownTownship(let t): "unknown township '\(t)'"
            case .unknownProblem(let id): "no problem #\(id)"
            case .noRankingTrigger: "the schedules declare no ranking trigger"
            case .invalid(let why): why
            }
        }
    }

    var timeZone: TimeZone {
        schedules().timeZone
    }

    /// Recomputes every event duty from the store and hands the set to the scheduler.
    func refresh() throws {
        publish(try eventDuties())
    }

    func eventDuties() throws -> [Duty] {
        let set = schedules()
        let rankings = try store.rankings()
        var duties: [Duty] = []
        for rule in set.triggers where rule.event == "ranking" {
            let decisions = InterviewPlanner.decisions(rule: rule, rankings: rankings)
            duties += InterviewPlanner.duties(for: decisions, rule: rule, schedules: set, timeZone: timeZone)
        }
        for problem in try store.problems() where problem.isOpen {
            duties.append(problem.duty(schedules: set, timeZone: timeZone))
        }
        return duties
    }

    // MARK: Rankings and interviews

    /// Records a period's ranking (replacing an earlier one of the same period) and returns the decisions it
    /// leads to for that period.
    func submitRanking(period: String, text: String, uid: UInt32?, now: Date) throws -> [InterviewDecision] {
        let set = schedules()
        guard set.triggers.contains(where: { $0.event == "ranking" }) else { throw EngineError.noRankingTrigger }
        let ranking = try RankingParser.parse(text, period: period, townships: set.townships)
        try store.saveRanking(SubmittedRanking(ranking: ranking, submittedAt: now, submittedBy: uid))
        try store.logEvent(actorUID: uid, action: "ranking.submit", details: ["period": period], at: now)
        try refresh()
        let decisions = try interviews().filter { $0.period == period }
        logger.notice(
            "ranking submitted",
            metadata: ["ranking.period": "\(period)", "ranking.decisions": "\(decisions.count)", "peer.uid": "\(uid.map(String.init) ?? "-")"])
        return decisions
    }

    /// Every decision of every ranking trigger, in period order.
    func interviews() throws -> [InterviewDecision] {
        let rankings = try store.rankings()
        return schedules().triggers.filter { $0.event == "ranking" }.flatMap {
            InterviewPlanner.decisions(rule: $0, rankings: rankings)
        }
    }

    // MARK: Rectification ledger

    func addProblem(township: String, text: String, deadline: Date, responsible: [String], uid: UInt32?, now: Date) throws -> Problem {
        let set = schedules()
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
        let problem = try store.addProblem(township: t.id, text: trimmed, deadline: deadline, responsible: responsible, at: now, by: uid)
        try store.logEvent(actorUID: uid, action: "problem.add", details: ["id": String(problem.id), "township": t.id], at: now)
        try refresh()
        return problem
    }

    /// Closes a problem (销号): its reminders stop, and its occurrence counts as acknowledged.
    func closeProblem(id: Int64, uid: UInt32?, who: String, note: String?, now: Date) throws -> Bool {
        guard let problem = try store.problems().first(where: { $0.id == id }) else { throw EngineError.unknownProblem(id) }
        let closed = try store.closeProblem(id: id, at: now, by: uid, note: note)
        let occurrenceID = OccurrenceID(duty: problem.dutyID, at: problem.deadline).description
        try store.acknowledge(occurrenceID: occurrenceID, by: who, uid: uid, note: note, at: now)
        try store.logEvent(actorUID: uid, action: "problem.close", details: ["id": String(id)], at: now)
        try refresh()
        return closed
    }

    // MARK: Bulletins

    func bulletin(township: String, month: String) throws -> Bulletin {
        let set = schedules()
        guard let t = set.township(id: township) ?? set.township(named: township) else {
            throw EngineError.unknownTownship(township)
        }
        let zone = timeZone
        guard let range = Bulletin.monthRange(month, in: zone) else {
            throw EngineError.invalid("invalid month '\(month)': expected YYYY-MM")
        }
        var lines: [Bulletin.DutyLine] = []
        let all = set.adding(duties: try eventDuties())
        for duty in all.duties where t.role.map({ (duty.recipients + duty.responsible).contains($0) }) ?? false {
            for occurrence in duty.occurrences(after: range.after, through: range.through) {
                let occurrenceID = OccurrenceID(duty: duty.id, at: occurrence).description
                lines.append(
                    Bulletin.DutyLine(
                        title: duty.title, clause: duty.clause, occurrence: occurrence,
                        acknowledged: try store.isAcknowledged(occurrenceID: occurrenceID)))
            }
        }
        let problems = try store.problems(township: t.id).filter { $0.createdAt <= range.through }
        let interviews = try self.interviews().filter { $0.township == t.id && $0.period == month }
        return Bulletin(
            township: t, county: set.county(id: t.county), month: month, duties: lines, problems: problems,
            interviews: interviews, timeZone: zone)
    }

    /// Composes the bulletin and delivers it (journal and mail) to the township and its county.
    func deliverBulletin(township: String, month: String, uid: UInt32?, now: Date) throws -> Bulletin {
        let bulletin = try self.bulletin(township: township, month: month)
        let set = schedules()
        let parties = [bulletin.township.role, bulletin.county?.role].compactMap { $0 }
        let reminders = set.persons(for: parties).map { person in
            Reminder(
                dutyID: "bulletin.\(bulletin.township.id).\(month)", title: bulletin.title, description: bulletin.text,
                clause: "二(一)2", responsible: parties.map { set.displayName(of: $0) }, occurrence: now,
                timeZoneIdentifier: timeZone.identifier, fireAt: now, kind: .bulletin, priority: .normal,
                recipient: person.recipient, scheduleFile: nil)
        }
        try store.logEvent(actorUID: uid, action: "bulletin.deliver", details: ["township": bulletin.township.id, "month": month], at: now)
        deliver(reminders)
        return bulletin
    }
}
