import DutyAPI
import Hummingbird
import HTTPTypes
import NIOCore

/// The router's responder with what must happen before a route is chosen, for every route alike:
///
/// 1. **Percent-decoding of the path** (RFC 3986 §2.1, §6.2.2.2): a client that encodes `@` as `%40` (every URL
///    library does in a path segment) reaches the same resource as one that does not. Escapes of characters
///    that may stand literally in a path segment (unreserved, sub-delims, `:`, `@`) and of non-ASCII UTF-8 are
///    decoded; `%2F`, `%3F`, `%23`, `%25` and other reserved or control characters stay escaped, so a decoded
///    path never gains a segment, a query or a fragment. A malformed escape (`%zz`, a cut `%4`, bytes that are
///    not UTF-8) is a 400.
/// 2. **405 with `Allow`** (RFC 9110 §15.5.6): a method the path's routes do not take, on a path some route
///    matches, is refused with the methods they take, instead of Hummingbird's 404; `OPTIONS` answers 204 with
///    the same `Allow`.
public struct QueryResponder: HTTPResponder {
    public typealias Context = DutyRequestContext

    let router: RouterResponder<DutyRequestContext>
    /// Every route: its path pattern and method.
    let routes: [(path: RouterPath, method: HTTPRequest.Method)]
    let metrics: ServerMetrics

    public func respond(to request: Request, context: DutyRequestContext) async throws -> Response {
        let raw = request.uri.path
        guard let path = Self.decodedPath(raw) else {
            return counted(QueryRouter.errorResponse(.badRequest, "malformed percent-encoding in the path"))
        }
        var request = request
        if path != raw {
            var head = request.head
            let query = request.uri.query.map { "?" + $0 } ?? ""
            head.path = path + query
            request = Request(head: head, body: request.body)
        }
        let allowed = allowedMethods(path)
        if !allowed.isEmpty && request.method == .options {
            // RFC 9110 §9.3.7: the methods the resource takes.
            var response = Response(status: .noContent)
            response.headers[.allow] = (allowed.map(\.rawValue).sorted() + ["OPTIONS"]).joined(separator: ", ")
            return counted(response)
        }
        if !allowed.isEmpty && !allowed.contains(request.method) {
            let names = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            var response = QueryRouter.errorResponse(
                .methodNotAllowed, "\(request.method.rawValue) is not allowed here; allowed: \(names)")
            response.headers[.allow] = names
            return counted(response)
        }
        return try await router.respond(to: request, context: context)
    }

    private func counted(_ response: Response) -> Response {
        metrics.count(status: response.status.code)
        return response
    }

    /// The methods the routes matching a path take (empty: no route matches it).
    func allowedMethods(_ path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods = Set<HTTPRequest.Method>()
        for route in routes where Self.matches(route.path, segments) { methods.insert(route.method) }
        return methods
    }

    static func matches(_ pattern: RouterPath, _ segments: [Substring]) -> Bool {
        let components = pattern.components
        if components.last.map({ $0.description == "**" }) == true {
            guard segments.count >= components.count - 1 else { return false }
            return zip(components.dropLast(), segments).allSatisfy { $0 ~= $1 }
        }
        guard components.count == segments.count else { return false }
        return zip(components, segments).allSatisfy { $0 ~= $1 }
    }

    /// The path with its decodable escapes decoded (see the type's comment), or nil when an escape is malformed.
    static func decodedPath(_ path: String) -> String? {
        guard path.utf8.contains(UInt8(ascii: "%")) else { return path }
        let bytes = Array(path.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2])
            else { return nil }
            let decoded = high << 4 | low
            if decoded >= 0x80 || isLiteralInSegment(decoded) {
                out.append(decoded)
            } else {
                out.append(contentsOf: bytes[i...i + 2])
            }
            i += 3
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 `pchar` less `%`: unreserved, sub-delims, `:` and `@`.
    private static func isLiteralInSegment(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "-._~!$&'()*+,;=:@".utf8.contains(byte)
        }
    }
}

/// `QueryRouter.build()`: the routes, and the responder that serves them.
public struct QueryRoutes {
    public let router: Router<DutyRequestContext>
    let metrics: ServerMetrics

    /// The responder of every route, with path decoding and 405s (`QueryResponder`).
    public func buildResponder() -> QueryResponder {
        QueryResponder(
            router: router.buildResponder(), routes: router.routes.map { ($0.path, $0.method) }, metrics: metrics)
    }
}
