import DutyCore
import DutyTOML
import Foundation

/// Loads and validates schedule directories into a `ScheduleSet`, the one loader the daemon, the CLI and the
/// socket share.
///
/// Layering follows systemd's drop-in rules: directories are given in increasing precedence (vendor, admin, then
/// extra directories from the command line); a file of the same relative name in a later directory replaces the
/// earlier one entirely. Every problem is reported at once, each with `file:line:column`.
public struct ScheduleLoader: Sendable {
    /// Where a package installs the shipped plan.
    public static let vendorDirectory = "/usr/share/dutyd/schedules"
    /// Where an administrator overrides or adds files.
    public static let adminDirectory = "/etc/dutyd/schedules.d"

    /// Limits on user-controlled sizes (systemd CODING_STYLE: enforce limits on every user-controllable resource).
    public struct Limits: Sendable {
        public var maxFileBytes = 4 << 20
        public var maxFiles = 1000
        public var maxRosterBytes = 64 << 20
        /// As many rows as a plan may hold duties: a province of 551,660 households fits.
        public var maxRosterRows = 1_000_000
        public var maxDuties = 1_000_000
        public var maxStringBytes = 64 << 10

        public init() {}

        /// A byte count as the `--max-roster-size` options take it: digits with an optional binary suffix
        /// `K`, `M`, `G` (1024-based, as systemd's `MemoryMax=`). Nil for anything else, zero or over 1 TiB.
        public static func byteCount(_ text: String) -> Int? {
            var digits = Substring(text.trimmingCharacters(in: .whitespaces))
            var scale = 1
            if let last = digits.last, let shift = ["K": 10, "M": 20, "G": 30][last.uppercased()] {
                scale = 1 << shift
                digits = digits.dropLast()
            }
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), digits.count <= 13,
                let value = Int(digits), value > 0, value <= (1 << 40) / scale
            else { return nil }
            return value * scale
        }
    }

    public var directories: [String]
    public var limits: Limits
    /// Years of workday data a duty's horizon may need before a "calendar data runs out" warning.
    public var referenceYear: Int?
    /// The plan's zone when no file sets `[defaults] timezone` (see `ScheduleSet.timeZone`): the host's by default,
    /// as for systemd's `OnCalendar=`.
    public var hostTimeZone: TimeZone

    public init(
        directories: [String], limits: Limits = Limits(), referenceYear: Int? = nil, hostTimeZone: TimeZone = .current
    ) {
        self.directories = directories
        self.limits = limits
        self.referenceYear = referenceYear
        self.hostTimeZone = hostTimeZone
    }

    /// The installed layering: vendor directory, then admin directory (missing ones are skipped).
    public static func installedDirectories() -> [String] {
        [vendorDirectory, adminDirectory]
    }

    /// The outcome of a load: the set (nil when there were errors) and every diagnostic, sorted by position.
    public struct Result: Sendable {
        public var schedules: ScheduleSet?
        public var diagnostics: [ScheduleDiagnostic]
        public var files: [String]

        public var errors: [ScheduleDiagnostic] { diagnostics.filter { $0.severity == .error } }
        public var warnings: [ScheduleDiagnostic] { diagnostics.filter { $0.severity == .warning } }
    }

    /// Loads, returning the set or throwing every diagnostic when any is an error.
    public func loadOrThrow() throws -> (ScheduleSet, [ScheduleDiagnostic]) {
        let result = load()
        guard let set = result.schedules, result.errors.isEmpty else {
            throw ScheduleLoadError(diagnostics: result.diagnostics)
        }
        return (set, result.diagnostics)
    }

    public func load() -> Result {
        let sink = DiagnosticSink()
        let files = collectFiles(sink: sink)
        var documents: [Document] = []
        for file in files {
            if let document = parse(file: file, sink: sink) { documents.append(document) }
        }
        var builder = ScheduleBuilder(sink: sink, limits: limits, hostTimeZone: hostTimeZone)
        builder.build(documents)
        let diagnostics = sink.diagnostics.sorted { a, b in
            (a.location.file, a.location.line, a.location.column) < (b.location.file, b.location.line, b.location.column)
        }
        var set = builder.result()
        set?.sources = directories
        return Result(
            schedules: sink.hasErrors ? nil : set, diagnostics: diagnostics, files: files.map(\.path))
    }

    // MARK: - Files

    struct FileRef: Sendable {
        var relative: String
        var path: String
    }

    /// The `*.toml` files of every directory (and of its `calendars/` sub-directory), later directories replacing
    /// same-named files of earlier ones.
    func collectFiles(sink: DiagnosticSink) -> [FileRef] {
        var byName: [String: FileRef] = [:]
        let fm = FileManager.default
        for directory in directories {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: directory, isDirectory: &isDirectory) else { continue }
            guard isDirectory.boolValue else {
                sink.error("not a directory", at: SourceLocation(file: directory))
                continue
            }
            for sub in ["", "calendars/"] {
                let dir = sub.isEmpty ? directory : (directory as NSString).appendingPathComponent(sub)
                guard let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
                for name in names.sorted() where name.hasSuffix(".toml") && !name.hasPrefix(".") {
                    let relative = sub + name
                    byName[relative] = FileRef(relative: relative, path: (dir as NSString).appendingPathComponent(name))
                }
            }
        }
        var files = byName.values.sorted { $0.relative < $1.relative }
        if files.count > limits.maxFiles {
            sink.error(
                "too many schedule files (\(files.count), at most \(limits.maxFiles))",
                at: SourceLocation(file: directories.last ?? "."))
            files = Array(files.prefix(limits.maxFiles))
        }
        return files
    }

    /// One parsed file: its top-level tables as plain nodes and a locator for positions.
    struct Document {
        var file: String
        var directory: String
        var root: [String: Node]
        var locator: SourceLocator
    }

    func parse(file: FileRef, sink: DiagnosticSink) -> Document? {
        let location = SourceLocation(file: file.path)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
            let size = attributes[.size] as? Int
        else {
            sink.error("cannot read the file", at: location)
            return nil
        }
        guard size <= limits.maxFileBytes else {
            sink.error("file too large (\(size) bytes, at most \(limits.maxFileBytes))", at: location)
            return nil
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            sink.error("cannot read the file", at: location)
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            sink.error("the file is not valid UTF-8", at: location)
            return nil
        }
        let root: [String: TOMLValue]
        do {
            root = try TOMLDocument.parse(text)
        } catch {
            sink.error(
                "syntax error: \(error.message)", at: SourceLocation(file: file.path, line: error.line, column: error.column))
            return nil
        }
        return Document(
            file: file.path, directory: (file.path as NSString).deletingLastPathComponent, root: root.mapValues(Node.init),
            locator: SourceLocator(text: text))
    }
}
