import DutyTestSupport
import Foundation
import Testing

@testable import DutyCore

@Suite struct AdvanceWarningExpansionTests {
    typealias S = WorkdayTestSupport

    /// Reference: every firing, then a full sort on (fireAt, occurrence, warningIndex).
    static func bruteForce(
        _ occurrences: [Date], _ warnings: [AdvanceWarning], _ zone: TimeZone, _ cal: WorkdayCalendar
    ) -> [AdvanceWarningFiring] {
        var all: [AdvanceWarningFiring] = []
        for o in occurrences {
            for (i, w) in warnings.enumerated() {
                all.append(AdvanceWarningFiring(
                    fireAt: w.warningInstant(for: o, in: zone, calendar: cal), occurrence: o, warning: w, warningIndex: i))
            }
        }
        return all.sorted { a, b in
            (a.fireAt, a.occurrence, a.warningIndex) < (b.fireAt, b.occurrence, b.warningIndex)
        }
    }

    @Test(arguments: ["Asia/Shanghai", "America/New_York", "Europe/Berlin"])
    func mergeEqualsSortedBruteForce(zoneID: String) throws {
        var rng = SeededRandom(seed: SeededRandom.seed("AdvanceWarning.expand.\(zoneID)"))
        let zone = TimeZone(identifier: zoneID)!
        let pool = ["3d", "1d", "2h", "30m", "1w", "1 workday", "2 workdays", "5wd", "25h", "2d"]
        for _ in 0..<30 {
            let cal = S.randomCalendar(&rng, years: 2025...2026)
            let warnings = try (0..<Int.random(in: 1...5, using: &rng)).map { _ in
                try AdvanceWarning(pool[Int.random(in: 0..<pool.count, using: &rng)])
            }
            // Occurrences at random minutes, dense (several per day, weekends included) and with duplicates.
            let start = Int(ISO8601DateFormatter().date(from: "2025-03-01T00:00:00Z")!.timeIntervalSince1970)
            var occurrences = (0..<Int.random(in: 1...400, using: &rng)).map { _ in
                Date(timeIntervalSince1970: Double(start + 60 * Int.random(in: 0..<(60 * 24 * 300), using: &rng)))
            }
            occurrences.append(contentsOf: occurrences.prefix(3))
            occurrences.sort()
            let merged = Array(expandWarnings(occurrences, warnings: warnings, timeZone: zone, calendar: cal))
            let expected = Self.bruteForce(occurrences, warnings, zone, cal)
            #expect(merged.count == expected.count)
            #expect(merged == expected)
        }
    }

    @Test func weekendOccurrencesWarnOnTheSameFridayInWallTimeOrder() throws {
        // Sat 10:00 and Sun 09:00 with "1 workday" both warn on Friday: Sun's warning (09:00) comes first.
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let cal = try WorkdayCalendar(id: "mon-fri", name: "Mon-Fri")
        let f = ISO8601DateFormatter()
        let sat = f.date(from: "2026-12-05T02:00:00Z")!  // Sat 10:00 +08
        let sun = f.date(from: "2026-12-06T01:00:00Z")!  // Sun 09:00 +08
        let w = try AdvanceWarning("1 workday")
        let out = Array(expandWarnings([sat, sun], warnings: [w], timeZone: zone, calendar: cal))
        #expect(out.map(\.occurrence) == [sun, sat])
        #expect(out.map(\.fireAt) == [f.date(from: "2026-12-04T01:00:00Z")!, f.date(from: "2026-12-04T02:00:00Z")!])
    }

    @Test func emptyInputsAndNoWarnings() throws {
        let zone = TimeZone(identifier: "UTC")!
        #expect(Array(expandWarnings([Date](), warnings: [try AdvanceWarning("1d")], timeZone: zone)).isEmpty)
        #expect(Array(expandWarnings([Date(timeIntervalSince1970: 0)], warnings: [], timeZone: zone)).isEmpty)
    }

    /// An endless daily sequence: the merge must yield without reading to the end, pulling only a bounded
    /// number of occurrences ahead.
    @Test func lazyOnAnUnboundedSequence() throws {
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let cal = try WorkdayCalendar(id: "mon-fri", name: "Mon-Fri")
        let pulled = WorkdayCounter()
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let endless = sequence(first: base) { d in
            pulled.value += 1
            return d.addingTimeInterval(86_400)
        }
        let warnings = try ["1w", "3 workdays", "2h"].map { try AdvanceWarning($0) }
        let first = Array(expandWarnings(endless, warnings: warnings, timeZone: zone, calendar: cal).prefix(3000))
        #expect(first.count == 3000)
        #expect(zip(first, first.dropFirst()).allSatisfy { $0.fireAt <= $1.fireAt })
        #expect(pulled.value < 1100, "pulled \(pulled.value) occurrences for 3000 firings of 3 warnings")
        // The prefix equals the brute force over enough occurrences.
        let finite = (0...(pulled.value + 20)).map { base.addingTimeInterval(86_400 * Double($0)) }
        #expect(first == Array(Self.bruteForce(finite, warnings, zone, cal).prefix(3000)))
    }

    @Test func throughputOnALargeInput() throws {
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        var rng = SeededRandom(seed: 7)
        let cal = S.randomCalendar(&rng, years: 2004...2026)
        let warnings = try ["3d", "1d", "2h", "2 workdays"].map { try AdvanceWarning($0) }
        let start = Date(timeIntervalSince1970: 1_100_000_000)
        let n = 20_000
        let occurrences = (0..<n).lazy.map { start.addingTimeInterval(Double($0) * 5_400) }
        let clock = ContinuousClock()
        var count = 0
        var last = Date.distantPast
        var ordered = true
        let elapsed = clock.measure {
            for firing in expandWarnings(occurrences, warnings: warnings, timeZone: zone, calendar: cal) {
                if firing.fireAt < last { ordered = false }
                last = firing.fireAt
                count += 1
            }
        }
        print("[AdvanceWarning.expand] \(count) firings from \(n) occurrences x \(warnings.count) warnings in \(elapsed)")
        #expect(count == n * warnings.count)
        #expect(ordered)
        // Speed is measured by the benchmarks (docs/benchmarks.md), not asserted here.
    }
}

final class WorkdayCounter: @unchecked Sendable {
    var value = 0
}
