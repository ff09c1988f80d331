import DutyTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A schedule parser that aborts (as toml++ does on some malformed input) kills only the check process: the
/// daemon refuses the reload, keeps the old schedules firing, and journals why.
@Suite(.serialized) struct ParserGuardTests {
    @Test func parserAbortDuringReloadKeepsTheDaemonAndItsSchedules() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/schedules", withIntermediateDirectories: true)
        let file = dir + "/schedules/tick.toml"
        try """
            [[person]]
            id = "alice"
            mail = "none"

            [[duty]]
            id = "tick"
            title = "every two seconds"
            recipients = ["alice"]
            calendar = "*-*-* *:*:00/2"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let flag = dir + "/abort-now"
        let daemon = try LiveDaemon(
            schedules: [dir + "/schedules"], workDirectory: dir, arguments: ["--no-mail"],
            environment: ["DUTYD_FAULT_CHECK_ABORT": flag])
        defer { daemon.stop() }
        let ticks = ["DUTY_SCHEDULE_FILE=\(file)", "DUTY_ID=tick"]
        let before = try JournalReader.wait(for: ticks, timeout: 20) { $0.count >= 1 }.count
        #expect(before >= 1, "\(daemon.log)")
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        daemon.signal(SIGHUP)
        let errors = try JournalReader.wait(for: ["SYSLOG_IDENTIFIER=dutyd", "PRIORITY=3", "DUTY_SCHEDULE_FILE=\(dir)/schedules"], timeout: 20) {
            $0.contains { $0["MESSAGE"]?.contains("TOML parser aborted") == true }
        }
        #expect(errors.contains { $0["MESSAGE"]?.contains("TOML parser aborted") == true }, "\(daemon.log.suffix(1500))")
        #expect(daemon.isRunning)
        let after = try JournalReader.wait(for: ticks, timeout: 20) { $0.count >= before + 2 }.count
        #expect(after >= before + 2)
    }

    @Test func parserAbortAtStartIsRefusedWithAReason() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/schedules", withIntermediateDirectories: true)
        try "[[person]]\nid = \"alice\"\nmail = \"none\"\n".write(toFile: dir + "/schedules/p.toml", atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: dir + "/abort-now", contents: nil)
        let daemon = try LiveDaemon(
            schedules: [dir + "/schedules"], workDirectory: dir, arguments: ["--no-mail"],
            environment: ["DUTYD_FAULT_CHECK_ABORT": dir + "/abort-now"])
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 1)
        #expect(daemon.log.contains("TOML parser aborted"))
    }
}
