import DutyCore
import DutyTestSupport
import Foundation
import Testing

@testable import DutyCLI

/// The shared filter options: every command that selects duties takes the same `--person/--role/--duty`, the
/// schedule commands refuse an unknown id with the daemon's words, and `--timezone` defaults to the plan's zone.
@Suite struct FilterOptionsTests {
    static let body = """
        [defaults]
        timezone = "Europe/Berlin"

        [[person]]
        id = "alice"
        account = "alice"

        [[role]]
        id = "office"
        members = ["alice"]

        [[county]]
        id = "c"

        [[township]]
        id = "t"
        name = "汤丹镇"
        county = "c"
        role = "office"

        [[duty]]
        id = "meeting"
        title = "例会"
        recipients = ["office"]
        calendar = "Mon *-*-* 09:00"

        [[duty]]
        id = "other"
        title = "其他"
        calendar = "Tue *-*-* 09:00"
        """

    static func plan() throws -> String {
        let dir = try TestSupport.temporaryDirectory()
        try body.write(toFile: dir + "/plan.toml", atomically: true, encoding: .utf8)
        return dir
    }

    /// `agenda` and `export` refuse what the daemon answers with 404, in the same words, with exit status 1.
    @Test(arguments: [
        (["--person", "bob"], "dutyctl: no person 'bob'"),
        (["--role", "nobody"], "dutyctl: no role 'nobody'"),
        (["--duty", "x"], "dutyctl: no duty 'x'"),
        (["--township", "nowhere"], "dutyctl: no township 'nowhere'"),
    ])
    func unknownIdsAreRefusedLikeTheDaemon(_ filter: [String], _ message: String) throws {
        let dir = try Self.plan()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for command in [["agenda"], ["export", "--ics"]] {
            let out = try TestSupport.dutyctl(command + ["--schedules", dir, "--from", "2018-09-17", "--to", "2018-09-30"] + filter)
            #expect(out.status == 1, "\(command) \(out.stderr)")
            #expect(out.stderr == message + "\n", "\(command)")
            #expect(out.stdout.isEmpty)
        }
    }

    @Test func filtersSelectTheSameDutiesInAgendaAndExport() throws {
        let dir = try Self.plan()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for filter in [["--person", "alice"], ["--role", "office"], ["--duty", "meeting"], ["--township", "汤丹镇"]] {
            let agenda = try TestSupport.dutyctl(
                ["agenda", "--schedules", dir, "--from", "2018-09-17", "--to", "2018-09-30", "--json"] + filter)
            #expect(agenda.status == 0, "\(agenda.stderr)")
            let entries = try JSONDecoder().decode([[String: JSONAny]].self, from: Data(agenda.stdout.utf8))
            #expect(Set(entries.map { $0["duty"]?.string }) == ["meeting"], "\(filter)")
            let export = try TestSupport.dutyctl(["export", "--ics", "--schedules", dir, "--from", "2018-09-17", "--to", "2018-09-30"] + filter)
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout.contains("UID:meeting@dutyd") && !export.stdout.contains("UID:other@dutyd"), "\(filter)")
        }
    }

    /// Without `--timezone`, dates are read and shown in the plan's zone (here Europe/Berlin), not a built-in one.
    @Test func timezoneDefaultsToThePlanZone() throws {
        let dir = try Self.plan()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try TestSupport.dutyctl(["agenda", "--schedules", dir, "--from", "2018-09-17", "--to", "2018-09-17", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let entries = try JSONDecoder().decode([[String: JSONAny]].self, from: Data(out.stdout.utf8))
        #expect(entries.compactMap { $0["fire_at"]?.string } == ["2018-09-17T09:00:00+02:00"])
        let tokyo = try TestSupport.dutyctl(
            ["agenda", "--schedules", dir, "--from", "2018-09-17", "--to", "2018-09-17", "--json", "--timezone", "Asia/Tokyo"])
        let shown = try JSONDecoder().decode([[String: JSONAny]].self, from: Data(tokyo.stdout.utf8))
        #expect(shown.compactMap { $0["fire_at"]?.string } == ["2018-09-17T16:00:00+09:00"])
    }

    /// Every command that takes --person/--role/--duty reads them into the one group (same names, same help).
    @Test(arguments: [
        ("agenda", ["--from", "2018-09-17", "--to", "2018-09-30"]), ("export", ["--ics", "--from", "2018-09-17", "--to", "2018-09-30"]),
        ("upcoming", []), ("overdue", []),
    ])
    func everyFilteringCommandSharesTheGroup(_ name: String, _ required: [String]) throws {
        let command = try Dutyctl.parseAsRoot([name] + required + ["--person", "p", "--role", "r", "--duty", "d"])
        let groups = Self.values(of: RecipientFilterOptions.self, in: command)
        #expect(groups.count == 1, "\(name)")
        #expect(groups.first?.filter() == RecipientFilter(person: "p", role: "r", duty: "d"))
    }

    /// Values of type `T` anywhere inside `value` (through property wrappers and nested groups).
    static func values<T>(of type: T.Type, in value: Any, depth: Int = 0) -> [T] {
        if let match = value as? T { return [match] }
        guard depth < 8 else { return [] }
        return Mirror(reflecting: value).children.flatMap { values(of: type, in: $0.value, depth: depth + 1) }
    }

    @Test func badDatesNameTheColumn() throws {
        let out = try TestSupport.dutyctl(["agenda", "--schedules", TestSupport.shippedSchedules, "--from", "2018-02-30", "--to", "2018-12-31"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("--from must be a date YYYY-MM-DD, not '2018-02-30': day must be 01…28 in 2018-02, got 30 (column 9)"))
    }
}
