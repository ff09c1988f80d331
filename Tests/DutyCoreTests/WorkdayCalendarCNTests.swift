import Foundation
import Testing

@testable import DutyCore

/// The shipped Schedules/calendars/cn.toml against the oracle, the PyPI package chinese-calendar, for every date
/// of the covered years. The TOML is read by python's tomllib (the Swift loader belongs to DutySchedules).
@Suite struct WorkdayCalendarCNTests {
    typealias S = WorkdayTestSupport

    struct OracleReport: Decodable {
        var id: String
        var name: String
        var source: String
        var weekend: [String]
        var holidays: [String]
        var makeup_workdays: [String]
        var first: Int
        var last: Int
        var package_version: String
        var file_mismatches: [String]
        var package_bits: String
        var package_refuses_next_year: Bool
        var package_refuses_previous_year: Bool
    }

    static let oracleScript = #"""
        import sys, json, tomllib, datetime, importlib.metadata
        import chinese_calendar as cc
        with open(sys.argv[1], "rb") as f:
            doc = tomllib.load(f)
        assert list(doc) == ["workdays"], list(doc)
        (w,) = doc["workdays"]
        names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        weekend = {names.index(x) for x in w["weekend"]}
        hol, mk = set(w["holidays"]), set(w["makeup_workdays"])
        assert all(type(d) is datetime.date for d in hol | mk)
        first = min(d.year for d in hol | mk)
        last = max(d.year for d in hol | mk)
        mism, bits = [], []
        d = datetime.date(first, 1, 1)
        while d.year <= last:
            in_file = d in mk or (d not in hol and d.weekday() not in weekend)
            pkg = cc.is_workday(d)
            if in_file != pkg:
                mism.append(d.isoformat())
            bits.append("1" if pkg else "0")
            d += datetime.timedelta(days=1)
        def refuses(year):
            try:
                cc.is_workday(datetime.date(year, 6, 1))
                return False
            except NotImplementedError:
                return True
        print(json.dumps({
            "id": w["id"], "name": w["name"], "source": w["source"], "weekend": w["weekend"],
            "holidays": sorted(x.isoformat() for x in hol),
            "makeup_workdays": sorted(x.isoformat() for x in mk),
            "first": first, "last": last,
            "package_version": importlib.metadata.version("chinese-calendar"),
            "file_mismatches": mism, "package_bits": "".join(bits),
            "package_refuses_next_year": refuses(last + 1),
            "package_refuses_previous_year": refuses(first - 1),
        }))
        """#

    static var cnPath: String {
        S.packageRoot.appendingPathComponent("Schedules/calendars/cn.toml").path
    }

    static func report() throws -> OracleReport {
        let (status, out, err) = try S.run("python3", ["-", cnPath], stdin: oracleScript)
        guard status == 0 else { throw OracleFailure(message: "python oracle exited \(status): \(err)") }
        return try JSONDecoder().decode(OracleReport.self, from: Data(out.utf8))
    }

    struct OracleFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    @Test func dataFileAgreesWithChineseCalendarOnEveryCoveredDate() throws {
        let r = try Self.report()
        #expect(r.id == "cn")
        #expect(r.weekend == ["Sat", "Sun"])
        #expect(r.first == 2004)
        #expect(r.last >= 2026)
        #expect(r.source.contains("chinese-calendar"))
        #expect(r.source.contains(r.package_version), "source names the package version")
        #expect(r.file_mismatches.isEmpty, "dates where cn.toml and chinese_calendar disagree: \(r.file_mismatches)")
        // The file covers exactly the years the package knows.
        #expect(r.package_refuses_next_year)
        #expect(r.package_refuses_previous_year)
        // Make-up workdays are weekend days only.
        for d in r.makeup_workdays { #expect(S.date(d).weekday >= .saturday, "\(d)") }
    }

    @Test func swiftCalendarBuiltFromTheFileAgreesWithChineseCalendar() throws {
        let r = try Self.report()
        let cal = try WorkdayCalendar(
            id: r.id, name: r.name, weekend: Set(r.weekend.map(S.weekday)),
            holidays: Set(r.holidays.map(S.date)), makeupWorkdays: Set(r.makeup_workdays.map(S.date)),
            source: r.source)
        #expect(cal.coverage == r.first...r.last)
        let first = CivilDate(year: r.first, month: 1, day: 1).dayNumber
        let bits = Array(r.package_bits.utf8)
        #expect(bits.count == CivilDate(year: r.last + 1, month: 1, day: 1).dayNumber - first)
        var mismatches: [CivilDate] = []
        for (i, bit) in bits.enumerated() {
            let d = CivilDate(dayNumber: first + i)
            if cal.isWorkday(d) != (bit == UInt8(ascii: "1")) { mismatches.append(d) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
        // Last workday of every covered month against the package's day list.
        for year in r.first...r.last {
            for month in 1...12 {
                let start = CivilDate(year: year, month: month, day: 1).dayNumber - first
                let count = CivilDate.daysInMonth(year: year, month: month)
                let last = (0..<count).last { bits[start + $0] == UInt8(ascii: "1") }.map { start + $0 + first }
                #expect(cal.lastWorkday(ofMonth: month, year: year)?.dayNumber == last, "\(year)-\(month)")
            }
        }
    }

    @Test func dataFileMatchesTheHandTranscribed2018Notice() throws {
        let r = try Self.report()
        let v = try JSONDecoder().decode(
            Vectors2018.self, from: S.vectorData("workday-cn-2018.json"))
        #expect(r.holidays.filter { $0.hasPrefix("2018-") } == v.calendar.holidays.sorted())
        #expect(r.makeup_workdays.filter { $0.hasPrefix("2018-") } == v.calendar.makeup_workdays.sorted())
    }

    struct Vectors2018: Decodable {
        struct Cal: Decodable {
            var holidays: [String]
            var makeup_workdays: [String]
        }
        var calendar: Cal
    }

    @Test func generatorIsDeterministicAndTheCommittedFileIsCurrent() throws {
        let script = S.packageRoot.appendingPathComponent("scripts/gen-cn-calendar.py").path
        let (status, out, err) = try S.run("python3", [script, "-o", "-"])
        #expect(status == 0, "\(err)")
        let (_, again, _) = try S.run("python3", [script, "-o", "-"])
        #expect(out == again)
        let committed = try String(contentsOfFile: Self.cnPath, encoding: .utf8)
        #expect(out == committed, "Schedules/calendars/cn.toml is stale: run scripts/gen-cn-calendar.py")
    }
}
