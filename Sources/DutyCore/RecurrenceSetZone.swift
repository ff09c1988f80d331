import Foundation

/// Local wall time -> UTC for one time zone, with a cache of the current constant-offset day range.
/// Private to the recurrence engine (a shared zoned-time helper may replace it later).
struct RRuleZoneResolver: Sendable {
    let zone: TimeZone?  // nil: UTC
    private var cachedFirstDay = Int.max
    private var cachedLastDay = Int.min
    private var cachedOffset = 0

    init(zone: TimeZone?) {
        if let zone, zone.identifier != "UTC" && zone.identifier != "GMT" {
            self.zone = zone
        } else {
            self.zone = nil
        }
    }

    private func offset(at utc: Int) -> Int {
        zone!.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc)))
    }

    /// The UTC instant of a local wall time; nil when the local time does not exist (DST gap). A repeated local
    /// time resolves to its first instance.
    mutating func instant(local: Int) -> Int? {
        guard zone != nil else { return local }
        let day = local >= 0 ? local / 86400 : (local - 86399) / 86400
        if day >= cachedFirstDay && day <= cachedLastDay { return local - cachedOffset }
        let dayStart = day * 86400
        // Offsets well before and after the local day (offsets are within +-18 h).
        let from = dayStart - 18 * 3600
        let before = offset(at: from)
        let middle = offset(at: dayStart + 12 * 3600)
        let after = offset(at: dayStart + 86400 + 18 * 3600)
        if before == middle && middle == after {
            // Constant from `from` up to the next transition: cache every local day that ends before it.
            var lastDay = day
            let horizon = from + 400 * 86400
            let next = zone!.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: Double(from)))
            var end = next.map { Int($0.timeIntervalSince1970.rounded(.down)) } ?? horizon
            if end > horizon { end = horizon }
            // Trust the span only if the offset really is unchanged just before its end.
            if end > dayStart + 86400 && offset(at: end - 1) == before {
                let localEnd = end + before  // local times before this resolve inside the span
                lastDay = max(day, (localEnd >= 0 ? localEnd / 86400 : (localEnd - 86399) / 86400) - 1)
            }
            cachedFirstDay = day
            cachedLastDay = lastDay
            cachedOffset = before
            return local - before
        }
        return resolveNearTransition(local: local, candidates: [before, middle, after])
    }

    /// Like `instant(local:)` but a non-existent local time is read with the offset before the gap
    /// (RFC 5545 §3.3.5), as explicit DTSTART / RDATE / EXDATE values are.
    mutating func explicitInstant(local: Int) -> Int {
        if let t = instant(local: local) { return t }
        // In a gap the offset before the transition is the one in force just before it.
        let before = offset(at: local - offset(at: local) - 86400)
        return local - before
    }

    private func resolveNearTransition(local: Int, candidates: [Int]) -> Int? {
        var best: Int? = nil
        for o in Set(candidates) where offset(at: local - o) == o {
            let t = local - o
            if best == nil || t < best! { best = t }
        }
        return best
    }
}
