import Foundation

/// A ranking as recorded: the ranking and when (and by whom) it was last submitted.
public struct SubmittedRanking: Sendable, Hashable, Codable {
    public var ranking: Ranking
    public var submittedAt: Date
    public var submittedBy: UInt32?

    public init(ranking: Ranking, submittedAt: Date, submittedBy: UInt32? = nil) {
        self.ranking = ranking
        self.submittedAt = submittedAt
        self.submittedBy = submittedBy
    }
}

/// One consequence of a ranking: an interview at one level, or the escalation for organisational handling.
public struct InterviewDecision: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case interview
        case escalation
    }

    public var trigger: String
    public var period: String
    public var township: String
    /// The level id for interviews; nil for an escalation.
    public var level: String?
    public var kind: Kind
    /// For an interview: the township's interview count at this level including this one. For an escalation:
    /// the count that triggered it.
    public var count: Int
    /// The township's position in the period's ranking.
    public var position: Int
    public var issuedAt: Date
    public var due: Date

    /// The id of the duty this decision becomes; stable, so resubmitting a period yields the same ids.
    public var dutyID: String {
        "\(trigger).\(period).\(township).\(level ?? "escalation")"
    }
}

/// Applies a ranking trigger rule to the recorded rankings, in period order.
///
/// For each period, every township in the bottom N (ties per the rule) is interviewed at each level, and its
/// count per level goes up by one. A township whose count has reached `escalateAfter` at any level and that is in
/// the bottom N again is escalated (组织处理) instead of being interviewed again. Decisions are a pure function of
/// the rankings: resubmitting a period replaces that ranking and recomputing counts nothing twice.
public enum InterviewPlanner {
    public static func decisions(rule: TriggerRule, rankings: [SubmittedRanking]) -> [InterviewDecision] {
        var counts: [String: [String: Int]] = [:]  // township -> level -> interviews so far
        var result: [InterviewDecision] = []
        for submitted in rankings.sorted(by: { $0.ranking.period < $1.ranking.period }) {
            let ranking = submitted.ranking
            let due = submitted.submittedAt.addingTimeInterval(rule.dueWithin)
            for township in ranking.bottom(rule.bottom, ties: rule.ties) {
                let position = ranking.entries.first { $0.township == township }?.position ?? 0
                let levelCounts = counts[township, default: [:]]
                let most = levelCounts.values.max() ?? 0
                if most >= rule.escalateAfter {
                    result.append(
                        InterviewDecision(
                            trigger: rule.id, period: ranking.period, township: township, level: nil, kind: .escalation,
                            count: most, position: position, issuedAt: submitted.submittedAt, due: due))
                    continue
                }
                for level in rule.levels {
                    let count = levelCounts[level.id, default: 0] + 1
                    counts[township, default: [:]][level.id] = count
                    result.append(
                        InterviewDecision(
                            trigger: rule.id, period: ranking.period, township: township, level: level.id, kind: .interview,
                            count: count, position: position, issuedAt: submitted.submittedAt, due: due))
                }
            }
        }
        return result
    }

    /// Interview counts per township and level after all periods.
    public static func counts(_ decisions: [InterviewDecision]) -> [String: [String: Int]] {
        var counts: [String: [String: Int]] = [:]
        for d in decisions where d.kind == .interview {
            counts[d.township, default: [:]][d.level ?? "", default: 0] += 1
        }
        return counts
    }

    /// The duties the decisions create: reminded, journaled and mailed like any duty, with an `interview` (or
    /// `escalation`) notice when issued, the due notice at the deadline, and an overdue notice if nobody
    /// acknowledges the interview as held.
    public static func duties(for decisions: [InterviewDecision], rule: TriggerRule, schedules: ScheduleSet, timeZone: TimeZone) -> [Duty] {
        decisions.map { decision in
            let township = schedules.township(id: decision.township)
            let county = township.flatMap { schedules.county(id: $0.county) }
            var values = [
                "township": township?.name ?? decision.township, "county": county?.name ?? "",
                "count": String(decision.count), "period": decision.period,
            ]
            values["county.role"] = county?.role ?? ""
            values["county.org_role"] = county?.orgRole ?? county?.role ?? ""
            values["county.leader_role"] = county?.leaderRole ?? county?.role ?? ""
            values["township.role"] = township?.role ?? ""
            func fill(_ text: String) -> String {
                var out = text
                for (key, value) in values { out = out.replacingOccurrences(of: "{\(key)}", with: value) }
                return out
            }
            let location = rule.location
            switch decision.kind {
            case .interview:
                let level = rule.levels.first { $0.id == decision.level }
                let interviewers = (level?.interviewer ?? []).map(fill).filter { !$0.isEmpty }
                var duty = Duty(
                    id: decision.dutyID, title: fill(level?.title ?? "约谈"),
                    description: "\(decision.period) 排名第\(decision.position)位（后\(rule.bottom)位），约谈\(level?.interviewee ?? "")；该层级累计约谈\(decision.count)次。",
                    clause: rule.clause, responsible: interviewers, recipients: interviewers + [township?.role].compactMap { $0 },
                    recurrence: .once(decision.due), timeZone: timeZone, needsAcknowledgement: true, grace: 86_400,
                    escalation: rule.escalationTo, priority: .high, location: location)
                duty.issuedAt = decision.issuedAt
                duty.issueKind = .interview
                return duty
            case .escalation:
                var duty = Duty(
                    id: decision.dutyID, title: fill(rule.escalationTitle),
                    description: "\(decision.period) 排名第\(decision.position)位，累计约谈\(decision.count)次后仍在后\(rule.bottom)位：进行组织处理。",
                    clause: rule.clause, responsible: rule.escalationTo, recipients: rule.escalationTo,
                    recurrence: .once(decision.due), timeZone: timeZone, needsAcknowledgement: true, grace: 86_400,
                    priority: .alert, location: location)
                duty.issuedAt = decision.issuedAt
                duty.issueKind = .escalation
                return duty
            }
        }
    }
}
