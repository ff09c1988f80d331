import Foundation

extension ScheduleSet {
    /// The duties events have created on top of these schedules: for every ranking trigger, the interviews and
    /// escalations its decisions call for (`InterviewPlanner`), and, with a problem trigger, one rectification
    /// duty per open problem. Recomputed from the stored rankings and problems, so resubmitting or restarting
    /// never counts twice.
    public func eventDuties(rankings: [SubmittedRanking], problems: [Problem]) -> [Duty] {
        var duties: [Duty] = []
        for rule in triggers(on: .ranking) {
            let decisions = InterviewPlanner.decisions(rule: rule, rankings: rankings)
            duties += InterviewPlanner.duties(for: decisions, rule: rule, schedules: self, timeZone: timeZone)
        }
        if let rule = trigger(on: .problem) {
            for problem in problems where problem.isOpen {
                duties.append(problem.duty(rule: rule, schedules: self, timeZone: timeZone))
            }
        }
        return duties
    }

    /// Every decision of every ranking trigger, in period order.
    public func interviewDecisions(rankings: [SubmittedRanking]) -> [InterviewDecision] {
        triggers(on: .ranking).flatMap { InterviewPlanner.decisions(rule: $0, rankings: rankings) }
    }

    /// The triggers of an event, in file order.
    public func triggers(on event: TriggerEvent) -> [TriggerRule] { triggers.filter { $0.event == event } }

    /// The first trigger of an event (problems and bulletins have one).
    public func trigger(on event: TriggerEvent) -> TriggerRule? { triggers.first { $0.event == event } }
}
