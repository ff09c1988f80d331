import DutyAPI
import DutyCore
import Foundation
import Testing

@testable import DutyWeb

/// Fixed data with hostile text from a schedule file in every place a page shows text.
enum Sample {
    static let hostile = "<script>console.error(\"xss\")</script>\"'&<img src=x onerror=alert(1)>"
    static let longChinese = String(repeating: "关于全面推进东川区禄劝县脱贫攻坚工作方案的通知要求", count: 12)

    static let info = PlanInfo(
        now: "2018-10-20T08:00:00+08:00", today: "2018-10-20", month: "2018-10", timeZone: "Asia/Shanghai",
        townships: [
            TownshipInfo(id: "tangdan", name: "汤丹镇", county: "dongchuan", countyName: "东川区"),
            TownshipInfo(id: "evil", name: hostile, county: "dongchuan", countyName: "东川区"),
        ],
        names: ["r1": "责任单位" + hostile])

    static let entry = AgendaEntry(
        occurrenceId: "d1@1540000000", duty: "d1", title: hostile + longChinese, clause: hostile, occurrence: "2018-10-20T09:00:00+08:00",
        time: "09:00", priority: "normal", needsAcknowledgement: true, acknowledged: false, overdue: true, responsible: [hostile])

    static let counts = VisitCounts(due: 10, acknowledged: 6, overdue: 3, pending: 1)

    static let visits = VisitReport(
        month: "2018-10", now: info.now, total: counts,
        townships: [.init(id: "tangdan", name: "汤丹镇", counts: counts), .init(id: "evil", name: hostile, counts: VisitCounts())],
        units: [.init(id: hostile, name: hostile, counts: counts)],
        cadres: [
            .init(
                id: "c1", name: hostile, unit: hostile, township: "tangdan", townshipName: "汤丹镇", counts: counts,
                overdueOccurrences: ["visit-x@1540000000"])
        ], township: nil)

    static let request = PageRenderer.Request(language: .zh, explicitLanguage: false, path: "/")
}

@Suite struct PageRendererTests {
    let renderer: PageRenderer

    init() throws { renderer = try PageRenderer() }

    /// Every page, rendered with hostile text everywhere.
    func allPages(_ request: PageRenderer.Request = Sample.request) -> [String: String] {
        let agenda = Agenda(
            from: "2018-10-20", to: "2018-10-21", today: "2018-10-20",
            days: [
                AgendaDay(
                    date: "2018-10-20", weekday: 6, workday: false, entries: [Sample.entry],
                    groups: [AgendaGroup(report: "visits", counts: Sample.counts)]),
                AgendaDay(date: "2018-10-21", weekday: 7, workday: true, entries: [Sample.entry], groups: []),
            ])
        let overdue = OverdueReport(
            now: Sample.info.now, days: 30, total: 1,
            items: [
                OverdueItem(
                    occurrenceId: "d1@1540000000", duty: "d1", title: Sample.hostile, occurrence: "2018-10-20T09:00:00+08:00",
                    overdueSince: "2018-10-21T09:00:00+08:00", step: 1, escalatedTo: [Sample.hostile], responsible: [Sample.hostile])
            ], groups: [AgendaGroup(report: "visits", counts: Sample.counts)])
        let changes = AuditList(items: [
            AuditItem(at: Sample.info.now, action: Sample.hostile, actorUid: 0, details: ["occurrence": "d1@1540000000", "note": Sample.hostile])
        ])
        let problem = ProblemItem(
            Problem(
                id: 1, township: "tangdan", text: Sample.hostile + Sample.longChinese, deadline: Date(timeIntervalSince1970: 1_540_000_000),
                responsible: ["r1"], createdAt: Date(timeIntervalSince1970: 1_539_000_000), createdBy: 0,
                closedAt: Date(timeIntervalSince1970: 1_539_500_000), closedBy: 0, closeNote: Sample.hostile),
            zone: TimeZone(identifier: "Asia/Shanghai")!, closedByName: Sample.hostile)
        let detail = DutyDetail(
            duty: DutySummary(
                id: "d1", title: Sample.hostile, clause: Sample.hostile, recurrence: Sample.hostile, responsible: ["r1"], recipients: ["r1"],
                priority: "high", ack: true, file: Sample.hostile, localChoice: Sample.hostile),
            description: Sample.hostile, timeZone: "Asia/Shanghai", warnings: [Sample.hostile], graceSeconds: 86_400,
            escalation: [Sample.hostile], next: [.init(occurrenceId: "d1@1540000000", at: "2018-10-20T09:00:00+08:00")])
        let occurrence = OccurrenceDetail(
            occurrenceId: "d1@1540000000", duty: "d1", title: Sample.hostile, clause: Sample.hostile, occurrence: "2018-10-20T09:00:00+08:00",
            overdueAt: "2018-10-21T09:00:00+08:00", needsAcknowledgement: true, acknowledged: true, responsible: ["r1"], recipients: ["r1"],
            acknowledgements: [.init(person: Sample.hostile, uid: 0, note: Sample.hostile, at: "2018-10-20T10:00:00+08:00")],
            deliveries: [
                .init(kind: "due", recipient: Sample.hostile, channel: "journal", state: "delivered", attempts: 1, fireAt: "2018-10-20T09:00:00+08:00", lastError: Sample.hostile)
            ])
        let interviewJSON: [String: Any] = [
            "period": "2018-10", "township": "tangdan", "township_name": Sample.hostile, "level": Sample.hostile, "kind": "escalation",
            "count": 2, "position": 13, "duty": "t.2018-10.tangdan.escalation", "issued_at": "2018-10-20T09:00:00+08:00",
            "due": "2018-10-27T09:00:00+08:00",
        ]
        let interview = try! APICoding.decode(InterviewItem.self, from: try! JSONSerialization.data(withJSONObject: interviewJSON))
        let bulletin = BulletinReport(
            title: Sample.hostile, township: "tangdan", townshipName: Sample.hostile, countyName: Sample.hostile, month: "2018-10",
            generatedAt: Sample.info.now,
            duties: [.init(title: Sample.hostile + Sample.longChinese, clause: Sample.hostile, occurrence: "2018-10-20T09:00:00+08:00", acknowledged: false)],
            problems: [problem], interviews: [interview], visits: Sample.counts, text: Sample.hostile)
        return [
            "overview": renderer.overview(
                info: Sample.info, agenda: agenda, overdue: overdue, changes: changes,
                interviews: InterviewReport(decisions: [interview], counts: ["tangdan": [Sample.hostile: 1]]), visits: Sample.visits, request: request),
            "calendar": renderer.calendar(info: Sample.info, month: "2018-10", agenda: agenda, request: request),
            "visits": renderer.visits(info: Sample.info, report: Sample.visits, request: request),
            "interviews": renderer.interviews(
                info: Sample.info, report: InterviewReport(decisions: [interview], counts: ["tangdan": [Sample.hostile: 1]]),
                rankings: RankingList(rankings: [
                    .init(period: "2018-10", submittedAt: Sample.info.now, entries: [.init(township: "tangdan", townshipName: Sample.hostile, score: 1, position: 1)])
                ]), request: request),
            "problems": renderer.problems(info: Sample.info, list: ProblemList(problems: [problem]), township: nil, request: request),
            "duty": renderer.duty(info: Sample.info, detail: detail, occurrences: [Sample.entry], request: request),
            "occurrence": renderer.occurrence(info: Sample.info, detail: occurrence, changes: changes, request: request),
            "bulletin": renderer.bulletin(info: Sample.info, report: bulletin, request: request),
            "bulletins": renderer.bulletinIndex(info: Sample.info, request: request),
            "error": renderer.error(status: 404, reason: Sample.hostile, request: request),
        ]
    }

    @Test func hostileTextIsEscapedOnEveryPage() {
        for (name, html) in allPages() {
            #expect(html.hasPrefix("<!DOCTYPE html>"), "\(name)")
            #expect(!html.contains("<script"), "\(name) carries a script element")
            #expect(!html.contains("<img"), "\(name) carries an img element")
            #expect(html.contains("&lt;script&gt;") || name == "calendar" && html.contains("&lt;script"), "\(name) lost the text")
            #expect(html.contains("</html>"), "\(name)")
        }
    }

    @Test func everyPageHasOneHeadingAndTheLanguage() {
        for (name, html) in allPages() {
            #expect(html.components(separatedBy: "<h1").count == 2, "\(name): one h1")
            #expect(html.contains("<html lang=\"zh-CN\">"), "\(name)")
            #expect(html.contains("href=\"#main\""), "\(name): skip link")
        }
        let english = allPages(PageRenderer.Request(language: .en, explicitLanguage: true, path: "/visits"))
        #expect(english["visits"]!.contains("<html lang=\"en\">"))
        #expect(english["visits"]!.contains("Household visits"))
        #expect(english["overview"]!.contains("href=\"/calendar?lang=en\""))
    }

    @Test func theChartCarriesTheReportNumbers() {
        let html = allPages()["visits"]!
        #expect(html.contains("data-id=\"tangdan\" data-due=\"10\" data-acknowledged=\"6\" data-overdue=\"3\" data-pending=\"1\""))
        #expect(html.contains("<title id=\"visit-chart-title\">"))
    }

    @Test(arguments: [
        ("en-US,en;q=0.9", Language.en), ("zh-CN,zh;q=0.9,en;q=0.8", .zh), ("fr-FR", .zh), ("en;q=0.5,zh;q=0.6", .zh),
        ("de, en;q=0.7", .en), ("", .zh),
    ])
    func languageNegotiation(header: String, expected: Language) {
        #expect(Language.negotiate(query: nil, acceptLanguage: header) == expected)
        #expect(Language.negotiate(query: "en", acceptLanguage: header) == .en)
        #expect(Language.negotiate(query: "zh", acceptLanguage: header) == .zh)
    }

    @Test func pdfIsWellFormed() throws {
        let report = BulletinReport(
            title: "汤丹镇2018-10脱贫攻坚工作通报", township: "tangdan", townshipName: "汤丹镇", countyName: "东川区", month: "2018-10",
            generatedAt: Sample.info.now, duties: [], problems: [], interviews: [], visits: nil,
            text: "汤丹镇2018-10脱贫攻坚工作通报\n=====\n" + (0..<120).map { "第\($0)行 line \($0) " + Sample.longChinese }.joined(separator: "\n"))
        let bytes = BulletinPDF.document(report, language: .zh)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("%PDF-1.4"))
        #expect(text.hasSuffix("%%EOF\n"))
        // The xref offset points at the xref table.
        let startxref = try #require(text.range(of: "startxref\n"))
        let offset = try #require(Int(text[startxref.upperBound...].prefix { $0.isNumber }))
        #expect(Array(bytes[offset..<offset + 4]) == Array("xref".utf8))
        #expect(text.contains("/Count "))
        #expect(!text.contains("/Count 1 "), "120 long lines take several pages")
    }

    @Test func htmlEscapeAndComponents() {
        #expect(HTML.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTML.component("visit-a@1540000000") == "visit-a@1540000000")
        #expect(HTML.component("a/b?c") == "a%2Fb%3Fc")
        #expect(HTML.component("汤") == "%E6%B1%A4")
    }

    @Test func monthArithmetic() {
        #expect(Format.month("2018-12", adding: 1) == "2019-01")
        #expect(Format.month("2018-01", adding: -1) == "2017-12")
        #expect(Format.minute("2018-10-20T09:05:00+08:00") == "2018-10-20 09:05")
    }
}
