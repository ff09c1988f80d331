import CSystemd
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The daemon's source of wall-clock time. Calendar deadlines use the wall clock; waiting uses a monotonic clock,
/// and a change of the wall clock is reported separately (see `ClockChangeWatcher`).
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

/// Reports changes of the host's wall clock (settimeofday, NTP steps) with a timerfd armed far in the future with
/// `TFD_TIMER_CANCEL_ON_SET`: the kernel cancels it, and a read fails with ECANCELED, whenever CLOCK_REALTIME is
/// set. The watcher runs on its own thread, blocked in poll(2) (no periodic wake-ups), until `stop()`.
public final class ClockChangeWatcher: @unchecked Sendable {
    private let timerFD: Int32
    private let stopFD: Int32
    private let onChange: @Sendable () -> Void
    private var thread: Thread?

    public init?(onChange: @escaping @Sendable () -> Void) {
        let tfd = timerfd_create(CLOCK_REALTIME, Int32(TFD_CLOEXEC))
        guard tfd >= 0 else { return nil }
        let efd = eventfd(0, Int32(EFD_CLOEXEC))
        guard efd >= 0 else {
            close(tfd)
            return nil
        }
        timerFD = tfd
        stopFD = efd
        self.onChange = onChange
    }

    deinit {
        close(timerFD)
        close(stopFD)
    }

    private func arm() -> Bool {
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(Int32.max)  // far in the future; only the cancellation matters
        let flags = Int32(TFD_TIMER_ABSTIME) | Int32(2)  // TFD_TIMER_CANCEL_ON_SET = 1 << 1
        return timerfd_settime(timerFD, flags, &spec, nil) == 0
    }

    public func start() {
        guard arm() else { return }
        let thread = Thread { [self] in self.loop() }
        thread.name = "dutyd-clock-watch"
        self.thread = thread
        thread.start()
    }

    public func stop() {
        var one: UInt64 = 1
        _ = write(stopFD, &one, 8)
    }

    private func loop() {
        var fds = [pollfd(fd: timerFD, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        while true {
            let n = poll(&fds, 2, -1)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            if fds[0].revents != 0 {
                var expirations: UInt64 = 0
                let r = read(timerFD, &expirations, 8)
                if r < 0 && errno == ECANCELED {
                    onChange()
                }
                guard arm() else { return }
            }
        }
    }
}
