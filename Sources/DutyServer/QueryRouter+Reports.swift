import CompressNIO
import DutyAPI
import DutyCore
import Foundation
import Hummingbird
import NIOCore

/// The reports (`/v1/reports/visits`, `/v1/reports/duties`) as JSON or CSV, and the calendar feed
/// (`/v1/calendar.ics`) with `ETag`/`Last-Modified` so that a subscribing calendar polls cheaply.
extension QueryRouter {
    @Sendable static func reports(_ backend: any DutyQueryBackend) throws -> any DutyReportBackend {
        guard let reports = backend as? any DutyReportBackend else {
            throw DutyQueryError(.notFound, "this daemon has no reports")
        }
        return reports
    }

    /// The query parameters, each at most once, only the `known` ones, each at most 200 bytes.
    static func parameters(_ request: Request, known: Set<String>) throws -> [String: String] {
        var seen: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let key = String(key)
            guard known.contains(key) else { throw DutyQueryError(.badRequest, "unknown parameter '\(key)'") }
            guard seen[key] == nil else { throw DutyQueryError(.badRequest, "parameter '\(key)' given twice") }
            guard value.utf8.count <= 200 else { throw DutyQueryError(.badRequest, "parameter '\(key)' is too long") }
            seen[key] = String(value)
        }
        return seen
    }

    /// `format=csv`, or `Accept: text/csv` without `format`, asks for CSV.
    static func wantsCSV(_ request: Request, _ parameters: [String: String]) throws -> Bool {
        switch parameters["format"] {
        case "csv": return true
        case "json": return false
        case nil: return request.headers[.accept].map { $0.contains("text/csv") } ?? false
        case let other?: throw DutyQueryError(.badRequest, "format must be json or csv, not '\(other)'")
        }
    }

    static func addReportRoutes(_ v1: RouterGroup<DutyRequestContext>, backend: any DutyQueryBackend) {
        v1.get("reports/visits") { request, context in
            try Self.require(.read, context)
            let p = try Self.parameters(request, known: ["month", "township", "format", "group"])
            if let month = p["month"], !Self.isMonth(month) {
                throw DutyQueryError(.badRequest, "month must be YYYY-MM, not '\(month)'")
            }
            let group = p["group"] ?? "township"
            guard ["township", "unit", "cadre"].contains(group) else {
                throw DutyQueryError(.badRequest, "group must be township, unit or cadre")
            }
            let csv = try Self.wantsCSV(request, p)
            let report = try await Self.reports(backend).visitReport(
                month: p["month"], township: p["township"], cadres: !csv || group == "cadre")
            if csv {
                return Self.text(
                    report.csv(group: group), contentType: "text/csv; charset=utf-8", request: request,
                    headers: [.contentDisposition: "attachment; filename=\"visits-\(report.month)-\(group).csv\""])
            }
            return try Self.json(report)
        }
        v1.get("reports/duties") { request, context in
            try Self.require(.read, context)
            let p = try Self.parameters(request, known: ["from", "to", "format"])
            guard let from = p["from"], let to = p["to"] else {
                throw DutyQueryError(.badRequest, "give from and to (YYYY-MM-DD)")
            }
            let report = try await Self.reports(backend).dutyReport(from: from, to: to)
            if try Self.wantsCSV(request, p) {
                return Self.text(
                    report.csv, contentType: "text/csv; charset=utf-8", request: request,
                    headers: [.contentDisposition: "attachment; filename=\"duties-\(report.from)-\(report.to).csv\""])
            }
            return try Self.json(report)
        }
        v1.get("calendar.ics") { request, context in
            try Self.require(.read, context)
            let p = try Self.parameters(request, known: ["person", "role", "township"])
            let filter = RecipientFilter(person: p["person"], role: p["role"], township: p["township"])
            let feed = try await Self.reports(backend).calendarFeed(filter)
            let etag = "\"" + Self.fingerprint(feed.text) + "\""
            let modified = HTTPDate.format(feed.lastModified)
            var headers: HTTPFields = [.eTag: etag, .lastModified: modified, .cacheControl: "private, no-cache"]
            if let match = request.headers[.ifNoneMatch] {
                if match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }) {
                    return Response(status: .notModified, headers: headers)
                }
            } else if let since = request.headers[.ifModifiedSince].flatMap(HTTPDate.parse),
                floor(feed.lastModified.timeIntervalSince1970) <= since.timeIntervalSince1970
            {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentDisposition] = "inline; filename=\"dutyd.ics\""
            return Self.text(feed.text, contentType: "text/calendar; charset=utf-8", request: request, headers: headers)
        }
    }

    static func isMonth(_ text: String) -> Bool {
        text.utf8.count == 7 && CivilDate(iso: text + "-01") != nil
    }

    /// FNV-1a 64 of the text, in hex: the feed's strong ETag.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A text response, gzip-compressed when the client accepts it and the body is worth it.
    static func text(_ text: String, contentType: String, request: Request, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:])
        -> Response
    {
        var headers = extra
        headers[.contentType] = contentType
        headers[.vary] = "Accept-Encoding"
        var buffer = ByteBuffer(string: text)
        if buffer.readableBytes > 1024, Self.acceptsGzip(request), let compressed = try? buffer.compress(with: .gzip()) {
            headers[.contentEncoding] = "gzip"
            return Response(status: status, headers: headers, body: .init(byteBuffer: compressed))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// Whether `Accept-Encoding` lists gzip with a non-zero quality.
    static func acceptsGzip(_ request: Request) -> Bool {
        guard let header = request.headers[.acceptEncoding] else { return false }
        for part in header.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard fields.first == "gzip" || fields.first == "*" else { continue }
            let quality = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }
}

/// RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
enum HTTPDate {
    static let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ date: Date) -> String {
        let seconds = Int(floor(date.timeIntervalSince1970))
        let dayNumber = Int(floor(Double(seconds) / 86_400))
        let civil = CivilDate(dayNumber: dayNumber)
        let rest = seconds - dayNumber * 86_400
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[civil.weekday.mondayBasedIndex]), \(two(civil.day)) \(months[civil.month - 1]) \(civil.year) "
            + "\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) GMT"
    }

    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        let civil = CivilDate(year: year, month: month + 1, day: day)
        guard civil.isValid else { return nil }
        return Date(timeIntervalSince1970: Double(civil.dayNumber * 86_400 + time[0] * 3600 + time[1] * 60 + time[2]))
    }
}
