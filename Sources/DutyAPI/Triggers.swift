import DutyCore
import Foundation

/// One consequence of a ranking: an interview at a level, or the escalation (组织处理).
public struct InterviewItem: Codable, Sendable, Hashable {
    public var period: String
    public var township: String
    public var townshipName: String
    public var level: String?
    public var kind: String
    public var count: Int
    public var position: Int
    public var duty: String
    public var issuedAt: String
    public var due: String

    public init(_ decision: InterviewDecision, townshipName: String, zone: TimeZone) {
        period = decision.period
        township = decision.township
        self.townshipName = townshipName
        level = decision.level
        kind = decision.kind.rawValue
        count = decision.count
        position = decision.position
        duty = decision.dutyID
        issuedAt = TimeFormatting.iso8601(decision.issuedAt, in: zone)
        due = TimeFormatting.iso8601(decision.due, in: zone)
    }
}

/// The answer to a ranking submission: the decisions of that period.
public struct RankingResult: Codable, Sendable, Hashable {
    public var period: String
    public var decisions: [InterviewItem]

    public init(period: String, decisions: [InterviewItem]) {
        self.period = period
        self.decisions = decisions
    }
}

/// Every decision so far, and the interview counts per township and level.
public struct InterviewReport: Codable, Sendable, Hashable {
    public var decisions: [InterviewItem]
    /// township id -> level id -> interviews.
    public var counts: [String: [String: Int]]

    public init(decisions: [InterviewItem], counts: [String: [String: Int]]) {
        self.decisions = decisions
        self.counts = counts
    }
}

/// A problem of the rectification ledger (问题整改台账).
public struct ProblemItem: Codable, Sendable, Hashable {
    public var id: Int64
    public var township: String
    public var text: String
    public var deadline: String
    public var responsible: [String]
    public var open: Bool
    public var createdAt: String
    public var closedAt: String?
    public var closeNote: String?
    /// Who closed it: the peer's uid and, when the daemon knows it, the account name.
    public var closedByUid: UInt32?
    public var closedBy: String?

    public init(_ problem: Problem, zone: TimeZone, closedByName: String? = nil) {
        id = problem.id
        township = problem.township
        text = problem.text
        deadline = TimeFormatting.iso8601(problem.deadline, in: zone)
        responsible = problem.responsible
        open = problem.isOpen
        createdAt = TimeFormatting.iso8601(problem.createdAt, in: zone)
        closedAt = problem.closedAt.map { TimeFormatting.iso8601($0, in: zone) }
        closeNote = problem.closeNote
        closedByUid = problem.closedBy
        closedBy = closedByName
    }
}

public struct ProblemList: Codable, Sendable, Hashable {
    public var problems: [ProblemItem]

    public init(problems: [ProblemItem]) { self.problems = problems }
}

/// `POST /v1/problems`: record a problem found in an inspection.
public struct NewProblemRequest: Codable, Sendable, Hashable {
    public var township: String
    public var text: String
    /// ISO 8601 (`2018-10-31T17:00:00+08:00`, or a local `2018-10-31` read in the schedules' zone).
    public var deadline: String
    public var responsible: [String]

    public init(township: String, text: String, deadline: String, responsible: [String] = []) {
        self.township = township
        self.text = text
        self.deadline = deadline
        self.responsible = responsible
    }

    enum CodingKeys: String, CodingKey { case township, text, deadline, responsible }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["township", "text", "deadline", "responsible"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        township = try c.decode(String.self, forKey: .township)
        text = try c.decode(String.self, forKey: .text)
        deadline = try c.decode(String.self, forKey: .deadline)
        responsible = try c.decodeIfPresent([String].self, forKey: .responsible) ?? []
    }
}

/// `POST /v1/problems/{id}/close`: close a problem (销号).
public struct CloseProblemRequest: Codable, Sendable, Hashable {
    public var note: String?

    public init(note: String? = nil) { self.note = note }

    enum CodingKeys: String, CodingKey { case note }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["note"])
        note = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .note)
    }
}

public struct CloseProblemResponse: Codable, Sendable, Hashable {
    public var id: Int64
    /// False when it was closed already.
    public var closed: Bool

    public init(id: Int64, closed: Bool) {
        self.id = id
        self.closed = closed
    }
}

/// `POST /v1/bulletins`: compose a township's monthly bulletin (一月一通报) and, by default, deliver it.
public struct BulletinRequest: Codable, Sendable, Hashable {
    public var township: String
    /// `YYYY-MM`.
    public var month: String
    public var deliver: Bool

    public init(township: String, month: String, deliver: Bool = true) {
        self.township = township
        self.month = month
        self.deliver = deliver
    }

    enum CodingKeys: String, CodingKey { case township, month, deliver }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["township", "month", "deliver"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        township = try c.decode(String.self, forKey: .township)
        month = try c.decode(String.self, forKey: .month)
        deliver = try c.decodeIfPresent(Bool.self, forKey: .deliver) ?? true
    }
}

public struct BulletinResponse: Codable, Sendable, Hashable {
    public var title: String
    public var text: String
    public var delivered: Bool

    public init(title: String, text: String, delivered: Bool) {
        self.title = title
        self.text = text
        self.delivered = delivered
    }
}
