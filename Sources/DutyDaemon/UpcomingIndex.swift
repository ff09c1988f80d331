import DutyCore
import Foundation
import Synchronization

/// A cache of the planner's notices over a window of some weeks around now, sorted by fire time, so that
/// `upcoming` on a large plan (55,166 monthly visit duties) is a binary search and a filter instead of a walk
/// over every duty. Rebuilt when the planner changes (reload) or a query leaves the window; queries beyond it
/// are answered from the planner directly.
final class UpcomingIndex: Sendable {
    struct Window: Sendable {
        var generation: Int
        var start: Date
        var end: Date
        var notices: [Notice]
    }

    /// How far before the query start and after it the cached window reaches.
    static let before: TimeInterval = 2 * 86_400
    static let after: TimeInterval = 46 * 86_400

    private let window = Mutex<Window?>(nil)
    /// Serialises rebuilds so concurrent queries do not all rebuild.
    private let building = Mutex(())
    /// Duty-id sets of person and role filters, per planner generation.
    private let filters = Mutex<(generation: Int, sets: [String: Set<String>])>((-1, [:]))

    /// The notices in `(after, through]`, sorted by fire time.
    func notices(_ snapshot: PlannerSnapshot, after: Date, through: Date) -> ArraySlice<Notice> {
        if let slice = cached(snapshot.generation, after, through) { return slice }
        guard through.timeIntervalSince(after) <= Self.after else {
            return ArraySlice(snapshot.planner.notices(after: after, through: through))
        }
        return building.withLock { _ in
            if let slice = cached(snapshot.generation, after, through) { return slice }
            let start = after.addingTimeInterval(-Self.before)
            let end = after.addingTimeInterval(Self.after)
            let built = Window(
                generation: snapshot.generation, start: start, end: end,
                notices: snapshot.planner.notices(after: start, through: end))
            window.withLock { $0 = built }
            return Self.slice(built.notices, after, through)
        }
    }

    private func cached(_ generation: Int, _ after: Date, _ through: Date) -> ArraySlice<Notice>? {
        guard let current = window.withLock({ $0 }), current.generation == generation, current.start <= after,
            through <= current.end
        else { return nil }
        return Self.slice(current.notices, after, through)
    }

    static func slice(_ notices: [Notice], _ after: Date, _ through: Date) -> ArraySlice<Notice> {
        let lower = partition(notices) { $0.fireAt > after }
        let upper = partition(notices) { $0.fireAt > through }
        return notices[lower..<max(lower, upper)]
    }

    /// The first index whose element satisfies `predicate` (which is false, then true, along the array).
    static func partition(_ notices: [Notice], _ predicate: (Notice) -> Bool) -> Int {
        var low = 0
        var high = notices.count
        while low < high {
            let mid = (low + high) / 2
            if predicate(notices[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// The ids of the duties a person or role filter selects (cached per planner generation).
    func dutyIDs(_ snapshot: PlannerSnapshot, person: String?, role: String?) -> Set<String>? {
        guard person != nil || role != nil else { return nil }
        let key = "\(person ?? "")\u{0}\(role ?? "")"
        if let hit = filters.withLock({ $0.generation == snapshot.generation ? $0.sets[key] : nil }) { return hit }
        let schedules = snapshot.planner.schedules
        var ids = Set<String>()
        for duty in schedules.duties {
            if let role, !(duty.recipients + duty.responsible).contains(role) { continue }
            if let person, !schedules.persons(for: duty.recipients + duty.responsible).contains(where: { $0.id == person }) {
                continue
            }
            ids.insert(duty.id)
        }
        filters.withLock {
            if $0.generation != snapshot.generation || $0.sets.count > 256 { $0 = (snapshot.generation, [:]) }
            $0.sets[key] = ids
        }
        return ids
    }
}
