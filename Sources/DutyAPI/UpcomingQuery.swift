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
/// Parameters: `person`, `role`, `duty` (ids: a `RecipientFilter`), `kind` (comma-separated: `due`, `warning`,
/// `overdue`, `escalation`, the change notices `changed`, `cancelled`, `snoozed`, `skipped`, or `all`; default `due`), `from` and `to` (ISO 8601 read by `ISO8601Time`: an instant
/// with an offset, or a date `YYYY-MM-DD` or local date-time read in `timezone`; `to` as a date is inclusive), or
/// `days` (from now), `timezone` (an IANA name; default the plan's zone, which the daemon states through the
/// `defaultZone` of `window(now:defaultZone:)`, `start(defaultZone:)` and `end(defaultZone:)`), `limit` (1…1000,
/// default 100) and `offset` (paging).
public struct UpcomingQuery: Sendable, Hashable {
    public static let defaultLimit = 100
    public static let maximumLimit = 1000
    public static let maximumDays = 366
    public static let defaultDays = 14
    public static let kinds: Set<String> = [
        "due", "warning", "overdue", "escalation", "changed", "cancelled", "snoozed", "skipped",
    ]

    /// Whose duties: `person`, `role`, `duty` (the socket takes no `township` yet).
    public var filter: RecipientFilter
    public var kinds: Set<String> = ["due"]
    /// Window start as written (exclusive).
    public var from: ISO8601Time?
    /// Window end as written (inclusive; a date means its whole day).
    public var to: ISO8601Time?
    public var days: Int?
    /// The zone of dates and local times in `from` and `to`; nil: the plan's zone (the caller of `window` states it).
    public var timezone: TimeZone?
    public var limit: Int = UpcomingQuery.defaultLimit
    public var offset: Int = 0

    public var person: String? {
        get { filter.person }
        set { filter.person = newValue }
    }
    public var role: String? {
        get { filter.role }
        set { filter.role = newValue }
    }
    public var duty: String? {
        get { filter.duty }
        set { filter.duty = newValue }
    }

    public init(
        person: String? = nil, role: String? = nil, duty: String? = nil, kinds: Set<String> = ["due"],
        from: ISO8601Time? = nil, to: ISO8601Time? = nil, days: Int? = nil, timezone: TimeZone? = nil,
        limit: Int = UpcomingQuery.defaultLimit, offset: Int = 0
    ) {
        self.filter = RecipientFilter(person: person, role: role, duty: duty)
        self.kinds = kinds
        self.from = from
        self.to = to
        self.days = days
        self.timezone = timezone
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
        filter = RecipientFilter()
        if let zoneName = seen["timezone"] {
            guard let zone = TimeZone(identifier: zoneName) else { throw QueryParameterError("unknown time zone '\(zoneName)'") }
            timezone = zone
        }
        person = try Self.id(seen["person"], "person")
        role = try Self.id(seen["role"], "role")
        duty = try Self.id(seen["duty"], "duty")
        if let kind = seen["kind"] {
            let parts = Set(kind.split(separator: ",").map { String($0) })
            if parts == ["all"] {
                kinds = Self.kinds
            } else {
                guard !parts.isEmpty, parts.isSubset(of: Self.kinds) else {
                    throw QueryParameterError(
                        "kind must be due, warning, overdue, escalation, changed, cancelled, snoozed, skipped (comma-separated) or all")
                }
                kinds = parts
            }
        }
        if let text = seen["from"] { from = try Self.time(text, name: "from") }
        if let text = seen["to"] { to = try Self.time(text, name: "to") }
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
        // Whether `to` lies after `from` depends on the zone only when one is an instant and the other a wall time;
        // then, without `timezone`, it is checked once the zone is known (`window`).
        if let zone = timezone ?? ((from?.isAbsolute == to?.isAbsolute) ? TimeZone(identifier: "UTC") : nil) {
            try checkOrder(in: zone)
        }
    }

    /// The zone dates and local times of `from` and `to` are read in: `timezone`, else `defaultZone`.
    public func zone(default defaultZone: TimeZone) -> TimeZone { timezone ?? defaultZone }

    /// The window start `from`, read in `timezone` or else `defaultZone`; nil without `from`.
    public func start(defaultZone: TimeZone) -> Date? {
        from?.instant(defaultZone: zone(default: defaultZone))
    }

    /// The window end `to`, read in `timezone` or else `defaultZone`; a date stands for the end of that day (less a
    /// millisecond). nil without `to`.
    public func end(defaultZone: TimeZone) -> Date? {
        guard let to else { return nil }
        let zone = zone(default: defaultZone)
        guard to.isDateOnly else { return to.instant(defaultZone: zone) }
        return TimeFormatting.instant(to.date.adding(days: 1), in: zone).addingTimeInterval(-0.001)
    }

    /// The window `(start, end]` at `now`, dates and local times read in `timezone` or else `defaultZone` (the
    /// plan's zone): from (default now) to `to`, or `days` later (default 14 days).
    public func window(now: Date, defaultZone: TimeZone) throws(QueryParameterError) -> (start: Date, end: Date) {
        try checkOrder(in: zone(default: defaultZone))
        let start = self.start(defaultZone: defaultZone) ?? now
        let end = self.end(defaultZone: defaultZone) ?? start.addingTimeInterval(Double(days ?? Self.defaultDays) * 86_400)
        guard end.timeIntervalSince(start) <= Double(Self.maximumDays) * 86_400 + 1 else {
            throw QueryParameterError("the window may span at most \(Self.maximumDays) days")
        }
        return (start, end)
    }

    private func checkOrder(in zone: TimeZone) throws(QueryParameterError) {
        if let start = start(defaultZone: zone), let end = end(defaultZone: zone), end <= start {
            throw QueryParameterError("to must lie after from")
        }
    }

    /// The query string (without `?`), parameters in a fixed order, percent-encoded.
    public var queryString: String {
        var items: [URLQueryItem] = []
        if let person { items.append(.init(name: "person", value: person)) }
        if let role { items.append(.init(name: "role", value: role)) }
        if let duty { items.append(.init(name: "duty", value: duty)) }
        if kinds != ["due"] { items.append(.init(name: "kind", value: kinds == Self.kinds ? "all" : kinds.sorted().joined(separator: ","))) }
        if let from { items.append(.init(name: "from", value: from.description)) }
        if let to { items.append(.init(name: "to", value: to.description)) }
        if let days { items.append(.init(name: "days", value: String(days))) }
        if let timezone { items.append(.init(name: "timezone", value: timezone.identifier)) }
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

    static func time(_ text: String, name: String) throws(QueryParameterError) -> ISO8601Time {
        do {
            return try ISO8601Time(text)
        } catch {
            throw QueryParameterError(
                "\(name) must be an ISO 8601 instant or a date YYYY-MM-DD: \(error.message) (column \(error.column))")
        }
    }
}
