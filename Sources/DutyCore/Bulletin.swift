import Foundation

/// The monthly bulletin of one township (一月一通报): its duties done and missed in the month, its open and
/// closed problems, and its interviews. Pure text composition; the daemon gathers the facts.
public struct Bulletin: Sendable {
    public struct DutyLine: Sendable, Hashable {
        public var title: String
        public var clause: String?
        public var occurrence: Date
        public var acknowledged: Bool

        public init(title: String, clause: String?, occurrence: Date, acknowledged: Bool) {
            self.title = title
            self.clause = clause
            self.occurrence = occurrence
            self.acknowledged = acknowledged
        }
    }

    public var township: Township
    public var county: County?
    /// `YYYY-MM`.
    public var month: String
    public var duties: [DutyLine]
    public var problems: [Problem]
    public var interviews: [InterviewDecision]
    public var timeZone: TimeZone

    public init(
        township: Township, county: County?, month: String, duties: [DutyLine], problems: [Problem],
        interviews: [InterviewDecision], timeZone: TimeZone
    ) {
        self.township = township
        self.county = county
        self.month = month
        self.duties = duties
        self.problems = problems
        self.interviews = interviews
        self.timeZone = timeZone
    }

    public var title: String { "\(township.name)\(month)脱贫攻坚工作通报" }

    /// The occurrences of `duties` falling in the month (local dates in `zone`), for `DutyLine`s.
    public static func monthRange(_ month: String, in zone: TimeZone) -> (after: Date, through: Date)? {
        guard let first = CivilDate(iso: month + "-01") else { return nil }
        let next = first.adding(days: CivilDate.daysInMonth(year: first.year, month: first.month))
        return (
            TimeFormatting.instant(first, in: zone).addingTimeInterval(-0.001),
            TimeFormatting.instant(next, in: zone).addingTimeInterval(-0.001)
        )
    }

    public var text: String {
        var lines: [String] = []
        lines.append(title)
        lines.append(String(repeating: "=", count: 40))
        lines.append("乡镇 / township: \(township.name)（\(county?.name ?? township.county)）")
        lines.append("月份 / month: \(month)")
        lines.append("")
        let done = duties.filter(\.acknowledged)
        let open = duties.filter { !$0.acknowledged }
        lines.append("一、任务完成情况 / duties: \(done.count) 已销号 done, \(open.count) 未销号 not acknowledged")
        for d in duties.sorted(by: { $0.occurrence < $1.occurrence }) {
            let mark = d.acknowledged ? "[已完成]" : "[未完成]"
            lines.append("  \(mark) \(TimeFormatting.localMinute(d.occurrence, in: timeZone)) \(d.title)\(d.clause.map { "（\($0)）" } ?? "")")
        }
        lines.append("")
        let openProblems = problems.filter(\.isOpen)
        let closedProblems = problems.filter { !$0.isOpen }
        lines.append("二、问题整改台账 / problems: \(openProblems.count) 未销号 open, \(closedProblems.count) 已销号 closed")
        for p in problems {
            let state = p.isOpen ? "未销号 open" : "已销号 closed \(TimeFormatting.localMinute(p.closedAt!, in: timeZone))"
            lines.append("  #\(p.id) \(p.text)（时限 \(TimeFormatting.localMinute(p.deadline, in: timeZone))，\(state)）")
        }
        lines.append("")
        lines.append("三、约谈情况 / interviews: \(interviews.filter { $0.kind == .interview }.count)，组织处理 escalations: \(interviews.filter { $0.kind == .escalation }.count)")
        for i in interviews {
            let what = i.kind == .escalation ? "组织处理 (累计约谈\(i.count)次)" : "约谈 level \(i.level ?? "") (第\(i.count)次)"
            lines.append("  \(i.period) 排名第\(i.position)位: \(what)")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}

extension Problem {
    /// The duty that reminds of a problem until it is closed, as the schedules' problem trigger says: its
    /// warnings before the deadline, the deadline, then overdue and escalation (placeholders such as
    /// `{county.role}` resolved for the problem's township). Recipients are the township's role and the people
    /// responsible.
    public func duty(rule: TriggerRule, schedules: ScheduleSet, timeZone: TimeZone) -> Duty {
        let template = rule.problem ?? ProblemDutyTemplate(title: "{text}", warnings: [], grace: 86_400, escalation: [], priority: .normal)
        let township = schedules.township(id: self.township)
        let county = township.flatMap { schedules.county(id: $0.county) }
        let recipients = [township?.role].compactMap { $0 } + responsible
        let placeholders: [String: String?] = [
            "{county.role}": county?.role, "{county.org_role}": county?.orgRole, "{county.leader_role}": county?.leaderRole,
            "{township.role}": township?.role,
        ]
        let escalation = template.escalation.compactMap { party in party.hasPrefix("{") ? placeholders[party] ?? nil : party }
        let title = template.title.replacingOccurrences(of: "{text}", with: text)
            .replacingOccurrences(of: "{township}", with: township?.name ?? self.township)
            .replacingOccurrences(of: "{id}", with: String(id))
        return Duty(
            id: dutyID, title: title, description: "\(township?.name ?? self.township) 问题整改台账 #\(id)，实行销号管理。",
            clause: rule.clause, responsible: responsible.isEmpty ? recipients : responsible, recipients: recipients,
            recurrence: .once(deadline), notBefore: nil, timeZone: timeZone, warnings: template.warnings,
            needsAcknowledgement: true, grace: template.grace, escalation: escalation, priority: template.priority,
            location: rule.location)
    }
}
