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

    /// `@SECONDS[.FRACTION]` -> microseconds since the epoch.
    static func parseBaseTime(_ text: String) -> Int64? {
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

/// What the process knows about its local zone, read once from libc (after `tzset()`).
struct LocalZoneEnvironment {
    var timeZone: TimeZone
    /// libc `tzname[0]`, `tzname[1]`.
    var names: (standard: String, daylight: String)
    /// libc `timezone == 0 && daylight == 0`: systemd then omits the `(in UTC):` lines.
    var isUTC: Bool
    /// Abbreviation of the local zone at an instant (libc `tm_zone`).
    var abbreviation: (Int64) -> String?

    static func current() -> LocalZoneEnvironment {
        tzset()
        let env = ProcessInfo.processInfo.environment["TZ"]
        var zone: TimeZone
        if let env {
            var name = env
            if name.hasPrefix(":") { name.removeFirst() }
            if name.isEmpty {
                zone = TimeZone(identifier: "UTC")!
            } else if name.hasPrefix("/") {
                let prefix = "/usr/share/zoneinfo/"
                zone = (name.hasPrefix(prefix) ? TimeZone(identifier: String(name.dropFirst(prefix.count))) : nil)
                    ?? TimeZone(identifier: "UTC")!
            } else {
                zone = TimeZone(identifier: name) ?? TimeZone(identifier: "UTC")!
            }
        } else {
            zone = TimeZone.current
        }
        let names = LibcZone.names()
        return LocalZoneEnvironment(
            timeZone: zone, names: names, isUTC: LibcZone.isUTC(),
            abbreviation: { t in LibcZone.abbreviation(at: t) })
    }
}

/// Thin wrappers over libc's zone state (the CLI, unlike DutyCore, may read it).
enum LibcZone {
    static func names() -> (standard: String, daylight: String) {
        // tzname is not visible as a Swift global under strict concurrency; read it through localtime_r's view:
        // glibc fills tzname from the zone file, which localtime_r exposes per instant. Probe winter and summer of
        // a late year, then fall back to the other name.
        var std: String? = nil
        var dst: String? = nil
        for t in stride(from: 2_114_380_800 /* 2037-01-01 */, to: 0, by: -86400 * 91) {
            var tt = time_t(t)
            var tm = tm()
            guard localtime_r(&tt, &tm) != nil, let z = tm.tm_zone else { continue }
            let name = String(cString: z)
            if tm.tm_isdst > 0 { if dst == nil { dst = name } } else if std == nil { std = name }
            if std != nil && dst != nil { break }
        }
        let s = std ?? dst ?? "UTC"
        return (s, dst ?? s)
    }

    static func isUTC() -> Bool {
        // timezone == 0 && daylight == 0: no offset ever, no DST ever.
        var sawOffset = false
        for t in stride(from: 2_114_380_800, to: 0, by: -86400 * 30) {
            var tt = time_t(t)
            var tm = tm()
            guard localtime_r(&tt, &tm) != nil else { continue }
            if tm.tm_isdst > 0 { return false }
            if t > 1_000_000_000 && tm.tm_gmtoff != 0 { sawOffset = true }
        }
        return !sawOffset
    }

    static func abbreviation(at t: Int64) -> String? {
        var tt = time_t(t)
        var tm = tm()
        guard localtime_r(&tt, &tm) != nil, let z = tm.tm_zone else { return nil }
        return String(cString: z)
    }

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
        var zones: [String: ZonedTime] = [:]
        for (index, text) in expressions.enumerated() {
            if !runOne(text, base: baseTime, display: &display, zones: &zones, out: &out, err: err) { status = 1 }
            if index + 1 < expressions.count { out.append("\n") }
        }
        return status
    }

    private func label(_ text: String, _ out: inout OutputBuffer) {
        let n = text.utf8.count
        if n < Self.labelWidth { out.appendSpaces(Self.labelWidth - n) }
        out.append(text)
        out.append(" ")
    }

    private func runOne(
        _ text: String, base: Int64, display: inout ZonedTime, zones: inout [String: ZonedTime],
        out: inout OutputBuffer, err: (String) -> Void
    ) -> Bool {
        let spec: CalendarSpec
        do {
            spec = try CalendarSpec(text, localZoneNames: environment.names)
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

        let evalZone = spec.evaluationZone(default: environment.timeZone)
        let key = evalZone.identifier
        var zone = zones[key] ?? ZonedTime(evalZone)
        defer { zones[key] = zone }
        var n = base
        let realNow = fromNow ? now() : 0
        for i in 0..<iterations {
            switch spec.nextElapse(afterMicroseconds: n, zone: &zone, systemd252Quirks: systemd252Quirks) {
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
                if i == 0 { label("Next elapse:", &table) } else { label("Iter. #\(i + 1):", &table) }
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
        let local = zone.localDateTime(at: sec)
        let wd = Self.weekdays[local.date.weekday.mondayBasedIndex]
        wd.withUTF8Buffer { out.bytes.append(contentsOf: $0) }
        out.bytes.append(0x20)
        ZonedTime.appendDateTime(local, separator: 0x20, to: &out.bytes)
        out.bytes.append(0x20)
        if utc {
            out.append("UTC")
        } else {
            out.append(zone.abbreviation(at: sec, provider: environment.abbreviation))
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
