import DutyCore
import DutyTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `dutyd` against the real journald: SIGTERM in the middle of a long delivery run (reliability finding
/// 4), and `--retention` pruning the ledger on the simulated clock without losing an open item or delivering
/// anything twice after the clock goes back.
@Suite(.serialized) struct RetentionAndShutdownTests {
    typealias F = FaultInjectionTests

    static func sqlite(_ database: String, _ query: String) throws -> [String] {
        let out = try TestSupport.run("/usr/bin/sqlite3", ["-readonly", database, query])
        guard out.status == 0 else { throw F.TestFailure("sqlite3: \(out.stderr)") }
        return out.stdout.split(separator: "\n").map(String.init)
    }

    /// Thousands of reminders due at once, SIGTERM shortly after the first is journaled: dutyd exits within a few
    /// seconds although most are still undelivered, and the next start delivers each remaining one exactly once.
    @Test func sigtermDuringALongDeliveryRunStopsQuicklyAndLosesNothing() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let count = 6000
        let prefix = "st\(UInt32.random(in: 0...UInt32.max))"
        let due = Date().addingTimeInterval(15).rounded()
        let file = try F.writeBurst(in: dir, count: count, due: due, idPrefix: prefix)
        var daemon = try LiveDaemon(schedules: [dir + "/schedules"], workDirectory: dir, arguments: ["--no-mail"])
        // Wait until the run is under way, then stop it.
        var seen = try F.waitForJournal(file, keys: 1, timeout: 60)
        try #require(!seen.isEmpty, "no reminder journaled: \(daemon.log)")
        usleep(300_000)
        let stopAt = Date()
        daemon.signal(SIGTERM)
        let status = F.waitForExit(daemon, timeout: 30)
        let stopSeconds = Date().timeIntervalSince(stopAt)
        if status == nil { daemon.killHard() }
        seen = try F.journalCounts(file)
        print("SIGTERM during a run of \(count): exit after \(String(format: "%.2f", stopSeconds)) s, \(seen.count) journaled by then")
        #expect(status == 0, "dutyd did not exit cleanly after SIGTERM: \(daemon.log.suffix(2000))")
        #expect(stopSeconds < 5, "dutyd took \(stopSeconds) s to stop")
        #expect(seen.count < count, "the run finished before SIGTERM: the test proves nothing (make it larger)")
        #expect(daemon.log.contains("delivery interrupted"))

        daemon = try LiveDaemon(schedules: [dir + "/schedules"], workDirectory: dir, arguments: ["--no-mail"])
        defer { daemon.stop() }
        let counts = try F.waitForJournal(file, keys: count, timeout: 180)
        daemon.stop()
        #expect(counts.count == count, "lost: \(count - counts.count)")
        let twice = counts.filter { $0.value != 1 }
        #expect(twice.isEmpty, "delivered more than once: \(twice.prefix(5))")
        let rows = try Self.sqlite(daemon.stateDirectory + "/dutyd.sqlite", "SELECT state, COUNT(*) FROM delivery GROUP BY state")
        #expect(rows == ["delivered|\(count)"])
    }

    /// `--retention 3d` on a simulated clock (a day every ~0.9 s): two daily duties, one needing an
    /// acknowledgement (every other occurrence acknowledged in advance over the socket). After two weeks the
    /// ledger holds no closed row due before the pruned-before mark except those of unacknowledged occurrences,
    /// `overdue` still lists every unacknowledged occurrence, and a restart with the clock two weeks back (below
    /// the pruned rows) delivers nothing a second time.
    @Test func retentionPrunesClosedHistoryKeepsOpenItemsAndNeverRedelivers() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = "rt\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir + "/schedules", withIntermediateDirectories: true)
        let file = dir + "/schedules/\(id).toml"
        try """
            [defaults]
            timezone = "UTC"

            [[person]]
            id = "\(id)-p"
            name = "Retention Test"
            mail = "none"

            [[duty]]
            id = "\(id)-ack"
            title = "daily, acknowledged"
            recipients = ["\(id)-p"]
            calendar = "*-*-* 09:00:00"
            ack = true
            grace = "1d"

            [[duty]]
            id = "\(id)-plain"
            title = "daily, no acknowledgement"
            recipients = ["\(id)-p"]
            calendar = "*-*-* 10:00:00"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let start = Date(timeIntervalSince1970: 1_893_456_000)  // 2030-01-01T00:00:00Z
        let rate = 100_000.0
        let day: TimeInterval = 86_400
        func arguments(from clockStart: Date) -> [String] {
            [
                "--no-mail", "--retention", "3d", "--catch-up", "1h", "--clock-rate", String(Int(rate)),
                "--clock-start", F.utcStamp(clockStart), "--log-level", "debug",
            ]
        }
        // The clock starts two days early, so that the acknowledgements below are in before day 0 is overdue.
        var daemon = try LiveDaemon(schedules: [dir + "/schedules"], workDirectory: dir, arguments: arguments(from: start - 2 * day))
        defer { daemon.stop() }
        // Acknowledge the occurrences of even days 0...18 in advance, as root (admin).
        var acked: Set<String> = []
        for n in stride(from: 0, through: 18, by: 2) {
            let occurrence = "\(id)-ack@\(Int64(start.timeIntervalSince1970 + Double(n) * day + 9 * 3600))"
            var out = try TestSupport.dutyctl(["ack", "--socket", daemon.socket, occurrence])
            for _ in 0..<50 where out.status != 0 {
                usleep(100_000)
                out = try TestSupport.dutyctl(["ack", "--socket", daemon.socket, occurrence])
            }
            try #require(out.status == 0, "ack: \(out.stderr)")
            acked.insert(occurrence)
        }
        // Run until about day 14.
        usleep(14_000_000)
        let overdue = try TestSupport.dutyctl(["overdue", "--socket", daemon.socket, "--json", "--days", "60"])
        try #require(overdue.status == 0, "overdue: \(overdue.stderr)")
        daemon.stop()
        let database = daemon.stateDirectory + "/dutyd.sqlite"
        #expect(daemon.log.contains("retention: pruned the ledger"))

        let mark = try Self.sqlite(database, "SELECT value FROM meta WHERE key = 'pruned_before'")
        let horizon = try Self.sqlite(database, "SELECT value FROM meta WHERE key = 'last_fire_horizon'")
        try #require(mark.count == 1 && horizon.count == 1)
        print("pruned before \(mark[0]), horizon \(horizon[0])")
        // Closed rows due before the mark: only those of unacknowledged occurrences of the acknowledged duty.
        let old = try Self.sqlite(
            database, "SELECT occurrence_id FROM delivery WHERE fire_at < '\(mark[0])' AND state IN ('delivered', 'missed')")
        #expect(!old.isEmpty, "no unacknowledged occurrence kept")
        for occurrence in old {
            #expect(occurrence.hasPrefix("\(id)-ack@") && !acked.contains(occurrence), "\(occurrence) should have been pruned")
        }
        // Every unacknowledged occurrence so far is still in the ledger, and listed as overdue.
        let kept = Set(try Self.sqlite(database, "SELECT DISTINCT occurrence_id FROM delivery WHERE duty_id = '\(id)-ack'"))
        let overdueIDs = Set(
            ((try JSONSerialization.jsonObject(with: Data(overdue.stdout.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? [])
                .compactMap { $0["occurrence_id"] as? String })
        var unacknowledged = 0
        for n in 0..<12 {
            let occurrence = "\(id)-ack@\(Int64(start.timeIntervalSince1970 + Double(n) * day + 9 * 3600))"
            if acked.contains(occurrence) {
                #expect(!overdueIDs.contains(occurrence), "\(occurrence) is acknowledged but listed as overdue")
                continue
            }
            unacknowledged += 1
            #expect(kept.contains(occurrence), "the rows of unacknowledged \(occurrence) were pruned")
            #expect(overdueIDs.contains(occurrence), "unacknowledged \(occurrence) is not listed as overdue")
        }
        #expect(unacknowledged == 6)
        // Acknowledgements are all kept (their occurrences are within overdue's look-back).
        #expect(try Self.sqlite(database, "SELECT COUNT(*) FROM acknowledgement") == ["\(acked.count)"])
        // The plain duty: nothing before the mark, and something after it.
        #expect(try Self.sqlite(database, "SELECT COUNT(*) FROM delivery WHERE duty_id = '\(id)-plain' AND fire_at < '\(mark[0])'") == ["0"])
        let journaled = try F.journalCounts(file, kind: "due")
        #expect(journaled.count >= 20)

        // The clock goes back two weeks (a restart at day -1): the pruned days must not be delivered again.
        daemon = try LiveDaemon(schedules: [dir + "/schedules"], workDirectory: dir, arguments: arguments(from: start - day))
        usleep(8_000_000)
        daemon.stop()
        var counts: [String: Int] = [:]
        for kind in ["due", "overdue"] {
            for (key, n) in try F.journalCounts(file, kind: kind) { counts[key, default: 0] += n }
        }
        let twice = counts.filter { $0.value != 1 }
        #expect(twice.isEmpty, "delivered again after the clock went back: \(twice.keys.sorted().prefix(5))")
        #expect(try F.journalCounts(file, kind: "due").count == journaled.count)
    }
}

extension Date {
    fileprivate func rounded() -> Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.up)) }
}
