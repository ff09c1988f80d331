import DutyAPI
import DutyCore
import DutyWeb
import Foundation
import Hummingbird
import NIOCore

/// The pages of the command office under `/` (the API stays under `/v1`): HTML rendered by `DutyWeb` from the
/// backend's answers, readable by whoever may read the API. Errors on these paths become HTML pages with the
/// status `response(for:)` gives (`ErrorMiddleware`).
extension QueryRouter {
    /// The templates, parsed once. They are embedded in the binary and checked by DutyWebTests, so this is never
    /// nil in a build that passed its tests.
    static let renderer: PageRenderer? = try? PageRenderer()

    /// Whether a path is a page's (not the API's or the metrics').
    static func isPagePath(_ path: String) -> Bool {
        !(path == APICoding.prefix || path.hasPrefix(APICoding.prefix + "/") || path == "/metrics")
    }

    static func pageRequest(_ request: Request) -> PageRenderer.Request {
        var lang: String?
        var rest: [(String, String)] = []
        for (key, value) in request.uri.queryParameters {
            if key == "lang" { lang = String(value) } else { rest.append((String(key), String(value))) }
        }
        let language = Language.negotiate(query: lang, acceptLanguage: request.headers[.acceptLanguage])
        return PageRenderer.Request(
            language: language, explicitLanguage: lang.flatMap(Language.init(rawValue:)) != nil, path: request.uri.path, query: rest)
    }

    static func parameter(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Security headers of every page: no script at all, styles only inline, images only inline.
    static let pageHeaders: HTTPFields = [
        HTTPFields.Element.Name("Content-Security-Policy")!:
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        HTTPFields.Element.Name("X-Content-Type-Options")!: "nosniff",
        HTTPFields.Element.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "private, no-cache",
    ]

    static func html(_ text: String, _ request: Request, status: HTTPResponse.Status = .ok) -> Response {
        Self.text(text, contentType: "text/html; charset=utf-8", request: request, status: status, headers: pageHeaders)
    }

    static func page(_ render: (PageRenderer) -> String, _ request: Request) throws -> Response {
        guard let renderer = Self.renderer else { throw DutyQueryError(.internalError, "the page templates do not parse") }
        return html(render(renderer), request)
    }

    /// The HTML page of an error (404 for unknown pages, 403 for a peer outside the socket's group, …).
    static func errorPage(_ status: HTTPResponse.Status, _ reason: String, _ request: Request) -> Response {
        guard let renderer = Self.renderer else { return errorResponse(status, reason) }
        return html(renderer.error(status: status.code, reason: reason, request: pageRequest(request)), request, status: status)
    }

    static func month(_ request: Request, default fallback: String) throws -> String {
        guard let month = parameter(request, "month") else { return fallback }
        guard isMonth(month) else { throw DutyQueryError(.badRequest, "month must be YYYY-MM, not '\(month)'") }
        return month
    }

    static func addPageRoutes(_ router: Router<DutyRequestContext>, backend: any DutyQueryBackend) {
        @Sendable func triggers() -> (any DutyTriggerBackend)? { backend as? any DutyTriggerBackend }
        /// A page answers GET, and HEAD with the same status and headers and no body.
        func page(_ path: RouterPath, _ handler: @escaping @Sendable (Request, DutyRequestContext) async throws -> Response) {
            router.get(path, use: handler)
            router.head(path) { request, context in
                let response = try await handler(request, context)
                return Response(status: response.status, headers: response.headers, body: .init())
            }
        }

        page("/") { request, context in
            try Self.require(.read, context)
            let reports = try Self.reports(backend)
            let info = try await reports.planInfo()
            async let agenda = reports.agenda(from: info.today, days: 15)
            async let overdue = reports.overdueReport(days: 30, limit: 30)
            async let changes = reports.recentChanges(limit: 12)
            async let visits = reports.visitReport(month: info.month, township: nil, cadres: false)
            let interviews = try await triggers()?.interviews()
            let (a, o, c, v) = try await (agenda, overdue, changes, visits)
            let page = Self.pageRequest(request)
            return try Self.page(
                { $0.overview(info: info, agenda: a, overdue: o, changes: c, interviews: interviews, visits: v.total.due > 0 ? v : nil, request: page) },
                request)
        }
        page("calendar") { request, context in
            try Self.require(.read, context)
            let reports = try Self.reports(backend)
            let info = try await reports.planInfo()
            let month = try Self.month(request, default: info.month)
            // The whole weeks (Monday first) around the month.
            let first = CivilDate(iso: month + "-01")!
            let start = first.adding(days: -first.weekday.mondayBasedIndex)
            let last = first.adding(days: CivilDate.daysInMonth(year: first.year, month: first.month) - 1)
            let end = last.adding(days: 6 - last.weekday.mondayBasedIndex)
            let agenda = try await reports.agenda(from: start.description, days: end.dayNumber - start.dayNumber + 1)
            let page = Self.pageRequest(request)
            return try Self.page({ $0.calendar(info: info, month: month, agenda: agenda, request: page) }, request)
        }
        page("visits") { request, context in
            try Self.require(.read, context)
            let reports = try Self.reports(backend)
            let info = try await reports.planInfo()
            let month = try Self.month(request, default: info.month)
            let report = try await reports.visitReport(month: month, township: Self.parameter(request, "township"), cadres: true)
            let page = Self.pageRequest(request)
            return try Self.page({ $0.visits(info: info, report: report, request: page) }, request)
        }
        page("interviews") { request, context in
            try Self.require(.read, context)
            let reports = try Self.reports(backend)
            guard let engine = triggers() else { throw DutyQueryError(.notFound, "this daemon has no event triggers") }
            async let info = reports.planInfo()
            async let rankings = reports.rankings()
            let report = try await engine.interviews()
            let (i, r) = try await (info, rankings)
            let page = Self.pageRequest(request)
            return try Self.page({ $0.interviews(info: i, report: report, rankings: r, request: page) }, request)
        }
        page("problems") { request, context in
            try Self.require(.read, context)
            let reports = try Self.reports(backend)
            guard let engine = triggers() else { throw DutyQueryError(.notFound, "this daemon has no event triggers") }
            let township = Self.parameter(request, "township")
            async let info = reports.planInfo()
            let list = try await engine.problems(township: township)
            let i = try await info
            let page = Self.pageRequest(request)
            return try Self.page({ $0.problems(info: i, list: list, township: township, request: page) }, request)
        }
        page("duties/:id") { request, context in
            try Self.require(.read, context)
            let reports = try Self.reports(backend)
            let raw = try context.parameters.require("id")
            let id = raw.removingPercentEncoding ?? raw
            async let info = reports.planInfo()
            async let occurrences = reports.dutyOccurrences(id: id, days: 120)
            let detail = try await backend.duty(id: id)
            let (i, o) = try await (info, occurrences)
            let page = Self.pageRequest(request)
            return try Self.page({ $0.duty(info: i, detail: detail, occurrences: o, request: page) }, request)
        }
        page("occurrences/:id") { request, context in
            try Self.require(.read, context)
            let reports = try Self.reports(backend)
            let raw = try context.parameters.require("id")
            let id = raw.removingPercentEncoding ?? raw
            async let info = reports.planInfo()
            async let changes = reports.occurrenceChanges(id: id)
            let detail = try await backend.occurrence(id: id)
            let (i, c) = try await (info, changes)
            let page = Self.pageRequest(request)
            return try Self.page({ $0.occurrence(info: i, detail: detail, changes: c, request: page) }, request)
        }
        page("bulletins") { request, context in
            try Self.require(.read, context)
            let info = try await Self.reports(backend).planInfo()
            let page = Self.pageRequest(request)
            return try Self.page({ $0.bulletinIndex(info: info, request: page) }, request)
        }
        page("bulletins/:township/:month") { request, context in
            try Self.require(.read, context)
            let reports = try Self.reports(backend)
            let township = try context.parameters.require("township")
            var month = try context.parameters.require("month")
            let pdf = month.hasSuffix(".pdf")
            if pdf { month.removeLast(4) }
            guard Self.isMonth(month) else { throw DutyQueryError(.badRequest, "month must be YYYY-MM, not '\(month)'") }
            async let info = reports.planInfo()
            let report = try await reports.bulletinReport(township: township, month: month)
            let i = try await info
            if pdf {
                let bytes = BulletinPDF.document(report, language: Self.pageRequest(request).language)
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "application/pdf",
                        .contentDisposition: "inline; filename=\"bulletin-\(report.township)-\(report.month).pdf\"",
                        .cacheControl: "private, no-cache",
                    ],
                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            let page = Self.pageRequest(request)
            return try Self.page({ $0.bulletin(info: i, report: report, request: page) }, request)
        }
    }
}
