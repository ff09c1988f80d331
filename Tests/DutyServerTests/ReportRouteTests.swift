import DutyAPI
import DutyCore
import Foundation
import Hummingbird
import Testing

@testable import DutyServer

/// The reports, the feed and the pages through the router, over a backend with fixed answers.
@Suite struct ReportRouteTests {
    final class ReportBackend: DutyQueryBackend, DutyReportBackend {
        let fake = FakeBackend()
        let counts = VisitCounts(due: 4, acknowledged: 1, overdue: 2, pending: 1)

        func upcoming(_ query: UpcomingQuery) async throws -> UpcomingPage { try fake.upcoming(query) }
        func duties() async throws -> DutyList { try fake.duties() }
        func duty(id: String) async throws -> DutyDetail { try fake.duty(id: id) }
        func occurrence(id: String) async throws -> OccurrenceDetail { try fake.occurrence(id: id) }
        func acknowledge(occurrenceID: String, request: AcknowledgeRequest, peer: Peer) async throws -> AcknowledgeResponse {
            try fake.acknowledge(occurrenceID: occurrenceID, request: request, peer: peer)
        }
        func overdue(_ query: UpcomingQuery) async throws -> OverdueList { try fake.overdue(query) }
        func status() async throws -> StatusReport { try fake.status() }
        func reload(peer: Peer) async throws -> ReloadResult { try await fake.reload(peer: peer) }
        func metrics() async throws -> String { "" }

        func planInfo() async throws -> PlanInfo {
            PlanInfo(
                now: "2018-10-20T09:00:00+08:00", today: "2018-10-20", month: "2018-10", timeZone: "Asia/Shanghai",
                townships: [TownshipInfo(id: "tangdan", name: "汤丹镇", county: "dongchuan", countyName: "东川区")], names: [:])
        }
        func agenda(from: String?, days: Int) async throws -> Agenda {
            let first = CivilDate(iso: from ?? "2018-10-20")!
            return Agenda(
                from: first.description, to: first.adding(days: days - 1).description, today: "2018-10-20",
                days: (0..<days).map {
                    AgendaDay(date: first.adding(days: $0).description, weekday: first.adding(days: $0).weekday.rawValue, workday: nil, entries: [], groups: [])
                })
        }
        func overdueReport(days: Int, limit: Int) async throws -> OverdueReport {
            OverdueReport(now: "2018-10-20T09:00:00+08:00", days: days, total: 0, items: [], groups: [])
        }
        func recentChanges(limit: Int) async throws -> AuditList { AuditList(items: []) }
        func visitReport(month: String?, township: String?, cadres: Bool) async throws -> VisitReport {
            VisitReport(
                month: month ?? "2018-10", now: "2018-10-20T09:00:00+08:00", total: counts,
                townships: [.init(id: "tangdan", name: "汤丹镇", counts: counts)], units: [.init(id: "u", name: "=unit", counts: counts)],
                cadres: [], township: township)
        }
        func dutyReport(from: String, to: String) async throws -> DutyReport { DutyReport(from: from, to: to, now: "", rows: []) }
        func rankings() async throws -> RankingList { RankingList(rankings: []) }
        func dutyOccurrences(id: String, days: Int) async throws -> [AgendaEntry] { [] }
        func occurrenceChanges(id: String) async throws -> AuditList { AuditList(items: []) }
        func bulletinReport(township: String, month: String) async throws -> BulletinReport {
            BulletinReport(
                title: "汤丹镇\(month)脱贫攻坚工作通报", township: township, townshipName: "汤丹镇", countyName: "东川区", month: month,
                generatedAt: "2018-10-20T09:00:00+08:00", duties: [], problems: [], interviews: [], visits: nil, text: "汤丹镇\(month)脱贫攻坚工作通报\n")
        }
        func calendarFeed(_ filter: RecipientFilter) async throws -> CalendarFeed {
            guard filter.township == nil || filter.township == "tangdan" else { throw DutyQueryError(.notFound, "no township '\(filter.township!)'") }
            return CalendarFeed(text: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", lastModified: Date(timeIntervalSince1970: 1_540_000_000))
        }
    }

    let harness = RouterHarness(backend: ReportBackend())

    @Test func visitReportAsJSONAndCSV() async throws {
        let json = try await harness.send(.get, "/v1/reports/visits?month=2018-09")
        #expect(json.status == 200)
        #expect(try json.decode(VisitReport.self).total.overdue == 2)
        let csv = try await harness.send(.get, "/v1/reports/visits?month=2018-09&format=csv&group=unit")
        #expect(csv.status == 200)
        #expect(csv.contentType == "text/csv; charset=utf-8")
        #expect(csv.body.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(csv.text.contains("2018-09,'=unit,4,1,2,1"))
        #expect(try await harness.send(.get, "/v1/reports/visits?format=xml").status == 400)
        #expect(try await harness.send(.get, "/v1/reports/visits?group=village").status == 400)
        let accept = try await harness.send(.get, "/v1/reports/visits", headers: ["Accept": "text/csv"])
        #expect(accept.contentType == "text/csv; charset=utf-8")
    }

    @Test func feedAnswers304ToItsETagAndDate() async throws {
        let first = try await harness.send(.get, "/v1/calendar.ics?township=tangdan")
        #expect(first.status == 200)
        #expect(first.contentType == "text/calendar; charset=utf-8")
        let etag = try #require(first.headers[.eTag])
        #expect(first.headers[.lastModified] == "Sat, 20 Oct 2018 01:46:40 GMT")
        #expect(try await harness.send(.get, "/v1/calendar.ics?township=tangdan", headers: ["If-None-Match": etag]).status == 304)
        #expect(try await harness.send(.get, "/v1/calendar.ics?township=tangdan", headers: ["If-None-Match": "\"other\""]).status == 200)
        #expect(
            try await harness.send(.get, "/v1/calendar.ics?township=tangdan", headers: ["If-Modified-Since": "Sat, 20 Oct 2018 01:46:40 GMT"]).status
                == 304)
        #expect(
            try await harness.send(.get, "/v1/calendar.ics?township=tangdan", headers: ["If-Modified-Since": "Sat, 20 Oct 2018 01:46:39 GMT"]).status
                == 200)
        #expect(try await harness.send(.get, "/v1/calendar.ics?township=nowhere").status == 404)
        #expect(try await harness.send(.get, "/v1/calendar.ics?lang=en").status == 400)
    }

    @Test func pagesAreHTMLAndCompressedWhenAccepted() async throws {
        for path in ["/", "/calendar?month=2018-10", "/visits?month=2018-09", "/bulletins", "/bulletins/tangdan/2018-10"] {
            let page = try await harness.send(.get, path)
            #expect(page.status == 200, "\(path)")
            #expect(page.contentType == "text/html; charset=utf-8", "\(path)")
            #expect(page.headers[HTTPFields.Element.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
        }
        let zipped = try await harness.send(.get, "/", headers: ["Accept-Encoding": "gzip, deflate"])
        #expect(zipped.headers[.contentEncoding] == "gzip")
        #expect(zipped.body.starts(with: [0x1F, 0x8B]))
        let refused = try await harness.send(.get, "/", headers: ["Accept-Encoding": "gzip;q=0"])
        #expect(refused.headers[.contentEncoding] == nil)
        let pdf = try await harness.send(.get, "/bulletins/tangdan/2018-10.pdf")
        #expect(pdf.contentType == "application/pdf")
        #expect(pdf.body.starts(with: Array("%PDF-1.4".utf8)))
        #expect(try await harness.send(.get, "/calendar?month=2018-13").status == 400)
        let head = try await harness.send(.head, "/visits")
        #expect(head.status == 200 && head.body.isEmpty)
        let english = try await harness.send(.get, "/", headers: ["Accept-Language": "en-US,en;q=0.9"])
        #expect(english.text.contains("<html lang=\"en\">"))
    }
}
