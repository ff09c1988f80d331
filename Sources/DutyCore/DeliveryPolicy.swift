import Foundation

/// When a delivery that failed temporarily is tried again: the first retry after `initialDelay`, each later one
/// after twice the previous delay, never more than `maximumDelay`; a channel's own hint (an MTA's "try again in
/// 10 minutes") is honoured when it asks for longer, up to the maximum.
public struct RetryPolicy: Sendable, Hashable {
    public var initialDelay: TimeInterval
    public var maximumDelay: TimeInterval

    public init(initialDelay: TimeInterval = 30, maximumDelay: TimeInterval = 3600) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The delay after the `attempt`-th attempt failed (1 for the first).
    public func delay(afterAttempt attempt: Int, hint: Duration? = nil) -> TimeInterval {
        let exponent = Double(min(max(0, attempt - 1), 62))
        var delay = min(maximumDelay, initialDelay * pow(2, exponent))
        if let hint {
            let seconds = Double(hint.components.seconds) + Double(hint.components.attoseconds) / 1e18
            delay = min(maximumDelay, max(delay, seconds))
        }
        return max(0, delay)
    }

    /// When to try again after the `attempt`-th attempt failed at `now`.
    public func retryAt(now: Date, afterAttempt attempt: Int, hint: Duration? = nil) -> Date {
        now.addingTimeInterval(delay(afterAttempt: attempt, hint: hint))
    }
}

extension RetentionPolicy {
    /// What a retention pass at `now` may delete, for a ledger that keeps closed history for `retention`.
    ///
    /// The cutoff is `now - retention`, but never later than the horizon minus the catch-up window, so rows a
    /// catch-up or a replan could still meet are kept. Occurrences of duties that need an acknowledgement stay
    /// open (their rows kept while unacknowledged, their acknowledgements kept) as long as an overdue listing can
    /// still show them (`lookBack`) or overdue and escalation notices of them can still come (the longest
    /// grace x (escalation steps + 1) of those duties).
    public init(
        now: Date, retention: TimeInterval, horizon: Date, catchUpWindow: TimeInterval, duties: [Duty],
        lookBack: TimeInterval
    ) {
        let floor = horizon.addingTimeInterval(-catchUpWindow)
        let cutoff = min(now.addingTimeInterval(-retention), floor)
        let acknowledged = duties.filter(\.needsAcknowledgement)
        let trail = acknowledged.map { $0.grace * Double($0.escalation.count + 1) }.max() ?? 0
        let openSince = min(now.addingTimeInterval(-lookBack), floor).addingTimeInterval(-trail)
        self.init(cutoff: cutoff, acknowledgedDuties: Set(acknowledged.map(\.id)), openSince: openSince)
    }

    /// How often a retention pass runs (a day of the scheduler's clock).
    public static let interval: TimeInterval = 86_400

    /// Whether a pass is due at `now` given when the next one was scheduled: at start (nil), when its time has
    /// come, or when the clock went back by more than an interval (the stored instant is then distrusted).
    public static func isPassDue(now: Date, next: Date?) -> Bool {
        guard let next else { return true }
        return next <= now || next > now.addingTimeInterval(interval)
    }
}

/// When the scheduler wakes next: the earliest of what it is waiting for. Pure, so the rule is in one place and
/// tested with vectors.
public enum WakeUp {
    /// - Parameters:
    ///   - plan: the state machine's sleep target (nil: nothing planned within its look-ahead).
    ///   - backlog: the last delivery round stopped at its time budget with rows still due: come straight back.
    ///   - retention: the next retention pass (nil: retention off).
    ///   - nextDue: the ledger's earliest planned or retrying row.
    /// - Returns: the instant to wake at, `now` for at once, or nil to sleep until an event (a reload, a clock
    ///   change, a request).
    public static func next(now: Date, plan: Date?, backlog: Bool, retention: Date?, nextDue: Date?) -> Date? {
        var candidates = [plan, retention, nextDue].compactMap { $0 }
        if backlog { candidates.append(now) }
        guard let earliest = candidates.min() else { return nil }
        return earliest < now ? now : earliest
    }
}
