import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `dutyd` with a temporary state directory and socket, and tools (curl, runuser, python3) against
/// it. The daemon is always stopped: `stop()` at the end of each test, and again on deinit.
final class DaemonHarness: @unchecked Sendable {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let productsDirectory: String = {
        if let override = ProcessInfo.processInfo.environment["DUTYD_PRODUCTS_DIR"] { return override }
        var candidate = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("dutyd").path) { return candidate.path }
            candidate.deleteLastPathComponent()
        }
        return packageRoot + "/.build/debug"
    }()

    let directory: String
    let socket: String
    let process = Process()
    private var stopped = false

    /// The small test schedules: persons mapped to the accounts `nobody` (unit-a) and `daemon` (unit-b), a duty
    /// every minute, and two daily duties that need acknowledgement.
    static func writeTestSchedules(to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        [[person]]
        id      = "nobody-desk"
        name    = "无名办公室"
        account = "nobody"

        [[person]]
        id      = "daemon-desk"
        name    = "Daemon desk"
        account = "daemon"

        [[role]]
        id      = "unit-a"
        name    = "Unit A"
        members = ["nobody-desk"]

        [[role]]
        id      = "unit-b"
        name    = "Unit B"
        members = ["daemon-desk"]
        """.write(toFile: dir + "/people.toml", atomically: true, encoding: .utf8)
        try """
        [defaults]
        timezone = "Asia/Shanghai"

        [[duty]]
        id          = "minute-tick"
        title       = "Every minute"
        responsible = ["unit-b"]
        recipients  = ["unit-b"]
        calendar    = "*:*:00"

        [[duty]]
        id          = "a-daily"
        title       = "Daily report of unit A"
        responsible = ["unit-a"]
        recipients  = ["unit-a"]
        calendar    = "*-*-* 09:00"
        ack         = true
        grace       = "1h"

        [[duty]]
        id          = "b-daily"
        title       = "Daily report of unit B"
        responsible = ["unit-b"]
        recipients  = ["unit-b"]
        calendar    = "*-*-* 10:00"
        ack         = true
        grace       = "1h"
        """.write(toFile: dir + "/duties.toml", atomically: true, encoding: .utf8)
    }

    /// Starts dutyd. `schedules` nil: the test schedules. `activate`: under `systemd-socket-activate` with the
    /// socket named `query` (the daemon starts at the first connection).
    init(
        schedules: [String]? = nil, clockStart: String = "2018-09-13T08:00:00+08:00", clockRate: Double = 1,
        extraArguments: [String] = [], activate: Bool = false, waitForSocket wait: Bool = true
    ) throws {
        directory = NSTemporaryDirectory() + "dutyd-server-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        socket = directory + "/query.sock"
        var scheduleDirs = schedules ?? []
        if schedules == nil {
            try Self.writeTestSchedules(to: directory + "/schedules")
            scheduleDirs = [directory + "/schedules"]
        }
        var arguments = scheduleDirs.flatMap { ["--schedules", $0] }
        arguments += [
            "--state-dir", directory + "/state", "--mail-spool", directory + "/mail", "--no-journal", "--no-mail",
            "--clock-start", clockStart, "--clock-rate", String(clockRate), "--log-level", "notice",
        ]
        if activate {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
            process.arguments = ["-l", socket, "--fdname=query", Self.productsDirectory + "/dutyd"] + arguments + ["--socket", directory + "/unused.sock"] + extraArguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.productsDirectory + "/dutyd")
            process.arguments = arguments + ["--socket", socket] + extraArguments
        }
        _ = FileManager.default.createFile(atPath: directory + "/stderr", contents: nil)
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stderr"))
        process.standardError = err
        process.standardOutput = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try err.close()
        if wait { try waitForSocket() }
    }

    deinit { stop() }

    /// Polls until the socket listens (the daemon's start-up takes a moment; there is no event to wait for). The
    /// file alone is not enough: it appears at bind(), a moment before listen(), and a connect() in between is
    /// refused (seen under `systemd-socket-activate` on a loaded machine).
    func waitForSocket() throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if Self.isListening(socket) { return }
            if !process.isRunning { throw HarnessError(message: "dutyd exited: \(stderr)") }
            usleep(50_000)
        }
        throw HarnessError(message: "no socket after 30s: \(stderr)")
    }

    /// Whether a Unix socket listens at `path`: its line in /proc/net/unix carries the listening flag
    /// (`__SO_ACCEPTCON`, 0x10000), without connecting (which would start a socket-activated daemon).
    static func isListening(_ path: String) -> Bool {
        // Read to the end: the file reports size 0 and comes a page per read(), and a busy test run has many
        // pages of sockets (reading it as a regular file saw only the first).
        guard let handle = FileHandle(forReadingAtPath: "/proc/net/unix") else { return false }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return false }
        let table = String(decoding: data, as: UTF8.self)
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count >= 8 && fields[3] == "00010000" && fields[7...].joined(separator: " ") == path
        }
    }

    struct HarnessError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    var stderr: String { (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? "" }
    var database: String { directory + "/state/dutyd.sqlite" }

    func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let dir = NSTemporaryDirectory() + "dutyd-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")
    }

    struct HTTPAnswer {
        /// 0 when curl could not connect or the connection was cut.
        var status: Int
        var body: String
        var curlExit: Int32
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    }

    /// `curl --unix-socket` as the given user (nil: root, the test's own user).
    func curl(_ method: String, _ path: String, as user: String? = nil, body: String? = nil, bodyFile: String? = nil) throws -> HTTPAnswer {
        var arguments = ["-s", "-S", "--max-time", "20", "-X", method, "--unix-socket", socket, "-w", "\n%{http_code}"]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        if let bodyFile { arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + bodyFile] }
        arguments.append("http://localhost" + path)
        let output = user.map { try? Self.run("/usr/sbin/runuser", ["-u", $0, "--", "/usr/bin/curl"] + arguments) }
            ?? (try? Self.run("/usr/bin/curl", arguments))
        guard let output else { throw HarnessError(message: "cannot run curl") }
        var lines = output.stdout.components(separatedBy: "\n")
        let code = Int(lines.popLast() ?? "") ?? 0
        return HTTPAnswer(status: code, body: lines.joined(separator: "\n"), curlExit: output.status)
    }

    func dutyctl(_ arguments: [String], as user: String? = nil) throws -> Output {
        let path = Self.productsDirectory + "/dutyctl"
        if let user { return try Self.run("/usr/sbin/runuser", ["-u", user, "--", "/usr/bin/env", "DUTYD_SOCKET=\(socket)", path] + arguments) }
        return try Self.run(path, arguments, environment: ["DUTYD_SOCKET": socket])
    }

    /// Runs SQL on the ledger with python3's sqlite3 module (an independent reader) and returns rows as text.
    func query(_ sql: String) throws -> [[String]] {
        let script = """
            import sqlite3, sys, json
            db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True, timeout=10)
            print(json.dumps([[str(v) for v in row] for row in db.execute(sys.argv[2])]))
            """
        let output = try Self.run("/usr/bin/env", ["python3", "-c", script, database, sql])
        guard output.status == 0 else { throw HarnessError(message: "python3: \(output.stderr)") }
        return (try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String]]) ?? []
    }
}
