import DutyAPI
import DutyCore
import DutyServer
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

// Fuzz target: the query socket's HTTP handling, from raw request bytes to raw response bytes, without a socket.
//
// Input: the first byte picks the peer of the connection (root, a member of the socket's group, an outsider:
// selector % 3), how the bytes arrive ((selector / 3) % 4: at once, in two halves, in 7-byte or in 64-byte
// pieces) and whether the client then stalls past the header and body deadlines ((selector / 12) % 2: the
// channel's clock is advanced by 10 s, so a request still incomplete is cut off as a slow client is); the rest is
// what the client sends, one or more HTTP/1.1 requests. The client then half-closes, as `printf ... | socat`
// does (the server allows remote half-closure).
//
// The connection is an in-memory NIO channel set up by `QueryServer.connectionChannel`, the function the daemon
// calls for every accepted connection: NIO's HTTP/1 decoder with the server's header limits, Hummingbird's
// HTTP/1 channel, the request deadline handler and the router as `QueryServer` builds it, over a fake backend.
// The same bytes also go through a second decoder pipeline (NIO's decoder and the HTTP types codec, as Hummingbird
// configures them) to learn which requests the server read.
//
// Properties, each a crash when violated:
// - the exchange ends: the server answers and closes after the half-close (no hang; also libFuzzer's -timeout);
// - the output is a sequence of well-formed HTTP/1.1 responses (status line, header lines, framing by
//   Content-Length or chunked, no body after HEAD), nothing else; a response with `Connection: close` is the last;
// - one response per request read, in order, plus at most one 400 for a request the decoder refused; requests
//   after `Connection: close` get none (after a stall, a request cut off by a deadline may get none either);
// - no status of 500 or above (the fake backend never fails, so any 5xx is the server's own);
// - an error status with a body carries the documented JSON `{"error": <status in snake case>, "reason": <text>}`
//   and nothing else; the only error without a body is the final 400 for bytes that are not HTTP;
// - an outsider never gets a 2xx, and the backend is never called on its behalf;
// - the backend is called only by a peer allowed to (mutations: acknowledge, reload, ranking, problems, bulletins
//   with delivery), with the connection's own peer, and only with parameters that passed validation (limits,
//   ids, windows, note length).

// MARK: - Peers and the server

private let policy = AccessPolicy(readGroup: 2000, adminGroup: 2001, ownerUID: 999)

/// root; a member of the socket's group; somebody in neither group.
private let peers: [Peer] = [
    (uid: UInt32(0), gid: UInt32(0), groups: Set<UInt32>([0]), account: "root"),
    (uid: 1000, gid: 1000, groups: [1000, 2000], account: "alice"),
    (uid: 1001, gid: 1001, groups: [1001], account: "eve"),
].map { Peer(uid: $0.uid, gid: $0.gid, pid: 4242, account: $0.account, access: policy.access(uid: $0.uid, groups: $0.groups)) }

private let backend = FakeBackend()
private let limits = QueryServerLimits()
private let metrics = ServerMetrics()
private let responder = QueryRouter(backend: backend, limits: limits, metrics: metrics).build().buildResponder()
private let logger = Logger(label: "dutyd.fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

// MARK: - The fake backend

/// Fixed answers; every call checks who asks and with what. Ids starting with `missing`, `conflict`, `bad` or
/// `denied` are refused with the matching `DutyQueryError` so that the error path is covered too; it never fails
/// with `unavailable` or `internalError`.
final class FakeBackend: DutyQueryBackend, DutyTriggerBackend {
    /// The peer of the connection being fuzzed.
    let connectionPeer = Mutex<Peer?>(nil)
    let calls = Mutex<[String]>([])
    static let now = Date(timeIntervalSince1970: 1_537_146_000)
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    private func admit(_ call: String, needs access: Peer.Access, peer passed: Peer? = nil) -> Peer {
        guard let peer = connectionPeer.withLock({ $0 }) else { fatalError("backend called outside an exchange: \(call)") }
        guard peer.access >= access else {
            fatalError("backend called for \(call) on behalf of uid \(peer.uid) (access \(peer.access)), which needs \(access)")
        }
        if let passed, passed != peer {
            fatalError("backend got peer uid \(passed.uid) (\(passed.access)) for \(call) on a connection of uid \(peer.uid)")
        }
        calls.withLock { $0.append(call) }
        return peer
    }

    private func outcome(_ id: String, _ call: String) throws {
        guard !id.isEmpty else { fatalError("backend called with an empty id: \(call)") }
        if id.hasPrefix("missing") { throw DutyQueryError(.notFound, "no such thing '\(id)'") }
        if id.hasPrefix("conflict") { throw DutyQueryError(.conflict, "'\(id)' is in the way") }
        if id.hasPrefix("bad") { throw DutyQueryError(.badRequest, "'\(id)' is malformed") }
        if id.hasPrefix("denied") { throw DutyQueryError(.forbidden, "'\(id)' is not yours") }
    }

    private func check(_ query: UpcomingQuery, _ call: String) {
        func fail(_ what: String) -> Never { fatalError("backend \(call) got an unvalidated query (\(what)): \(query)") }
        if !(1...UpcomingQuery.maximumLimit).contains(query.limit) { fail("limit") }
        if !(0...10_000_000).contains(query.offset) { fail("offset") }
        if let days = query.days, !(1...UpcomingQuery.maximumDays).contains(days) { fail("days") }
        if query.days != nil && query.to != nil { fail("days and to") }
        if query.kinds.isEmpty || !query.kinds.isSubset(of: UpcomingQuery.kinds) { fail("kinds") }
        for id in [query.person, query.role, query.duty].compactMap({ $0 }) {
            if id.isEmpty || !id.utf8.allSatisfy({ isAlphanumeric($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }) {
                fail("id \(id.debugDescription)")
            }
        }
        // Whether `to` lies after `from` is checked at parse time unless it depends on the plan's zone (an instant
        // against a wall time without `timezone`); then `window(now:defaultZone:)` checks it.
        if let from = query.start(defaultZone: Self.zone), let to = query.end(defaultZone: Self.zone), to <= from,
            query.timezone != nil || query.from?.isAbsolute == query.to?.isAbsolute
        {
            fail("empty window")
        }
    }

    func upcoming(_ query: UpcomingQuery) throws -> UpcomingPage {
        _ = admit("upcoming", needs: .read)
        check(query, "upcoming")
        let window = try query.window(now: Self.now, defaultZone: Self.zone)
        let items = (0..<min(query.limit, 3)).map { Self.entry($0 + query.offset) }
        return UpcomingPage(
            from: TimeFormatting.iso8601(window.start, in: Self.zone), to: TimeFormatting.iso8601(window.end, in: Self.zone),
            total: 3 + query.offset, offset: query.offset, limit: query.limit, nextOffset: nil, items: items)
    }

    func overdue(_ query: UpcomingQuery) throws -> OverdueList {
        _ = admit("overdue", needs: .read)
        check(query, "overdue")
        return OverdueList(items: [Self.entry(0)])
    }

    func duties() throws -> DutyList {
        _ = admit("duties", needs: .read)
        return DutyList(duties: [Self.summary("d0")])
    }

    func duty(id: String) throws -> DutyDetail {
        _ = admit("duty", needs: .read)
        try outcome(id, "duty")
        return DutyDetail(
            duty: Self.summary(id), description: "检查 \"quoted\" \\ text", timeZone: "Asia/Shanghai", warnings: ["1d"],
            graceSeconds: 86_400, escalation: [], next: [.init(occurrenceId: "\(id)@1537146000", at: "2018-09-17T09:00:00+08:00")])
    }

    func occurrence(id: String) throws -> OccurrenceDetail {
        _ = admit("occurrence", needs: .read)
        try outcome(id, "occurrence")
        return OccurrenceDetail(
            occurrenceId: id, duty: "d0", title: "Duty", clause: nil, occurrence: "2018-09-17T09:00:00+08:00", overdueAt: nil,
            needsAcknowledgement: true, acknowledged: false, responsible: ["r"], recipients: ["r"], acknowledgements: [],
            deliveries: [])
    }

    func acknowledge(occurrenceID: String, request: AcknowledgeRequest, peer: Peer) throws -> AcknowledgeResponse {
        _ = admit("acknowledge", needs: .read, peer: peer)
        if let note = request.note, note.count > AcknowledgeRequest.maximumNoteLength {
            fatalError("acknowledge got a note of \(note.count) characters")
        }
        try outcome(occurrenceID, "acknowledge")
        return AcknowledgeResponse(occurrenceId: occurrenceID, person: request.person ?? peer.account ?? "?", recorded: true, acknowledgements: 1)
    }

    func status() throws -> StatusReport {
        _ = admit("status", needs: .read)
        return StatusReport(
            version: "fuzz", now: "2018-09-17T09:00:00+08:00", clock: "system", uptimeSeconds: 1, schedules: .init(directories: [], files: []),
            duties: 1, nextDue: nil, lastReload: .init(ok: true, errors: [], count: 1), ledger: ["pending": 1], socket: "/run/dutyd/dutyd.sock",
            socketActivated: false)
    }

    func reload(peer: Peer) async throws -> ReloadResult {
        _ = admit("reload", needs: .admin, peer: peer)
        return ReloadResult(ok: true, duties: 1, errors: [])
    }

    func metrics() throws -> String {
        _ = admit("metrics", needs: .read)
        return "# TYPE dutyd_duties gauge\ndutyd_duties 1\n"
    }

    func submitRanking(period: String, text: String, peer: Peer) throws -> RankingResult {
        _ = admit("ranking", needs: .admin, peer: peer)
        if text.isEmpty { fatalError("ranking submitted with an empty text") }
        try outcome(period, "ranking")
        return RankingResult(period: period, decisions: [])
    }

    func interviews() throws -> InterviewReport {
        _ = admit("interviews", needs: .read)
        return InterviewReport(decisions: [], counts: ["t": ["city": 1]])
    }

    func problems(township: String?) throws -> ProblemList {
        _ = admit("problems", needs: .read)
        if let township { try outcome(township, "problems") }
        return ProblemList(problems: [Self.problem(1)])
    }

    func addProblem(_ request: NewProblemRequest, peer: Peer) throws -> ProblemItem {
        _ = admit("add problem", needs: .admin, peer: peer)
        try outcome(request.township, "add problem")
        return Self.problem(2)
    }

    func closeProblem(id: Int64, request: CloseProblemRequest, peer: Peer) throws -> CloseProblemResponse {
        _ = admit("close problem", needs: .admin, peer: peer)
        return CloseProblemResponse(id: id, closed: id % 2 == 0)
    }

    func bulletin(_ request: BulletinRequest, peer: Peer) throws -> BulletinResponse {
        _ = admit("bulletin", needs: request.deliver ? .admin : .read, peer: peer)
        try outcome(request.township, "bulletin")
        return BulletinResponse(title: "通报 \(request.month)", text: "…", delivered: request.deliver)
    }

    static func entry(_ i: Int) -> OccurrenceEntry {
        OccurrenceEntry(
            occurrenceId: "d\(i)@1537146000", duty: "d\(i)", title: "Duty \(i)", clause: "二(一)1", kind: "due", offset: nil,
            fireAt: "2018-09-17T09:00:00+08:00", occurrence: "2018-09-17T09:00:00+08:00", priority: "normal", responsible: ["r"],
            recipients: ["r"])
    }

    static func summary(_ id: String) -> DutySummary {
        DutySummary(
            id: id, title: "Duty", clause: nil, recurrence: "Mon *-*-* 09:00", responsible: ["r"], recipients: ["r"], priority: "normal",
            ack: true, file: "fuzz.toml:1:1", localChoice: nil)
    }

    static func problem(_ id: Int64) -> ProblemItem {
        ProblemItem(
            Problem(
                id: id, township: "t", text: "问题", deadline: now, responsible: ["r"], createdAt: now, createdBy: 0, closedAt: nil,
                closedBy: nil, closeNote: nil),
            zone: zone)
    }
}

// MARK: - What the decoder reads (the reference)

/// The requests the server's decoder stack reads from the bytes, and how reading ends.
struct RequestTrace {
    enum End { case clean, parseError, otherError }
    var heads: [HTTPRequest] = []
    var end = End.clean
}

/// NIO's HTTP/1 server decoder with the server's limits and the HTTP types codec, as Hummingbird's `HTTP1Channel`
/// configures them, on a synchronous embedded channel. Reading stops at the first error, as the server does.
func readRequests(_ pieces: [[UInt8]]) -> RequestTrace {
    let channel = EmbeddedChannel()
    defer { _ = try? channel.finish() }
    var decoderLimits = NIOHTTPDecoderLimitConfiguration()
    decoderLimits.maxHeaderFieldSize = limits.maximumHeaderSize
    decoderLimits.maxHeaderListSize = limits.maximumHeaderSize
    decoderLimits.maxHeaderFieldCount = limits.maximumHeaderCount
    try! channel.pipeline.syncOperations.configureHTTPServerPipeline(
        withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
        withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
    try! channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
    var trace = RequestTrace()
    func drain() {
        while let part = try? channel.readInbound(as: HTTPRequestPart.self) {
            if case .head(let head) = part { trace.heads.append(head) }
        }
    }
    func stop(_ error: any Error) {
        drain()
        trace.end = error is HTTPParserError ? .parseError : .otherError
    }
    for piece in pieces {
        do {
            try channel.writeInbound(ByteBuffer(bytes: piece))
        } catch {
            stop(error)
            return trace
        }
        drain()
    }
    channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    do {
        try channel.throwIfErrorCaught()
    } catch {
        stop(error)
        return trace
    }
    drain()
    return trace
}

// MARK: - The exchange

/// Sends the pieces to a fresh connection of `peer`, stalls if asked to, half-closes, and returns every byte the
/// server wrote once it has closed the connection.
func exchange(_ pieces: [[UInt8]], peer: Peer, stall: Bool) async -> [UInt8] {
    let loop = NIOAsyncTestingEventLoop()
    let channel = NIOAsyncTestingChannel(loop: loop)
    channel.allowRemoteHalfClosure = true
    let http = QueryServer.connectionChannel(responder: responder, peer: peer, limits: limits, metrics: metrics, logger: logger)
    let finished = Atomic(false)
    do {
        let value = try await loop.flatSubmit { http.setup(channel: channel, logger: logger) }.get()
        try await channel.register().get()
        try await channel.connect(to: SocketAddress(unixDomainSocketPath: "/run/dutyd/dutyd.sock")).get()
        let handler = Task {
            await http.handle(value: value, logger: logger)
            finished.store(true, ordering: .releasing)
        }
        for piece in pieces where channel.isActive {
            // An error here is the decoder's, also seen by the handler; the bytes after it are not read.
            _ = try? await channel.writeInbound(ByteBuffer(bytes: piece))
            await loop.run()
        }
        if stall && channel.isActive {
            await loop.advanceTime(by: TimeAmount(max(limits.headerTimeout, limits.bodyTimeout)) + .milliseconds(1))
        }
        if channel.isActive {
            try await loop.submit { channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }.get()
        }
        // Let the handler finish, running whatever the channel scheduled meanwhile (a real event loop would).
        let started = ContinuousClock.now
        var spins = 0
        while !finished.load(ordering: .acquiring) {
            await loop.run()
            spins += 1
            if spins < 200 {
                await Task.yield()
            } else {
                try? await Task.sleep(for: .microseconds(500))
            }
            if ContinuousClock.now - started > .seconds(8) {
                fatalError("the server did not finish the exchange within 8 s of the client's half-close")
            }
        }
        await handler.value
    } catch {
        fatalError("in-memory channel setup failed: \(error)")
    }
    var output: [UInt8] = []
    while let data = try? await channel.readOutbound(as: IOData.self) {
        guard case .byteBuffer(let buffer) = data else { fatalError("the server wrote a file region") }
        output += buffer.readableBytesView
    }
    if channel.isActive { try? await channel.close().get() }
    await loop.shutdownGracefully()
    return output
}

// MARK: - Reading the responses (strict)

func isAlphanumeric(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
}

struct ParsedResponse {
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> [String] { headers.filter { $0.name.lowercased() == name }.map(\.value) }
}

struct ResponseSyntaxError: Error, CustomStringConvertible {
    var description: String
}

/// Reads the responses off `bytes`; `methods[i]` is the method of the request the i-th response answers (nil:
/// the answer to bytes that were not a request).
func parseResponses(_ bytes: [UInt8], methods: [HTTPRequest.Method?]) throws(ResponseSyntaxError) -> [ParsedResponse] {
    var responses: [ParsedResponse] = []
    var index = 0
    func line() throws(ResponseSyntaxError) -> ArraySlice<UInt8> {
        var end = index
        while end + 1 < bytes.count, !(bytes[end] == 0x0D && bytes[end + 1] == 0x0A) { end += 1 }
        guard end + 1 < bytes.count else { throw ResponseSyntaxError(description: "line without CRLF at byte \(index)") }
        defer { index = end + 2 }
        return bytes[index..<end]
    }
    func text(_ slice: ArraySlice<UInt8>) -> String { String(decoding: slice, as: UTF8.self) }
    let tokenBytes = Set("!#$%&'*+-.^_`|~".utf8)
    while index < bytes.count {
        let statusLine = try line()
        let prefix = Array("HTTP/1.1 ".utf8)
        guard statusLine.starts(with: prefix), statusLine.count >= prefix.count + 3 else {
            throw ResponseSyntaxError(description: "bad status line \(text(statusLine).debugDescription)")
        }
        let digits = statusLine.dropFirst(prefix.count).prefix(3)
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }), let status = Int(text(digits)), status >= 100 else {
            throw ResponseSyntaxError(description: "bad status code in \(text(statusLine).debugDescription)")
        }
        let rest = statusLine.dropFirst(prefix.count + 3)
        guard rest.isEmpty || (rest.first == 0x20 && rest.dropFirst().allSatisfy({ $0 == 0x09 || (0x20..<0x7F).contains($0) })) else {
            throw ResponseSyntaxError(description: "bad reason phrase in \(text(statusLine).debugDescription)")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let headerLine = try line()
            if headerLine.isEmpty { break }
            guard let colon = headerLine.firstIndex(of: 0x3A), colon > headerLine.startIndex else {
                throw ResponseSyntaxError(description: "header line without a name: \(text(headerLine).debugDescription)")
            }
            let name = headerLine[..<colon]
            guard name.allSatisfy({ isAlphanumeric($0) || tokenBytes.contains($0) }) else {
                throw ResponseSyntaxError(description: "header name is not a token: \(text(headerLine).debugDescription)")
            }
            let value = headerLine[(colon + 1)...]
            guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else {
                throw ResponseSyntaxError(description: "control character in header \(text(name))")
            }
            headers.append((text(name), text(value).trimmingCharacters(in: .whitespaces)))
        }
        var response = ParsedResponse(status: status, reason: text(rest.dropFirst()), headers: headers, body: [])
        let method = responses.count < methods.count ? methods[responses.count] : nil
        let lengths = Set(response.header("content-length"))
        let chunked = response.header("transfer-encoding").contains { $0.lowercased().contains("chunked") }
        if lengths.count > 1 { throw ResponseSyntaxError(description: "conflicting Content-Length \(lengths.sorted())") }
        if chunked && !lengths.isEmpty { throw ResponseSyntaxError(description: "both Content-Length and chunked") }
        if method == .head || method == .connect || status < 200 || status == 204 || status == 304 {
            // No body, whatever the length says (NIO's encoder suppresses it after HEAD and CONNECT).
        } else if chunked {
            while true {
                let sizeLine = try line()
                guard let size = Int(text(sizeLine.prefix { $0 != 0x3B }), radix: 16), size >= 0 else {
                    throw ResponseSyntaxError(description: "bad chunk size \(text(sizeLine).debugDescription)")
                }
                if size == 0 {
                    while !(try line()).isEmpty {}  // trailers
                    break
                }
                guard index + size + 2 <= bytes.count, bytes[index + size] == 0x0D, bytes[index + size + 1] == 0x0A else {
                    throw ResponseSyntaxError(description: "chunk of \(size) bytes cut short or without CRLF")
                }
                response.body += bytes[index..<(index + size)]
                index += size + 2
            }
        } else if let length = lengths.first {
            guard let n = Int(length), n >= 0, String(n) == length else {
                throw ResponseSyntaxError(description: "bad Content-Length \(length.debugDescription)")
            }
            guard index + n <= bytes.count else {
                throw ResponseSyntaxError(description: "body of \(n) bytes cut short at \(bytes.count - index)")
            }
            response.body = Array(bytes[index..<(index + n)])
            index += n
        } else {
            throw ResponseSyntaxError(description: "\(status) response without Content-Length or chunked framing")
        }
        responses.append(response)
    }
    return responses
}

// MARK: - The properties

func check(_ input: [UInt8], peer: Peer, stall: Bool, trace: RequestTrace, output: [UInt8]) {
    func fail(_ message: String) -> Never {
        let shownOutput = String(decoding: output.prefix(2000), as: UTF8.self)
        fatalError("\(message)\npeer uid \(peer.uid) (\(peer.access)), stall \(stall); input \(String(decoding: input, as: UTF8.self).debugDescription)\noutput \(shownOutput.debugDescription)")
    }
    // The requests the server answers: up to the first with `Connection: close` (Hummingbird stops there).
    var answered: [HTTPRequest.Method] = []
    // Whether each answered request was for the API (`/v1…`, `/metrics`), whose errors are JSON; the command
    // office's pages (every other path, `OPTIONS *` included) answer errors as HTML pages.
    var forAPI: [Bool] = []
    var closedByRequest = false
    for head in trace.heads {
        answered.append(head.method)
        let path = head.path ?? ""
        forAPI.append(path == "/v1" || path.hasPrefix("/v1/") || path.hasPrefix("/v1?") || path.hasPrefix("/metrics"))
        if head.headerFields[.connection] == "close" {
            closedByRequest = true
            break
        }
    }
    let refusal = trace.end == .parseError && !closedByRequest
    let responses: [ParsedResponse]
    do {
        responses = try parseResponses(output, methods: answered.map { $0 } + [nil])
    } catch {
        fail("malformed response: \(error)")
    }
    guard responses.count >= (stall ? 0 : answered.count), responses.count <= answered.count + (refusal ? 1 : 0) else {
        fail("\(responses.count) responses to \(answered.count) requests read (decoder end: \(trace.end), Connection: close \(closedByRequest))")
    }
    for (i, response) in responses.enumerated() {
        let what = "response \(i + 1) (\(response.status) \(response.reason))"
        if response.status >= 500 { fail("\(what): a 5xx status") }
        if peer.access == .none, (200..<300).contains(response.status) { fail("\(what): an outsider got a 2xx") }
        if i < responses.count - 1, response.header("connection").contains(where: { $0.lowercased() == "close" }) {
            fail("\(what): Connection: close but more responses follow")
        }
        let contentType = response.header("content-type").first ?? ""
        let method = i < answered.count ? answered[i] : nil
        if method == .head || method == .connect { continue }  // no body to look at; checked while parsing
        if response.status >= 400 {
            if response.body.isEmpty {
                // Only NIO/Hummingbird's own answer to bytes that are not HTTP: the last response, a 400, closing.
                let isRefusal = refusal && i == answered.count && response.status == 400
                    && response.header("connection").contains(where: { $0.lowercased() == "close" })
                if !isRefusal { fail("\(what): an error without a JSON body") }
                continue
            }
            if contentType == "text/html; charset=utf-8", i < forAPI.count, !forAPI[i] {
                // A page's error: an HTML document of its own.
                if response.header("content-encoding").isEmpty, !String(decoding: response.body, as: UTF8.self).hasPrefix("<!DOCTYPE html>") {
                    fail("\(what): an HTML error page that is not a document")
                }
                continue
            }
            guard contentType == "application/json" else { fail("\(what): an error body of type \(contentType.debugDescription)") }
            guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                Set(object.keys) == ["error", "reason"], let error = object["error"] as? String, let reason = object["reason"] as? String
            else { fail("\(what): the error body is not {\"error\", \"reason\"}") }
            let expected = response.reason.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "'", with: "")
            if error != expected { fail("\(what): error \(error.debugDescription), expected \(expected.debugDescription)") }
            if reason.isEmpty { fail("\(what): an empty reason") }
        } else if contentType == "application/json", !response.body.isEmpty {
            guard (try? JSONSerialization.jsonObject(with: Data(response.body))) != nil else { fail("\(what): a 2xx body that is not JSON") }
        }
    }
}

// MARK: - Entry point

/// FUZZ_HTTP_ECHO=1: print each exchange to stderr (to look at a reproducer: `FuzzHTTPRequest <file>`).
private let echo = ProcessInfo.processInfo.environment["FUZZ_HTTP_ECHO"] != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 1, count <= 16 * 1024 else { return -1 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let selector = Int(bytes[0])
    let peer = peers[selector % 3]
    let stall = (selector / 12) % 2 == 1
    let request = Array(bytes.dropFirst())
    let pieceSize: Int
    switch (selector / 3) % 4 {
    case 0: pieceSize = max(request.count, 1)
    case 1: pieceSize = max((request.count + 1) / 2, 1)
    case 2: pieceSize = max(7, request.count / 256)
    default: pieceSize = 64
    }
    let pieces = stride(from: 0, to: request.count, by: pieceSize).map { Array(request[$0..<min($0 + pieceSize, request.count)]) }
    let trace = readRequests(pieces)

    backend.connectionPeer.withLock { $0 = peer }
    backend.calls.withLock { $0.removeAll() }
    let result = Mutex<[UInt8]?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let output = await exchange(pieces, peer: peer, stall: stall)
        result.withLock { $0 = output }
        done.signal()
    }
    done.wait()
    backend.connectionPeer.withLock { $0 = nil }
    let output = result.withLock { $0 } ?? []
    if echo {
        FileHandle.standardError.write(Data("peer uid \(peer.uid) (\(peer.access)), stall \(stall), \(pieces.count) pieces, decoder read \(trace.heads.count) heads, end \(trace.end)\n".utf8))
        FileHandle.standardError.write(Data(output) + Data("\n----\n".utf8))
    }
    if peer.access == .none, let call = backend.calls.withLock({ $0.first }) {
        fatalError("the backend was called (\(call)) for an outsider")
    }
    check(request, peer: peer, stall: stall, trace: trace, output: output)
    return 0
}
