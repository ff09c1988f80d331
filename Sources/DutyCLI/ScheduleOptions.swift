import ArgumentParser
import DutyCore
import DutySchedules
import Foundation

/// `--schedules DIR` (repeatable): the schedule directories, in increasing precedence. Without it, the installed
/// layering (vendor, then admin directory) is used.
struct ScheduleOptions: ParsableArguments {
    @Option(
        name: .customLong("schedules"),
        help: ArgumentHelp(
            "A schedule directory (repeatable; later ones override same-named files).",
            discussion: "Default: \(ScheduleLoader.vendorDirectory) then \(ScheduleLoader.adminDirectory).",
            valueName: "dir"))
    var directories: [String] = []

    var effectiveDirectories: [String] {
        directories.isEmpty ? ScheduleLoader.installedDirectories() : directories
    }

    /// Loads the schedules; prints the diagnostics to stderr and exits 1 when any is an error.
    func load(quietWarnings: Bool = false) throws -> ScheduleSet {
        let result = ScheduleLoader(directories: effectiveDirectories).load()
        if !quietWarnings {
            for diagnostic in result.diagnostics { Terminal.standardError.write(diagnostic.description + "\n") }
        } else {
            for diagnostic in result.errors { Terminal.standardError.write(diagnostic.description + "\n") }
        }
        guard let set = result.schedules else {
            Terminal.standardError.write(
                "dutyctl: \(result.errors.count) error(s) in \(effectiveDirectories.joined(separator: ", "))\n")
            throw ExitStatus.failure.exitCode
        }
        if result.files.isEmpty {
            Terminal.standardError.write(
                "dutyctl: no schedule files in \(effectiveDirectories.joined(separator: ", "))\n")
            throw ExitStatus.failure.exitCode
        }
        return set
    }
}

/// Unbuffered stderr and a buffered stdout that writes UTF-8 without Foundation formatting.
enum Terminal {
    struct Stream {
        let fd: Int32
        func write(_ text: String) {
            var text = text
            text.withUTF8 { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n <= 0 { return }
                    offset += n
                }
            }
        }
    }

    static let standardError = Stream(fd: 2)
    static let standardOutput = Stream(fd: 1)
}
