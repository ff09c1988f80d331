import DutyConformance
import DutyCore
import DutySchedules
import DutyStore
import DutyTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import DutyDaemon

/// The trigger engine on the shipped plan with a real (in-memory) SQLite store: rankings to interviews and
/// escalation, idempotent resubmission, restarts, problems closed by 销号, and bulletins.
@Suite struct TriggerEngineTests {
    final class Sink: Sendable {
        let duties = Mutex<[Duty]>([])
        let delivered = Mutex<[Reminder]>([])
    }

    static let plan: ScheduleSet = {
        let result = ScheduleLoader(directories: [TestSupport.shippedSchedules]).load()
        precondition(result.errors.isEmpty, "\(result.errors)")
        return result.schedules!
    }()

    /// An engine over the store, with a stand-in for the scheduler's loop that answers its events: it computes
    /// the event duties from the ledger as the loop does (`ScheduleSet.eventDuties`) into `sink.duties`, and
    /// collects reminders to deliver at once into `sink.delivered`.
    static func engine(store: DutyStore, sink: Sink) -> TriggerEngine {
        let ledger = SQLiteLedger(store: store, executor: TestExecutor())
        let (events, inbox) = SchedulerInbox.make()
        Task {
            for await event in events {
                switch event {
                case .eventsChanged(let reply):
                    if let rankings = try? await ledger.rankings(), let problems = try? await ledger.problems(township: nil) {
                        let duties = plan.eventDuties(rankings: rankings, problems: problems)
                        sink.duties.withLock { $0 = duties }
                    }
                    reply?()
                case .deliverNow(let reminders, let reply):
                    sink.delivered.withLock { $0 += reminders }
                    reply?()
                default:
                    break
                }
            }
        }
        return TriggerEngine(ledger: ledger, publication: PlanPublication(schedules: plan), inbox: inbox, logger: Logger(label: "test"))
    }

    /// Scores with the named townships worst (worst last).
    static func ranking(worst: [String]) -> String {
        var lines = ["township,score"]
        var score = 100
        for t in plan.townships where !worst.contains(t.name) {
            lines.append("\(t.name),\(score)")
            score -= 1
        }
        for name in worst {
            lines.append("\(name),\(score)")
            score -= 1
        }
        return lines.joined(separator: "\n")
    }

    static let t0 = Date(timeIntervalSince1970: 1_540_000_000)

    @Test func threeRankingsAndARestart() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sink = Sink()
        do {
            let engine = Self.engine(store: try DutyStore(path: dir + "/dutyd.sqlite"), sink: sink)
            let october = try await engine.submitRanking(period: "2018-10", text: Self.ranking(worst: ["则黑乡", "汤丹镇", "乌蒙乡"]), uid: 0, now: Self.t0)
            #expect(october.count == 9)
            // Resubmitting the same period changes nothing.
            let again = try await engine.submitRanking(period: "2018-10", text: Self.ranking(worst: ["则黑乡", "汤丹镇", "乌蒙乡"]), uid: 0, now: Self.t0)
            #expect(again.map(\.dutyID) == october.map(\.dutyID))
            _ = try await engine.submitRanking(period: "2018-11", text: Self.ranking(worst: ["汤丹镇", "因民镇", "雪山乡"]), uid: 0, now: Self.t0.addingTimeInterval(30 * 86_400))
        }
        // A restart between periods: a new engine over the same database file.
        let engine = Self.engine(store: try DutyStore(path: dir + "/dutyd.sqlite"), sink: sink)
        let december = try await engine.submitRanking(period: "2018-12", text: Self.ranking(worst: ["阿旺镇", "则黑乡", "汤丹镇"]), uid: 0, now: Self.t0.addingTimeInterval(60 * 86_400))
        let tangdan = december.filter { $0.township == "tangdan" }
        #expect(tangdan.map(\.kind) == [.escalation])
        #expect(tangdan.first?.count == 2)
        let counts = InterviewPlanner.counts(try await engine.interviews())
        #expect(counts["tangdan"] == ["city": 2, "county": 2, "county-org": 2])
        // The event duties include the escalation for 组织处理, to the city organisation department, at alert.
        let escalation = try #require(sink.duties.withLock { $0 }.first { $0.id == "ranking-interviews.2018-12.tangdan.escalation" })
        #expect(escalation.issueKind == .escalation)
        #expect(escalation.priority == .alert)
        #expect(escalation.recipients == ["city-org-dept"])
        #expect(escalation.title == "组织处理：汤丹镇累计约谈2次后排名仍在后三位")
    }

    @Test func badRankingChangesNothing() async throws {
        let sink = Sink()
        let store = try DutyStore.inMemory()
        let engine = Self.engine(store: store, sink: sink)
        await #expect(throws: RankingErrors.self) {
            try await engine.submitRanking(period: "2018-10", text: "township,score\n汤丹镇,1\n汤丹镇,2\n", uid: 0, now: Self.t0)
        }
        #expect(try store.rankings().isEmpty)
        #expect(sink.duties.withLock { $0 }.isEmpty)
    }

    @Test func problemIsRemindedUntilClosed() async throws {
        let sink = Sink()
        let engine = Self.engine(store: try DutyStore.inMemory(), sink: sink)
        let deadline = Self.t0.addingTimeInterval(10 * 86_400)
        let problem = try await engine.addProblem(township: "汤丹镇", text: "饮水安全未达标", deadline: deadline, responsible: [], uid: 0, now: Self.t0)
        let duty = try #require(sink.duties.withLock { $0 }.first { $0.id == problem.dutyID })
        #expect(duty.recipients == ["tangdan-township"])
        #expect(duty.escalation == ["dongchuan-committee"])
        #expect(try await engine.closeProblem(id: problem.id, uid: 0, who: "root", note: "已整改", now: Self.t0.addingTimeInterval(86_400)))
        #expect(sink.duties.withLock { $0 }.allSatisfy { $0.id != problem.dutyID })
        #expect(try await engine.closeProblem(id: problem.id, uid: 0, who: "root", note: nil, now: Self.t0) == false)
        await #expect(throws: TriggerEngine.EngineError.self) {
            try await engine.addProblem(township: "北京", text: "x", deadline: deadline, responsible: [], uid: 0, now: Self.t0)
        }
    }

    @Test func bulletinListsDutiesProblemsAndInterviews() async throws {
        let sink = Sink()
        let engine = Self.engine(store: try DutyStore.inMemory(), sink: sink)
        _ = try await engine.submitRanking(period: "2018-10", text: Self.ranking(worst: ["则黑乡", "汤丹镇", "乌蒙乡"]), uid: 0, now: Self.t0)
        _ = try await engine.addProblem(township: "tangdan", text: "台账未更新", deadline: Self.t0.addingTimeInterval(86_400), responsible: [], uid: 0, now: Self.t0)
        let bulletin = try await engine.deliverBulletin(township: "汤丹镇", month: "2018-10", uid: 0, now: Self.t0)
        #expect(bulletin.title == "汤丹镇2018-10脱贫攻坚工作通报")
        #expect(bulletin.text.contains("汤丹镇问题整改工作台账销号"))  // its monthly ledger duty
        #expect(bulletin.text.contains("台账未更新"))
        #expect(bulletin.interviews.count == 3)
        let delivered = sink.delivered.withLock { $0 }
        #expect(!delivered.isEmpty)
        #expect(delivered.allSatisfy { $0.kind == .bulletin && $0.description == bulletin.text })
        #expect(Set(delivered.map(\.recipient.id)).count == delivered.count)
    }
}
