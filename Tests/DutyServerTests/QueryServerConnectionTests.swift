import DutyAPI
import Foundation
import Testing

@testable import DutyServer

/// Raw bytes through one connection's pipeline (`ConnectionHarness`): what the HTTP decoder refuses, what comes
/// after the client's end of input, and the inputs the fuzz target `FuzzHTTPRequest` found (docs/reliability.md,
/// section 2).
@Suite struct QueryServerConnectionTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var id: String
        var peer: Peer = ConnectionHarness.root
        /// The bytes the client sends before it half-closes.
        var request: String
        /// The status of every response, in order.
        var statuses: [Int]
        /// Part of the JSON reason of the first error response, if any.
        var reason: String? = nil
        /// The backend calls expected (`FakeBackend.calls`).
        var calls: [String] = []
        var testDescription: String { id }
    }

    static let ack = "POST /v1/occurrences/d0@1537146000/ack HTTP/1.1\r\nHost: localhost\r\n"

    /// Fuzz finding 1: a body the decoder cannot finish (cut short by the client's end of input, a bad chunk size,
    /// a control character in a trailer) surfaced as an error while the route read it, and the router answered
    /// 500 "internal error". It is the client's error: 400 with a reason, and the backend is not called.
    static let bodyErrors: [Vector] = [
        .init(
            id: "content-length-beyond-end-of-input", request: ack + "Content-Length: 99999999999\r\n\r\n{}", statuses: [400],
            reason: "malformed or incomplete request body"),
        .init(
            id: "body-cut-short", request: ack + "Content-Length: 70000\r\n\r\n{\"note\":\"", statuses: [400],
            reason: "malformed or incomplete request body"),
        .init(
            id: "bad-chunk-size", request: ack + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", statuses: [400],
            reason: "malformed or incomplete request body"),
        .init(
            id: "chunk-longer-than-its-size",
            request: ack + "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n5\r\n{\"not\r\n9\r\ne\":\"ok\"}\r\n0\r\n\r\n",
            statuses: [400], reason: "malformed or incomplete request body"),
        .init(
            id: "control-character-in-trailer", request: ack + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: \u{01}\r\n\r\n",
            statuses: [400], reason: "malformed or incomplete request body"),
        .init(
            id: "reload-body-cut-short", request: "POST /v1/reload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n{}",
            statuses: [400], reason: "malformed or incomplete request body"),
    ]

    /// What the decoder and Hummingbird's HTTP/1 channel do around the routes; pinned so that a dependency update
    /// that changes it shows up here.
    static let framing: [Vector] = [
        .init(id: "one-request", request: "GET /v1/duties HTTP/1.1\r\nHost: localhost\r\n\r\n", statuses: [200], calls: ["duties"]),
        .init(
            id: "pipelined", request: "GET /v1/duties HTTP/1.1\r\nHost: x\r\n\r\n" + ack + "Content-Length: 0\r\n\r\nGET /v1/duties HTTP/1.1\r\nHost: x\r\n\r\n",
            statuses: [200, 200, 200], calls: ["duties", "ack d0@1537146000 - 0", "duties"]),
        .init(
            id: "nothing-after-connection-close",
            request: "GET /v1/duties HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /v1/duties HTTP/1.1\r\nHost: x\r\n\r\n",
            statuses: [200], calls: ["duties"]),
        .init(id: "not-http", request: "\u{01}\u{02}HELLO\r\n\r\n", statuses: [400]),
        .init(
            id: "garbage-after-a-request", request: "GET /v1/duties HTTP/1.1\r\nHost: x\r\n\r\n\u{01}\u{02}HELLO\r\n\r\n", statuses: [200, 400],
            calls: ["duties"]),
        // A route that does not read the body answers first; the decoder's error then gets Hummingbird's 400.
        .init(id: "get-with-body-cut-short", request: "GET /v1/duties HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", statuses: [200, 400], calls: ["duties"]),
        .init(
            id: "outsider-with-a-test-peer-header", peer: ConnectionHarness.outsider,
            request: "POST /v1/reload HTTP/1.1\r\nHost: x\r\nX-Dutyd-Test-Peer: 0,root,admin\r\nContent-Length: 0\r\n\r\n", statuses: [403],
            reason: "not in the socket's group"),
        .init(
            id: "member-reload", peer: ConnectionHarness.member, request: "POST /v1/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            statuses: [403], reason: "reloading needs root"),
    ]

    @Test(arguments: bodyErrors + framing)
    func connection(_ vector: Vector) async throws {
        let backend = FakeBackend()
        let harness = ConnectionHarness(backend: backend)
        for pieceSize in [nil, 7] {
            backend.calls.withLock { $0.removeAll() }
            let output = try await harness.exchange(vector.request, as: vector.peer, pieceSize: pieceSize)
            #expect(ConnectionHarness.statuses(output) == vector.statuses, "\(vector.id), pieces of \(pieceSize ?? 0): \(output)")
            #expect(backend.calls.withLock { $0 } == vector.calls, "\(vector.id)")
            if let reason = vector.reason {
                let body = try #require(output.components(separatedBy: "\r\n\r\n").dropFirst().first, "\(output)")
                let error = try APICoding.decode(APIErrorBody.self, from: Data(body.utf8))
                #expect(error.reason.contains(reason), "\(vector.id): \(error.reason)")
            }
        }
    }
}
