import DutyCore
import Foundation
import Testing

@testable import DutySchedules

/// Rosters as spreadsheets write them, and templates over them: the fast path (compiled placeholders, timing
/// shared by a family of duties) must give what a duty per row written out by hand would give.
@Suite struct RosterTests {
    @Test func csvFieldsAsSpreadsheetsWriteThem() throws {
        // A byte order mark, CRLF line ends, a quoted comma, a quoted line break, an escaped quote, a blank line,
        // an empty last field and no line end after the last row.
        let text = "\u{FEFF}id,name,note\r\nh1,\"王, 五\",\"two\nlines\"\r\n\r\nh2,\"say \"\"hi\"\"\",\nh3,张三,x"
        let table = try CSVTable(text: text, maxRows: 10)
        #expect(table.header == ["id", "name", "note"])
        #expect(table.records == [
            ["id": "h1", "name": "王, 五", "note": "two\nlines"],
            ["id": "h2", "name": "say \"hi\"", "note": ""],
            ["id": "h3", "name": "张三", "note": "x"],
        ])
        // Read from a file in chunks, the same table (chunks of 1 MiB: a roster larger than one chunk).
        let rows = (1...40_000).map { "h\($0),\"名字, \($0)\",备注\($0)" }.joined(separator: "\r\n")
        let path = NSTemporaryDirectory() + "dutyd-roster-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ("\u{FEFF}id,name,note\r\n" + rows + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int > 1 << 20)
        let read = try CSVTable.read(path: path, maxRows: 50_000, maxBytes: 1 << 30)
        #expect(read.rowCount == 40_000)
        #expect(Array(read.row(39_999)) == ["h40000", "名字, 40000", "备注40000"])
        #expect(throws: CSVTable.ReadError.self) { try CSVTable.read(path: path, maxRows: 50_000, maxBytes: 1 << 20) }
    }

    @Test func csvErrorsNameTheLineAndColumn() throws {
        func error(_ text: String, maxRows: Int = 10) -> String {
            do {
                _ = try CSVTable(text: text, maxRows: maxRows)
                return "no error"
            } catch {
                return "\(error.line):\(error.column): \(error.message)"
            }
        }
        #expect(error("a,b\n1,2\n3\n") == "3:1: roster row has 1 fields, the header has 2")
        #expect(error("a,b\n1,2\n3,4\n", maxRows: 1) == "3:1: roster has more than 1 rows")
        #expect(error("a,a\n") == "1:2: header column 2 is empty or repeated")
        #expect(error("a,b\n张三,x\"y\n") == "2:5: unexpected '\"' inside an unquoted field")
        #expect(error("a,b\n\"x\ny,z\n") == "4:0: unterminated quoted field")
        #expect(error("") == "1:1: empty roster: expected a header row naming the columns")
        // Invalid UTF-8 is named at its field (the old reader said only that the file was not UTF-8).
        let path = NSTemporaryDirectory() + "dutyd-roster-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("a,b\n1,2\n张三,".utf8 + [0xE5, 0xBC] + Data(",\n".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(throws: CSVTable.ParseError.self) { try CSVTable.read(path: path, maxRows: 10, maxBytes: 1000) }
        do {
            _ = try CSVTable.read(path: path, maxRows: 10, maxBytes: 1000)
        } catch let e as CSVTable.ParseError {
            #expect("\(e.line):\(e.column): \(e.message)" == "3:4: the field is not valid UTF-8")
        }
    }

    @Test func placeholdersCompileOnce() {
        var missing = Set<String>()
        let columns = ["a": 0, "b": 1]
        let node = TemplateNode(
            .table([
                "t": .string("x{a}y{b}{a}"), "fixed": .string("no placeholder"), "open": .string("{a"),
                "list": .array([.string("{b}"), .int(3)]), "unknown": .string("{c}-{a}"),
            ]), columns: columns, missing: &missing)
        #expect(missing == ["c"])
        let row: ArraySlice<String> = ["1", "2"]
        #expect(node.expand(row) == .table([
            "t": .string("x1y21"), "fixed": .string("no placeholder"), "open": .string("{a"),
            "list": .array([.string("2"), .int(3)]), "unknown": .string("{c}-1"),
        ]))
        #expect(node.tableEntry("fixed")?.isFixed == true)
        #expect(node.tableEntry("t")?.isFixed == false)
    }

    /// A family (timing without placeholders) and the same duties with their timing taken from a column (each
    /// duty reads its own) plan the same notices over a year; a family that never occurs is warned about once.
    @Test func aFamilySharesTimingAndPlansLikeSeparateDuties() throws {
        let rows = (1...30).map { "h\($0),户\($0),c\($0 % 4),-1,17:30" }.joined(separator: "\n")
        func template(_ id: String, time: String, nth: String, persons: Bool = true) -> String {
            """
            [[template]]
            id = "\(id)"
            roster = "rosters/r.csv"
            \(persons ? "[template.person]\nid = \"{cadre_id}\"\nname = \"干部{cadre_id}\"\naccount = \"a{cadre_id}\"" : "")
            [template.duty]
            id = "\(id)-{household_id}"
            title = "入户走访 {household_name}"
            recipients = ["{cadre_id}"]
            escalate = ["office"]
            nth_workday = \(nth)
            time = "\(time)"
            workdays = "cn"
            start = 2018-09-13T00:00:00
            ack = true
            grace = "3d"
            warn = ["2 workdays", "1d"]
            labels = { report = "visits", cadre = "{cadre_id}" }

            """
        }
        let dir = try TempSchedules([
            "people.toml": peopleFile,
            "rosters/r.csv": "household_id,household_name,cadre_id,nth,time\n" + rows + "\n",
            "visits.toml": template("shared", time: "17:30", nth: "-1") + template("own", time: "{time}", nth: "-1", persons: false),
            "calendars/cn.toml": "[[workdays]]\nid = \"cn\"\nholidays = [2018-10-01, 2018-10-02]\nmakeup_workdays = [2018-09-29]\n",
        ])
        let result = dir.load()
        #expect(result.errors.isEmpty, "\(result.errors)")
        let set = try #require(result.schedules)
        #expect(set.duties.count == 60)
        let planner = Planner(schedules: set)
        let notices = planner.notices(after: Date(timeIntervalSince1970: 1_536_000_000), through: Date(timeIntervalSince1970: 1_567_000_000))
        func plan(_ prefix: String) -> [String] {
            notices.filter { $0.dutyID.hasPrefix(prefix + "-") }.map {
                "\($0.dutyID.dropFirst(prefix.count)) \($0.occurrence.timeIntervalSince1970) \($0.fireAt.timeIntervalSince1970) \($0.kind) \($0.offsetLabel) \($0.escalationStep)"
            }
        }
        #expect(plan("shared").count > 30 * 12 * 4)
        #expect(plan("shared") == plan("own"))
        #expect(set.duty(id: "shared-h7")?.labels == ["report": "visits", "cadre": "c3"])
        #expect(set.duty(id: "own-h7")?.warnings.map(\.description) == set.duty(id: "shared-h7")?.warnings.map(\.description))

        let never = try TempSchedules([
            "people.toml": peopleFile,
            "rosters/r.csv": "household_id,household_name,cadre_id,nth,time\n" + rows + "\n",
            "visits.toml": template("gone", time: "17:30", nth: "-1").replacingOccurrences(of: "start = 2018-09-13T00:00:00", with: "start = 2018-09-13T00:00:00\nuntil = 2018-09-14"),
            "calendars/cn.toml": "[[workdays]]\nid = \"cn\"\nholidays = []\nmakeup_workdays = []\n",
        ])
        let warned = never.load()
        #expect(warned.errors.isEmpty, "\(warned.errors)")
        #expect(warned.warnings.map(\.message) == ["duty 'gone-h1' never occurs (roster row 2)"])
    }
}
