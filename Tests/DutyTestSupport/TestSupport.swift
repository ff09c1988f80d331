import Foundation

/// Paths and subprocess helpers shared by the CLI tests.
public enum TestSupport {
    /// The package root (three levels above this file: Tests/DutyTestSupport/TestSupport.swift).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var shippedSchedules: String { packageRoot + "/Schedules" }

    /// The directory holding the built products (the test bundle sits next to `dutyctl` and `dutyd`).
    public static let productsDirectory: String = {
        if let override = ProcessInfo.processInfo.environment["DUTYD_PRODUCTS_DIR"] { return override }
        var candidate = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("dutyctl").path) {
                return candidate.path
            }
            candidate.deleteLastPathComponent()
        }
        return packageRoot + "/.build/debug"
    }()

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a program to completion with its output captured (through files, so large outputs cannot block).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let dir = NSTemporaryDirectory() + "dutyd-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(Data(stdin.utf8))
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")
    }

    public static func dutyctl(_ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        try run(productsDirectory + "/dutyctl", arguments, environment: environment)
    }

    public static func python(_ script: String, _ arguments: [String] = [], stdin: String? = nil) throws -> Output {
        try run("/usr/bin/env", ["python3", "-c", script] + arguments, stdin: stdin)
    }

    public static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "dutyd-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
