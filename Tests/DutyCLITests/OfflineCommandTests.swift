import DutyAPI
import DutyCore
import DutyTestSupport
import Foundation
import Testing

@testable import DutyCLI

/// The offline commands as a user runs them: the real `dutyctl` binary, its exit status and its output.
@Suite struct OfflineCommandTests {
    @Test func validateShippedSchedulesExitsZero() throws {
        let out = try TestSupport.dutyctl(["validate", TestSupport.shippedSchedules])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("duties"))
        #expect(out.stderr.isEmpty)
    }

    /// The acceptance vector: a misspelt key, a bad calendar expression and an unknown role give three errors
    /// with their exact positions, and exit status 1.
    @Test func threeErrorsWithPositions() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = """
            [[person]]
            id = "alice"
            account = "alice"

            [[duty]]
            id = "meeting"
            title = "双周例会"
            recipients = ["alise"]
            calendar = ["Mon *-*-* 09:00", "Mon *-*-* 25:00"]
            warnn = ["1d"]
            """
        try body.write(toFile: dir + "/plan.toml", atomically: true, encoding: .utf8)
        let out = try TestSupport.dutyctl(["validate", dir])
        #expect(out.status == 1)
        let lines = out.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
        #expect(lines.count == 3, "\(out.stderr)")
        #expect(lines.contains { $0.hasPrefix(dir + "/plan.toml:8:16: error: unknown role or person 'alise'") })
        // The bad hour "25" is the 11th character of the second expression, whose text starts at column 33 of line 9.
        #expect(lines.contains { $0.hasPrefix(dir + "/plan.toml:9:43: error: invalid calendar expression 'Mon *-*-* 25:00'") })
        #expect(lines.contains { $0 == dir + "/plan.toml:10:1: error: unknown key 'warnn'; did you mean 'warn'?" })
    }

    @Test func agendaJSONListsClausesAndIsParsable() throws {
        let out = try TestSupport.dutyctl([
            "agenda", "--schedules", TestSupport.shippedSchedules, "--from", "2018-09-13", "--to", "2018-12-31", "--json",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        let entries = try JSONDecoder().decode([[String: JSONAny]].self, from: Data(out.stdout.utf8))
        #expect(entries.count > 400)
        #expect(entries.allSatisfy { $0["clause"] != nil && $0["duty"] != nil && $0["fire_at"] != nil })
    }

    @Test func monthGridShowsTheMonth() throws {
        let out = try TestSupport.dutyctl(["agenda", "--schedules", TestSupport.shippedSchedules, "--month", "2018-10", "--cell-width", "36"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("2018-10"))
        #expect(out.stdout.contains("|Mon "))
        // 10-08 holds the two moved biweekly meetings.
        #expect(out.stdout.contains("双周工作例会") || out.stdout.contains("双周"))
        // Every grid line has the same display width.
        let widths = Set(out.stdout.split(separator: "\n").filter { $0.hasPrefix("|") || $0.hasPrefix("+") }.map { DisplayWidth.of(String($0)) })
        #expect(widths.count == 1, "\(widths)")
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let out = try TestSupport.dutyctl(["agenda", "--schedules", TestSupport.shippedSchedules, "--from", "2018-13-01", "--to", "2018-12-31"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("--from must be a date"))
    }

    /// The iCalendar export read back by python `icalendar` and expanded by `recurring-ical-events` over the same
    /// window gives exactly the agenda's due instants.
    @Test func icsExportMatchesTheAgenda() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let export = try TestSupport.dutyctl([
            "export", "--ics", "--schedules", TestSupport.shippedSchedules, "--from", "2018-09-13", "--to", "2018-12-31",
            "--output", dir + "/plan.ics",
        ])
        #expect(export.status == 0, "\(export.stderr)")
        let agenda = try TestSupport.dutyctl([
            "agenda", "--schedules", TestSupport.shippedSchedules, "--from", "2018-09-13", "--to", "2018-12-31", "--json",
            "--no-warnings",
        ])
        let entries = try JSONDecoder().decode([[String: JSONAny]].self, from: Data(agenda.stdout.utf8))
        let expected = Set(entries.map { "\($0["duty"]!.string!)@dutyd \($0["occurrence"]!.string!)" })
        let script = """
            import sys, datetime, icalendar, recurring_ical_events
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            tz = datetime.timezone(datetime.timedelta(hours=8))
            start = datetime.datetime(2018, 9, 13, tzinfo=tz)
            end = datetime.datetime(2019, 1, 1, tzinfo=tz)
            for ev in recurring_ical_events.of(cal).between(start, end):
                print(str(ev['UID']), ev['DTSTART'].dt.astimezone(tz).isoformat())
            """
        let out = try TestSupport.python(script, [dir + "/plan.ics"])
        #expect(out.status == 0, "\(out.stderr)")
        let got = Set(out.stdout.split(separator: "\n").map(String.init))
        #expect(got.count == expected.count)
        #expect(got == expected, "only in ICS: \(got.subtracting(expected).sorted().prefix(5)); only in agenda: \(expected.subtracting(got).sorted().prefix(5))")
        // Lines are folded at 75 octets and end with CRLF.
        let raw = try Data(contentsOf: URL(fileURLWithPath: dir + "/plan.ics"))
        let lines = String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 75 })
    }
}

extension OfflineCommandTests {
    /// With the daemon's changes (a file of `dutyctl changes --json`): a moved meeting, an extra one, a cancelled
    /// inspection and a township paused for a fortnight. The export read back by python `icalendar` and expanded
    /// by `recurring-ical-events` gives exactly the agenda's due instants with the same changes; the moved meeting
    /// is an override with its RECURRENCE-ID, the cancelled inspection an EXDATE.
    @Test func icsExportWithChangesMatchesTheAgendaWithChanges() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        func at(_ text: String) -> Date { TimeFormatting.parseISO8601(text, defaultZone: zone)! }
        let recorded = at("2018-09-13T08:00")
        let actions: [ChangeAction] = [
            .move(OccurrenceID(duty: "dongchuan-biweekly-meeting", at: at("2018-09-17T09:00")), to: at("2018-09-19T15:00")),
            .add(OccurrenceID(duty: "dongchuan-biweekly-meeting", at: at("2018-09-28T15:00"))),
            .cancel(OccurrenceID(duty: "city-inspection-luquan", at: at("2018-09-18T09:00"))),
            .pause(.township("tangdan"), from: recorded, until: at("2018-09-30T00:00")),
        ]
        let items = actions.enumerated().map { index, action in
            ChangeItem(OccurrenceChange(id: Int64(index + 1), action: action, recordedAt: recorded, actorUID: 0, actor: "root", note: nil), zone: zone)
        }
        try APICoding.encode(ChangeList(changes: items, pauses: [])).write(to: URL(fileURLWithPath: dir + "/changes.json"))
        let window = ["--schedules", TestSupport.shippedSchedules, "--from", "2018-09-13", "--to", "2018-10-31", "--changes", dir + "/changes.json"]
        let export = try TestSupport.dutyctl(["export", "--ics", "--output", dir + "/plan.ics"] + window)
        #expect(export.status == 0, "\(export.stderr)")
        let agenda = try TestSupport.dutyctl(["agenda", "--json", "--no-warnings"] + window)
        #expect(agenda.status == 0, "\(agenda.stderr)")
        let entries = try JSONDecoder().decode([[String: JSONAny]].self, from: Data(agenda.stdout.utf8))
        let expected = Set(entries.filter { $0["kind"]?.string == "due" }.map { "\($0["duty"]!.string!)@dutyd \($0["occurrence"]!.string!)" })
        #expect(expected.contains("dongchuan-biweekly-meeting@dutyd 2018-09-19T15:00:00+08:00"))
        #expect(expected.contains("dongchuan-biweekly-meeting@dutyd 2018-09-28T15:00:00+08:00"))
        #expect(!expected.contains("dongchuan-biweekly-meeting@dutyd 2018-09-17T09:00:00+08:00"))
        #expect(!expected.contains("city-inspection-luquan@dutyd 2018-09-18T09:00:00+08:00"))
        let script = """
            import sys, datetime, icalendar, recurring_ical_events
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            tz = datetime.timezone(datetime.timedelta(hours=8))
            start = datetime.datetime(2018, 9, 13, tzinfo=tz)
            end = datetime.datetime(2018, 11, 1, tzinfo=tz)
            for ev in recurring_ical_events.of(cal).between(start, end):
                print(str(ev['UID']), ev['DTSTART'].dt.astimezone(tz).isoformat())
            """
        let out = try TestSupport.python(script, [dir + "/plan.ics"])
        #expect(out.status == 0, "\(out.stderr)")
        let got = Set(out.stdout.split(separator: "\n").map(String.init))
        #expect(got == expected, "only in ICS: \(got.subtracting(expected).sorted().prefix(5)); only in agenda: \(expected.subtracting(got).sorted().prefix(5))")
        let text = try String(contentsOfFile: dir + "/plan.ics", encoding: .utf8)
        #expect(text.contains("RECURRENCE-ID;TZID=Asia/Shanghai:20180917T090000\r\n"))
        #expect(text.contains("EXDATE;TZID=Asia/Shanghai:20180918T090000"))
    }
}

/// Minimal JSON value for decoding test output.
enum JSONAny: Decodable, Equatable {
    case string(String), number(Double), bool(Bool), array([JSONAny]), object([String: JSONAny]), null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONAny].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONAny].self))
        }
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
