import DutyCore
import Foundation
import Testing

@Suite struct DigestPolicyTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var id: String
        var text: String
        var expected: DigestPolicy?
        var testDescription: String { id }
    }

    static let vectors = [
        Vector(id: "off", text: "off", expected: .off),
        Vector(id: "instant", text: "instant", expected: .instant),
        Vector(id: "daily", text: "daily 08:00", expected: .daily(hour: 8, minute: 0)),
        Vector(id: "daily-late", text: "daily 23:59", expected: .daily(hour: 23, minute: 59)),
        Vector(id: "hour-24", text: "daily 24:00", expected: nil),
        Vector(id: "one-digit", text: "daily 8:00", expected: nil),
        Vector(id: "no-time", text: "daily", expected: nil),
        Vector(id: "unknown", text: "hourly", expected: nil),
        Vector(id: "case", text: "Instant", expected: nil),
        Vector(id: "fullwidth", text: "daily ０８:００", expected: nil),
    ]

    /// Parse, print canonically, parse again to the same value.
    @Test(arguments: vectors)
    func parsesAndPrintsCanonically(_ vector: Vector) {
        let value = DigestPolicy(vector.text)
        #expect(value == vector.expected)
        if let value { #expect(DigestPolicy(value.description) == value && value.description == vector.text) }
    }

    static func at(_ text: String, _ zone: String) -> Date {
        TimeFormatting.parseISO8601(text, defaultZone: TimeZone(identifier: zone)!)!
    }

    /// The slot is the fire time itself for `instant`, the next HH:MM at or after it for `daily` (across a DST
    /// change in New York), none for `off`.
    @Test func slots() {
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        let fire = Self.at("2018-09-29T17:30:00+08:00", "Asia/Shanghai")
        #expect(DigestPolicy.off.slot(for: fire, in: shanghai) == nil)
        #expect(DigestPolicy.instant.slot(for: fire, in: shanghai) == fire)
        #expect(DigestPolicy.daily(hour: 8, minute: 0).slot(for: fire, in: shanghai) == Self.at("2018-09-30T08:00:00+08:00", "Asia/Shanghai"))
        #expect(DigestPolicy.daily(hour: 17, minute: 30).slot(for: fire, in: shanghai) == fire)
        #expect(DigestPolicy.daily(hour: 18, minute: 0).slot(for: fire, in: shanghai) == Self.at("2018-09-29T18:00:00+08:00", "Asia/Shanghai"))
        let newYork = TimeZone(identifier: "America/New_York")!
        // 2018-11-04: clocks go back at 02:00 EDT; the 08:00 after a Saturday-evening reminder is 08:00 EST.
        let saturday = Self.at("2018-11-03T20:00:00-04:00", "America/New_York")
        #expect(DigestPolicy.daily(hour: 8, minute: 0).slot(for: saturday, in: newYork) == Self.at("2018-11-04T08:00:00-05:00", "America/New_York"))
        // 2018-03-11: 02:30 does not exist; the slot is after the gap, never before the fire time.
        let before = Self.at("2018-03-11T01:00:00-05:00", "America/New_York")
        let slot = DigestPolicy.daily(hour: 2, minute: 30).slot(for: before, in: newYork)!
        #expect(slot > before && slot <= Self.at("2018-03-11T04:00:00-04:00", "America/New_York"))
    }

    @Test func codableAsItsText() throws {
        let data = try JSONEncoder().encode([DigestPolicy.daily(hour: 7, minute: 5), .off])
        #expect(String(decoding: data, as: UTF8.self) == #"["daily 07:05","off"]"#)
        #expect(try JSONDecoder().decode([DigestPolicy].self, from: data) == [.daily(hour: 7, minute: 5), .off])
    }
}
