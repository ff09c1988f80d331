import DutyAPI
import DutyCore
import DutyServer
import Foundation

/// The query socket's event endpoints over the trigger engine. Every change records the peer uid.
extension DaemonBackend: DutyTriggerBackend {
    private func engine() throws -> TriggerEngine {
        guard let triggers else { throw DutyQueryError(.unavailable, "event triggers are not running") }
        return triggers
    }

    private var zone: TimeZone { (try? engine().timeZone) ?? scheduler.schedules.timeZone }

    private func items(_ decisions: [InterviewDecision]) -> [InterviewItem] {
        let schedules = scheduler.schedules
        return decisions.map {
            InterviewItem($0, townshipName: schedules.township(id: $0.township)?.name ?? $0.township, zone: zone)
        }
    }

    /// Engine errors as the socket's 4xx answers.
    private func translated<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RankingErrors {
            throw DutyQueryError(.badRequest, error.description)
        } catch let error as TriggerEngine.EngineError {
            switch error {
            case .unknownProblem: throw DutyQueryError(.notFound, error.description)
            case .noRankingTrigger: throw DutyQueryError(.conflict, error.description)
            default: throw DutyQueryError(.badRequest, error.description)
            }
        }
    }

    func submitRanking(period: String, text: String, peer: Peer) throws -> RankingResult {
        guard RankingParser.isValidPeriod(period) else {
            throw DutyQueryError(.badRequest, "invalid period '\(period)': expected YYYY-MM or a label of letters, digits, '.', '_' or '-'")
        }
        let decisions = try translated { try engine().submitRanking(period: period, text: text, uid: peer.uid, now: clock.now()) }
        return RankingResult(period: period, decisions: items(decisions))
    }

    func interviews() throws -> InterviewReport {
        let decisions = try engine().interviews()
        return InterviewReport(decisions: items(decisions), counts: InterviewPlanner.counts(decisions))
    }

    func problems(township: String?) throws -> ProblemList {
        let schedules = scheduler.schedules
        var id: String?
        if let township {
            guard let t = schedules.township(id: township) ?? schedules.township(named: township) else {
                throw DutyQueryError(.badRequest, "unknown township '\(township)'")
            }
            id = t.id
        }
        return ProblemList(problems: try store.problems(township: id).map { ProblemItem($0, zone: zone) })
    }

    func addProblem(_ request: NewProblemRequest, peer: Peer) throws -> ProblemItem {
        guard let deadline = TimeFormatting.parseISO8601(request.deadline, defaultZone: zone) else {
            throw DutyQueryError(.badRequest, "deadline must be ISO 8601, like 2018-10-31T17:00:00+08:00 or 2018-10-31")
        }
        let problem = try translated {
            try engine().addProblem(
                township: request.township, text: request.text, deadline: deadline, responsible: request.responsible,
                uid: peer.uid, now: clock.now())
        }
        return ProblemItem(problem, zone: zone)
    }

    func closeProblem(id: Int64, request: CloseProblemRequest, peer: Peer) throws -> CloseProblemResponse {
        let closed = try translated {
            try engine().closeProblem(id: id, uid: peer.uid, who: peer.account ?? "uid:\(peer.uid)", note: request.note, now: clock.now())
        }
        return CloseProblemResponse(id: id, closed: closed)
    }

    func bulletin(_ request: BulletinRequest, peer: Peer) throws -> BulletinResponse {
        let bulletin = try translated {
            request.deliver
                ? try engine().deliverBulletin(township: request.township, month: request.month, uid: peer.uid, now: clock.now())
                : try engine().bulletin(township: request.township, month: request.month)
        }
        return BulletinResponse(title: bulletin.title, text: bulletin.text, delivered: request.deliver)
    }
}
