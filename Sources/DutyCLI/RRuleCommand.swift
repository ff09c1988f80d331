import ArgumentParser
import DutyCore
import Foundation

/// `dutyctl rrule [--count=N] [--after=ISO8601] RULE`: expands an RFC 5545 recurrence set and prints one
/// occurrence per line in ISO 8601 with the UTC offset of the start's zone (`2018-09-17T09:00:00+08:00`;
/// UTC and floating values print `+00:00`, as Python's `isoformat()` does).
///
/// RULE is iCalendar text (`DTSTART;TZID=Europe/Berlin:20180917T090000`, `RRULE:...`, `RDATE...`, `EXDATE...`),
/// lines separated by real newlines or a literal `\n`. Exit status: 0 on success, 1 when RULE cannot be read
/// (the message and a caret under the offending part go to standard error).
struct RRuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rrule",
        abstract: "Expand an RFC 5545 recurrence (DTSTART + RRULE/RDATE/EXDATE) and print the occurrences.",
        discussion: """
            RULE example: 'DTSTART;TZID=Europe/Berlin:20180917T090000\\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO'.
            Non-existent local times (DST gap) are skipped and not counted (RFC 5545); a repeated local time is
            used once (its first instance). Floating times, and an --after without an offset, are read in UTC
            unless --floating-zone is given.
            """
    )

    static let defaultCount = 10

    @Option(name: .long, help: "Number of occurrences to print (default \(RRuleCommand.defaultCount)).")
    var count: Int = RRuleCommand.defaultCount

    @Option(
        name: .long,
        help: "Only occurrences strictly after this ISO 8601 date or date-time (without an offset: in the floating zone).")
    var after: String?

    @Option(name: .long, help: "Time zone for floating DTSTART/RDATE/EXDATE values (default UTC).")
    var floatingZone: String?

    @Argument(help: "iCalendar recurrence text; lines separated by newlines or a literal \\n.")
    var rule: String

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
        if let after {
            do {
                _ = try ISO8601Time(after)
            } catch {
                throw ValidationError(
                    "--after must be an ISO 8601 date-time like 2026-12-01T00:00:00Z: \(error.message) (column \(error.column))")
            }
        }
        if let floatingZone, TimeZone(identifier: floatingZone) == nil {
            throw ValidationError("unknown time zone '\(floatingZone)'")
        }
    }

    func run() throws {
        do {
            let bytes = try outputBytes()
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(1, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        } catch {
            FileHandle.standardError.write(Data((error.rendered + "\n").utf8))
            throw ExitStatus.failure.exitCode
        }
    }

    /// The text `run()` prints, or the error it reports.
    func output() throws(RecurrenceRuleError) -> String {
        String(decoding: try outputBytes(), as: UTF8.self)
    }

    func outputBytes() throws(RecurrenceRuleError) -> [UInt8] {
        let text = rule.replacingOccurrences(of: "\\n", with: "\n")
        let floating = floatingZone.flatMap(TimeZone.init(identifier:)) ?? RecurrenceSet.utc
        let set = try RecurrenceSet(icalendar: text, floatingTimeZone: floating)
        let limit = count  // read the property wrapper once, not per line
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, 1_000_000) * 26)
        var formatter = RRuleOffsetFormatter(zone: set.timeZone)
        var printed = 0
        // The one rule of ISO8601Time: a bare date or local time is read in the zone the caller states, here the
        // floating zone (UTC by default, as before).
        let start = after.flatMap { try? ISO8601Time($0) }?.instant(defaultZone: floating)
        for date in set.occurrences(after: start) {
            guard printed < limit else { break }
            formatter.append(date, to: &out)
            out.append(UInt8(ascii: "\n"))
            printed += 1
        }
        return out
    }
}

/// ISO 8601 with offset, without Foundation's formatters (fast for 100,000 lines); caches the zone offset.
struct RRuleOffsetFormatter {
    let zone: TimeZone
    private var lastTransitionFree: ClosedRange<Int>? = nil
    private var cachedOffset = 0

    init(zone: TimeZone) { self.zone = zone }

    mutating func append(_ date: Date, to out: inout [UInt8]) {
        let t = Int(date.timeIntervalSince1970.rounded(.down))
        let offset: Int
        if let r = lastTransitionFree, r.contains(t) {
            offset = cachedOffset
        } else {
            offset = zone.secondsFromGMT(for: date)
            // Reuse the offset up to the next transition (checked just before it, and at most 400 days).
            let horizon = t + 400 * 86400
            let next = zone.nextDaylightSavingTimeTransition(after: date)
            var end = next.map { Int($0.timeIntervalSince1970.rounded(.down)) } ?? horizon
            if end > horizon { end = horizon }
            if end > t, zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(end - 1))) == offset {
                lastTransitionFree = t...(end - 1)
                cachedOffset = offset
            } else {
                lastTransitionFree = nil
            }
        }
        let local = t + offset
        let day = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let sod = local - day * 86400
        let d = CivilDate(dayNumber: day)
        let a = abs(offset)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 25) { buf in
            func two(_ at: Int, _ v: Int) {
                buf[at] = UInt8(truncatingIfNeeded: 48 + v / 10)
                buf[at + 1] = UInt8(truncatingIfNeeded: 48 + v % 10)
            }
            two(0, d.year / 100 % 100)
            two(2, d.year % 100)
            buf[4] = UInt8(ascii: "-")
            two(5, d.month)
            buf[7] = UInt8(ascii: "-")
            two(8, d.day)
            buf[10] = UInt8(ascii: "T")
            two(11, sod / 3600)
            buf[13] = UInt8(ascii: ":")
            two(14, sod / 60 % 60)
            buf[16] = UInt8(ascii: ":")
            two(17, sod % 60)
            buf[19] = UInt8(ascii: offset < 0 ? "-" : "+")
            two(20, a / 3600)
            buf[22] = UInt8(ascii: ":")
            two(23, a / 60 % 60)
            out.append(contentsOf: UnsafeBufferPointer(buf))
        }
    }
}
