import DutySchedules
import Foundation

/// Loads the schedules once in a child process (`dutyd --check-schedules`) before the daemon loads them itself.
///
/// The TOML parser inside TOMLKit (toml++) aborts the process on some malformed input instead of reporting an
/// error (docs/reliability.md); `TOMLPrecheck` catches the patterns found so far. Parsing first in a child means
/// that any further one kills only the child: a reload is then refused like any broken schedule and the previous
/// schedules keep running, and a start is refused with a clear message.
enum ParserGuard {
    /// Nil when the child loaded the directories without crashing (whatever it found); otherwise why not.
    static func crashReason(directories: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["--check-schedules"] + directories.flatMap { ["--schedules", $0] }
        var environment = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            environment.removeValue(forKey: key)
        }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            // The check could not run (no exec here): fall back to loading in-process.
            return nil
        }
        process.waitUntilExit()
        guard process.terminationReason == .uncaughtSignal else { return nil }
        return "the schedule files' TOML parser aborted (signal \(process.terminationStatus)) while reading "
            + "\(directories.joined(separator: ", ")): a file holds a syntax it cannot handle; "
            + "find it with `dutyctl validate` on copies of the files, one at a time"
    }

    /// `dutyd --check-schedules`: load and exit 0 (usable) or 1 (errors); never starts the daemon.
    static func check(directories: [String]) -> Int32 {
        // Fault injection for the tests: abort as the parser would when this file exists.
        if let flag = ProcessInfo.processInfo.environment["DUTYD_FAULT_CHECK_ABORT"], FileManager.default.fileExists(atPath: flag) {
            abort()
        }
        return ScheduleLoader(directories: directories).load().schedules == nil ? 1 : 0
    }
}
