import DutyTestSupport
import Foundation
import Testing

@testable import DutyJournal

/// Differential test of the journal's time formatting against GNU `date` (which reads the same tz database
/// through glibc), over random instants in zones with and without DST, half-hour offsets and southern DST.
@Suite struct ZoneFormatTests {
    static let zones = [
        "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
        "America/Sao_Paulo", "Asia/Singapore", "Europe/London", "UTC",
    ]

    @Test(arguments: zones)
    func matchesGNUDate(_ zone: String) throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("ZoneFormatTests.matchesGNUDate \(zone) seed=\(seed)")
        var generator = SeededRandom(seed: seed)
        // 1970 … 2100, whole minutes (the short form has no seconds), plus seconds for ISO.
        var instants = (0..<300).map { _ in Int64.random(in: 0...4_102_444_800, using: &generator) }
        instants += [1_537_146_000, 1_711_846_799, 1_711_846_800, 1_729_990_800, 2_147_483_647, 2_147_483_648]
        let input = Data(instants.map { "@\($0)\n" }.joined().utf8)
        let result = try run(
            "/usr/bin/date", ["-f", "-", "+%Y-%m-%d %H:%M %Z|%Y-%m-%dT%H:%M:%S%:z"], environment: ["TZ": zone],
            stdin: input)
        #expect(result.status == 0)
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n").map(String.init)
        try #require(lines.count == instants.count)
        let timeZone = try #require(TimeZone(identifier: zone))
        var mismatches = 0
        for (instant, line) in zip(instants, lines) {
            let date = Date(timeIntervalSince1970: TimeInterval(instant))
            let ours = ZoneFormat.short(date, in: timeZone, identifier: zone) + "|" + ZoneFormat.iso8601(date, in: timeZone)
            if ours != line {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(zone) @\(instant): ours \(ours), date \(line)") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func exampleFromTheBrief() throws {
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let date = Date(timeIntervalSince1970: 1_537_146_000)
        #expect(ZoneFormat.short(date, in: shanghai) == "2018-09-17 09:00 CST")
        #expect(ZoneFormat.iso8601(date, in: shanghai) == "2018-09-17T09:00:00+08:00")
        #expect(ZoneFormat.iso8601(date, in: TimeZone(identifier: "UTC")!) == "2018-09-17T01:00:00+00:00")
    }

    @Test func unreadableZoneFileFallsBackToNumericOffset() {
        let zone = TimeZone(secondsFromGMT: 5 * 3600 + 1800)!
        #expect(ZoneFormat.abbreviation(Date(timeIntervalSince1970: 0), in: zone) == "+0530")
        #expect(TZif(bytes: Array("not a zone file".utf8)) == nil)
        #expect(TZif(bytes: Array("TZif2".utf8) + [UInt8](repeating: 0xFF, count: 60)) == nil)
    }
}

