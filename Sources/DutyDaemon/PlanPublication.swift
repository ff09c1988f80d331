import DutyCore
import Synchronization

/// The planner in effect, as the scheduler's loop last published it, with a counter that changes whenever it is
/// replaced (caches key on it), and the schedules from the files without the duties events created.
struct PlannerSnapshot: Sendable {
    var generation: Int
    var planner: Planner
    var base: ScheduleSet
}

/// Where the scheduler's loop publishes its planner for readers on other tasks (the query socket, the trigger
/// engine). Only the loop writes; a reader gets an immutable snapshot.
final class PlanPublication: Sendable {
    private let state: Mutex<PlannerSnapshot>

    init(schedules: ScheduleSet) {
        state = Mutex(PlannerSnapshot(generation: 0, planner: Planner(schedules: schedules), base: schedules))
    }

    var current: PlannerSnapshot { state.withLock { $0 } }

    func publish(planner: Planner, base: ScheduleSet) {
        state.withLock { $0 = PlannerSnapshot(generation: $0.generation + 1, planner: planner, base: base) }
    }
}
