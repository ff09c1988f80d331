import DutyCore
import Foundation
import Synchronization

/// A cache of the planner's notices over a window of some weeks around now, sorted by fire time, so that
/// `upcoming` on a large plan (55,166 monthly visit duties) is a binary search and a scan of plain numbers
/// instead of a walk over every duty. Beside the notices it keeps their fire times, duty positions and kind
/// codes in flat arrays: scanning them copies no strings (copying `Notice`s cost a reference-count operation per
/// string, which dominated). Rebuilt when the planner changes (reload) or a query leaves the window; queries
/// beyond it are answered from a window built for them alone.
final class UpcomingIndex: Sendable {
    struct Window: Sendable {
        var generation: Int
        var start: Date
        var end: Date
        var notices: [Notice]
        var fireAt: [Double]
        /// Position of the notice's duty in `schedules.duties`.
        var duty: [Int32]
        /// `ReminderKind.code`.
        var kind: [UInt8]
        /// Per kind code, how many notices of that kind precede each index (count + 1 entries): totals of
        /// unfiltered queries without a scan.
        var cumulative: [[Int32]]

        init(generation: Int, start: Date, end: Date, planner: Planner, positions: [String: Int32]) {
            self.generation = generation
            self.start = start
            self.end = end
            notices = planner.notices(after: start, through: end)
            fireAt = notices.map(\.fireAt.timeIntervalSince1970)
            duty = notices.map { positions[$0.dutyID] ?? -1 }
            kind = notices.map(\.kind.code)
            var cumulative = [[Int32]](repeating: [0], count: ReminderKind.allCases.count)
            for k in cumulative.indices { cumulative[k].reserveCapacity(notices.count + 1) }
            var running = [Int32](repeating: 0, count: ReminderKind.allCases.count)
            for code in kind {
                running[Int(code)] += 1
                for k in cumulative.indices { cumulative[k].append(running[k]) }
            }
            self.cumulative = cumulative
        }

        /// Notices of the kind in the range.
        func count(kind code: Int, in range: Range<Int>) -> Int {
            Int(cumulative[code][range.upperBound] - cumulative[code][range.lowerBound])
        }

        /// Indices of the notices in `(after, through]`.
        func range(after: Date, through: Date) -> Range<Int> {
            let lower = partition(after.timeIntervalSince1970)
            let upper = partition(through.timeIntervalSince1970)
            return lower..<max(lower, upper)
        }

        /// The first index whose fire time is after `t`.
        private func partition(_ t: Double) -> Int {
            var low = 0
            var high = fireAt.count
            while low < high {
                let mid = (low + high) / 2
                if fireAt[mid] > t { high = mid } else { low = mid + 1 }
            }
            return low
        }
    }

    /// How far before the query start and after it the cached window reaches.
    static let before: TimeInterval = 2 * 86_400
    static let after: TimeInterval = 46 * 86_400

    private let window = Mutex<Window?>(nil)
    /// Serialises rebuilds so concurrent queries do not all rebuild.
    private let building = Mutex(())
    /// Duty positions by id, and duty masks of person and role filters, per planner generation.
    private let lookups = Mutex<(generation: Int, positions: [String: Int32], masks: [String: [Bool]])>((-1, [:], [:]))

    /// A window holding `(after, through]` and the range of those notices in it.
    func notices(_ snapshot: PlannerSnapshot, after: Date, through: Date) -> (Window, Range<Int>) {
        if let hit = cached(snapshot.generation, after, through) { return hit }
        let positions = self.positions(snapshot)
        guard through.timeIntervalSince(after) <= Self.after else {
            let window = Window(generation: snapshot.generation, start: after, end: through, planner: snapshot.planner, positions: positions)
            return (window, window.range(after: after, through: through))
        }
        return building.withLock { _ in
            if let hit = cached(snapshot.generation, after, through) { return hit }
            let built = Window(
                generation: snapshot.generation, start: after.addingTimeInterval(-Self.before),
                end: after.addingTimeInterval(Self.after), planner: snapshot.planner, positions: positions)
            window.withLock { $0 = built }
            return (built, built.range(after: after, through: through))
        }
    }

    private func cached(_ generation: Int, _ after: Date, _ through: Date) -> (Window, Range<Int>)? {
        guard let current = window.withLock({ $0 }), current.generation == generation, current.start <= after,
            through <= current.end
        else { return nil }
        return (current, current.range(after: after, through: through))
    }

    /// Position of each duty id in `schedules.duties`.
    func positions(_ snapshot: PlannerSnapshot) -> [String: Int32] {
        if let hit = lookups.withLock({ $0.generation == snapshot.generation ? $0.positions : nil }) { return hit }
        var positions: [String: Int32] = [:]
        for (i, duty) in snapshot.planner.schedules.duties.enumerated() { positions[duty.id] = Int32(i) }
        lookups.withLock { $0 = (snapshot.generation, positions, [:]) }
        return positions
    }

    /// Which duties (by position) a person or role filter selects; nil without such a filter.
    func dutyMask(_ snapshot: PlannerSnapshot, person: String?, role: String?) -> [Bool]? {
        guard person != nil || role != nil else { return nil }
        let key = "\(person ?? "")\u{0}\(role ?? "")"
        _ = positions(snapshot)
        if let hit = lookups.withLock({ $0.generation == snapshot.generation ? $0.masks[key] : nil }) { return hit }
        let schedules = snapshot.planner.schedules
        let mask = schedules.duties.map { duty -> Bool in
            if let role, !(duty.recipients + duty.responsible).contains(role) { return false }
            if let person, !schedules.persons(for: duty.recipients + duty.responsible).contains(where: { $0.id == person }) {
                return false
            }
            return true
        }
        lookups.withLock {
            guard $0.generation == snapshot.generation else { return }
            if $0.masks.count > 256 { $0.masks.removeAll() }
            $0.masks[key] = mask
        }
        return mask
    }
}

extension ReminderKind {
    /// A small number per kind, for flat arrays.
    var code: UInt8 { UInt8(ReminderKind.allCases.firstIndex(of: self)!) }
}
