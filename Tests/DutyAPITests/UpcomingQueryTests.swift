import DutyTestSupport
import DutyCore
import Foundation
import Testing

@testable import DutyAPI

@Suite struct UpcomingQueryTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var id: String
        var query: String
        /// nil: expected to fail with a reason containing `error`.
        var error: String?
        var testDescription: String { id }
    }

    static let rejected: [Vector] = [
        .init(id: "unknown", query: "foo=1", error: "unknown parameter 'foo'"),
        .init(id: "twice", query: "days=1&days=2", error: "given twice"),
        .init(id: "days-zero", query: "days=0", error: "days must be"),
        .init(id: "days-too-many", query: "days=367", error: "days must be"),
        .init(id: "days-text", query: "days=two", error: "days must be"),
        .init(id: "limit-zero", query: "limit=0", error: "limit must be"),
        .init(id: "offset-negative", query: "offset=-1", error: "offset must be"),
        .init(id: "kind", query: "kind=due,party", error: "kind must be"),
        .init(id: "from-garbage", query: "from=yesterday", error: "from must be"),
        .init(id: "to-before-from", query: "from=2018-10-02&to=2018-10-01", error: "to must lie after from"),
        .init(id: "person-not-id", query: "person=a%20b", error: "person must be an id"),
        .init(id: "zone", query: "timezone=Mars/Base", error: "unknown time zone"),
    ]

    static func parameters(_ query: String) -> [(String, String)] {
        var components = URLComponents()
        components.percentEncodedQuery = query
        return (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }

    @Test(arguments: rejected)
    func rejects(_ vector: Vector) {
        #expect(throws: QueryParameterError.self) { try UpcomingQuery(parameters: Self.parameters(vector.query)) }
        do {
            _ = try UpcomingQuery(parameters: Self.parameters(vector.query))
        } catch {
            #expect(error.reason.contains(vector.error!), "\(vector.id): \(error.reason)")
        }
    }

    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    @Test func datesAreReadInTheTimeZoneAndToIsInclusive() throws {
        let q = try UpcomingQuery(parameters: Self.parameters("from=2018-10-01&to=2018-10-07&timezone=Asia/Shanghai"))
        // The query's zone wins over the plan's.
        let start = try #require(q.start(defaultZone: Self.berlin))
        let end = try #require(q.end(defaultZone: Self.berlin))
        // 2018-10-01T00:00+08:00 = 2018-09-30T16:00Z
        #expect(start == Date(timeIntervalSince1970: 1_538_323_200))
        // the end of 2018-10-07 in Shanghai, less a millisecond
        #expect(abs(end.timeIntervalSince1970 - (1_538_323_200 + 7 * 86_400 - 0.001)) < 1e-6)
        let window = try q.window(now: Date(timeIntervalSince1970: 0), defaultZone: Self.berlin)
        #expect(window.start == start)
    }

    /// Without `timezone`, dates and local times are read in the zone the daemon states (its plan's); instants
    /// with an offset are not.
    @Test func withoutATimeZoneDatesAreReadInTheDefaultZone() throws {
        let q = try UpcomingQuery(parameters: Self.parameters("from=2018-10-01&to=2018-10-01T12:00:00%2B08:00"))
        #expect(q.timezone == nil)
        // 2018-10-01T00:00+02:00 (Berlin summer time) = 2018-09-30T22:00Z
        #expect(q.start(defaultZone: Self.berlin) == Date(timeIntervalSince1970: 1_538_344_800))
        #expect(q.end(defaultZone: Self.berlin) == Date(timeIntervalSince1970: 1_538_366_400))
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        #expect(q.start(defaultZone: shanghai) == Date(timeIntervalSince1970: 1_538_323_200))
        let local = try UpcomingQuery(parameters: [("from", "2018-10-01T09:00:00")])
        #expect(local.start(defaultZone: Self.berlin) == Date(timeIntervalSince1970: 1_538_377_200))
    }

    /// An instant against a wall time: the order depends on the zone, so it is checked once the zone is known.
    @Test func orderOfAnInstantAndADateIsCheckedInTheWindow() throws {
        let q = try UpcomingQuery(parameters: [("from", "2018-10-01T20:00:00Z"), ("to", "2018-10-01")])
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        // In Shanghai 2018-10-01 ends at 16:00Z, before from: refused.
        #expect(throws: QueryParameterError.self) { try q.window(now: .distantPast, defaultZone: shanghai) }
        // In New York it ends at 2018-10-02T04:00Z, after from.
        let window = try q.window(now: .distantPast, defaultZone: TimeZone(identifier: "America/New_York")!)
        #expect(window.end.timeIntervalSince(window.start) > 0)
        // With timezone given, it is refused while parsing.
        #expect(throws: QueryParameterError.self) {
            try UpcomingQuery(parameters: [("from", "2018-10-01T20:00:00Z"), ("to", "2018-10-01"), ("timezone", "Asia/Shanghai")])
        }
    }

    @Test func windowDefaultsToFourteenDaysFromNow() throws {
        let now = Date(timeIntervalSince1970: 1_537_000_000)
        let window = try UpcomingQuery(parameters: []).window(now: now, defaultZone: Self.berlin)
        #expect(window.start == now)
        #expect(window.end.timeIntervalSince(now) == 14 * 86_400)
        let longer = try UpcomingQuery(parameters: [("from", "2018-01-01"), ("to", "2019-06-01")])
        #expect(throws: QueryParameterError.self) { try longer.window(now: now, defaultZone: Self.berlin) }
    }

    /// A malformed instant names the column, as the ISO 8601 reader does everywhere.
    @Test func badInstantNamesTheColumn() {
        do {
            _ = try UpcomingQuery(parameters: [("to", "2018-10-01T25:00:00")])
            Issue.record("accepted")
        } catch {
            #expect(error.reason == "to must be an ISO 8601 instant or a date YYYY-MM-DD: hour must be 00…23, got 25 (column 12)")
        }
    }

    /// A query survives its own query string: what the client sends is what the server reads.
    @Test(arguments: 0..<200)
    func queryStringRoundTrips(_ seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        let kinds = Array(UpcomingQuery.kinds)
        var q = UpcomingQuery()
        if rng.bool() { q.person = "p-\(rng.next() % 100)" }
        if rng.bool() { q.role = "r.\(rng.next() % 100)" }
        if rng.bool() { q.duty = "visit_\(rng.next() % 100)" }
        if rng.bool() { q.kinds = Set((0..<(1 + Int(rng.next() % 4))).map { _ in kinds[Int(rng.next() % 4)] }) }
        let utc = TimeZone(identifier: "UTC")!
        let from = Date(timeIntervalSince1970: Double(1_500_000_000 + Int(rng.next() % 100_000_000)))
        if rng.bool() { q.from = ISO8601Time(from, in: utc) }
        if rng.bool() {
            q.days = 1 + Int(rng.next() % 366)
        } else if rng.bool() {
            let to = (q.from == nil ? Date(timeIntervalSince1970: 1_400_000_000) : from).addingTimeInterval(Double(1 + rng.next() % 1_000_000))
            q.to = rng.bool() ? ISO8601Time(to, in: utc) : ISO8601Time(to, in: TimeZone(identifier: "Asia/Shanghai")!)
        }
        if rng.bool() { q.timezone = TimeZone(identifier: ["Europe/Berlin", "America/New_York", "Asia/Kolkata"][Int(rng.next() % 3)]) }
        q.limit = 1 + Int(rng.next() % 1000)
        q.offset = Int(rng.next() % 5000)
        let parsed = try UpcomingQuery(parameters: Self.parameters(q.queryString))
        #expect(parsed == q, "seed \(seed): \(q.queryString)")
    }
}

