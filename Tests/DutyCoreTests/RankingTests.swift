import Foundation
import Testing

@testable import DutyCore

/// Rankings of townships and the interview rule of clause 二(一)3 (bottom three interviewed at three levels;
/// after two interviews, still in the bottom three: 组织处理).
@Suite struct RankingTests {
    static let names = [
        ("awang", "阿旺镇", "dongchuan"), ("tongdu", "铜都镇", "dongchuan"), ("yinmin", "因民镇", "dongchuan"),
        ("shekuai", "舍块乡", "dongchuan"), ("tangdan", "汤丹镇", "dongchuan"), ("hongtudi", "红土地镇", "dongchuan"),
        ("zhuanlong", "转龙镇", "luquan"), ("xueshan", "雪山乡", "luquan"), ("wumeng", "乌蒙乡", "luquan"),
        ("malutang", "马鹿塘", "luquan"), ("cuihua", "翠华镇", "luquan"), ("zehei", "则黑乡", "luquan"),
        ("zhongping", "中屏镇", "luquan"),
    ]
    static let townships = names.map {
        Township(id: $0.0, name: $0.1, county: $0.2, existingUnits: [], addedUnits: [], role: "\($0.0)-township")
    }

    static let rule = TriggerRule(
        id: "ranking-interviews", clause: "二(一)3", event: .ranking, bottom: 3, ties: .include, dueWithin: 7 * 86_400,
        escalateAfter: 2, escalationTo: ["city-org-dept"], escalationTitle: "组织处理：{township}累计约谈{count}次后排名仍在后三位",
        levels: [
            .init(id: "city", title: "市委组织部约谈{county}包保{township}的县区责任领导", interviewer: ["city-org-dept"], interviewee: "x"),
            .init(id: "county", title: "{county}委主要领导约谈{township}党政主要领导", interviewer: ["{county.leader_role}"], interviewee: "y"),
            .init(id: "county-org", title: "{county}委组织部约谈{township}党政责任领导", interviewer: ["{county.org_role}"], interviewee: "z"),
        ], location: SourceLocation(file: "triggers.toml"))

    /// A CSV by scores where the given townships are the worst three (in that order, worst last).
    static func csv(worst: [String]) -> String {
        var lines = ["township,score"]
        var score = 100.0
        for t in townships where !worst.contains(t.id) {
            lines.append("\(t.name),\(score)")
            score -= 1
        }
        for id in worst {
            lines.append("\(id),\(score)")
            score -= 1
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func submit(_ period: String, worst: [String], day: Int) throws -> SubmittedRanking {
        let ranking = try RankingParser.parse(csv(worst: worst), period: period, townships: townships)
        return SubmittedRanking(ranking: ranking, submittedAt: Date(timeIntervalSince1970: 1_538_000_000 + Double(day) * 86_400))
    }

    @Test func threeRankingsWithTangdanAtTheBottomGiveTwoRoundsThenAnEscalation() throws {
        let rankings = [
            try Self.submit("2018-10", worst: ["zehei", "tangdan", "wumeng"], day: 0),
            try Self.submit("2018-11", worst: ["tangdan", "yinmin", "xueshan"], day: 30),
            try Self.submit("2018-12", worst: ["awang", "zehei", "tangdan"], day: 60),
        ]
        let decisions = InterviewPlanner.decisions(rule: Self.rule, rankings: rankings)
        let tangdan = decisions.filter { $0.township == "tangdan" }
        #expect(tangdan.map(\.kind) == [.interview, .interview, .interview, .interview, .interview, .interview, .escalation])
        #expect(tangdan.map(\.period) == ["2018-10", "2018-10", "2018-10", "2018-11", "2018-11", "2018-11", "2018-12"])
        #expect(tangdan.last?.count == 2)
        // zehei: bottom three in October and December only: two rounds of interviews, no escalation yet.
        #expect(decisions.filter { $0.township == "zehei" }.map(\.kind) == Array(repeating: .interview, count: 6))
        #expect(InterviewPlanner.counts(decisions)["tangdan"] == ["city": 2, "county": 2, "county-org": 2])
        // 3 townships × 3 levels in Oct and Nov, then 2 × 3 interviews and one escalation in Dec.
        #expect(decisions.count == 9 + 9 + 6 + 1)
    }

    @Test func resubmittingAPeriodReplacesItWithoutCountingTwice() throws {
        let october = try Self.submit("2018-10", worst: ["zehei", "tangdan", "wumeng"], day: 0)
        let again = try Self.submit("2018-10", worst: ["zehei", "tangdan", "wumeng"], day: 1)
        let once = InterviewPlanner.decisions(rule: Self.rule, rankings: [october])
        // The store keeps one ranking per period: the second submission replaces the first.
        let replaced = InterviewPlanner.decisions(rule: Self.rule, rankings: [again])
        #expect(once.map(\.dutyID) == replaced.map(\.dutyID))
        #expect(InterviewPlanner.counts(replaced)["tangdan"]?["city"] == 1)
    }

    @Test func interviewDutiesNameTheRightInterviewers() throws {
        let decisions = InterviewPlanner.decisions(rule: Self.rule, rankings: [try Self.submit("2018-10", worst: ["zehei", "tangdan", "wumeng"], day: 0)])
        let counties = [
            County(id: "dongchuan", name: "东川区", role: "dongchuan-committee", orgRole: "dongchuan-org-dept", leaderRole: "dongchuan-committee-leader"),
            County(id: "luquan", name: "禄劝县", role: "luquan-committee", orgRole: "luquan-org-dept", leaderRole: "luquan-committee-leader"),
        ]
        let set = ScheduleSet(counties: counties, townships: Self.townships)
        let duties = InterviewPlanner.duties(for: decisions, rule: Self.rule, schedules: set, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let tangdan = duties.filter { $0.id.contains(".tangdan.") }
        #expect(tangdan.map(\.title) == ["市委组织部约谈东川区包保汤丹镇的县区责任领导", "东川区委主要领导约谈汤丹镇党政主要领导", "东川区委组织部约谈汤丹镇党政责任领导"])
        #expect(tangdan.map(\.responsible) == [["city-org-dept"], ["dongchuan-committee-leader"], ["dongchuan-org-dept"]])
        #expect(tangdan.allSatisfy { $0.issueKind == .interview && $0.needsAcknowledgement })
        // The planner issues an interview notice at submission and the due notice 7 days later.
        let planner = Planner(schedules: ScheduleSet(duties: tangdan))
        let notices = planner.notices(after: Date(timeIntervalSince1970: 1_537_000_000), through: Date(timeIntervalSince1970: 1_538_000_000 + 8 * 86_400 - 1))
        #expect(notices.filter { $0.kind == .interview }.count == 3)
        #expect(notices.filter { $0.kind == .due }.count == 3)
    }

    @Test(arguments: [
        ("township,score\n汤丹镇,80\n汤丹镇,70\n", "line 3: duplicate row for 汤丹镇 (first on line 2)"),
        ("township,score\n汤丹镇,80\n北京,70\n", "line 3: unknown township '北京'"),
        ("township,score\n汤丹镇,\n", "line 2: missing score for 汤丹镇"),
        ("township,score\n汤丹镇,good\n", "line 2: score 'good' for 汤丹镇 is not a number"),
        ("township,rank\n汤丹镇,0\n", "line 2: rank '0' for 汤丹镇 must be a whole number from 1"),
        ("name,score\n", "line 1: header must be 'township,score' or 'township,rank', not 'name,score'"),
        ("{\"entries\": [{\"township\": \"汤丹镇\"}]}", "entry 1: missing rank for 汤丹镇"),
    ])
    func badRankingFilesAreRefusedWithAPreciseMessage(text: String, firstError: String) {
        #expect(throws: RankingErrors.self) { try RankingParser.parse(text, period: "2018-10", townships: Self.townships) }
        do {
            _ = try RankingParser.parse(text, period: "2018-10", townships: Self.townships)
        } catch {
            #expect(error.errors.first?.description == firstError)
        }
    }

    @Test func everyTownshipMustBeRanked() {
        do {
            _ = try RankingParser.parse("township,score\n汤丹镇,80\n", period: "2018-10", townships: Self.townships)
            Issue.record("accepted an incomplete ranking")
        } catch {
            #expect(error.errors.map(\.description) == ["townships not ranked: 阿旺镇、铜都镇、因民镇、舍块乡、红土地镇、转龙镇、雪山乡、乌蒙乡、马鹿塘、翠华镇、则黑乡、中屏镇"])
        }
    }

    @Test func tiesAtTheBoundaryFollowTheRule() throws {
        var lines = ["township,rank"]
        for (i, t) in Self.townships.enumerated() { lines.append("\(t.id),\(min(i + 1, 10))") }  // ranks 10,10,10,10 at the end
        let ranking = try RankingParser.parse(lines.joined(separator: "\n"), period: "p", townships: Self.townships)
        #expect(ranking.bottom(3, ties: .include).count == 4)
        #expect(ranking.bottom(3, ties: .exclude).isEmpty)
        #expect(ranking.entries.last?.position == 10)
    }

    @Test func jsonRankingByRank() throws {
        let entries = Self.townships.enumerated().map { "{\"township\": \"\($0.element.name)\", \"rank\": \($0.offset + 1)}" }
        let ranking = try RankingParser.parse("{\"entries\": [\(entries.joined(separator: ","))]}", period: "2018-10", townships: Self.townships)
        #expect(ranking.bottom(3, ties: .include) == ["cuihua", "zehei", "zhongping"])
    }
}
