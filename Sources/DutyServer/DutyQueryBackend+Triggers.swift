import DutyAPI

/// The event side of the daemon (its triggers): rankings, interviews, the rectification ledger and
/// bulletins. A backend without it answers 404 for these endpoints.
public protocol DutyTriggerBackend: Sendable {
    /// Records a period's ranking (CSV or JSON text) and returns its decisions. Admin only.
    func submitRanking(period: String, text: String, peer: Peer) async throws -> RankingResult
    func interviews() async throws -> InterviewReport
    func problems(township: String?) async throws -> ProblemList
    func addProblem(_ request: NewProblemRequest, peer: Peer) async throws -> ProblemItem
    func closeProblem(id: Int64, request: CloseProblemRequest, peer: Peer) async throws -> CloseProblemResponse
    func bulletin(_ request: BulletinRequest, peer: Peer) async throws -> BulletinResponse
}
