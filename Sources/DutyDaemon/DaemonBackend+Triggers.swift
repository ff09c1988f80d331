import DutyAPI
import DutyCore
import DutyServer
import Foundation

/// The query socket's event endpoints over the trigger engine. Every change records the peer uid.
extension DaemonBackend: DutyTriggerBackend {
    private func items(_ decisions: [InterviewDecision]) -> [InterviewItem] {
        let schedules = triggers.schedules
        return decisions.map {
            InterviewItem($0, townshipName: schedules.township(id: $0.township)?.name ?? $0.township, zone: zone)
        }
    }

    /// Engine errors as the socket's 4xx answers.
    private func translated<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as LedgerError {
            return try await answer { () throws(LedgerError) in throw error }
        } catch let error as RankingErrors {
            throw DutyQueryError(.badRequest, error.description)
        } catch let error as TriggerEngine.EngineError {
            switch error {
            case .unknownProblem: throw DutyQueryError(.notFound, error.description)
            case .noTrigger: throw DutyQueryError(.conflict, error.description)
            default: throw DutyQueryError(.badRequest, error.description)
            }
        }
    }

    func submitRanking(period: String, text: String, peer: Peer) async throws -> RankingResult {
        guard RankingParser.isValidPeriod(period) else {
            throw DutyQueryError(.badRequest, "invalid period '\(period)': expected YYYY-MM or a label of letters, digits, '.', '_' or '-'")
        }
        let now = clock.now()
        let decisions = try await translated { try await triggers.submitRanking(period: period, text: text, uid: peer.uid, now: now) }
        return RankingResult(period: period, decisions: items(decisions))
    }

    func interviews() async throws -> InterviewReport {
        let decisions = try await translated { try await triggers.interviews() }
        return InterviewReport(decisions: items(decisions), counts: InterviewPlanner.counts(decisions))
    }

    func problems(township: String?) async throws -> ProblemList {
        let schedules = triggers.schedules
        var id: String?
        if let township {
            guard let t = schedules.township(id: township) ?? schedules.township(named: township) else {
                throw DutyQueryError(.notFound, "no township '\(township)'")
            }
            id = t.id
        }
        let problems = try await answer { () throws(LedgerError) in try await ledger.problems(township: id) }
        return ProblemList(problems: problems.map { ProblemItem($0, zone: zone, closedByName: $0.closedBy.flatMap(Self.accountName)) })
    }

    func addProblem(_ request: NewProblemRequest, peer: Peer) async throws -> ProblemItem {
        guard let deadline = TimeFormatting.parseISO8601(request.deadline, defaultZone: zone) else {
            throw DutyQueryError(.badRequest, "deadline must be ISO 8601, like 2018-10-31T17:00:00+08:00 or 2018-10-31")
        }
        let now = clock.now()
        let problem = try await translated {
            try await triggers.addProblem(
                township: request.township, text: request.text, deadline: deadline, responsible: request.responsible,
                uid: peer.uid, now: now)
        }
        return ProblemItem(problem, zone: zone)
    }

    func closeProblem(id: Int64, request: CloseProblemRequest, peer: Peer) async throws -> CloseProblemResponse {
        let now = clock.now()
        let closed = try await translated {
            try await triggers.closeProblem(id: id, uid: peer.uid, who: peer.account ?? "uid:\(peer.uid)", note: request.note, now: now)
        }
        return CloseProblemResponse(id: id, closed: closed)
    }

    func bulletin(_ request: BulletinRequest, peer: Peer) async throws -> BulletinResponse {
        let now = clock.now()
        let bulletin = try await translated {
            request.deliver
                ? try await triggers.deliverBulletin(township: request.township, month: request.month, uid: peer.uid, now: now)
                : try await triggers.bulletin(township: request.township, month: request.month)
        }
        return BulletinResponse(title: bulletin.title, text: bulletin.text, delivered: request.deliver)
    }
}
