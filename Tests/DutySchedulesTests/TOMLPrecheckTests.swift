import Foundation
import TOMLKit
import Testing

@testable import DutySchedules

/// Regression vectors for the toml++ assertion found by fuzzing (Fuzz/Sources/FuzzScheduleLoader, see
/// docs/reliability.md): a table header whose key starts with anything but a bare-key character or a quote aborted
/// the process inside TOMLKit. Every vector here used to abort `dutyctl validate` (exit 134); now each is an
/// ordinary syntax error with line and column. The valid documents must pass the precheck and parse in TOMLKit.
@Suite struct TOMLPrecheckTests {
    struct Vector: Sendable, CustomStringConvertible {
        var id: String
        var text: String
        var line: Int
        var column: Int
        var description: String { id }
    }

    static let crashing: [Vector] = [
        // The fuzzer's reproducer (crash-9be85347689cb1d23c3c91cd7e5c7b0be233b174), shortened to its header.
        Vector(id: "backtick-array-header", text: "[`[template]]\nid = \"t\"\n", line: 1, column: 2),
        Vector(id: "backtick", text: "[`x]\n", line: 1, column: 2),
        Vector(id: "equals", text: "a = 1\n\n[=b]\n", line: 3, column: 2),
        Vector(id: "non-ascii-key", text: "[é]\n", line: 1, column: 2),
        Vector(id: "lone-bracket", text: "[\n", line: 1, column: 2),
        Vector(id: "array-header-then-newline", text: "x = \"[`\"\n[[\n", line: 2, column: 3),
        Vector(id: "blank-then-hash", text: "  [ [#\n", line: 1, column: 6),
        Vector(id: "after-multiline-array", text: "a = [\n  [1],\n]\n[{b]\n", line: 4, column: 2),
        Vector(id: "after-multiline-string", text: "s = \"\"\"\n[`\n\"\"\"\n[+]\n", line: 4, column: 2),
        // The second reproducer (crash-8af81358910daefe374bcefebc49a6ea7b11c7ee): a date-time whose time is not a digit.
        Vector(id: "datetime-T-letter", text: "[[duty]]\nid = \"r\"\ndtstart = 2018-01-01TL09:00:00\n", line: 3, column: 22),
        Vector(id: "datetime-in-array", text: "a = [1979-05-27T07:32:00Z,\n  1979-05-27t-7:32]\n", line: 2, column: 14),
        // The third (crash-f1aa8ad9c898ef29c06aaf85b899a946382de45f): a `}` where an array expects a value.
        Vector(id: "brace-after-comma", text: "[[role]]\nmembers = [\"a\", \"b\",}\n", line: 2, column: 21),
        Vector(id: "brace-first-in-array", text: "a = [ # c\n  }\n", line: 2, column: 3),
        // The fourth (crash-24d0f874674ae046c8dd38a896cfccc20c02b04d, from CI's fuzz smoke): a date whose day is
        // not two digits.
        Vector(id: "date-day-letter", text: "dtstart = 2018-01-el 2 of 二(一)3)\n", line: 1, column: 19),
        Vector(id: "date-day-one-digit", text: "a = [2018-01-1]\n", line: 1, column: 15),
    ]

    static let valid: [String] = [
        "[a]\nx = 1\n",
        "[[a]]\n[ b . c ]\n[\"quoted key\"]\n['literal']\n[[ d ]]\n",
        "a = [\n[1, 2],\n[ {x = 1} ],\n[\n3]\n]\n",
        "s = \"\"\"\n[`not a header\n\"\"\"\nt = '''\n[=\n'''\n",
        "# [` in a comment\nu = \"[`\" # [=\n[_ok-1]\n",
        "e = \"quote \\\" [` \"\n[x]\n",
        "q = \"\"\"a\"\"\"\"\n[y]\n",
        "d = 2018-01-01T09:00:00+08:00\ne = [2018-01-01t09:00:00, 2018-01-01 10:00:00]\nf = 2018-01-01 # a date\n",
        "2018-01-01Tx = \"a bare key that looks like a date\"\n",
        "t = [{a = 1}, {b = [2, {c = 3}]}]\nu = { v = [1, 2] }\n",
    ]

    @Test(arguments: crashing)
    func invalidHeaderIsASyntaxErrorNotAnAbort(vector: Vector) throws {
        let problem = try #require(TOMLPrecheck.invalidTableHeader(in: vector.text))
        #expect(problem.line == vector.line)
        #expect(problem.column == vector.column)
        // Through the loader: one error with the position, no crash.
        let dir = NSTemporaryDirectory() + "dutyd-precheck-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try vector.text.write(toFile: dir + "/x.toml", atomically: true, encoding: .utf8)
        let result = ScheduleLoader(directories: [dir]).load()
        #expect(result.schedules == nil)
        let error = try #require(result.diagnostics.first { $0.severity == .error })
        #expect(error.location.line == vector.line && error.location.column == vector.column, "\(error.description)")
        #expect(["table header", "date-time", "array", "day of a date"].contains { error.description.contains($0) })
    }

    @Test(arguments: valid)
    func validDocumentsPassThePrecheckAndParse(text: String) throws {
        #expect(TOMLPrecheck.invalidTableHeader(in: text) == nil)
        _ = try TOMLTable(string: text)
    }
}
