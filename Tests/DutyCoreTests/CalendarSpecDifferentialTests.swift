import DutyTestSupport
import Foundation
import Testing

@testable import DutyCore

/// Random expressions against the oracle, `systemd-analyze calendar` (systemd 252), run as a subprocess with
/// many expressions per process. Compares acceptance (and the errno class of refusals), the normalized form and the
/// first 20 elapses, for TZ=UTC, Asia/Shanghai and Europe/Berlin.
///
/// Environment: `DUTYD_DIFF_COUNT` (expressions per zone, default 5000), `DUTYD_DIFF_SEED` (to replay a run).
///
/// Named deviations (systemd 252 bugs; we compute the correct result, and check that reproducing the bug gives
/// exactly systemd's output):
/// - `systemd-40260`: after a carry into the next day/month/year only the next lower field is reset, so e.g.
///   `*-*-1/11 23:00` skips 1 January and `12/5,2/10:09` skips 02:09 after midnight.
@Suite(.serialized) struct CalendarSpecDifferentialTests {
    static let analyze = "/usr/bin/systemd-analyze"
    static let iterations = 20
    static let batch = 400

    static var count: Int {
        Int(ProcessInfo.processInfo.environment["DUTYD_DIFF_COUNT"] ?? "") ?? 5000
    }

    struct OracleResult: Equatable {
        var ok: Bool
        var normalized: String?
        /// Elapses in whole seconds (the CLI shows seconds only); empty = never.
        var elapses: [Int64]
    }

    /// Runs systemd-analyze on a batch and splits its stdout per expression (each table is followed by one empty
    /// line except the last; refused expressions print nothing).
    static func oracle(_ specs: [String], tz: String, base: Int64) throws -> [OracleResult] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: analyze)
        p.arguments = ["calendar", "--iterations=\(iterations)", "--base-time=@\(base)", "--"] + specs
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = tz
        env["SYSTEMD_COLORS"] = "0"
        env["SYSTEMD_LOG_LEVEL"] = "err"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        var results: [OracleResult] = []
        var i = 0
        for k in specs.indices {
            var table: [Substring] = []
            while i < lines.count, !lines[i].isEmpty {
                table.append(lines[i])
                i += 1
            }
            if k + 1 < specs.count { i += 1 }  // the separator
            if table.isEmpty {
                results.append(OracleResult(ok: false, normalized: nil, elapses: []))
                continue
            }
            var r = OracleResult(ok: true, normalized: nil, elapses: [])
            let inUTC = tz == "UTC"
            for line in table {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces)
                let value = String(line[line.index(colon, offsetBy: 2)...])
                if key == "Normalized form" { r.normalized = value }
                let isElapse = key == "Next elapse" || key.hasPrefix("Iter. #")
                if (inUTC && isElapse) || key == "(in UTC)" {
                    if value != "never", let t = parseUTC(value) { r.elapses.append(t) }
                }
            }
            results.append(r)
        }
        return results
    }

    /// `Www YYYY-MM-DD HH:MM:SS UTC` -> epoch seconds.
    static func parseUTC(_ s: String) -> Int64? {
        let parts = s.split(separator: " ")
        guard parts.count == 4, parts[3] == "UTC", let d = CivilDate(iso: parts[1]) else { return nil }
        let hms = parts[2].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        return Int64(d.dayNumber) * 86400 + Int64(hms[0] * 3600 + hms[1] * 60 + hms[2])
    }

    static func ours(_ text: String, tz: TimeZone, base: Int64, quirks: Bool) -> OracleResult {
        guard let spec = try? CalendarSpec(text) else { return OracleResult(ok: false, normalized: nil, elapses: []) }
        var z = ZonedTime(spec.evaluationZone(default: tz))
        var r = OracleResult(ok: true, normalized: spec.description, elapses: [])
        var t = base * 1_000_000
        for _ in 0..<iterations {
            switch spec.nextElapse(afterMicroseconds: t, zone: &z, systemd252Quirks: quirks) {
            case .at(let n):
                r.elapses.append(n >= 0 ? n / 1_000_000 : (n - 999_999) / 1_000_000)
                t = n
            case .never:
                return r
            case .iterationLimit:
                // systemd-analyze prints no table at all then.
                return OracleResult(ok: false, normalized: nil, elapses: [])
            }
        }
        return r
    }

    @Test(arguments: ["UTC", "Asia/Shanghai", "Europe/Berlin"])
    func randomExpressionsAgreeWithSystemdAnalyze(_ tzName: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.analyze), "systemd-analyze is not installed")
        let seed = CalendarSpecRandom.seed(default: 0x5EED_CA1E)
        print("CalendarSpecDifferentialTests \(tzName): seed \(seed) (replay with DUTYD_DIFF_SEED=\(seed)), count \(Self.count)")
        var rng = SeededRandom(seed: seed ^ UInt64(tzName.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        let tz = TimeZone(identifier: tzName)!
        var compared = 0
        var accepted = 0
        var deviations: [String: Int] = [:]
        var failures: [String] = []
        var done = 0
        while done < Self.count {
            let n = min(Self.batch, Self.count - done)
            let specs = (0..<n).map { _ in CalendarSpecRandom.spec(&rng) }
            let base = Int64(rng.next(in: 0...4_102_444_800))
            let expected = try Self.oracle(specs, tz: tzName, base: base)
            for (spec, want) in zip(specs, expected) {
                compared += 1
                if want.ok { accepted += 1 }
                let got = Self.ours(spec, tz: tz, base: base, quirks: false)
                if got == want { continue }
                if Self.ours(spec, tz: tz, base: base, quirks: true) == want {
                    deviations["systemd-40260", default: 0] += 1
                    continue
                }
                if failures.count < 20 {
                    failures.append(
                        "TZ=\(tzName) --base-time=@\(base) '\(spec)': ours \(got.ok) \(got.normalized ?? "-") "
                            + "\(got.elapses.prefix(3))… vs systemd \(want.ok) \(want.normalized ?? "-") "
                            + "\(want.elapses.prefix(3))…")
                }
            }
            done += n
        }
        print("CalendarSpecDifferentialTests \(tzName): \(compared) compared, \(accepted) accepted by systemd, deviations \(deviations)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(accepted > compared / 3, "the generator should mostly produce valid expressions")
    }

    /// The invalid vectors of systemd's test file fail with the same errno class as systemd-analyze reports.
    @Test func refusalsMatchErrnoClass() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.analyze), "systemd-analyze is not installed")
        let inputs = CalendarSpecTests.vectors.invalid.map(\.input).filter { !$0.isEmpty && !$0.contains("\n") }
            + ["*-*-* 24:00", "2200-01-01", "1969-12-31", "*-*~28,29", "*/6:22:00", "Sat..Mon", "*~19,28/1"]
        for input in inputs {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.analyze)
            p.arguments = ["calendar", "--", input]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = Pipe()
            try p.run()
            let data = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let message = String(decoding: data, as: UTF8.self)
            #expect(p.terminationStatus == 1, "\(input)")
            do {
                _ = try CalendarSpec(input)
                Issue.record("'\(input)' parsed but systemd refuses it: \(message)")
            } catch {
                #expect(message.contains(": \(error.systemdErrno.rawValue)\n"), "'\(input)': \(message) vs \(error)")
            }
        }
    }
}
