import CSystemd
import Glibc

/// The daemon's side of systemd's notify protocol (`Type=notify`): readiness, status, reload, stop and watchdog
/// messages through `sd_notify`, the watchdog interval, and the sockets passed by socket activation.
///
/// Outside systemd (`$NOTIFY_SOCKET` unset) every `notify` is a no-op that returns false.
public struct SystemdNotifier: Sendable {
    /// A socket passed by systemd (`sd_listen_fds_with_names`): fd 3, 4, … with its `FileDescriptorName=`.
    public struct ListenedSocket: Sendable, Hashable {
        public var fd: Int32
        public var name: String
    }

    /// `sd_notify` failed: `errno` is the positive error number.
    public struct NotifyError: Error, Sendable, Hashable, CustomStringConvertible {
        public var errno: Int32
        public var description: String { "sd_notify failed (errno \(errno): \(String(cString: strerror(errno))))" }
    }

    public init() {}

    /// Whether a notify socket is configured (we run under systemd with `Type=notify`).
    public var isConfigured: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends the requested assignments in one datagram. `reloading` adds `MONOTONIC_USEC=` (now, CLOCK_MONOTONIC)
    /// as `Type=notify-reload` requires (systemd ≥ 253; harmless on 252). The status is made single-line.
    ///
    /// - Returns: true when sent, false when not under systemd or nothing was requested.
    @discardableResult
    public func notify(
        ready: Bool = false, status: String? = nil, reloading: Bool = false, stopping: Bool = false,
        watchdog: Bool = false, extendTimeout: Duration? = nil
    ) throws(NotifyError) -> Bool {
        let text = Self.message(
            ready: ready, status: status, reloading: reloading, stopping: stopping, watchdog: watchdog,
            extendTimeout: extendTimeout, monotonicMicroseconds: reloading ? Self.monotonicMicroseconds() : 0)
        if text.isEmpty { return false }
        let result = sd_notify(0, text)
        if result < 0 { throw NotifyError(errno: -result) }
        return result > 0
    }

    /// The datagram text: newline-separated assignments, no trailing newline.
    public static func message(
        ready: Bool = false, status: String? = nil, reloading: Bool = false, stopping: Bool = false,
        watchdog: Bool = false, extendTimeout: Duration? = nil, monotonicMicroseconds: UInt64 = 0
    ) -> String {
        var lines: [String] = []
        if reloading {
            lines.append("RELOADING=1")
            lines.append("MONOTONIC_USEC=\(monotonicMicroseconds)")
        }
        if ready { lines.append("READY=1") }
        if let status {
            let single = String(status.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
            lines.append("STATUS=\(single)")
        }
        if stopping { lines.append("STOPPING=1") }
        if watchdog { lines.append("WATCHDOG=1") }
        if let extendTimeout { lines.append("EXTEND_TIMEOUT_USEC=\(microseconds(extendTimeout))") }
        return lines.joined(separator: "\n")
    }

    /// Half of `$WATCHDOG_USEC` when the watchdog is enabled for this process (`sd_watchdog_enabled`): how often
    /// to send `WATCHDOG=1`. Nil when disabled.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec / 2))
    }

    /// The sockets systemd passed to this process (socket activation), in unit order. Unsets `$LISTEN_*` so
    /// children do not inherit them. Empty when not socket-activated.
    public static func listenedSockets() -> [ListenedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        defer {
            if let names {
                for index in 0..<max(Int(count), 0) { free(names[index]) }
                free(names)
            }
        }
        guard count > 0 else { return [] }
        return (0..<Int(count)).map { index in
            let name = names?[index].map { String(cString: $0) } ?? "unknown"
            return ListenedSocket(fd: SD_LISTEN_FDS_START + Int32(index), name: name)
        }
    }

    /// CLOCK_MONOTONIC in microseconds, as `MONOTONIC_USEC=` expects.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }

    private static func microseconds(_ duration: Duration) -> UInt64 {
        let parts = duration.components
        guard parts.seconds >= 0 else { return 0 }
        return UInt64(parts.seconds) * 1_000_000 + UInt64(max(parts.attoseconds, 0) / 1_000_000_000_000)
    }
}
