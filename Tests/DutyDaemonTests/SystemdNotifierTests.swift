import Foundation
import Glibc
import Testing

@testable import DutyDaemon

/// sd_notify against a fake `$NOTIFY_SOCKET`: a Unix datagram socket bound in a temp directory (and one in the
/// abstract namespace); the datagrams libsystemd sends are read back. The suite changes the process
/// environment, so it runs serialized and restores it.
@Suite(.serialized) struct SystemdNotifierTests {
    /// A bound datagram socket standing in for PID 1's notify socket.
    final class FakeNotifySocket {
        let fd: Int32
        let address: String  // what goes into NOTIFY_SOCKET
        let directory: String?

        init(abstract: Bool = false) throws {
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            try #require(fd >= 0)
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let path: [UInt8]
            if abstract {
                let name = "dutyd-test-notify-\(UUID().uuidString)"
                address = "@" + name
                directory = nil
                path = [0] + Array(name.utf8)
            } else {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dn-\(UUID().uuidString.prefix(8))").path
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                directory = dir
                address = dir + "/notify.sock"
                path = Array(address.utf8)
            }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (index, byte) in path.enumerated() { raw[index] = byte }
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            try #require(bound == 0, "bind: errno \(errno)")
        }

        /// The next datagram as text, nil on timeout.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n >= 0 else { return nil }
            return String(decoding: buffer[0..<n], as: UTF8.self)
        }

        deinit {
            close(fd)
            if let directory { try? FileManager.default.removeItem(atPath: directory) }
        }
    }

    /// Runs `body` with environment variables set, restoring the previous values after.
    func withEnvironment<T>(_ values: [String: String?], _ body: () throws -> T) rethrows -> T {
        let saved = values.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
        for (name, value) in values {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        return try body()
    }

    @Test(arguments: [false, true])
    func messagesReachTheNotifySocket(abstract: Bool) throws {
        let fake = try FakeNotifySocket(abstract: abstract)
        let notifier = SystemdNotifier()
        try withEnvironment(["NOTIFY_SOCKET": fake.address]) { () throws in
            #expect(notifier.isConfigured)
            #expect(try notifier.notify(ready: true, status: "已加载 3 条提醒"))
            #expect(fake.receive() == "READY=1\nSTATUS=已加载 3 条提醒")
            #expect(try notifier.notify(watchdog: true))
            #expect(fake.receive() == "WATCHDOG=1")
            #expect(try notifier.notify(status: "stopping", stopping: true))
            #expect(fake.receive() == "STATUS=stopping\nSTOPPING=1")
            #expect(try notifier.notify(extendTimeout: .seconds(30)))
            #expect(fake.receive() == "EXTEND_TIMEOUT_USEC=30000000")
        }
    }

    @Test func reloadingCarriesMonotonicTimestamp() throws {
        let fake = try FakeNotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": fake.address]) { () throws in
            let before = monotonicNow()
            #expect(try SystemdNotifier().notify(reloading: true))
            let after = monotonicNow()
            let text = try #require(fake.receive())
            let lines = text.split(separator: "\n")
            try #require(lines.count == 2, "\(text)")
            #expect(lines[0] == "RELOADING=1")
            #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
            let usec = try #require(UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
            #expect(usec >= before && usec <= after, "\(before) ≤ \(usec) ≤ \(after)")
        }
    }

    /// A status with a newline must not smuggle in another assignment (`READY=1`).
    @Test func statusIsSingleLine() throws {
        let fake = try FakeNotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": fake.address]) { () throws in
            try SystemdNotifier().notify(status: "loading\nREADY=1")
            #expect(fake.receive() == "STATUS=loading READY=1")
        }
    }

    @Test func withoutNotifySocketNothingIsSent() throws {
        try withEnvironment(["NOTIFY_SOCKET": nil]) { () throws in
            #expect(!SystemdNotifier().isConfigured)
            let sent = try SystemdNotifier().notify(ready: true)
            #expect(!sent)
        }
        let fake = try FakeNotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": fake.address]) { () throws in
            let sent = try SystemdNotifier().notify()  // nothing requested
            #expect(!sent)
        }
    }

    @Test func missingNotifySocketIsAnError() {
        withEnvironment(["NOTIFY_SOCKET": "/nonexistent-\(UUID().uuidString)/notify"]) {
            do {
                try SystemdNotifier().notify(ready: true)
                Issue.record("a missing notify socket must be reported")
            } catch let error as SystemdNotifier.NotifyError {
                #expect(error.errno == ENOENT)
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func watchdogIntervalIsHalfTheTimeout() {
        let pid = String(getpid())
        withEnvironment(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": pid]) {
            #expect(SystemdNotifier().watchdogInterval == .seconds(10))
        }
        withEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": nil]) {
            #expect(SystemdNotifier().watchdogInterval == .seconds(15))
        }
        // Meant for another process (e.g. inherited from a parent): not ours.
        withEnvironment(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": String(getpid() + 1)]) {
            #expect(SystemdNotifier().watchdogInterval == nil)
        }
        withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
            #expect(SystemdNotifier().watchdogInterval == nil)
        }
    }

    /// Only the negative cases: a positive one needs fds 3… handed over at exec, which a test process cannot fake
    /// without clobbering its own descriptors (checked manually with systemd-socket-activate, see docs/journal.md).
    @Test func listenFDsForAnotherProcessAreIgnored() {
        withEnvironment(["LISTEN_PID": String(getpid() + 1), "LISTEN_FDS": "1", "LISTEN_FDNAMES": "query"]) {
            #expect(SystemdNotifier.listenedSockets().isEmpty)
        }
        withEnvironment(["LISTEN_PID": nil, "LISTEN_FDS": nil, "LISTEN_FDNAMES": nil]) {
            #expect(SystemdNotifier.listenedSockets().isEmpty)
        }
    }

    @Test func messageOrderAndFormat() {
        #expect(SystemdNotifier.message() == "")
        #expect(
            SystemdNotifier.message(ready: true, status: "ok", reloading: true, monotonicMicroseconds: 42)
                == "RELOADING=1\nMONOTONIC_USEC=42\nREADY=1\nSTATUS=ok")
        #expect(SystemdNotifier.message(extendTimeout: .milliseconds(1500)) == "EXTEND_TIMEOUT_USEC=1500000")
    }

    func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
