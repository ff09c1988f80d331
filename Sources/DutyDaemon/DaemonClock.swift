import CSystemd
#if canImport(Glibc)
import Glibc
#endif
import DutyCore
import Foundation
import Synchronization

/// The daemon's source of wall-clock time. Calendar deadlines use the wall clock; waiting uses a monotonic clock,
/// and a change of the wall clock is reported by the scheduler's `Alarm`.
public protocol DaemonClock: Sendable {
    /// The current wall-clock instant.
    func now() -> Date
    /// How long, in real (monotonic) time, until the wall clock reaches `instant` if it runs undisturbed.
    func realDelay(until instant: Date) -> Duration
    /// True when the clock is simulated (then wall-clock changes of the host are irrelevant).
    var isSimulated: Bool { get }
}

/// The host's wall clock.
public struct SystemClock: DaemonClock {
    public init() {}
    public func now() -> Date { Date() }
    public func realDelay(until instant: Date) -> Duration {
        .nanoseconds(Int64(max(0, instant.timeIntervalSinceNow) * 1e9))
    }
    public var isSimulated: Bool { false }
}

/// Simulated time for demos and tests: starts at `start` and runs `rate` times faster than real time, measured
/// on the monotonic clock (so the host's clock can be left alone).
public struct SimulatedClock: DaemonClock {
    public let start: Date
    public let rate: Double
    private let origin: ContinuousClock.Instant

    public init(start: Date, rate: Double) {
        self.start = start
        self.rate = rate
        origin = ContinuousClock.now
    }

    public func now() -> Date {
        let elapsed = ContinuousClock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return start.addingTimeInterval(seconds * rate)
    }

    public func realDelay(until instant: Date) -> Duration {
        let simulated = instant.timeIntervalSince(now())
        return .nanoseconds(Int64(max(0, simulated / rate) * 1e9))
    }

    public var isSimulated: Bool { true }
}

/// The scheduler's alarm: one timerfd, waited on in poll(2) by one thread of the daemon's blocking pool, so that
/// a sleeping daemon costs nothing while nothing is due and wakes exactly at the deadline.
///
/// On the host's wall clock the timer is armed at the absolute CLOCK_REALTIME deadline with
/// `TFD_TIMER_CANCEL_ON_SET`: the kernel cancels it, and the read fails with ECANCELED, whenever the clock is set
/// (settimeofday, an NTP step), which is reported as `clockChanged`. With nothing to wait for, it is armed far in
/// the future so clock changes are still noticed. A simulated clock uses a relative CLOCK_MONOTONIC timer.
///
/// `arm` may be called from any task (timerfd_settime is one system call; the generation and target it records
/// are behind a mutex); `watch` blocks a pool thread until `stop`.
final class Alarm: Sendable {
    enum Event: Sendable {
        case deadline(generation: Int)
        case clockChanged
    }

    private let clock: any DaemonClock
    private let timerFD: Int32
    private let stopFD: Int32
    /// The generation and target of the last `arm`.
    private let armed = Mutex<(generation: Int, target: Date?)>((0, nil))

    init?(clock: any DaemonClock) {
        let tfd = timerfd_create(clock.isSimulated ? CLOCK_MONOTONIC : CLOCK_REALTIME, Int32(TFD_CLOEXEC))
        guard tfd >= 0 else { return nil }
        let efd = eventfd(0, Int32(EFD_CLOEXEC))
        guard efd >= 0 else {
            close(tfd)
            return nil
        }
        self.clock = clock
        timerFD = tfd
        stopFD = efd
    }

    deinit {
        close(timerFD)
        close(stopFD)
    }

    /// Arms the alarm for `target` (nil: only watch for clock changes); a later call replaces it.
    func arm(_ target: Date?, generation: Int) {
        armed.withLock {
            $0 = (generation, target)
            program(target)
        }
    }

    private func program(_ target: Date?) {
        var spec = itimerspec()
        if clock.isSimulated {
            guard let target else {
                timerfd_settime(timerFD, 0, &spec, nil)  // disarm
                return
            }
            let delay = clock.realDelay(until: target)
            let (seconds, attoseconds) = delay.components
            spec.it_value.tv_sec = Int(max(0, seconds))
            spec.it_value.tv_nsec = Int(max(0, attoseconds) / 1_000_000_000)
            if spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0 { spec.it_value.tv_nsec = 1 }
            timerfd_settime(timerFD, 0, &spec, nil)
        } else {
            let when = target?.timeIntervalSince1970 ?? Double(Int32.max)
            let whole = max(0, when.rounded(.down))
            spec.it_value.tv_sec = Int(whole)
            spec.it_value.tv_nsec = Int((max(0, when) - whole) * 1e9)
            if spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0 { spec.it_value.tv_nsec = 1 }
            let cancelOnSet = Int32(2)  // TFD_TIMER_CANCEL_ON_SET
            timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME) | cancelOnSet, &spec, nil)
        }
    }

    /// Waits on a thread of `executor` and reports each deadline and clock change until `stop()`.
    func watch(on executor: any BlockingExecutor, onEvent: @escaping @Sendable (Event) -> Void) async throws {
        try await executor.run { [self] in self.loop(onEvent) }
    }

    /// Ends `watch` (from any task).
    func stop() {
        var one: UInt64 = 1
        _ = write(stopFD, &one, 8)
    }

    private func loop(_ onEvent: @Sendable (Event) -> Void) {
        var fds = [pollfd(fd: timerFD, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let n = poll(&fds, 2, -1)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            var expirations: UInt64 = 0
            let r = read(timerFD, &expirations, 8)
            if r < 0 && errno == ECANCELED {
                // The wall clock was set: re-arm the same deadline (the kernel disarmed it) and say so.
                armed.withLock { program($0.target) }
                onEvent(.clockChanged)
            } else if r == 8 {
                onEvent(.deadline(generation: armed.withLock { $0.generation }))
            }
        }
    }
}
