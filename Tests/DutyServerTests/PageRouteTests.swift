import DutyAPI
import Foundation
import Hummingbird
import Testing

@testable import DutyServer

/// The pages share the one router with the API: an unknown page is an HTML 404, an unknown API path keeps its JSON
/// 404, and a peer outside the socket's group gets an HTML 403 on pages.
@Suite struct PageRouteTests {
    let harness = RouterHarness(backend: FakeBackend())

    @Test func unknownPageIsHTML404() async throws {
        let answer = try await harness.send(.get, "/no/such/page")
        #expect(answer.status == 404)
        #expect(answer.contentType?.hasPrefix("text/html") == true)
        #expect(answer.text.contains("<h1>404"))
    }

    @Test func unknownAPIPathStaysJSON() async throws {
        let answer = try await harness.send(.get, "/v1/no-such-endpoint")
        #expect(answer.status == 404)
        #expect(answer.contentType == "application/json")
        #expect(try answer.decode(APIErrorBody.self).reason == "no such endpoint")
    }

    @Test func pagesNeedReadAccess() async throws {
        let answer = try await harness.send(.get, "/visits", peer: "1000,alice,none")
        #expect(answer.status == 403)
        #expect(answer.contentType?.hasPrefix("text/html") == true)
    }

    @Test func aBackendWithoutReportsAnswers404() async throws {
        #expect(try await harness.send(.get, "/").status == 404)
        let api = try await harness.send(.get, "/v1/reports/visits?month=2018-10")
        #expect(api.status == 404)
        #expect(try api.decode(APIErrorBody.self).reason == "this daemon has no reports")
        #expect(try await harness.send(.get, "/v1/reports/visits?month=2018-13").status == 400)
        #expect(try await harness.send(.get, "/v1/reports/visits?bogus=1").status == 400)
    }

    @Test func httpDatesRoundTrip() {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date)
    }
}
