import DutyTOML
import Foundation
import Testing

@testable import DutySchedules

/// The inputs that aborted the process inside TOMLKit's toml++ (`TOML_ASSERT_ASSUME`), found by fuzzing
/// (Fuzz/Sources/FuzzScheduleLoader, docs/reliability.md section 2) and once caught by a pre-scan in front of it. With
/// DutyTOML each is an ordinary syntax error at the position where the document stops being TOML, straight from the
/// parser and through the loader; the documents the pre-scan had to let through must still parse.
@Suite struct TOMLCrashRegressionTests {
    struct Vector: Sendable, CustomStringConvertible {
        var id: String
        var text: String
        var line: Int
        var column: Int
        var code: TOMLSyntaxError.Code
        var description: String { id }
    }

    static let crashing: [Vector] = [
        // crash-9be85347689cb1d23c3c91cd7e5c7b0be233b174, shortened to its header: a header key starting with `` ` ``.
        Vector(id: "backtick-array-header", text: "[`[template]]\nid = \"t\"\n", line: 1, column: 2, code: .unexpectedCharacter),
        Vector(id: "backtick", text: "[`x]\n", line: 1, column: 2, code: .unexpectedCharacter),
        Vector(id: "equals", text: "a = 1\n\n[=b]\n", line: 3, column: 2, code: .unexpectedCharacter),
        Vector(id: "non-ascii-key", text: "[é]\n", line: 1, column: 2, code: .unexpectedCharacter),
        Vector(id: "lone-bracket", text: "[\n", line: 1, column: 2, code: .unexpectedCharacter),
        Vector(id: "array-header-then-newline", text: "x = \"[`\"\n[[\n", line: 2, column: 3, code: .unexpectedCharacter),
        // toml++ read `[ [` as the start of an array-of-tables header (the pre-scan reported column 6); TOML wants `[[`
        // together, so this is a table header whose key is missing where the second `[` stands (tomllib agrees).
        Vector(id: "blank-then-hash", text: "  [ [#\n", line: 1, column: 5, code: .unexpectedCharacter),
        Vector(id: "after-multiline-array", text: "a = [\n  [1],\n]\n[{b]\n", line: 4, column: 2, code: .unexpectedCharacter),
        Vector(id: "after-multiline-string", text: "s = \"\"\"\n[`\n\"\"\"\n[+]\n", line: 4, column: 2, code: .unexpectedCharacter),
        // crash-8af81358910daefe374bcefebc49a6ea7b11c7ee: a date-time whose time does not start with a digit.
        Vector(id: "datetime-T-letter", text: "[[duty]]\nid = \"r\"\ndtstart = 2018-01-01TL09:00:00\n", line: 3, column: 22, code: .invalidDateTime),
        Vector(id: "datetime-in-array", text: "a = [1979-05-27T07:32:00Z,\n  1979-05-27t-7:32]\n", line: 2, column: 14, code: .invalidDateTime),
        // crash-f1aa8ad9c898ef29c06aaf85b899a946382de45f: a `}` where an array expects a value.
        Vector(id: "brace-after-comma", text: "[[role]]\nmembers = [\"a\", \"b\",}\n", line: 2, column: 21, code: .unexpectedCharacter),
        Vector(id: "brace-first-in-array", text: "a = [ # c\n  }\n", line: 2, column: 3, code: .unexpectedCharacter),
        // crash-24d0f874674ae046c8dd38a896cfccc20c02b04d (CI's fuzz smoke): a date whose day is not two digits.
        Vector(id: "date-day-letter", text: "dtstart = 2018-01-el 2 of 二(一)3)\n", line: 1, column: 19, code: .invalidDateTime),
        Vector(id: "date-day-one-digit", text: "a = [2018-01-1]\n", line: 1, column: 15, code: .invalidDateTime),
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
    func formerAbortIsASyntaxError(vector: Vector) throws {
        let error = try #require(throws: TOMLSyntaxError.self) { try TOMLDocument.parse(vector.text) }
        #expect(error.code == vector.code, "\(error)")
        #expect(error.line == vector.line && error.column == vector.column, "\(error)")

        // Through the loader: one error, compiler-style, with the parser's position and message.
        let dir = NSTemporaryDirectory() + "dutyd-toml-regression-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try vector.text.write(toFile: dir + "/x.toml", atomically: true, encoding: .utf8)
        let result = ScheduleLoader(directories: [dir]).load()
        #expect(result.schedules == nil)
        let errors = result.errors.filter { $0.location.file == dir + "/x.toml" }.map(\.description)
        #expect(errors == ["\(dir)/x.toml:\(vector.line):\(vector.column): error: syntax error: \(error.message)"])
    }

    @Test(arguments: valid)
    func documentsThePreScanLetThroughStillParse(text: String) throws {
        _ = try TOMLDocument.parse(text)
    }
}
