import DutyAPI
import Foundation
import Hummingbird
import NIOCore

/// The routes of the query socket (see docs/openapi.yaml). Every error, whatever throws it, leaves here as a
/// JSON `{"error", "reason"}` body with its status: this is the one place errors become HTTP statuses.
public struct QueryRouter: Sendable {
    public let backend: any DutyQueryBackend
    public let limits: QueryServerLimits
    public let metrics: ServerMetrics
    /// Router tests only: take the peer from an `X-Dutyd-Test-Peer: uid,account,access` header when the
    /// request carries no socket credentials. Never set by the daemon.
    let trustPeerHeader: Bool

    public init(backend: any DutyQueryBackend, limits: QueryServerLimits = .init(), metrics: ServerMetrics = ServerMetrics()) {
        self.init(backend: backend, limits: limits, metrics: metrics, trustPeerHeader: false)
    }

    init(backend: any DutyQueryBackend, limits: QueryServerLimits, metrics: ServerMetrics, trustPeerHeader: Bool) {
        self.backend = backend
        self.limits = limits
        self.metrics = metrics
        self.trustPeerHeader = trustPeerHeader
    }

    /// The routes; `buildResponder()` of the result serves them (with path decoding and 405s, `QueryResponder`).
    public func build() -> QueryRoutes {
        let router = Router(context: DutyRequestContext.self)
        router.add(middleware: ErrorMiddleware(metrics: metrics, trustPeerHeader: trustPeerHeader))
        let backend = self.backend
        let limits = self.limits
        let metrics = self.metrics

        let v1 = router.group(RouterPath(APICoding.prefix))
        v1.get("upcoming") { request, context in
            try Self.require(.read, context)
            let query = try UpcomingQuery(parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
            var buffer = ByteBuffer(bytes: try await backend.upcoming(query).jsonBytes())
            buffer.writeString("\n")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
        }
        v1.get("overdue") { request, context in
            try Self.require(.read, context)
            let query = try UpcomingQuery(parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
            return try Self.json(await backend.overdue(query))
        }
        v1.get("duties") { request, context in
            try Self.require(.read, context)
            try Self.noParameters(request)
            return try Self.json(await backend.duties())
        }
        v1.get("duties/:id") { request, context in
            try Self.require(.read, context)
            return try Self.json(await backend.duty(id: try context.parameters.require("id")))
        }
        v1.get("occurrences/:id") { request, context in
            try Self.require(.read, context)
            let id = try context.parameters.require("id")
            return try Self.json(await backend.occurrence(id: id))
        }
        v1.post("occurrences/:id/ack") { request, context in
            let peer = try Self.require(.read, context)
            let id = try context.parameters.require("id")
            let body = try await Self.body(of: request, upTo: limits.maximumBodySize)
            let ack: AcknowledgeRequest
            if body.readableBytes == 0 {
                ack = AcknowledgeRequest()
            } else {
                guard request.headers[.contentType].map({ $0.lowercased().hasPrefix("application/json") }) ?? true else {
                    throw HTTPError(.unsupportedMediaType, message: "send application/json")
                }
                ack = try Self.decodeBody(AcknowledgeRequest.self, body)
            }
            try Self.checkNote(ack.note)
            return try Self.json(await backend.acknowledge(occurrenceID: id, request: ack, peer: peer))
        }
        v1.get("openapi.yaml") { request, context in
            try Self.require(.read, context)
            return Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: Self.openAPIBody))
        }
        v1.get("status") { request, context in
            try Self.require(.read, context)
            return try Self.json(await backend.status())
        }
        v1.post("reload") { request, context in
            let peer = try Self.require(.admin, context, because: "reloading needs root or the admin group")
            _ = try await Self.body(of: request, upTo: limits.maximumBodySize)
            return try Self.json(try await backend.reload(peer: peer))
        }
        Self.addTriggerRoutes(v1, backend: backend, limits: limits)
        Self.addChangeRoutes(v1, backend: backend, limits: limits)
        let metricsHandler: @Sendable (Request, DutyRequestContext) async throws -> Response = { _, context in
            try Self.require(.read, context)
            let text = try await backend.metrics() + metrics.exposition()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("metrics", use: metricsHandler)
        v1.get("metrics", use: metricsHandler)
        Self.addReportRoutes(v1, backend: backend)
        Self.addPageRoutes(router, backend: backend)
        return QueryRoutes(router: router, metrics: metrics)
    }

    // MARK: - Triggers (rankings, interviews, rectification ledger, bulletins)

    static func addTriggerRoutes(_ v1: RouterGroup<DutyRequestContext>, backend: any DutyQueryBackend, limits: QueryServerLimits) {
        @Sendable func triggers() throws -> any DutyTriggerBackend {
            guard let triggers = backend as? any DutyTriggerBackend else {
                throw DutyQueryError(.notFound, "this daemon has no event triggers")
            }
            return triggers
        }
        v1.post("rankings/:period") { request, context in
            let peer = try Self.require(.admin, context, because: "submitting a ranking needs root or the admin group")
            let period = try context.parameters.require("period")
            let body = try await Self.body(of: request, upTo: limits.maximumBodySize)
            guard let text = String(validating: body.readableBytesView, as: UTF8.self), !text.isEmpty else {
                throw DutyQueryError(.badRequest, "send the ranking as UTF-8 CSV (township,score) or JSON")
            }
            let engine = try triggers()
            return try Self.json(await engine.submitRanking(period: period, text: text, peer: peer))
        }
        v1.get("interviews") { request, context in
            try Self.require(.read, context)
            try Self.noParameters(request)
            let engine = try triggers()
            return try Self.json(await engine.interviews())
        }
        v1.get("problems") { request, context in
            try Self.require(.read, context)
            var township: String?
            for (key, value) in request.uri.queryParameters {
                guard key == "township" else { throw DutyQueryError(.badRequest, "unknown parameter '\(key)'") }
                township = String(value)
            }
            let engine = try triggers()
            let filter = township
            return try Self.json(await engine.problems(township: filter))
        }
        v1.post("problems") { request, context in
            let peer = try Self.require(.admin, context, because: "recording a problem needs root or the admin group")
            let body = try await Self.body(of: request, upTo: limits.maximumBodySize)
            let problem = try Self.decodeBody(NewProblemRequest.self, body)
            let engine = try triggers()
            return try Self.json(await engine.addProblem(problem, peer: peer), status: .created)
        }
        v1.post("problems/:id/close") { request, context in
            let peer = try Self.require(.admin, context, because: "closing a problem needs root or the admin group")
            guard let id = Int64(try context.parameters.require("id")) else {
                throw DutyQueryError(.badRequest, "a problem id is a number")
            }
            let body = try await Self.body(of: request, upTo: limits.maximumBodySize)
            let close = body.readableBytes == 0 ? CloseProblemRequest() : try Self.decodeBody(CloseProblemRequest.self, body)
            try Self.checkNote(close.note)
            let engine = try triggers()
            return try Self.json(await engine.closeProblem(id: id, request: close, peer: peer))
        }
        v1.post("bulletins") { request, context in
            let body = try await Self.body(of: request, upTo: limits.maximumBodySize)
            let bulletin = try Self.decodeBody(BulletinRequest.self, body)
            let peer =
                bulletin.deliver
                ? try Self.require(.admin, context, because: "delivering a bulletin needs root or the admin group")
                : try Self.require(.read, context)
            let engine = try triggers()
            return try Self.json(await engine.bulletin(bulletin, peer: peer))
        }
    }

    // MARK: - Changes (move, cancel, restore, snooze, add, pause, resume)

    static func addChangeRoutes(_ v1: RouterGroup<DutyRequestContext>, backend: any DutyQueryBackend, limits: QueryServerLimits) {
        @Sendable func changes() throws -> any DutyChangeBackend {
            guard let changes = backend as? any DutyChangeBackend else {
                throw DutyQueryError(.notFound, "this daemon does not take changes")
            }
            return changes
        }
        v1.post("occurrences/:id/move") { request, context in
            let peer = try Self.require(.read, context)
            let id = try context.parameters.require("id")
            let move = try await Self.jsonBody(MoveRequest.self, of: request, limits: limits)
            try Self.checkNote(move.note)
            return try Self.json(await changes().move(occurrenceID: id, request: move, peer: peer))
        }
        v1.post("occurrences/:id/cancel") { request, context in
            let peer = try Self.require(.read, context)
            let id = try context.parameters.require("id")
            let body = try await Self.jsonBody(ChangeRequest.self, of: request, limits: limits, empty: ChangeRequest())
            try Self.checkNote(body.note)
            return try Self.json(await changes().cancel(occurrenceID: id, request: body, peer: peer))
        }
        v1.post("occurrences/:id/restore") { request, context in
            let peer = try Self.require(.read, context)
            let id = try context.parameters.require("id")
            let body = try await Self.jsonBody(ChangeRequest.self, of: request, limits: limits, empty: ChangeRequest())
            try Self.checkNote(body.note)
            return try Self.json(await changes().restore(occurrenceID: id, request: body, peer: peer))
        }
        v1.post("occurrences/:id/snooze") { request, context in
            let peer = try Self.require(.read, context)
            let id = try context.parameters.require("id")
            let body = try await Self.jsonBody(SnoozeRequest.self, of: request, limits: limits)
            try Self.checkNote(body.note)
            return try Self.json(await changes().snooze(occurrenceID: id, request: body, peer: peer))
        }
        v1.post("duties/:id/occurrences") { request, context in
            let peer = try Self.require(.read, context)
            let id = try context.parameters.require("id")
            let body = try await Self.jsonBody(AddOccurrenceRequest.self, of: request, limits: limits)
            try Self.checkNote(body.note)
            return try Self.json(await changes().addOccurrence(dutyID: id, request: body, peer: peer), status: .created)
        }
        v1.post("pauses") { request, context in
            let peer = try Self.require(.read, context)
            let body = try await Self.jsonBody(PauseRequest.self, of: request, limits: limits)
            try Self.checkNote(body.note)
            return try Self.json(await changes().pause(body, peer: peer), status: .created)
        }
        v1.post("pauses/resume") { request, context in
            let peer = try Self.require(.read, context)
            let body = try await Self.jsonBody(PauseRequest.self, of: request, limits: limits)
            try Self.checkNote(body.note)
            return try Self.json(await changes().resume(body, peer: peer))
        }
        v1.get("changes") { request, context in
            try Self.require(.read, context)
            var duty: String?
            for (key, value) in request.uri.queryParameters {
                guard key == "duty" else { throw DutyQueryError(.badRequest, "unknown parameter '\(key)'") }
                duty = String(value)
            }
            let filter = duty
            return try Self.json(await changes().changes(duty: filter))
        }
    }

    /// Notes (acknowledgements, changes, closed problems) are at most 2000 Unicode scalar values, as JSON Schema's
    /// `maxLength` counts them (not grapheme clusters: a flag or a combining mark counts more than once).
    static func checkNote(_ note: String?) throws {
        if let note, note.unicodeScalars.count > ChangeRequest.maximumNoteLength {
            throw DutyQueryError(.badRequest, "note longer than \(ChangeRequest.maximumNoteLength) characters")
        }
    }

    /// A JSON request body: at most the body limit (413), `application/json` when a content type is given (415),
    /// decoded with unknown fields refused (400); an empty body is `empty`, or a 400 when there is none.
    static func jsonBody<T: Decodable>(_ type: T.Type, of request: Request, limits: QueryServerLimits, empty: T? = nil)
        async throws -> T
    {
        let body = try await Self.body(of: request, upTo: limits.maximumBodySize)
        if body.readableBytes == 0 {
            guard let empty else { throw DutyQueryError(.badRequest, "send a JSON object") }
            return empty
        }
        guard request.headers[.contentType].map({ $0.lowercased().hasPrefix("application/json") }) ?? true else {
            throw HTTPError(.unsupportedMediaType, message: "send application/json")
        }
        return try Self.decodeBody(type, body)
    }

    // MARK: - Helpers

    /// docs/openapi.yaml as it is (`OpenAPIDocument`, embedded by scripts/embed-openapi.py).
    static let openAPIBody = ByteBuffer(string: OpenAPIDocument.yaml)

    @discardableResult
    static func require(_ access: Peer.Access, _ context: DutyRequestContext, because reason: String? = nil) throws -> Peer {
        guard let peer = context.peer else { throw DutyQueryError(.forbidden, "no peer credentials") }
        guard peer.access >= access else {
            if peer.access == .none {
                throw DutyQueryError(.forbidden, "uid \(peer.uid) is not in the socket's group")
            }
            throw DutyQueryError(.forbidden, reason ?? "needs root or the admin group")
        }
        return peer
    }

    static func noParameters(_ request: Request) throws {
        if let first = request.uri.queryParameters.first {
            throw DutyQueryError(.badRequest, "unknown parameter '\(first.key)'")
        }
    }

    /// The request body, at most `limit` bytes (413 beyond). Reading it also surfaces what the HTTP decoder found
    /// wrong with it: a body cut short by the client's end of input, a bad chunk, bad trailers. Those are the
    /// client's errors (400), not the server's (500).
    static func body(of request: Request, upTo limit: Int) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            throw DutyQueryError(.badRequest, "malformed or incomplete request body")
        }
    }

    static func decodeBody<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        do {
            return try APICoding.decode(type, from: Data(body.readableBytesView))
        } catch let error as UnknownFieldError {
            throw DutyQueryError(.badRequest, error.description)
        } catch let error as DecodingError {
            throw DutyQueryError(.badRequest, "invalid JSON body: \(Self.describe(error))")
        } catch {
            throw DutyQueryError(.badRequest, "invalid JSON body")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let c):
            let path = (c.codingPath + [key]).map { Self.snakeCase($0.stringValue) }.joined(separator: ".")
            return "missing field '\(path)'"
        case .valueNotFound(_, let c) where !c.codingPath.isEmpty:
            return "field '\(c.codingPath.map { Self.snakeCase($0.stringValue) }.joined(separator: "."))' may not be null"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            let path = c.codingPath.map { Self.snakeCase($0.stringValue) }.joined(separator: ".")
            if let underlying = c.underlyingError as? UnknownFieldError { return underlying.description }
            if path.isEmpty {
                if case .dataCorrupted = error { return "not valid JSON" }
                return "not a JSON object"
            }
            return "bad value at '\(path)'"
        @unknown default:
            return "undecodable"
        }
    }

    /// A coding key as the client wrote it (`ifRevision` → `if_revision`).
    static func snakeCase(_ key: String) -> String {
        var out = ""
        for c in key {
            if c.isUppercase {
                out += "_" + c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        var buffer = ByteBuffer(bytes: try APICoding.encode(value))
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    /// The JSON error response of a status and reason.
    static func errorResponse(_ status: HTTPResponse.Status, _ reason: String) -> Response {
        let name = status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "'", with: "")
        let body = (try? APICoding.encode(APIErrorBody(error: name, reason: reason))) ?? Data("{}".utf8)
        var buffer = ByteBuffer(bytes: body)
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    /// The status of every error the routes may throw, as the JSON error of the API.
    static func response(for error: any Error) -> Response {
        let (status, reason) = status(for: error)
        return errorResponse(status, reason)
    }

    /// The status and reason of every error the routes may throw (the JSON body of `/v1`, the HTML page of pages).
    static func status(for error: any Error) -> (HTTPResponse.Status, String) {
        switch error {
        case let error as DutyQueryError:
            let status: HTTPResponse.Status
            switch error.code {
            case .badRequest: status = .badRequest
            case .forbidden: status = .forbidden
            case .notFound: status = .notFound
            case .conflict: status = .conflict
            case .unavailable: status = .serviceUnavailable
            case .internalError: status = .internalServerError
            }
            return (status, error.reason)
        case let error as QueryParameterError:
            return (.badRequest, error.reason)
        case let error as HTTPError:
            let reason: String
            switch error.status {
            case .notFound: reason = error.body ?? "no such endpoint"
            case .contentTooLarge: reason = "request body too large"
            default: reason = error.body ?? error.status.reasonPhrase
            }
            return (error.status, reason)
        case let error as any HTTPResponseError:
            return (error.status, error.status == .contentTooLarge ? "request body too large" : error.status.reasonPhrase)
        default:
            return (.internalServerError, "internal error")
        }
    }
}

/// Catches everything the routes throw and renders it with `QueryRouter.response(for:)`; counts responses.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = DutyRequestContext
    let metrics: ServerMetrics
    let trustPeerHeader: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if trustPeerHeader, context.peer == nil, let header = request.headers.first(where: { $0.name.canonicalName == "x-dutyd-test-peer" })?.value {
            let parts = header.split(separator: ",").map(String.init)
            if parts.count == 3, let uid = UInt32(parts[0]), let access = ["none": Peer.Access.none, "read": .read, "admin": .admin][parts[2]] {
                context.peer = Peer(uid: uid, gid: uid, pid: 0, account: parts[1].isEmpty ? nil : parts[1], access: access)
            }
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            if QueryRouter.isPagePath(request.uri.path) {
                let (status, reason) = QueryRouter.status(for: error)
                response = QueryRouter.errorPage(status, status == .notFound && reason == "no such endpoint" ? "no such page" : reason, request)
            } else {
                response = QueryRouter.response(for: error)
            }
        }
        metrics.count(status: response.status.code)
        return response
    }
}
