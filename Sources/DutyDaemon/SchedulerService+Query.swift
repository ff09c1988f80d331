import DutyCore
import Foundation

/// The planner in effect, with a counter that changes whenever a reload replaces it (caches key on it).
struct PlannerSnapshot: Sendable {
    var generation: Int
    var planner: Planner
}

/// What a reload did, as the query socket reports it.
struct ReloadOutcome: Sendable {
    var ok: Bool
    var duties: Int
    var errors: [String]
}

extension SchedulerService {
    /// The planner in effect (thread-safe).
    var currentPlanner: PlannerSnapshot { plannerSnapshot.withLock { $0 } }

    /// Reloads the schedules on the scheduler's own loop and returns once the result is in effect.
    func reloadAndReport() async -> ReloadOutcome {
        await withCheckedContinuation { continuation in
            enqueueReload { continuation.resume(returning: $0) }
        }
    }

    func reloadOutcome() -> ReloadOutcome {
        let s = status.snapshot
        return ReloadOutcome(ok: s.lastReloadOK, duties: currentPlanner.planner.schedules.duties.count, errors: s.lastReloadErrors)
    }
}
