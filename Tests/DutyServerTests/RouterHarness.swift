import DutyAPI
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Synchronization

@testable import DutyServer

/// Drives the router without a socket: builds a `Request`, a context on an `EmbeddedChannel`, and collects the
/// response body.
struct RouterHarness {
    let responder: any HTTPResponder<DutyRequestContext>

    init(backend: any DutyQueryBackend, limits: QueryServerLimits = .init()) {
        responder = QueryRouter(backend: backend, limits: limits, metrics: ServerMetrics(), trustPeerHeader: true)
            .build().buildResponder()
    }

    struct Answer {
        var status: Int
        var contentType: String?
        var body: Data
        var headers = HTTPFields()
        var text: String { String(decoding: body, as: UTF8.self) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try APICoding.decode(type, from: body) }
    }

    /// `peer`: nil for no credentials, else `uid,account,access`.
    func send(
        _ method: HTTPRequest.Method, _ path: String, peer: String? = "0,root,admin", body: Data? = nil, contentType: String? = "application/json",
        headers extra: [String: String] = [:]
    ) async throws -> Answer {
        var headers = HTTPFields()
        for (name, value) in extra { headers[HTTPFields.Element.Name(name)!] = value }
        if let peer { headers[HTTPFields.Element.Name("X-Dutyd-Test-Peer")!] = peer }
        if let body {
            headers[.contentLength] = String(body.count)
            if let contentType { headers[.contentType] = contentType }
        }
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: headers),
            body: RequestBody(buffer: ByteBuffer(bytes: body ?? Data())))
        let context = DutyRequestContext(source: .init(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            response = QueryRouter.response(for: error)
        }
        let writer = Collector()
        try await response.body.write(writer)
        return Answer(
            status: response.status.code, contentType: response.headers[.contentType], body: writer.box.withLock { $0 },
            headers: response.headers)
    }

    struct Collector: ResponseBodyWriter {
        let box = SharedData()
        mutating func write(_ buffer: ByteBuffer) async throws { box.withLock { $0.append(contentsOf: buffer.readableBytesView) } }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    final class SharedData: Sendable {
        let data = Mutex(Data())
        func withLock<T>(_ body: (inout Data) -> T) -> T { data.withLock { body(&$0) } }
    }
}

/// A backend with fixed answers that records what it was asked.
final class FakeBackend: DutyQueryBackend {
    let calls = Mutex<[String]>([])
    let entries: [OccurrenceEntry]

    init(entries: [OccurrenceEntry] = FakeBackend.sampleEntries) {
        self.entries = entries
    }

    static let sampleEntries: [OccurrenceEntry] = (0..<5).map { i in
        OccurrenceEntry(
            occurrenceId: "d\(i)@\(1_537_146_000 + i * 86_400)", duty: "d\(i)", title: "Duty \(i)", clause: nil, kind: "due", offset: nil,
            fireAt: "2018-09-1\(7 + i)T09:00:00+08:00", occurrence: "2018-09-1\(7 + i)T09:00:00+08:00", priority: "normal",
            responsible: ["r"], recipients: ["r"])
    }

    func record(_ call: String) { calls.withLock { $0.append(call) } }

    func upcoming(_ query: UpcomingQuery) throws -> UpcomingPage {
        record("upcoming")
        let page = Array(entries.dropFirst(query.offset).prefix(query.limit))
        let next = query.offset + page.count < entries.count ? query.offset + page.count : nil
        return UpcomingPage(from: "a", to: "b", total: entries.count, offset: query.offset, limit: query.limit, nextOffset: next, items: page)
    }
    func duties() throws -> DutyList {
        record("duties")
        return DutyList(duties: [])
    }
    func duty(id: String) throws -> DutyDetail {
        record("duty \(id)")
        throw DutyQueryError(.notFound, "no duty '\(id)'")
    }
    func occurrence(id: String) throws -> OccurrenceDetail {
        record("occurrence \(id)")
        throw DutyQueryError(.notFound, "no occurrence")
    }
    func acknowledge(occurrenceID: String, request: AcknowledgeRequest, peer: Peer) throws -> AcknowledgeResponse {
        record("ack \(occurrenceID) \(request.note ?? "-") \(peer.uid)")
        return AcknowledgeResponse(occurrenceId: occurrenceID, person: peer.account ?? "?", recorded: true, acknowledgements: 1)
    }
    func overdue(_ query: UpcomingQuery) throws -> OverdueList {
        record("overdue")
        return OverdueList(items: [])
    }
    func status() throws -> StatusReport {
        record("status")
        throw DutyQueryError(.unavailable, "not ready")
    }
    func reload(peer: Peer) async throws -> ReloadResult {
        record("reload \(peer.uid)")
        return ReloadResult(ok: true, duties: 3, errors: [])
    }
    func metrics() throws -> String {
        "# TYPE dutyd_duties gauge\ndutyd_duties 3\n"
    }
}
