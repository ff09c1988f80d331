import DutyCore
import Foundation
import Testing

@testable import DutySchedules

/// A throw-away schedules directory.
struct TempSchedules {
    let root: String

    init(_ files: [String: String]) throws {
        root = NSTemporaryDirectory() + "dutyd-schedules-\(UUID().uuidString)"
        for (name, text) in files {
            let path = root + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    func path(_ name: String) -> String { root + "/" + name }

    func load(extra: [String] = []) -> ScheduleLoader.Result {
        ScheduleLoader(directories: [root] + extra).load()
    }
}

let peopleFile = """
    [[person]]
    id = "alice"
    name = "王丽"
    account = "alice"

    [[role]]
    id = "office"
    name = "办公室"
    members = ["alice"]

    """

@Suite struct ScheduleLoaderTests {
    /// Each vector: a file body, and the exact diagnostics expected (`file:line:column: severity: message`).
    struct ErrorVector: Sendable, CustomTestStringConvertible {
        var id: String
        var body: String
        var expected: [String]
        var testDescription: String { id }
    }

    static let vectors: [ErrorVector] = [
        ErrorVector(
            id: "misspelt-key",
            body: """
                [[duty]]
                id = "meeting"
                title = "例会"
                recipents = ["office"]
                due = 2018-12-31T17:00:00
                """,
            expected: ["duty.toml:4:1: error: unknown key 'recipents'; did you mean 'recipients'?"]),
        ErrorVector(
            id: "unknown-role",
            body: """
                [[duty]]
                id = "meeting"
                title = "例会"
                recipients = ["office", "ofice2"]
                due = 2018-12-31T17:00:00
                """,
            expected: ["duty.toml:4:26: error: unknown role or person 'ofice2' in 'recipients'; did you mean 'office'?"]),
        ErrorVector(
            id: "duplicate-id",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = 2018-12-31T17:00:00

                [[duty]]
                id = "meeting"
                title = "B"
                due = 2018-12-31T17:00:00
                """,
            expected: ["duty.toml:7:7: error: duplicate duty id 'meeting' (first declared at duty.toml:2:7)"]),
        ErrorVector(
            id: "missing-recurrence",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                """,
            expected: ["duty.toml:1:1: error: missing recurrence: expected one of 'calendar', 'rrule', 'due' or 'nth_workday'"]),
        ErrorVector(
            id: "two-recurrences",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = 2018-12-31T17:00:00
                nth_workday = -1
                """,
            expected: ["duty.toml:5:1: error: conflicting recurrences 'due' and 'nth_workday': expected exactly one"]),
        ErrorVector(
            id: "bad-warning",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = 2018-12-31T17:00:00
                warn = ["3d", "2x"]
                """,
            expected: [
                "duty.toml:5:17: error: invalid warning '2x': expected a unit: m, h, d, w or workdays (wd)"
            ]),
        ErrorVector(
            id: "wrong-type",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = "2018-12-31"
                """,
            expected: ["duty.toml:4:7: error: 'due' must be a date-time like 2018-12-31T17:30:00 (unquoted), not a string"]),
        ErrorVector(
            id: "syntax-error",
            body: """
                [[duty]]
                id = "meeting
                """,
            expected: [
                "duty.toml:2:6: error: syntax error: unterminated string: no closing '\"' on its line (a string of several lines starts with \"\"\")"
            ]),
        ErrorVector(
            id: "bad-zone-and-policy",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = 2018-12-31T17:00:00
                timezone = "Asia/Kunming"
                """,
            expected: [
                "duty.toml:5:13: error: unknown time zone 'Asia/Kunming': expected an IANA name like Europe/Berlin",
            ]),
        ErrorVector(
            id: "bad-grace-unit",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = 2018-12-31T17:00:00
                grace = "2x"
                """,
            expected: ["duty.toml:5:11: error: invalid duration '2x': unknown unit 'x': expected s, m, h, d or w"]),
        ErrorVector(
            id: "bad-grace-bare-number",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = 2018-12-31T17:00:00
                grace = "1.5"
                """,
            expected: [
                "duty.toml:5:13: error: invalid duration '1.5': expected a unit after '1.5': s, m, h, d or w (only 0 stands without one)"
            ]),
        ErrorVector(
            id: "grace-zero-and-too-long",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = 2018-12-31T17:00:00
                grace = "0"

                [[duty]]
                id = "review"
                title = "B"
                due = 2018-12-31T17:00:00
                grace = "400d"
                """,
            expected: [
                "duty.toml:5:10: error: invalid duration '0': must be longer than 0 and shorter than 400d",
                "duty.toml:11:10: error: invalid duration '400d': must be longer than 0 and shorter than 400d",
            ]),
        ErrorVector(
            id: "bad-policy",
            body: """
                [[duty]]
                id = "meeting"
                title = "A"
                due = 2018-12-31T17:00:00
                holiday = "later"
                """,
            expected: ["duty.toml:5:12: error: invalid holiday policy 'later': expected keep, skip, previous or next"]),
    ]

    @Test(arguments: vectors.filter { !$0.expected.isEmpty })
    func errorVector(_ vector: ErrorVector) throws {
        let dir = try TempSchedules(["people.toml": peopleFile, "duty.toml": vector.body])
        let result = dir.load()
        let got = result.diagnostics.filter { $0.severity == .error }.map {
            $0.description.replacingOccurrences(of: dir.root + "/", with: "")
        }
        #expect(got == vector.expected)
        #expect(result.schedules == nil)
    }

    @Test func syntaxErrorNamesLineAndColumn() throws {
        let dir = try TempSchedules(["people.toml": peopleFile, "duty.toml": "[[duty]]\nid = \"meeting\ntitle = 1\n"])
        let errors = dir.load().errors
        #expect(errors.count == 1)
        #expect(errors.first?.location.file == dir.path("duty.toml"))
        #expect(errors.first?.location.line == 2)
        #expect(errors.first?.message.hasPrefix("syntax error") == true)
    }

    @Test func allProblemsAreReportedAtOnceAcrossFiles() throws {
        let dir = try TempSchedules([
            "people.toml": peopleFile,
            "a.toml": "[[duty]]\nid = \"a\"\ntitel = \"x\"\ndue = 2018-12-31T17:00:00\n",
            "b.toml": "[[duty]]\nid = \"b\"\ntitle = \"y\"\nrecipients = [\"nobody\"]\ndue = 2018-12-31T17:00:00\n",
        ])
        let errors = dir.load().errors.map { $0.description.replacingOccurrences(of: dir.root + "/", with: "") }
        #expect(
            errors == [
                "a.toml:1:1: error: missing required key 'title'",
                "a.toml:3:1: error: unknown key 'titel'; did you mean 'title'?",
                "b.toml:4:16: error: unknown role or person 'nobody' in 'recipients'",
            ])
    }

    @Test func validFileLoadsWithRolesExpanded() throws {
        let dir = try TempSchedules([
            "people.toml": peopleFile,
            "duty.toml": """
                [defaults]
                timezone = "Asia/Shanghai"

                [[duty]]
                id = "deadline"
                title = "完成时限"
                clause = "二(一)1"
                recipients = ["office"]
                due = 2018-12-31T17:30:00
                warn = ["7d", "1d"]
                ack = true
                grace = "2d"
                escalate = ["alice"]
                """,
        ])
        let result = dir.load()
        #expect(result.errors.isEmpty)
        let set = try #require(result.schedules)
        let duty = try #require(set.duty(id: "deadline"))
        #expect(duty.clause == "二(一)1")
        #expect(duty.grace == 2 * 86_400)
        #expect(duty.warnings.map(\.description) == ["7d", "1d"])
        #expect(set.persons(for: duty.recipients).map(\.recipient.channels) == [[.mbox(account: "alice")]])
        let due = try #require(duty.nextOccurrence(after: Date(timeIntervalSince1970: 0)))
        #expect(TimeFormatting.iso8601(due, in: duty.timeZone) == "2018-12-31T17:30:00+08:00")
    }

    /// Durations read by `TimeSpan`: fractions, weeks and compound forms alike.
    @Test func graceAndDueWithinTakeEveryTimeSpanForm() throws {
        let dir = try TempSchedules([
            "people.toml": peopleFile,
            "duty.toml": """
                [[duty]]
                id = "a"
                title = "A"
                due = 2018-12-31T17:00:00
                grace = "1.5d"

                [[duty]]
                id = "b"
                title = "B"
                due = 2018-12-31T17:00:00
                grace = "1w"

                [[duty]]
                id = "c"
                title = "C"
                due = 2018-12-31T17:00:00
                grace = "1d 12h"
                """,
        ])
        let result = dir.load()
        #expect(result.errors.isEmpty, "\(result.errors)")
        let set = try #require(result.schedules)
        #expect(set.duties.map(\.grace) == [129_600, 604_800, 129_600])
    }

    /// The plan's zone is the first `[defaults] timezone` in load order; a file without one uses it for its
    /// duties, a file with another keeps its own.
    @Test func planZoneIsTheFirstFileDefault() throws {
        let dir = try TempSchedules([
            "people.toml": peopleFile,
            "a.toml": "[defaults]\ntimezone = \"Europe/Berlin\"\n\n[[duty]]\nid = \"a\"\ntitle = \"A\"\ndue = 2018-12-31T17:00:00\n",
            "b.toml": "[defaults]\ntimezone = \"Asia/Tokyo\"\n\n[[duty]]\nid = \"b\"\ntitle = \"B\"\ndue = 2018-12-31T17:00:00\n",
            "c.toml": "[[duty]]\nid = \"c\"\ntitle = \"C\"\ndue = 2018-12-31T17:00:00\n",
        ])
        var loader = ScheduleLoader(directories: [dir.root])
        loader.hostTimeZone = TimeZone(identifier: "America/New_York")!
        let result = loader.load()
        #expect(result.errors.isEmpty, "\(result.errors)")
        let set = try #require(result.schedules)
        #expect(set.timeZone.identifier == "Europe/Berlin")
        #expect(set.duties.map(\.timeZone.identifier) == ["Europe/Berlin", "Asia/Tokyo", "Europe/Berlin"])
        let c = try #require(set.duty(id: "c")?.nextOccurrence(after: Date(timeIntervalSince1970: 0)))
        #expect(TimeFormatting.iso8601(c, in: set.timeZone) == "2018-12-31T17:00:00+01:00")
    }

    /// Without any `[defaults] timezone`, the plan is in the host's zone, as systemd's `OnCalendar=` is.
    @Test(arguments: ["America/New_York", "Asia/Shanghai", "UTC"])
    func planZoneFallsBackToTheHostZone(_ host: String) throws {
        let dir = try TempSchedules([
            "people.toml": peopleFile,
            "duty.toml": "[[duty]]\nid = \"a\"\ntitle = \"A\"\ncalendar = \"Mon *-*-* 09:00\"\n\n[[duty]]\nid = \"r\"\ntitle = \"R\"\nrrule = \"FREQ=DAILY\"\nstart = 2018-09-17T09:00:00\n",
        ])
        let zone = TimeZone(identifier: host)!
        let result = ScheduleLoader(directories: [dir.root], hostTimeZone: zone).load()
        #expect(result.errors.isEmpty, "\(result.errors)")
        let set = try #require(result.schedules)
        #expect(set.timeZone == zone)
        for duty in set.duties {
            #expect(duty.timeZone == zone)
            let next = try #require(duty.nextOccurrence(after: Date(timeIntervalSince1970: 1_537_000_000)))
            #expect(TimeFormatting.localMinute(next, in: zone).hasSuffix(" 09:00"), "\(duty.id)")
        }
    }

    @Test func adminFileOfTheSameNameReplacesTheVendorFile() throws {
        let vendor = try TempSchedules([
            "people.toml": peopleFile,
            "duty.toml": "[[duty]]\nid = \"a\"\ntitle = \"vendor\"\ndue = 2018-12-31T17:00:00\n",
        ])
        let admin = try TempSchedules([
            "duty.toml": "[[duty]]\nid = \"a\"\ntitle = \"admin\"\ndue = 2018-12-31T17:00:00\n"
        ])
        let result = ScheduleLoader(directories: [vendor.root, admin.root, "/nonexistent/dir"]).load()
        #expect(result.errors.isEmpty)
        #expect(result.schedules?.duty(id: "a")?.title == "admin")
        #expect(result.schedules?.persons.count == 1)
    }

    @Test func templateExpandsOneDutyPerRosterRow() throws {
        let dir = try TempSchedules([
            "people.toml": peopleFile,
            "rosters/r.csv": "household_id,household_name,cadre_id,cadre_name,cadre_account\nh1,张三,c1,李四,cadre1\nh2,\"王, 五\",c1,李四,cadre1\n",
            "visits.toml": """
                [[template]]
                id = "visit"
                roster = "rosters/r.csv"
                [template.person]
                id = "{cadre_id}"
                name = "{cadre_name}"
                account = "{cadre_account}"
                [template.duty]
                id = "visit-{household_id}"
                title = "入户走访 {household_name}"
                recipients = ["{cadre_id}"]
                nth_workday = 1
                workdays = "cn"
                """,
            "calendars/cn.toml": "[[workdays]]\nid = \"cn\"\nholidays = [2018-10-01]\nmakeup_workdays = []\n",
        ])
        let result = dir.load()
        #expect(result.errors.isEmpty, "\(result.errors)")
        let set = try #require(result.schedules)
        #expect(set.duties.map(\.id) == ["visit-h1", "visit-h2"])
        #expect(set.duty(id: "visit-h2")?.title == "入户走访 王, 五")
        #expect(set.persons.map(\.id) == ["alice", "c1"])
    }

    /// `digest`: templates default to "instant"; a template may say otherwise; a person's own setting wins (the
    /// planner takes the person's, else the duty's); a bad value is an error with its position.
    @Test func digestIsReadFromPersonsAndTemplates() throws {
        let roster = "household_id,cadre_id\nh1,c1\nh2,c1\n"
        func template(_ id: String, digest: String?) -> String {
            """
            [[template]]
            id = "\(id)"
            roster = "rosters/r.csv"
            \(digest.map { "digest = \"\($0)\"" } ?? "")
            [template.duty]
            id = "\(id)-{household_id}"
            title = "入户走访"
            recipients = ["{cadre_id}"]
            due = 2018-12-31T17:30:00

            """
        }
        let dir = try TempSchedules([
            "people.toml": peopleFile + "[[person]]\nid = \"c1\"\nname = \"干部\"\naccount = \"cadre1\"\n\n[[person]]\nid = \"bob\"\nname = \"B\"\naccount = \"bob\"\ndigest = \"daily 08:00\"\n",
            "rosters/r.csv": roster,
            "visits.toml": template("v", digest: nil) + template("w", digest: "off") + template("x", digest: "daily 07:30"),
            "standing.toml": "[[duty]]\nid = \"plain\"\ntitle = \"例会\"\nrecipients = [\"office\"]\ndue = 2018-12-31T17:00:00\n",
        ])
        let result = dir.load()
        #expect(result.errors.isEmpty, "\(result.errors)")
        let set = try #require(result.schedules)
        #expect(set.duty(id: "v-h1")?.digest == .instant)
        #expect(set.duty(id: "w-h2")?.digest == .off)
        #expect(set.duty(id: "x-h1")?.digest == .daily(hour: 7, minute: 30))
        #expect(set.duty(id: "plain")?.digest == nil)
        #expect(set.person(id: "bob")?.digest == .daily(hour: 8, minute: 0))
        #expect(set.person(id: "c1")?.digest == nil)

        let bad = try TempSchedules(["people.toml": "[[person]]\nid = \"a\"\nname = \"A\"\naccount = \"a\"\ndigest = \"hourly\"\n"])
        let errors = bad.load().errors.map { $0.description.replacingOccurrences(of: bad.root + "/", with: "") }
        #expect(errors.count == 1 && errors[0].hasPrefix("people.toml:5:") && errors[0].contains("invalid digest 'hourly'"), "\(errors)")
    }

    @Test func templateWithUnknownColumnIsOneError() throws {
        let dir = try TempSchedules([
            "people.toml": peopleFile,
            "rosters/r.csv": "household_id\nh1\nh2\n",
            "visits.toml": """
                [[template]]
                id = "visit"
                roster = "rosters/r.csv"
                [template.duty]
                id = "visit-{household}"
                title = "x"
                due = 2018-12-31T17:00:00
                """,
        ])
        let errors = dir.load().errors.map { $0.description.replacingOccurrences(of: dir.root + "/", with: "") }
        #expect(errors == ["visits.toml:4:1: error: unknown roster column '{household}' in template duty"])
    }

    @Test func rosterErrorsNameTheRosterLine() throws {
        let dir = try TempSchedules([
            "rosters/r.csv": "a,b\n1,2\n3\n",
            "visits.toml": "[[template]]\nid = \"v\"\nroster = \"rosters/r.csv\"\n[template.duty]\nid = \"x-{a}\"\ntitle = \"t\"\ndue = 2018-12-31T17:00:00\n",
        ])
        let errors = dir.load().errors.map { $0.description.replacingOccurrences(of: dir.root + "/", with: "") }
        #expect(errors == ["rosters/r.csv:3:1: error: roster row has 1 fields, the header has 2"])
    }

    @Test func fileSizeLimitIsEnforced() throws {
        let dir = try TempSchedules(["big.toml": String(repeating: "# padding\n", count: 100)])
        var limits = ScheduleLoader.Limits()
        limits.maxFileBytes = 100
        let result = ScheduleLoader(directories: [dir.root], limits: limits).load()
        #expect(result.errors.map(\.message) == ["file too large (1000 bytes, at most 100)"])
    }

    /// A roster over the bound is refused with the way to raise it; raised, the same files load.
    @Test func rosterSizeBoundIsASetting() throws {
        let rows = (1...200).map { "h\($0),c\($0 % 7)" }.joined(separator: "\n")
        let dir = try TempSchedules([
            "rosters/r.csv": "a,b\n" + rows + "\n",
            "people.toml": peopleFile,
            "visits.toml": "[[template]]\nid = \"v\"\nroster = \"rosters/r.csv\"\n[template.duty]\nid = \"x-{a}\"\ntitle = \"t\"\n"
                + "recipients = [\"office\"]\ndue = 2018-12-31T17:00:00\n",
        ])
        var small = ScheduleLoader.Limits()
        small.maxRosterBytes = 1000
        let refused = ScheduleLoader(directories: [dir.root], limits: small).load()
        #expect(refused.errors.map(\.message) == [
            "roster 'rosters/r.csv' is too large (1496 bytes, at most 1000): raise the bound with --max-roster-size (dutyd, dutyctl), e.g. --max-roster-size 1M"
        ])
        small.maxRosterBytes = try #require(ScheduleLoader.Limits.byteCount("2K"))
        let loaded = ScheduleLoader(directories: [dir.root], limits: small).load()
        #expect(loaded.errors.isEmpty)
        #expect(loaded.schedules?.duties.count == 200)
    }

    @Test(arguments: [
        ("64M", 64 << 20), ("268435456", 268_435_456), ("2k", 2048), ("1G", 1 << 30), (" 512K ", 512 << 10),
        ("0", nil), ("-1M", nil), ("1.5M", nil), ("M", nil), ("1T", nil), ("2048G", nil), ("١٢", nil),
    ] as [(String, Int?)])
    func byteCounts(_ text: String, _ expected: Int?) {
        #expect(ScheduleLoader.Limits.byteCount(text) == expected)
    }

    @Test func unknownTopLevelTableIsReported() throws {
        let dir = try TempSchedules(["x.toml": "[[dutty]]\nid = \"a\"\n"])
        let errors = dir.load().errors.map { $0.description.replacingOccurrences(of: dir.root + "/", with: "") }
        #expect(errors == ["x.toml:1:1: error: unknown key 'dutty'; did you mean 'duty'?"])
    }
}
