import DutyCore
import Foundation

/// A query string the server refused: unknown parameter, bad value, window too large.
public struct QueryParameterError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The filters of `GET /v1/upcoming` (and, with `days` counted backwards, `GET /v1/overdue`).
///
/// Parameters: `person`, `role`, `duty` (ids), `kind` (comma-separated: `due`, `warning`, `overdue`,
/// `escalation`, or `all`; default `due`), `from` and `to` (ISO 8601 instants, or dates `YYYY-MM-DD` read in
/// `timezone`, default Asia/Shanghai; `to` as a date is inclusive), or `days` (from now), `limit` (1…1000,
/// default 100) and `offset` (paging).
public struct UpcomingQuery: Sendable, Hashable {
    public static let defaultLimit = 100
    public static let maximumLimit = 1000
    public static let maximumDays = 366
    public static let defaultDays = 14
    public static let kinds: Set<String> = ["due", "warning", "overdue", "escalation"]

    public var person: String?
    public var role: String?
    public var duty: String?
    public var kinds: Set<String> = ["due"]
    public var from: Date?
    public var to: Date?
    public var days: Int?
    public var limit: Int = UpcomingQuery.defaultLimit
    public var offset: Int = 0

    public init(
        person: String? = nil, role: String? = nil, duty: String? = nil, kinds: Set<String> = ["due"], from: Date? = nil,
        to: Date? = nil, days: Int? = nil, limit: Int = UpcomingQuery.defaultLimit, offset: Int = 0
    ) {
        self.person = person
        self.role = role
        self.duty = duty
        self.kinds = kinds
        self.from = from
        self.to = to
        self.days = days
        self.limit = limit
        self.offset = offset
    }

    static let known: Set<String> = ["person", "role", "duty", "kind", "from", "to", "days", "limit", "offset", "timezone"]

    /// Parses decoded query parameters; every parameter may appear once.
    public init(parameters: [(String, String)]) throws(QueryParameterError) {
        var seen: [String: String] = [:]
        for (key, value) in parameters {
            guard Self.known.contains(key) else { throw QueryParameterError("unknown parameter '\(key)'") }
            guard seen[key] == nil else { throw QueryParameterError("parameter '\(key)' given twice") }
            guard value.utf8.count <= 200 else { throw QueryParameterError("parameter '\(key)' is too long") }
            seen[key] = value
        }
        let zoneName = seen["timezone"] ?? "Asia/Shanghai"
        guard let zone = TimeZone(identifier: zoneName) else { throw QueryParameterError("unknown time zone '\(zoneName)'") }
        person = try Self.id(seen["person"], "person")
        role = try Self.id(seen["role"], "role")
        duty = try Self.id(seen["duty"], "duty")
        if let kind = seen["kind"] {
            let parts = Set(kind.split(separator: ",").map { String($0) })
            if parts == ["all"] {
                kinds = Self.kinds
            } else {
                guard !parts.isEmpty, parts.isSubset(of: Self.kinds) else {
                    throw QueryParameterError("kind must be due, warning, overdue, escalation (comma-separated) or all")
                }
                kinds = parts
            }
        }
        if let text = seen["from"] { from = try Self.instant(text, zone: zone, endOfDay: false, name: "from") }
        if let text = seen["to"] { to = try Self.instant(text, zone: zone, endOfDay: true, name: "to") }
        if let text = seen["days"] {
            guard let n = Int(text), n >= 1, n <= Self.maximumDays else {
                throw QueryParameterError("days must be an integer from 1 to \(Self.maximumDays)")
            }
            guard to == nil else { throw QueryParameterError("give either to or days, not both") }
            days = n
        }
        if let text = seen["limit"] {
            guard let n = Int(text), n >= 1, n <= Self.maximumLimit else {
                throw QueryParameterError("limit must be an integer from 1 to \(Self.maximumLimit)")
            }
            limit = n
        }
        if let text = seen["offset"] {
            guard let n = Int(text), n >= 0, n <= 10_000_000 else { throw QueryParameterError("offset must be a non-negative integer") }
            offset = n
        }
        if let from, let to, to <= from { throw QueryParameterError("to must lie after from") }
    }

    /// The window `(start, end]` at `now`: from (default now) to `to`, or `days` later (default 14 days).
    public func window(now: Date) throws(QueryParameterError) -> (start: Date, end: Date) {
        let start = from ?? now
        let end = to ?? start.addingTimeInterval(Double(days ?? Self.defaultDays) * 86_400)
        guard end.timeIntervalSince(start) <= Double(Self.maximumDays) * 86_400 + 1 else {
            throw QueryParameterError("the window may span at most \(Self.maximumDays) days")
        }
        return (start, end)
    }

    /// The query string (without `?`), parameters in a fixed order, percent-encoded.
    public var queryString: String {
        var items: [URLQueryItem] = []
        if let person { items.append(.init(name: "person", value: person)) }
        if let role { items.append(.init(name: "role", value: role)) }
        if let duty { items.append(.init(name: "duty", value: duty)) }
        if kinds != ["due"] { items.append(.init(name: "kind", value: kinds == Self.kinds ? "all" : kinds.sorted().joined(separator: ","))) }
        let utc = TimeZone(identifier: "UTC")!
        if let from { items.append(.init(name: "from", value: TimeFormatting.iso8601(from, in: utc))) }
        if let to { items.append(.init(name: "to", value: TimeFormatting.iso8601(to, in: utc))) }
        if let days { items.append(.init(name: "days", value: String(days))) }
        if limit != Self.defaultLimit { items.append(.init(name: "limit", value: String(limit))) }
        if offset != 0 { items.append(.init(name: "offset", value: String(offset))) }
        var components = URLComponents()
        components.queryItems = items
        return (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }

    static func id(_ value: String?, _ name: String) throws(QueryParameterError) -> String? {
        guard let value else { return nil }
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 < 0x80 && ($0 == 0x2E || $0 == 0x2D || $0 == 0x5F || isalnum(Int32($0)) != 0) })
        else { throw QueryParameterError("\(name) must be an id ([A-Za-z0-9._-])") }
        return value
    }

    static func instant(_ text: String, zone: TimeZone, endOfDay: Bool, name: String) throws(QueryParameterError) -> Date {
        if let date = CivilDate(iso: text) {
            return TimeFormatting.instant(endOfDay ? date.adding(days: 1) : date, in: zone).addingTimeInterval(endOfDay ? -0.001 : 0)
        }
        if text.contains("T"), let instant = TimeFormatting.parseISO8601(text, defaultZone: zone) { return instant }
        throw QueryParameterError("\(name) must be an ISO 8601 instant or a date YYYY-MM-DD")
    }
}
