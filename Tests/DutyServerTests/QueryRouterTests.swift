import DutyAPI
import Foundation
import Hummingbird
import Testing

@testable import DutyServer

@Suite struct QueryRouterTests {
    @Test func upcomingPassesParsedQueryAndPages() async throws {
        let backend = FakeBackend()
        let harness = RouterHarness(backend: backend)
        let answer = try await harness.send(.get, "/v1/upcoming?days=14&limit=2&offset=2")
        #expect(answer.status == 200)
        #expect(answer.contentType == "application/json")
        let page = try answer.decode(UpcomingPage.self)
        #expect(page.items.map(\.duty) == ["d2", "d3"])
        #expect(page.nextOffset == 4)
        #expect(backend.calls.withLock { $0 } == ["upcoming"])
    }

    struct ErrorVector: Sendable, CustomTestStringConvertible {
        var id: String
        var method: HTTPRequest.Method
        var path: String
        var peer: String?
        var body: String?
        var status: Int
        var error: String
        var reasonContains: String
        var testDescription: String { id }
    }

    static let errorVectors: [ErrorVector] = [
        .init(id: "unknown-endpoint", method: .get, path: "/v1/nothing", peer: "0,root,admin", body: nil, status: 404, error: "not_found", reasonContains: "no such endpoint"),
        .init(id: "unknown-parameter", method: .get, path: "/v1/upcoming?dayz=3", peer: "0,root,admin", body: nil, status: 400, error: "bad_request", reasonContains: "unknown parameter 'dayz'"),
        .init(id: "days-out-of-range", method: .get, path: "/v1/upcoming?days=0", peer: "0,root,admin", body: nil, status: 400, error: "bad_request", reasonContains: "days must be"),
        .init(id: "limit-too-large", method: .get, path: "/v1/upcoming?limit=100000", peer: "0,root,admin", body: nil, status: 400, error: "bad_request", reasonContains: "limit must be"),
        .init(id: "to-and-days", method: .get, path: "/v1/upcoming?to=2018-10-01&days=3", peer: "0,root,admin", body: nil, status: 400, error: "bad_request", reasonContains: "either to or days"),
        .init(id: "bad-kind", method: .get, path: "/v1/upcoming?kind=party", peer: "0,root,admin", body: nil, status: 400, error: "bad_request", reasonContains: "kind must be"),
        .init(id: "no-credentials", method: .get, path: "/v1/upcoming", peer: nil, body: nil, status: 403, error: "forbidden", reasonContains: "no peer credentials"),
        .init(id: "not-in-group", method: .get, path: "/v1/status", peer: "1000,eve,none", body: nil, status: 403, error: "forbidden", reasonContains: "not in the socket's group"),
        .init(id: "reader-reload", method: .post, path: "/v1/reload", peer: "65534,nobody,read", body: nil, status: 403, error: "forbidden", reasonContains: "reloading needs root"),
        .init(id: "bad-json", method: .post, path: "/v1/occurrences/d1@1/ack", peer: "0,root,admin", body: "{\"note\": ", status: 400, error: "bad_request", reasonContains: "invalid JSON"),
        .init(id: "json-not-object", method: .post, path: "/v1/occurrences/d1@1/ack", peer: "0,root,admin", body: "[1,2]", status: 400, error: "bad_request", reasonContains: "invalid JSON"),
        .init(id: "unknown-field", method: .post, path: "/v1/occurrences/d1@1/ack", peer: "0,root,admin", body: "{\"note\":\"x\",\"force\":true}", status: 400, error: "bad_request", reasonContains: "unknown field 'force'"),
        .init(id: "wrong-type", method: .post, path: "/v1/occurrences/d1@1/ack", peer: "0,root,admin", body: "{\"note\":5}", status: 400, error: "bad_request", reasonContains: "note"),
        .init(id: "backend-not-found", method: .get, path: "/v1/duties/zz", peer: "0,root,admin", body: nil, status: 404, error: "not_found", reasonContains: "no duty 'zz'"),
        .init(id: "backend-unavailable", method: .get, path: "/v1/status", peer: "0,root,admin", body: nil, status: 503, error: "service_unavailable", reasonContains: "not ready"),
        .init(id: "duties-parameter", method: .get, path: "/v1/duties?x=1", peer: "0,root,admin", body: nil, status: 400, error: "bad_request", reasonContains: "unknown parameter"),
    ]

    @Test(arguments: errorVectors)
    func errorsAreJSONWithStatusAndReason(_ vector: ErrorVector) async throws {
        let harness = RouterHarness(backend: FakeBackend())
        let answer = try await harness.send(vector.method, vector.path, peer: vector.peer, body: vector.body.map { Data($0.utf8) })
        #expect(answer.status == vector.status, "\(vector.id): \(answer.text)")
        #expect(answer.contentType == "application/json")
        let error = try answer.decode(APIErrorBody.self)
        #expect(error.error == vector.error)
        #expect(error.reason.contains(vector.reasonContains), "\(vector.id): \(error.reason)")
    }

    @Test func hugeBodyIsRefusedWith413() async throws {
        var limits = QueryServerLimits()
        limits.maximumBodySize = 1024
        let backend = FakeBackend()
        let harness = RouterHarness(backend: backend, limits: limits)
        let note = String(repeating: "x", count: 4096)
        let answer = try await harness.send(.post, "/v1/occurrences/d1@1/ack", body: Data("{\"note\":\"\(note)\"}".utf8))
        #expect(answer.status == 413)
        #expect(try answer.decode(APIErrorBody.self).reason == "request body too large")
        #expect(backend.calls.withLock { $0 }.isEmpty)
    }

    @Test func readersAcknowledgeAndTheBackendSeesThePeer() async throws {
        let backend = FakeBackend()
        let harness = RouterHarness(backend: backend)
        let answer = try await harness.send(.post, "/v1/occurrences/d1@1/ack", peer: "65534,nobody,read", body: Data("{\"note\":\"done\"}".utf8))
        #expect(answer.status == 200)
        #expect(try answer.decode(AcknowledgeResponse.self).person == "nobody")
        let empty = try await harness.send(.post, "/v1/occurrences/d2@1/ack", peer: "65534,nobody,read")
        #expect(empty.status == 200)
        #expect(backend.calls.withLock { $0 } == ["ack d1@1 done 65534", "ack d2@1 - 65534"])
    }

    @Test func adminsReloadAndReadersDoNot() async throws {
        let backend = FakeBackend()
        let harness = RouterHarness(backend: backend)
        #expect(try await harness.send(.post, "/v1/reload", peer: "65534,nobody,read").status == 403)
        let answer = try await harness.send(.post, "/v1/reload", peer: "0,root,admin")
        #expect(answer.status == 200)
        #expect(try answer.decode(ReloadResult.self).duties == 3)
        #expect(backend.calls.withLock { $0 } == ["reload 0"])
    }

    @Test func metricsArePrometheusText() async throws {
        let harness = RouterHarness(backend: FakeBackend())
        _ = try await harness.send(.get, "/v1/nothing")
        let answer = try await harness.send(.get, "/metrics")
        #expect(answer.status == 200)
        #expect(answer.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
        let lines = answer.text.split(separator: "\n")
        #expect(lines.contains("dutyd_duties 3"))
        #expect(lines.contains("dutyd_http_responses_total{code=\"404\"} 1"))
        // Every sample line is `name{labels} value` with a numeric value.
        for line in lines where !line.hasPrefix("#") {
            let value = line.split(separator: " ").last.map(String.init) ?? ""
            #expect(Double(value) != nil, "\(line)")
        }
    }
}
