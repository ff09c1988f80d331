import Foundation

/// The scheduler's decisions as a pure state machine: the daemon feeds it the current time and performs the
/// actions it returns (deliver, record as missed, persist the horizon, sleep). No clock reads, no I/O.
///
/// The *horizon* is the instant up to which every notice has been handed out. A tick at `now` hands out the
/// notices in `(horizon, now]` and moves the horizon to `now`:
/// - after downtime or a forward clock jump, what was skipped fires once (systemd `Persistent=true`); notices
///   older than `catchUpWindow` are recorded as missed instead of delivered;
/// - after a backward jump (`now < horizon`) the horizon is pulled back to `now`: notices between the two instants
///   will be handed out again when the clock passes them, and the delivery ledger, keyed by reminder, refuses
///   the second delivery, so nothing fires twice;
/// - a stored horizon from the future is distrusted at start in the same way.
public struct SchedulerStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        /// Deliver these notices (each still subject to the ledger and, for overdue ones, to acknowledgements).
        case fire([Notice])
        /// Record these notices as missed: they fell due longer ago than the catch-up window.
        case recordMissed([Notice])
        /// Persist the horizon (so that a restart neither repeats nor loses anything).
        case persistHorizon(Date)
        /// Sleep until this instant, or until a reload or a clock change; nil means nothing is due ever again
        /// within the look-ahead.
        case sleep(until: Date?)
    }

    public private(set) var planner: Planner
    public private(set) var horizon: Date
    /// Notices older than this at the time they are found are recorded as missed, not delivered.
    public var catchUpWindow: TimeInterval
    /// How far ahead the next fire time is searched.
    public var lookahead: TimeInterval = 400 * 86_400
    /// At most this much time is planned per tick, so a long catch-up works in bounded steps.
    public var maximumStep: TimeInterval = 7 * 86_400

    /// The next notices, covering `(horizon, bufferEnd]`.
    private var buffer: [Notice] = []
    private var bufferEnd: Date
    /// How far past the next fire time the buffer is filled. It adapts to the density of the schedules: it starts
    /// at a minute, doubles up to a day while a refill yields few notices and halves while it yields many, so a
    /// plan of monthly duties is planned a day at a time and one with a duty every 2 seconds does not plan
    /// 180,000 notices before its first sleep (docs/reliability.md, finding 5). Every time the buffer runs dry
    /// the next fire time is searched again, over every duty; with an hour as the upper bound the 55,296 duties of
    /// the full roster were searched once per simulated hour, most of the scheduler's time on a fast clock
    /// (finding 19).
    private var span: TimeInterval = 60
    static let spanRange: ClosedRange<TimeInterval> = 1...86_400
    static let comfortableBuffer = 1_000...10_000

    /// - Parameters:
    ///   - storedHorizon: the horizon persisted by the previous run, if any. Nil (first start) or a value after
    ///     `now` (distrusted) start at `now`: nothing from before the first start is delivered.
    public init(planner: Planner, storedHorizon: Date?, now: Date, catchUpWindow: TimeInterval = 86_400) {
        self.planner = planner
        if let storedHorizon, storedHorizon <= now {
            horizon = storedHorizon
        } else {
            horizon = now
        }
        bufferEnd = horizon
        self.catchUpWindow = catchUpWindow
    }

    /// The fire time of the next notice after the horizon (within the look-ahead), if any.
    public mutating func nextFireTime() -> Date? {
        if let first = buffer.first { return first.fireAt }
        let limit = horizon.addingTimeInterval(lookahead)
        guard let next = planner.nextFireTime(after: bufferEnd, limit: limit) else {
            // Nothing in (bufferEnd, limit]: the buffer covers that span, empty, and the next search starts past
            // it (a plan with nothing left to fire was searched whole, 9 passes over every duty, on every round
            // of a burst).
            bufferEnd = max(bufferEnd, limit)
            return nil
        }
        refill(through: next.addingTimeInterval(span))
        if buffer.count < Self.comfortableBuffer.lowerBound {
            span = min(span * 2, Self.spanRange.upperBound)
        } else if buffer.count > Self.comfortableBuffer.upperBound {
            span = max(span / 2, Self.spanRange.lowerBound)
        }
        return buffer.first?.fireAt ?? next
    }

    /// The notices waiting in the buffer (for status displays).
    public var bufferedNotices: [Notice] { buffer }

    /// Hands out everything in `(horizon, now]` (at most `maximumStep` at once) and says how long to sleep.
    public mutating func tick(now: Date) -> [Action] {
        var actions: [Action] = []
        if now < horizon {
            // The wall clock went back: start again from now; the ledger prevents repeats.
            horizon = now
            buffer = []
            bufferEnd = now
            actions.append(.persistHorizon(now))
        }
        let target = min(now, horizon.addingTimeInterval(maximumStep))
        if target > horizon {
            if bufferEnd < target { refill(through: target) }
            let split = buffer.firstIndex { $0.fireAt > target } ?? buffer.count
            let due = Array(buffer[..<split])
            buffer.removeFirst(split)
            horizon = target
            let cutoff = now.addingTimeInterval(-catchUpWindow)
            let missed = due.filter { $0.fireAt < cutoff }
            let fire = due.filter { $0.fireAt >= cutoff }
            if !missed.isEmpty { actions.append(.recordMissed(missed)) }
            if !fire.isEmpty { actions.append(.fire(fire)) }
            actions.append(.persistHorizon(horizon))
        }
        if horizon < now {
            // More catch-up to do: come straight back.
            actions.append(.sleep(until: horizon))
        } else {
            actions.append(.sleep(until: nextFireTime()))
        }
        return actions
    }

    /// Swaps in new schedules. The horizon stays: nothing already handed out is repeated, and notices of the new
    /// schedules after the horizon are planned afresh.
    public mutating func reload(_ planner: Planner) {
        self.planner = planner
        buffer = []
        bufferEnd = horizon
    }

    private mutating func refill(through end: Date) {
        guard end > bufferEnd else { return }
        buffer.append(contentsOf: planner.notices(after: bufferEnd, through: end))
        bufferEnd = end
    }
}
