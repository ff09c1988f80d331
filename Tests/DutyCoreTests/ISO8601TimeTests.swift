import Foundation
import Testing

@testable import DutyCore

/// The one ISO 8601 reader: forms, the default-zone rule (DST gaps and repeats in two zones, a midnight gap),
/// month ends and leap days, canonical forms, and refusals with their columns (Vectors/iso8601.json).
@Suite struct ISO8601TimeTests {
    static let utc = TimeZone(identifier: "UTC")!

    struct Valid: Decodable, Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var zone: String
        /// Unix seconds, exact decimal text.
        var instant: String
        var canonical: String
        var testDescription: String { id }
    }

    struct Invalid: Decodable, Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var code: String
        var column: Int
        var testDescription: String { id }
    }

    /// A `date(_:)` or `month(_:)` vector: the date read, or the error.
    struct Partial: Decodable, Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var date: String?
        var code: String?
        var column: Int?
        var testDescription: String { id }
    }

    struct Vectors: Decodable {
        var valid: [Valid]
        var invalid: [Invalid]
        var dates: [Partial]
        var months: [Partial]
    }

    static let vectors: Vectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/iso8601.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    @Test(arguments: vectors.valid)
    func readsValidVector(_ v: Valid) throws {
        let time = try ISO8601Time(v.input)
        let zone = try #require(TimeZone(identifier: v.zone))
        let expected = try #require(Double(v.instant))
        #expect(abs(time.instant(defaultZone: zone).timeIntervalSince1970 - expected) < 1e-6, "\(v.id)")
        #expect(time.description == v.canonical, "\(v.id)")
        #expect(try ISO8601Time(time.description) == time, "canonical form re-reads equal: \(v.id)")
        #expect(time.isDateOnly == !v.input.contains(where: { $0 == "T" || $0 == " " }), "\(v.id)")
        // The convenience used by tests and adapters reads the same.
        #expect(TimeFormatting.parseISO8601(v.input, defaultZone: zone) == time.instant(defaultZone: zone))
    }

    @Test(arguments: vectors.invalid)
    func refusesInvalidVectorWithColumn(_ v: Invalid) {
        do {
            let time = try ISO8601Time(v.input)
            Issue.record("accepted \(v.input.debugDescription) as \(time)")
        } catch {
            #expect(error.code.rawValue == v.code, "\(v.id): \(error)")
            #expect(error.column == v.column, "\(v.id): \(error)")
            #expect(error.input == v.input)
            #expect(!error.columns.isEmpty)
            #expect(!error.message.isEmpty)
        }
        #expect(TimeFormatting.parseISO8601(v.input, defaultZone: Self.utc) == nil)
    }

    @Test(arguments: vectors.dates)
    func readsDatesOnly(_ v: Partial) {
        check(v, ISO8601Time.date)
    }

    @Test(arguments: vectors.months)
    func readsMonths(_ v: Partial) {
        check(v, ISO8601Time.month)
    }

    func check(_ v: Partial, _ read: (String) throws(ISO8601TimeError) -> CivilDate) {
        do {
            let date = try read(v.input)
            #expect(date.description == v.date, "\(v.id)")
        } catch {
            #expect(v.date == nil, "\(v.id): \(error)")
            #expect(error.code.rawValue == v.code, "\(v.id): \(error)")
            #expect(error.column == v.column, "\(v.id): \(error)")
        }
    }

    /// Only a local value depends on the default zone; an offset or `Z` never does.
    @Test func theDefaultZoneMattersOnlyForLocalValues() throws {
        let zones = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"].map { TimeZone(identifier: $0)! }
        for v in Self.vectors.valid {
            let time = try ISO8601Time(v.input)
            let instants = Set(zones.map { time.instant(defaultZone: $0) })
            #expect((instants.count == 1) == time.isAbsolute, "\(v.id)")
        }
    }

    /// Written from an instant in a zone, the text names that instant and re-reads equal (both DST sides).
    @Test(arguments: [
        ("Europe/Berlin", 1_774_746_000.0), ("Europe/Berlin", 1_792_888_200.0), ("America/New_York", 1_793_511_000.5),
        ("Asia/Shanghai", 1_537_146_000.25), ("UTC", -1.0),
    ])
    func writesAnInstantInAZone(zoneName: String, seconds: Double) throws {
        let zone = try #require(TimeZone(identifier: zoneName))
        let instant = Date(timeIntervalSince1970: seconds)
        let time = ISO8601Time(instant, in: zone)
        #expect(time.isAbsolute)
        #expect(abs(time.instant(defaultZone: Self.utc).timeIntervalSince1970 - seconds) < 1e-6)
        #expect(try ISO8601Time(time.description) == time)
        if seconds == seconds.rounded(.down) {
            #expect(time.description == TimeFormatting.iso8601(instant, in: zone).replacingOccurrences(of: "+00:00", with: "Z"))
        }
    }

    @Test func errorRendersACaretUnderTheColumns() {
        do {
            _ = try ISO8601Time("2018-13-01")
            Issue.record("accepted")
        } catch {
            #expect(error.columns == 6..<8)
            #expect(error.description == "iso8601:1:6: error: month must be 01…12, got 13\n | 2018-13-01\n |      ^~")
            #expect(error.rendered(source: "--from").hasPrefix("--from:1:6: error: "))
        }
    }
}
