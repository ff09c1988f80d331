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

    @OptionGroup var limits: ScheduleLimitOptions

    var effectiveDirectories: [String] {
        directories.isEmpty ? ScheduleLoader.installedDirectories() : directories
    }

    /// Loads the schedules; prints the diagnostics to stderr and exits 1 when any is an error.
    func load(quietWarnings: Bool = false) throws -> ScheduleSet {
        let result = ScheduleLoader(directories: effectiveDirectories, limits: limits.limits).load()
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

/// `--max-roster-size SIZE`: the loader's bound on a template's roster, as dutyd takes it.
struct ScheduleLimitOptions: ParsableArguments {
    @Option(
        name: .customLong("max-roster-size"),
        help: ArgumentHelp("Largest roster CSV a template may read (bytes, or with K, M, G; dutyd's default).", valueName: "size"))
    var maxRosterSize = "64M"

    func validate() throws {
        guard ScheduleLoader.Limits.byteCount(maxRosterSize) != nil else {
            throw ValidationError("--max-roster-size must be a size like 64M or 268435456")
        }
    }

    var limits: ScheduleLoader.Limits {
        var limits = ScheduleLoader.Limits()
        limits.maxRosterBytes = ScheduleLoader.Limits.byteCount(maxRosterSize) ?? limits.maxRosterBytes
        return limits
    }
}
