import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Malformed and hostile requests: each gets its 4xx or is cut off, and the daemon keeps firing reminders.
@Suite(.serialized) struct HostileClientTests {
    @Test func malformedRequestsGetTheirFourHundreds() throws {
        let daemon = try DaemonHarness()
        defer { daemon.stop() }
        let ack = "/v1/occurrences/a-daily@1536800400/ack"
        #expect(try daemon.curl("POST", ack, body: "{\"note\": ").status == 400)
        #expect(try daemon.curl("POST", ack, body: #"{"note":"x","sudo":true}"#).status == 400)
        #expect(try daemon.curl("POST", ack, body: #"{"note":["x"]}"#).status == 400)
        #expect(try daemon.curl("GET", "/v1/upcoming?days=-1").status == 400)
        #expect(try daemon.curl("GET", "/v1/upcoming?person=ghost").status == 404)
        #expect(try daemon.curl("GET", "/v1/occurrences/not-an-id").status == 400)
        #expect(try daemon.curl("DELETE", "/v1/status").status / 100 == 4)
        let big = daemon.directory + "/big.json"
        try Data(("{\"note\":\"" + String(repeating: "x", count: 1 << 20) + "\"}").utf8).write(to: URL(fileURLWithPath: big))
        let huge = try daemon.curl("POST", ack, bodyFile: big)
        #expect(huge.status == 413 || (huge.status == 0 && huge.curlExit != 0), "\(huge)")
        // Headers beyond the limit.
        let raw = try Self.exchange(daemon.socket, "GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 40_000))\r\n\r\n")
        #expect(raw.hasPrefix("HTTP/1.1 4") || raw.isEmpty, "\(raw.prefix(80))")
        // Not HTTP at all.
        let garbage = try Self.exchange(daemon.socket, "\u{01}\u{02}HELLO\r\n\r\n")
        #expect(garbage.hasPrefix("HTTP/1.1 400") || garbage.isEmpty, "\(garbage.prefix(80))")
        // Still serving.
        #expect(try daemon.curl("GET", "/v1/status").status == 200)
        // Nothing was recorded.
        #expect(try daemon.query("SELECT count(*) FROM acknowledgement") == [["0"]])
    }

    /// A client that sends its request one byte a second is cut off at the header timeout (10 s).
    @Test func slowClientIsCutOff() throws {
        let daemon = try DaemonHarness()
        defer { daemon.stop() }
        let fd = try Self.connect(daemon.socket)
        defer { close(fd) }
        let request = Array("GET /v1/status HTTP/1.1\r\nHost: localhost\r\nX-Padding: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 100)
        let started = Date()
        var cutOff = false
        for byte in request {
            var b = byte
            if send(fd, &b, 1, Int32(MSG_NOSIGNAL)) != 1 {
                cutOff = true
                break
            }
            // Closed by the server? (readable with 0 bytes)
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 1000) > 0 {
                var buffer = [UInt8](repeating: 0, count: 512)
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 || String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 4") {
                    cutOff = true
                    break
                }
            }
            if Date().timeIntervalSince(started) > 20 { break }
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(cutOff)
        #expect(elapsed >= 9 && elapsed < 14, "cut off after \(elapsed)s")
        let metrics = try daemon.curl("GET", "/metrics")
        #expect(metrics.body.contains("dutyd_http_connections_timed_out_total 1"))
    }

    /// 1,000 idle connections: those beyond the connection limit (256) are closed at once, the rest at the header
    /// timeout; meanwhile the daemon fires its every-minute duty on time (simulated clock at 60x: one a second).
    @Test func thousandIdleConnectionsAreShedAndRemindersKeepFiring() throws {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = min(max(limit.rlim_cur, 4096), limit.rlim_max)
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let daemon = try DaemonHarness(clockStart: "2018-09-13T08:00:00+08:00", clockRate: 60)
        defer { daemon.stop() }
        let opened = Date()
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        for _ in 0..<1000 { fds.append(try Self.connect(daemon.socket)) }
        // Wait until every connection has been closed by the server (EOF), at most 20 s.
        var open = Set(fds)
        while !open.isEmpty && Date().timeIntervalSince(opened) < 20 {
            var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = poll(&polls, nfds_t(polls.count), 500)
            for p in polls where p.revents != 0 {
                var byte: UInt8 = 0
                if recv(p.fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0 { open.remove(p.fd) }
            }
        }
        let elapsed = Date().timeIntervalSince(opened)
        #expect(open.isEmpty, "\(open.count) connections still open after \(elapsed)s")
        #expect(elapsed < 15)

        let metrics = try daemon.curl("GET", "/metrics")
        #expect(metrics.status == 200)
        let refused = Self.sample(metrics.body, "dutyd_http_connections_refused_total") ?? 0
        let timedOut = Self.sample(metrics.body, "dutyd_http_connections_timed_out_total") ?? 0
        #expect(refused >= 700, "refused \(refused)")
        #expect(refused + timedOut >= 1000, "refused \(refused) timed out \(timedOut)")

        // Reminders kept firing: every minute-tick journal row that fell due was delivered within 2 real seconds
        // (120 simulated seconds) of its time.
        let rows = try daemon.query(
            """
            SELECT count(*), max((julianday(updated_at) - julianday(fire_at)) * 86400)
            FROM delivery WHERE duty_id = 'minute-tick' AND channel = 'journal' AND state = 'delivered'
            """)
        let delivered = Int(rows.first?[0] ?? "0") ?? 0
        let lag = Double(rows.first?[1] ?? "") ?? .infinity
        #expect(delivered >= Int(elapsed) - 2, "delivered \(delivered) in \(elapsed)s")
        #expect(lag <= 120, "max lag \(lag) simulated seconds")
        #expect(try daemon.curl("GET", "/v1/status").status == 200)
    }

    static func sample(_ text: String, _ name: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
    }

    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, result == 0 else { throw DaemonHarness.HarnessError(message: "connect: \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Sends raw bytes, reads until the server closes (or 5 s), returns what came back.
    static func exchange(_ path: String, _ text: String, timeout: Int = 5) throws -> String {
        let fd = try connect(path)
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

extension HostileClientTests {
    /// SIGTERM stops the daemon promptly even while idle clients hold connections, and removes its socket.
    @Test func idleClientsDoNotHoldUpShutdown() throws {
        let daemon = try DaemonHarness()
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        for _ in 0..<20 { fds.append(try Self.connect(daemon.socket)) }
        let started = Date()
        kill(daemon.process.processIdentifier, SIGTERM)
        while daemon.process.isRunning && Date().timeIntervalSince(started) < 9 { usleep(20_000) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(!daemon.process.isRunning)
        #expect(elapsed < 6, "stopped after \(elapsed)s")
        #expect(!FileManager.default.fileExists(atPath: daemon.socket))
        daemon.stop()
    }
}
