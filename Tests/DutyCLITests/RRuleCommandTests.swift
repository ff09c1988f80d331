import ArgumentParser
import DutyTestSupport
import Foundation
import Testing

@testable import DutyCLI

@Suite struct RRuleCommandTests {
    static let meeting = #"DTSTART;TZID=Asia/Shanghai:20180917T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"#

    func lines(_ arguments: [String]) throws -> [String] {
        let command = try RRuleCommand.parse(arguments)
        return try command.output().split(separator: "\n").map(String.init)
    }

    @Test func printsIsoWithOffsetAndDefaultCount() throws {
        let out = try lines([Self.meeting])
        #expect(out.count == 10)
        #expect(out.prefix(3) == ["2018-09-17T09:00:00+08:00", "2018-10-01T09:00:00+08:00", "2018-10-15T09:00:00+08:00"])
    }

    @Test func countAndAfter() throws {
        let out = try lines(["--count=2", "--after=2018-10-01T09:00:00+08:00", Self.meeting])
        #expect(out == ["2018-10-15T09:00:00+08:00", "2018-10-29T09:00:00+08:00"])
        let z = try lines(["--count", "1", "--after", "2018-10-01T01:00:00Z", Self.meeting])
        #expect(z == ["2018-10-15T09:00:00+08:00"])
    }

    @Test func realNewlinesAndUtcAndFloating() throws {
        #expect(try lines(["--count=2", "DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY"]) == [
            "2026-01-01T09:00:00+00:00", "2026-01-02T09:00:00+00:00",
        ])
        #expect(
            try lines(["--count=1", "--floating-zone=Europe/Berlin", "DTSTART:20260701T090000\nRRULE:FREQ=DAILY"]) == [
                "2026-07-01T09:00:00+02:00"
            ])
    }

    @Test func offsetsFollowDaylightSaving() throws {
        let out = try lines(["--count=3", #"DTSTART;TZID=Europe/Berlin:20261024T090000\nRRULE:FREQ=DAILY"#])
        #expect(out == ["2026-10-24T09:00:00+02:00", "2026-10-25T09:00:00+01:00", "2026-10-26T09:00:00+01:00"])
    }

    @Test func badRuleReportsCaret() throws {
        let command = try RRuleCommand.parse([#"DTSTART:20260101T090000\nRRULE:FREQ=MONTHLY;BYMONTH=13"#])
        #expect(throws: (any Error).self) { try command.output() }
        do {
            _ = try command.output()
        } catch {
            #expect(error.rendered.contains("RRULE:FREQ=MONTHLY;BYMONTH=13\n" + String(repeating: " ", count: 27) + "^~"))
        }
    }

    @Test func badOptionsAreValidationErrors() {
        #expect(throws: (any Error).self) { try RRuleCommand.parse(["--count=-1", Self.meeting]) }
        #expect(throws: (any Error).self) { try RRuleCommand.parse(["--after=yesterday", Self.meeting]) }
        #expect(throws: (any Error).self) { try RRuleCommand.parse(["--floating-zone=Nowhere/Land", Self.meeting]) }
    }

    /// The binary of this build: exit status 1 and the caret on standard error.
    @Test func binaryExitStatus() throws {
        let binary = URL(fileURLWithPath: TestSupport.productsDirectory + "/dutyctl")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no dutyctl in \(TestSupport.productsDirectory)")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["rrule", #"DTSTART:20260101T090000\nRRULE:FREQ=MONTHLY;BYMONTH=13"#]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(String(decoding: data, as: UTF8.self).contains("^~"))
    }
}
