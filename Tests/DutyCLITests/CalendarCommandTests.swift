import ArgumentParser
import DutyTestSupport
import Foundation
import Testing

@testable import DutyCLI
@testable import DutyCore

/// `dutyctl calendar` against `systemd-analyze calendar` (systemd 252): same stdout (minus the clock-dependent
/// `From now:` lines), same exit status, same error line plus our caret diagnostic.
@Suite struct CalendarCommandTests {
    static let analyze = "/usr/bin/systemd-analyze"

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func ours(
        _ specs: [String], tz: String, iterations: Int = 1, base: Int64?, fromNow: Bool = false, quirks: Bool = true
    ) -> Run {
        var out = OutputBuffer(fd: -1)
        var err = ""
        let runner = CalendarRunner(
            iterations: iterations, base: base.map { $0 * 1_000_000 }, fromNow: fromNow, systemd252Quirks: quirks,
            environment: LocalZoneEnvironment.forTZ(tz))
        let status = runner.run(specs, out: &out, err: { err += $0 })
        return Run(status: status, stdout: out.string, stderr: err)
    }

    static func oracle(_ specs: [String], tz: String, iterations: Int = 1, base: Int64?) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: analyze)
        var args = ["calendar", "--iterations=\(iterations)"]
        if let base { args.append("--base-time=@\(base)") }
        p.arguments = args + ["--"] + specs
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = tz
        env["SYSTEMD_COLORS"] = "0"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
    }

    static func withoutFromNow(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("From now:") }
            .joined(separator: "\n")
    }

    // MARK: acceptance

    @Test func badHourExitsOneAndPointsAtTheField() {
        let r = Self.ours(["Mon *-*-* 25:00"], tz: "UTC", base: nil)
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "Failed to parse calendar specification 'Mon *-*-* 25:00': Invalid argument")
        #expect(lines.contains { $0.hasPrefix("calendar:1:11: error: hour must be in 0..23") })
        #expect(lines.contains(" |           ^~"))
    }

    @Test func argumentsParseLikeSystemdAnalyze() throws {
        let c = try CalendarCommand.parse(["--iterations=3", "--base-time=@1796040000.5", "--no-from-now", "--", "-00:+00/-5", "daily"])
        #expect(c.iterations == 3)
        #expect(c.noFromNow)
        #expect(c.expressions == ["-00:+00/-5", "daily"])
        #expect(CalendarCommand.parseBaseTime(c.baseTime!) == 1_796_040_000_500_000)
        #expect(CalendarCommand.parseBaseTime("2026-11-30 12:00 UTC") == 1_796_040_000_000_000)
        #expect(CalendarCommand.parseBaseTime("2026-11-30 12:00:01 UTC") == 1_796_040_001_000_000)
        #expect(throws: (any Error).self) { try CalendarCommand.parse(["--iterations=0", "daily"]) }
        #expect(throws: (any Error).self) { try CalendarCommand.parse(["--base-time=tomorrow", "daily"]) }
        let root = try Dutyctl.parseAsRoot(["calendar", "--iterations=2", "weekly"])
        #expect(root is CalendarCommand)
    }

    @Test func timespanHint() {
        let r = Self.ours(["7"], tz: "UTC", base: 0)
        #expect(r.stderr.contains("Hint: this expression is a valid timespan. Use 'systemd-analyze timespan \"7\"' instead?"))
    }

    // MARK: differential

    static let fixedSpecs = [
        "Mon *-*-* 09:00", "*-*-* 02:30", "hourly", "daily", "weekly Pacific/Auckland", "Thu 2027-01-01",
        "*-*-1/11 23:00", "Fri *-*~07/1 09:00", "2003-03-05", "@1493187147", "*:*:*", "*-*-* *:*:00.5",
        "2016-03-27 03:17:00.4200005", "00:00:1.125..2.125", "Mon *-*-* 25:00", "Sat..Mon", "*-*~28,29",
        "minutely UTC", "quarterly", "semi-annually", "9..11,13:00,30", "Wed..Sat,Tue 12-10-15 1:2:3",
        "*-02-29 12:00", "2199-12-31 23:59:59", "Mon 12:00 CET", "*-07-01 12:00 CET", "*-06-01 12:00 CDT",
        "daily EDT", "hourly CEST", "daily Asia/Kolkata", "daily IST", "daily PST",
    ]

    @Test(arguments: ["UTC", "Europe/Berlin", "Asia/Shanghai", "America/New_York"])
    func sameOutputAsSystemdAnalyze(_ tz: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.analyze), "systemd-analyze is not installed")
        var rng = SmallRNG(seed: UInt64(ProcessInfo.processInfo.environment["DUTYD_DIFF_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64(UInt32.max)))
        print("CalendarCommandTests \(tz): seed \(rng.seed)")
        let base = Int64(rng.next() % 4_102_444_800)
        let specs = Self.fixedSpecs + (0..<150).map { _ in rng.spec() }
        let want = try Self.oracle(specs, tz: tz, iterations: 5, base: base)
        let got = Self.ours(specs, tz: tz, iterations: 5, base: base, quirks: true)
        #expect(want.stdout.utf8.count > 2000, "the oracle printed tables")
        #expect(got.status == want.status)
        #expect(Self.withoutFromNow(got.stdout) == Self.withoutFromNow(want.stdout), "TZ=\(tz) base @\(base)")
        // Without the systemd 252 quirks, differences may only come from systemd#40260.
        let fixed = Self.ours(specs, tz: tz, iterations: 5, base: base, quirks: false)
        #expect(fixed.status == want.status)
    }

    @Test func fromNowMatchesSystemdAnalyze() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.analyze), "systemd-analyze is not installed")
        // Far enough away that the real clock moving between both runs cannot change the text.
        let specs = ["2150-01-01", "2100-06-01 12:00", "2090-01-01"]
        let want = try Self.oracle(specs, tz: "UTC", base: nil)
        let got = Self.ours(specs, tz: "UTC", base: nil, fromNow: true)
        #expect(got.stdout == want.stdout)
    }

    @Test func relativeTimeFormat() {
        let s: Int64 = 1_000_000
        #expect(CalendarRunner.relative(7 * 3600 * s + 20 * 60 * s, now: 0) == "7h left")
        #expect(CalendarRunner.relative(0, now: 7 * 86400 * s) == "1 week 0 days ago")
        #expect(CalendarRunner.relative(35 * 86400 * s, now: 0) == "1 month 4 days left")
        #expect(CalendarRunner.relative(90 * s, now: 0) == "1min 30s left")
        #expect(CalendarRunner.relative(26 * 3600 * s, now: 0) == "1 day 2h left")
        #expect(CalendarRunner.relative(0, now: 0) == "now")
    }

    @Test func zoneinfoNamesMatchLibc() {
        #expect(LocalZoneEnvironment.forTZ("Europe/Berlin").names == ("CET", "CEST"))
        #expect(LocalZoneEnvironment.forTZ("Asia/Shanghai").names == ("CST", "CDT"))
        #expect(LocalZoneEnvironment.forTZ("Europe/Dublin").names == ("IST", "GMT"))
        #expect(LocalZoneEnvironment.forTZ("UTC").isUTC)
        #expect(LocalZoneEnvironment.forTZ("Africa/Abidjan").isUTC)
        #expect(!LocalZoneEnvironment.forTZ("Europe/London").isUTC)
        #expect(!LocalZoneEnvironment.forTZ("Asia/Shanghai").isUTC)
    }
}

/// A compact expression generator over `SeededRandom` (the big generator lives in the DutyCore tests).
struct SmallRNG {
    private var random: SeededRandom
    var seed: UInt64 { random.seed }
    init(seed: UInt64) { random = SeededRandom(seed: seed) }
    mutating func next() -> UInt64 { random.next() }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }

    mutating func field(_ lo: Int, _ hi: Int) -> String {
        switch int(0...5) {
        case 0, 1: return "*"
        case 2: return String(int(lo...hi))
        case 3:
            let a = int(lo...hi)
            return "\(a)..\(int(a...hi))"
        case 4: return "\(int(lo...hi))/\(int(1...max(1, (hi - lo) / 3)))"
        default: return "\(int(lo...hi)),\(int(lo...hi))"
        }
    }

    mutating func spec() -> String {
        let wd = ["Mon", "Tue..Thu", "Sat,Sun", "Fri-Sun", ""][int(0...4)]
        let date = int(0...3) == 0 ? "" : "\(field(2025, 2040))-\(field(1, 12))\(int(0...5) == 0 ? "~" : "-")\(field(1, 28))"
        let time = "\(field(0, 23)):\(field(0, 59))" + (int(0...1) == 0 ? "" : ":\(field(0, 59))")
        return [wd, date, time].filter { !$0.isEmpty }.joined(separator: " ")
    }
}
