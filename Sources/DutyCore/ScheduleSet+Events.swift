import Foundation

extension ScheduleSet {
    /// The duties events have created on top of these schedules: for every ranking trigger, the interviews and
    /// escalations its decisions call for (`InterviewPlanner`), and one rectification duty per open problem.
    /// Recomputed from the stored rankings and problems, so resubmitting or restarting never counts twice.
    public func eventDuties(rankings: [SubmittedRanking], problems: [Problem]) -> [Duty] {
        var duties: [Duty] = []
        for rule in triggers where rule.event == "ranking" {
            let decisions = InterviewPlanner.decisions(rule: rule, rankings: rankings)
            duties += InterviewPlanner.duties(for: decisions, rule: rule, schedules: self, timeZone: timeZone)
        }
        for problem in problems where problem.isOpen {
            duties.append(problem.duty(schedules: self, timeZone: timeZone))
        }
        return duties
    }

    /// Every decision of every ranking trigger, in period order.
    public func interviewDecisions(rankings: [SubmittedRanking]) -> [InterviewDecision] {
        triggers.filter { $0.event == "ranking" }.flatMap { InterviewPlanner.decisions(rule: $0, rankings: rankings) }
    }
}
