import Foundation
import Testing

@testable import DutyCore

@Suite struct ZonedTimeTests {
    static func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Int64 {
        LocalDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s).localSeconds
    }

    @Test func berlinGapAndOverlap() {
        var z = ZonedTime(TimeZone(identifier: "Europe/Berlin")!)
        // 2026-03-29 02:30 does not exist (01:00 UTC: 02:00 CET -> 03:00 CEST).
        let gap = LocalDateTime(year: 2026, month: 3, day: 29, hour: 2, minute: 30)
        let gapResolution = z.resolve(localSeconds: gap.localSeconds)
        #expect(gapResolution == .skipped(before: Self.utc(2026, 3, 29, 1, 30), after: Self.utc(2026, 3, 29, 0, 30)))
        let v1 = z.instant(for: gap, policy: .earlierOrSkip)
        #expect(v1 == nil)
        let v2 = z.instant(for: gap, policy: .earlierOrShiftForward)
        #expect(v2 == Self.utc(2026, 3, 29, 1, 30))
        // 2026-10-25 02:30 happens twice: 00:30 UTC (CEST) and 01:30 UTC (CET).
        let twice = LocalDateTime(year: 2026, month: 10, day: 25, hour: 2, minute: 30)
        let twiceResolution = z.resolve(localSeconds: twice.localSeconds)
        #expect(twiceResolution == .repeated(Self.utc(2026, 10, 25, 0, 30), Self.utc(2026, 10, 25, 1, 30)))
        let v3 = z.instant(for: twice, policy: .laterOrShiftForward)
        #expect(v3 == Self.utc(2026, 10, 25, 1, 30))
        let v4 = z.offset(at: Self.utc(2026, 7, 1))
        #expect(v4 == 7200)
        let v5 = z.isDaylightSavingTime(at: Self.utc(2026, 7, 1))
        #expect(v5)
        let v6 = z.format(Self.utc(2026, 7, 1, 12))
        #expect(v6 == "2026-07-01 14:00:00")
        let v7 = z.iso8601(Self.utc(2026, 1, 1, 12))
        #expect(v7 == "2026-01-01T13:00:00+01:00")
    }

    @Test func fixedZones() {
        var u = ZonedTime.utc
        #expect(u.isFixed)
        let v8 = u.iso8601(0)
        #expect(v8 == "1970-01-01T00:00:00Z")
        let v9 = u.abbreviation(at: 0)
        let v10 = u.abbreviation(at: 0)
        #expect(v9 == "UTC" || v10 == "GMT")
        var nyc = ZonedTime(TimeZone(identifier: "America/New_York")!)
        #expect(!nyc.isFixed)
        let v11 = nyc.iso8601(Self.utc(2026, 7, 4, 16))
        #expect(v11 == "2026-07-04T12:00:00-04:00")
        let v12 = nyc.abbreviation(at: Self.utc(2026, 7, 4, 16))
        #expect(v12 == "EDT" || v12 == "-04", "from ICU: \(v12)")
        let v13 = nyc.abbreviation(at: Self.utc(2026, 1, 4, 16), provider: { _ in "EST" })
        #expect(v13 == "EST")
    }

    /// Foundation's zone data (ICU) against the system zoneinfo that systemd and glibc read, through `zdump`:
    /// every transition 1970-2100 must have the same instant and offset. The DST flag is compared too, except
    /// for zones with negative DST in the main tzdata format (Europe/Dublin), where ICU uses the rearguard view.
    @Test(arguments: [
        "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Europe/Kyiv", "Asia/Vladivostok",
        "Europe/Dublin",
    ])
    func foundationAgreesWithSystemZoneinfo(_ name: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/zdump"), "zdump not installed")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zdump")
        p.arguments = ["-v", "-c", "1970,2100", name]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var z = ZonedTime(TimeZone(identifier: name)!)
        var checked = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            // "Europe/Berlin  Sun Mar 29 01:00:00 2026 UT = Sun Mar 29 03:00:00 2026 CEST isdst=1 gmtoff=7200"
            let f = line.split(separator: " ")
            guard f.count >= 14, f[6] == "UT", let mo = months.firstIndex(of: String(f[2])), let d = Int(f[3]),
                let y = Int(f[5]), let off = Int(f[f.count - 1].dropFirst("gmtoff=".count)),
                let dst = Int(f[f.count - 2].dropFirst("isdst=".count))
            else { continue }
            let hms = f[4].split(separator: ":").compactMap { Int($0) }
            guard hms.count == 3 else { continue }
            let instant = LocalDateTime(year: y, month: mo + 1, day: d, hour: hms[0], minute: hms[1], second: hms[2])
                .localSeconds
            let v13 = z.offset(at: instant)
            #expect(v13 == off, "\(name) at \(line)")
            if name != "Europe/Dublin" {
                let v14 = z.isDaylightSavingTime(at: instant)
                #expect(v14 == (dst != 0), "\(name) DST flag at \(line)")
            }
            checked += 1
        }
        #expect(checked > 0)
    }
}
