import ArgumentParser
import DutyCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `dutyctl calendar`: normalize calendar expressions and show their next elapses, with output identical to
/// `systemd-analyze calendar` (systemd 252) for the same arguments and `$TZ`.
///
/// Exit status: 0 when every expression parsed (also when one never elapses), 1 otherwise. Parse errors are
/// reported like systemd-analyze does, followed by a compiler-style diagnostic pointing at the offending field.
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "Normalize calendar expressions (systemd.time(7)) and show when they elapse next.",
        discussion: """
            Output matches `systemd-analyze calendar`. The local zone comes from $TZ (or /etc/localtime). \
            Pass `--` before expressions that start with '-'.
            """
    )

    @Option(name: .customLong("iterations"), help: "Show this many elapses per expression.")
    var iterations: Int = 1

    @Option(name: .customLong("base-time"), help: "Compute elapses after this time (@EPOCH[.FRACTION]) instead of now.")
    var baseTime: String?

    @Flag(name: .customLong("no-from-now"), help: "Omit the 'From now:' lines (which depend on the real clock).")
    var noFromNow = false

    @Flag(
        name: .customLong("systemd-252-quirks"),
        help: ArgumentHelp("Reproduce systemd 252's next-elapse bugs (systemd#40260) byte for byte.", visibility: .hidden))
    var systemd252Quirks = false

    @Argument(help: "Calendar expressions.")
    var expressions: [String] = []

    func validate() throws {
        if iterations < 1 { throw ValidationError("--iterations must be at least 1") }
        if let baseTime, CalendarCommand.parseBaseTime(baseTime) == nil {
            throw ValidationError("Failed to parse --base-time= parameter: \(baseTime)")
        }
        if expressions.isEmpty { throw ValidationError("expected at least one calendar expression") }
    }

    func run() throws {
        var out = OutputBuffer(fd: 1)
        let code = CalendarRunner(
            iterations: iterations,
            base: baseTime.flatMap(CalendarCommand.parseBaseTime),
            fromNow: !noFromNow,
            systemd252Quirks: systemd252Quirks,
            environment: LocalZoneEnvironment.current()
        ).run(expressions, out: &out, err: { message in
            var e = OutputBuffer(fd: 2)
            e.append(message)
            e.flush()
        })
        out.flush()
        if code != 0 { throw ExitCode(code) }
    }

    /// `@SECONDS[.FRACTION]` or `YYYY-MM-DD HH:MM[:SS] UTC` -> microseconds since the epoch.
    static func parseBaseTime(_ text: String) -> Int64? {
        if text.hasSuffix(" UTC") {
            let parts = text.dropLast(4).split(separator: " ")
            guard parts.count == 2, let d = CivilDate(iso: parts[0]) else { return nil }
            let hms = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard hms.count == 2 || hms.count == 3, hms.allSatisfy({ $0 != nil }) else { return nil }
            let h = hms[0]!, m = hms[1]!, sec = hms.count == 3 ? hms[2]! : 0
            guard (0...23).contains(h), (0...59).contains(m), (0...59).contains(sec), d.year >= 1970 else { return nil }
            return (Int64(d.dayNumber) * 86400 + Int64(h * 3600 + m * 60 + sec)) * 1_000_000
        }
        guard text.hasPrefix("@") else { return nil }
        let body = text.dropFirst()
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let secText = parts.first, !secText.isEmpty, secText.allSatisfy(\.isASCIIDigit),
            let sec = Int64(secText), sec < 253_402_300_800
        else { return nil }
        var us: Int64 = 0
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.allSatisfy(\.isASCIIDigit) else { return nil }
            var digits = Array(frac.utf8.prefix(6))
            while digits.count < 6 { digits.append(0x30) }
            us = Int64(String(decoding: digits, as: UTF8.self)) ?? 0
        }
        return sec * 1_000_000 + us
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// The local zone as systemd-analyze sees it: `$TZ` (or /etc/localtime), with tzdata abbreviations read from the
/// zoneinfo file the way glibc does (Foundation on Linux only knows `GMT+1`-style names).
struct LocalZoneEnvironment {
    var timeZone: TimeZone
    /// The zoneinfo data; nil for UTC or when no file was found.
    var zoneinfo: ZoneinfoAbbreviations?
    /// libc `tzname[0]`, `tzname[1]`.
    var names: (standard: String, daylight: String) { zoneinfo?.localNames ?? ("UTC", "UTC") }
    /// libc `timezone == 0 && daylight == 0`: systemd then omits the `(in UTC):` lines.
    var isUTC: Bool { zoneinfo?.isUTC ?? true }

    static let utc = LocalZoneEnvironment(timeZone: TimeZone(identifier: "UTC")!, zoneinfo: nil)

    static func current() -> LocalZoneEnvironment {
        forTZ(ProcessInfo.processInfo.environment["TZ"])
    }

    /// The environment for a `$TZ` value (nil = unset: /etc/localtime).
    static func forTZ(_ tz: String?) -> LocalZoneEnvironment {
        let zoneinfoRoot = "/usr/share/zoneinfo/"
        let path: String
        var zone: TimeZone?
        if var name = tz {
            if name.hasPrefix(":") { name.removeFirst() }
            if name.isEmpty { return .utc }
            if name.hasPrefix("/") {
                path = name
                zone = name.hasPrefix(zoneinfoRoot) ? TimeZone(identifier: String(name.dropFirst(zoneinfoRoot.count))) : nil
            } else {
                path = zoneinfoRoot + name
                zone = TimeZone(identifier: name)
            }
        } else {
            path = "/etc/localtime"
            zone = TimeZone.current
        }
        guard let zone, let data = FileManager.default.contents(atPath: path),
            let info = ZoneinfoAbbreviations(tzif: Array(data))
        else { return .utc }
        return LocalZoneEnvironment(timeZone: zone, zoneinfo: info)
    }

    /// systemd's `timezone_is_valid`: a TZif file under /usr/share/zoneinfo.
    static func zoneinfoFileExists(_ name: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: "/usr/share/zoneinfo/" + name) else { return false }
        defer { try? h.close() }
        let magic = (try? h.read(upToCount: 4)) ?? Data()
        return magic == Data("TZif".utf8)
    }

    func abbreviation(at instant: Int64, offset: Int) -> String? {
        guard let zoneinfo else { return "UTC" }
        return zoneinfo.abbreviation(at: instant, offset: offset)
    }
}

enum LibcZone {
    static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

/// The formatting loop, separate from argument parsing so tests can drive it with a fixed environment.
struct CalendarRunner {
    var iterations: Int
    /// Microseconds since the epoch; nil = now.
    var base: Int64?
    var fromNow: Bool
    var systemd252Quirks = false
    var environment: LocalZoneEnvironment
    var now: () -> Int64 = LibcZone.nowMicroseconds

    static let labelWidth = 16

    func run(_ expressions: [String], out: inout OutputBuffer, err: (String) -> Void) -> Int32 {
        var status: Int32 = 0
        let baseTime = base ?? now()
        var display = ZonedTime(environment.timeZone)
        var names = environment.names
        for (index, text) in expressions.enumerated() {
            var lastLocal: Int64? = nil
            defer {
                // glibc rewrites tzname on every local conversion; systemd-analyze reads it when it parses the next
                // expression, so which abbreviations are recognized depends on the previous expression.
                if let t = lastLocal, let info = environment.zoneinfo { names = info.libcNames(afterConverting: t) }
            }
            if runOne(
                text, base: baseTime, names: names, lastLocal: &lastLocal, display: &display, out: &out,
                err: err)
            {
                // systemd-analyze flushes each table it prints (not the separator after it).
                out.flush()
            } else {
                status = 1
            }
            if index + 1 < expressions.count { out.append("\n") }
        }
        return status
    }

    /// `      Iter. #N: ` without string interpolation (hot path).
    private func iterationLabel(_ n: Int, _ out: inout OutputBuffer) {
        var digits = 1
        var x = n
        while x >= 10 {
            x /= 10
            digits += 1
        }
        let width = 7 + digits + 1
        if width < Self.labelWidth { out.appendSpaces(Self.labelWidth - width) }
        out.bytes.append(contentsOf: Self.iterPrefix)
        ZonedTime.appendPadded(n, 1, to: &out.bytes)
        out.bytes.append(UInt8(ascii: ":"))
        out.bytes.append(0x20)
    }

    static let iterPrefix = Array("Iter. #".utf8)
    static let utcSuffix = Array("UTC".utf8)

    private func label(_ text: String, _ out: inout OutputBuffer) {
        let n = text.utf8.count
        if n < Self.labelWidth { out.appendSpaces(Self.labelWidth - n) }
        out.append(text)
        out.append(" ")
    }

    /// `lastLocal` is set to the last instant libc would have converted in the local zone (see `run`).
    private func runOne(
        _ text: String, base: Int64, names: (standard: String, daylight: String), lastLocal: inout Int64?,
        display: inout ZonedTime, out: inout OutputBuffer, err: (String) -> Void
    ) -> Bool {
        let spec: CalendarSpec
        do {
            spec = try CalendarSpec(text, localZoneNames: names, zoneExists: LocalZoneEnvironment.zoneinfoFileExists)
        } catch {
            var message = "Failed to parse calendar specification '\(text)': \(error.systemdErrno.rawValue)\n"
            for hint in TimeHints.hints(for: text) { message += hint + "\n" }
            message += error.rendered(source: "calendar") + "\n"
            err(message)
            return false
        }
        // The table is printed only after all elapses are known (systemd builds it first), so an error
        // in between prints nothing but the error.
        var table = OutputBuffer(fd: -1)
        let normalized = spec.description
        if normalized != text {
            label("Original form:", &table)
            table.append(text)
            table.append("\n")
        }
        label("Normalized form:", &table)
        table.append(normalized)
        table.append("\n")

        var elapses = CalendarSpecElapses(spec, in: environment.timeZone, systemd252Quirks: systemd252Quirks)
        var n = base
        let realNow = fromNow ? now() : 0
        // Searches in another zone run in a child process in systemd: only local ones touch our libc state.
        let local = !spec.isUTC && spec.timeZoneIdentifier == nil
        for i in 0..<iterations {
            let result = elapses.next(afterMicroseconds: n)
            if local, let c = elapses.lastLocalConversion { lastLocal = c }
            switch result {
            case .never:
                if i == 0 {
                    label("Next elapse:", &table)
                    table.append("never\n")
                }
                out.append(table)
                return true
            case .iterationLimit:
                err(
                    "Infinite loop in calendar calculation: \(normalized)\n"
                        + "Failed to determine next elapse for '\(text)': Resource deadlock avoided\n")
                return false
            case .at(let next):
                lastLocal = next >= 0 ? next / 1_000_000 : (next - 999_999) / 1_000_000  // formatting it
                if i == 0 { label("Next elapse:", &table) } else { iterationLabel(i + 1, &table) }
                appendTimestamp(next, zone: &display, utc: false, to: &table)
                if !environment.isUTC {
                    label("(in UTC):", &table)
                    var z = ZonedTime.utc
                    appendTimestamp(next, zone: &z, utc: true, to: &table)
                }
                if fromNow {
                    label("From now:", &table)
                    table.append(Self.relative(next, now: realNow))
                    table.append("\n")
                }
                n = next
                if table.bytes.count > 1 << 16 {
                    out.append(table)
                    table.bytes.removeAll(keepingCapacity: true)
                    out.flushIfLarge()
                }
            }
        }
        out.append(table)
        return true
    }

    static let weekdays: [StaticString] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// `Www YYYY-MM-DD HH:MM:SS ZONE\n`.
    private func appendTimestamp(_ usec: Int64, zone: inout ZonedTime, utc: Bool, to out: inout OutputBuffer) {
        let sec = usec >= 0 ? usec / 1_000_000 : (usec - 999_999) / 1_000_000
        let localSec = zone.localSeconds(at: sec)
        let days = localSec >= 0 ? localSec / 86400 : (localSec - 86399) / 86400
        let wd = Int(((days % 7) + 7 + 3) % 7)
        Self.weekdays[wd].withUTF8Buffer { out.bytes.append(contentsOf: $0) }
        out.bytes.append(0x20)
        ZonedTime.appendDateTime(LocalDateTime(localSeconds: localSec), separator: 0x20, to: &out.bytes)
        out.bytes.append(0x20)
        if utc {
            out.bytes.append(contentsOf: Self.utcSuffix)
        } else {
            out.append(zone.abbreviation(at: sec, provider: environment.abbreviation(at:offset:)))
        }
        out.bytes.append(0x0A)
    }

    /// systemd 252 `format_timestamp_relative`.
    static func relative(_ t: Int64, now n: Int64) -> String {
        let usecPerSec: Int64 = 1_000_000
        let minute = 60 * usecPerSec
        let hour = 60 * minute
        let day = 24 * hour
        let week = 7 * day
        let month = 2_629_800 * usecPerSec
        let year = 31_557_600 * usecPerSec
        let (d, s) = t > n ? (t - n, "left") : (n - t, "ago")
        func pl(_ v: Int64, _ one: String, _ many: String) -> String { "\(v) \(v == 1 ? one : many)" }
        if d >= year {
            return "\(pl(d / year, "year", "years")) \(pl((d % year) / month, "month", "months")) \(s)"
        } else if d >= month {
            return "\(pl(d / month, "month", "months")) \(pl((d % month) / day, "day", "days")) \(s)"
        } else if d >= week {
            return "\(pl(d / week, "week", "weeks")) \(pl((d % week) / day, "day", "days")) \(s)"
        } else if d >= 2 * day {
            return "\(d / day) days \(s)"
        } else if d >= 25 * hour {
            return "1 day \((d - day) / hour)h \(s)"
        } else if d >= 6 * hour {
            return "\(d / hour)h \(s)"
        } else if d >= hour {
            return "\(d / hour)h \((d % hour) / minute)min \(s)"
        } else if d >= 5 * minute {
            return "\(d / minute)min \(s)"
        } else if d >= minute {
            return "\(d / minute)min \((d % minute) / usecPerSec)s \(s)"
        } else if d >= usecPerSec {
            return "\(d / usecPerSec)s \(s)"
        } else if d >= 1000 {
            return "\(d / 1000)ms \(s)"
        } else if d > 0 {
            return "\(d)us \(s)"
        }
        return "now"
    }
}

/// systemd-analyze's "Hint:" lines for inputs that are timespans or timestamps rather than calendar expressions.
enum TimeHints {
    static func hints(for text: String) -> [String] {
        var out: [String] = []
        if isTimestamp(text) {
            out.append("Hint: this expression is a valid timestamp. Use 'systemd-analyze timestamp \"\(text)\"' instead?")
        }
        if isTimespan(text) {
            out.append("Hint: this expression is a valid timespan. Use 'systemd-analyze timespan \"\(text)\"' instead?")
        }
        return out
    }

    static let units: Set<String> = [
        "seconds", "second", "sec", "s", "minutes", "minute", "min", "months", "month", "M", "msec", "ms", "m",
        "hours", "hour", "hr", "h", "days", "day", "d", "weeks", "week", "w", "years", "year", "y", "usec", "us",
        "μs", "µs", "nsec", "ns",
    ]

    /// A subset of systemd's `parse_time()`: numbers with optional units, or `infinity`.
    static func isTimespan(_ raw: String) -> Bool {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text == "infinity" { return true }
        var s = Substring(text)
        if s.isEmpty { return false }
        var any = false
        while !s.isEmpty {
            s = s.drop(while: { $0 == " " })
            if s.isEmpty { break }
            let num = s.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
            guard !num.isEmpty, num.first != ".", num.filter({ $0 == "." }).count <= 1 else { return false }
            s = s.dropFirst(num.count).drop(while: { $0 == " " })
            let unit = s.prefix(while: { $0.isLetter || $0 == "µ" || $0 == "μ" })
            if !unit.isEmpty {
                guard units.contains(String(unit)) else { return false }
                s = s.dropFirst(unit.count)
            }
            any = true
        }
        return any
    }

    /// A subset of systemd's `parse_timestamp()` for forms that are not calendar expressions.
    static func isTimestamp(_ text: String) -> Bool {
        if ["now", "today", "yesterday", "tomorrow"].contains(text) { return true }
        if text.hasPrefix("+") || text.hasPrefix("-") { return isTimespan(String(text.dropFirst())) }
        if text.hasSuffix(" ago") { return isTimespan(String(text.dropLast(4))) }
        if text.hasSuffix(" left") { return isTimespan(String(text.dropLast(5))) }
        return false
    }
}

/// A byte buffer written to a file descriptor in large chunks (no Foundation formatting on the hot path).
struct OutputBuffer {
    var bytes: [UInt8] = []
    let fd: Int32

    init(fd: Int32) {
        self.fd = fd
        bytes.reserveCapacity(1 << 16)
    }

    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ other: OutputBuffer) { bytes.append(contentsOf: other.bytes) }

    mutating func appendSpaces(_ n: Int) {
        for _ in 0..<n { bytes.append(0x20) }
    }

    mutating func flushIfLarge() { if bytes.count >= 1 << 16 { flush() } }

    mutating func flush() {
        guard fd >= 0, !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let r = write(fd, raw.baseAddress! + off, raw.count - off)
                if r < 0 {
                    if errno == EINTR { continue }
                    return
                }
                off += r
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
