import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `dutyd` process started by a test, with its own state directory, socket and spool. Always `stop()` it.
public final class LiveDaemon: @unchecked Sendable {
    public let process = Process()
    public let stateDirectory: String
    public let spool: String
    public let socket: String
    public let logPath: String

    /// Starts `dutyd` with the given schedule directories and extra arguments (e.g. clock options).
    /// - Parameter namespace: run it in this network namespace (`ip netns exec`; the pid is still dutyd's).
    public init(
        schedules: [String], workDirectory: String, arguments: [String] = [], environment: [String: String] = [:],
        namespace: String? = nil
    ) throws {
        stateDirectory = workDirectory + "/state"
        spool = workDirectory + "/spool"
        socket = workDirectory + "/dutyd.sock"
        logPath = workDirectory + "/dutyd.log"
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        let dutyd = TestSupport.productsDirectory + "/dutyd"
        process.executableURL = URL(fileURLWithPath: namespace == nil ? dutyd : "/usr/sbin/ip")
        process.arguments =
            (namespace.map { ["netns", "exec", $0, dutyd] } ?? []) + schedules.flatMap { ["--schedules", $0] } + [
                "--state-dir", stateDirectory, "--socket", socket, "--mail-spool", spool, "--hostname", "dutyd-test.local",
            ] + arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    public func stop(timeout: TimeInterval = 10) -> Int32 {
        if process.isRunning { signal(SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    /// SIGKILL and wait.
    public func killHard() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Reads the real journal with `journalctl -o json`.
public enum JournalReader {
    /// Entries matching the `FIELD=value` matches (ANDed), oldest first, each as a field dictionary. Repeated
    /// fields keep their last value in `fields` and all values in `multi`.
    public struct Entry: Sendable {
        public var fields: [String: String]
        public var multi: [String: [String]]
        public subscript(_ name: String) -> String? { fields[name] }
    }

    public static func entries(_ matches: [String], since: String? = nil) throws -> [Entry] {
        var args = ["-o", "json", "--all", "--no-pager"]
        if let since { args += ["--since", since] }
        let out = try TestSupport.run("/usr/bin/journalctl", args + matches)
        var result: [Entry] = []
        for line in out.stdout.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            var fields: [String: String] = [:]
            var multi: [String: [String]] = [:]
            for (key, value) in object {
                if let s = value as? String {
                    fields[key] = s
                    multi[key] = [s]
                } else if let a = value as? [Any] {
                    let strings = a.compactMap { $0 as? String }
                    multi[key] = strings
                    fields[key] = strings.last
                }
            }
            result.append(Entry(fields: fields, multi: multi))
        }
        return result
    }

    /// Polls until `condition` holds for the entries matching, or the timeout passes; returns the last read.
    public static func wait(
        for matches: [String], timeout: TimeInterval = 30, until condition: ([Entry]) -> Bool
    ) throws -> [Entry] {
        let deadline = Date().addingTimeInterval(timeout)
        var entries = try self.entries(matches)
        while !condition(entries) && Date() < deadline {
            usleep(100_000)
            entries = try self.entries(matches)
        }
        return entries
    }

    /// Whether a journald answers (a real write through systemd-cat).
    public static var isAvailable: Bool {
        (try? TestSupport.run("/usr/bin/systemd-cat", ["-t", "dutyd-test-probe", "true"]).status) == 0
    }
}
