import DutyCore
import DutyTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `dutyd` binary against the real journald: fields, exactly-once delivery across `kill -9`, reloads
/// that keep the old schedules when the new ones are broken, and the 2018 plan on a simulated clock.
@Suite(.serialized) struct DaemonJournalTests {
    static let people = """
        [[person]]
        id = "alice"
        name = "王丽"
        mail = "none"

        [[role]]
        id = "office"
        name = "东川区委办公室"
        members = ["alice"]

        """

    static func utcStamp(_ date: Date) -> String {
        let iso = TimeFormatting.iso8601(date, in: TimeZone(identifier: "UTC")!)
        return String(iso.prefix(19)) + "Z"
    }

    @Test func journaldIsRunning() {
        #expect(JournalReader.isAvailable, "no journald answers: run scripts/ensure-journald.sh (make test does)")
    }

    /// A duty due in 2 seconds on the system clock shows up with every field.
    @Test func dutyDueInTwoSecondsIsJournaledWithEveryField() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let due = Date().addingTimeInterval(3).timeIntervalSince1970.rounded(.up)
        let dueDate = Date(timeIntervalSince1970: due)
        try FileManager.default.createDirectory(atPath: dir + "/schedules", withIntermediateDirectories: true)
        try Self.people.write(toFile: dir + "/schedules/people.toml", atomically: true, encoding: .utf8)
        let file = dir + "/schedules/meeting.toml"
        try """
            [[duty]]
            id = "soon"
            title = "东川区委双周工作例会"
            description = "由县区委主要领导主持\\n第二行"
            clause = "二(一)1"
            responsible = ["office"]
            due = \(Self.utcStamp(dueDate))
            timezone = "Asia/Shanghai"
            priority = "high"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemon(schedules: [dir + "/schedules"], workDirectory: dir, arguments: ["--no-mail"])
        defer { daemon.stop() }
        let entries = try JournalReader.wait(for: ["DUTY_SCHEDULE_FILE=\(file)"], timeout: 20) { $0.contains { $0["DUTY_KIND"] == "due" } }
        let entry = try #require(entries.first { $0["DUTY_KIND"] == "due" }, "journal: \(entries.count) entries; log:\n\(daemon.log)")
        #expect(entry["SYSLOG_IDENTIFIER"] == "dutyd")
        #expect(entry["MESSAGE"]?.contains("东川区委双周工作例会") == true)
        #expect(entry["MESSAGE_ID"]?.count == 32)
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["DUTY_ID"] == "soon")
        #expect(entry["DUTY_TITLE"] == "东川区委双周工作例会")
        #expect(entry["DUTY_OCCURRENCE"] == TimeFormatting.iso8601(dueDate, in: TimeZone(identifier: "Asia/Shanghai")!))
        #expect(entry["DUTY_CLAUSE"] == "二(一)1")
        #expect(entry["DUTY_RESPONSIBLE"] == "东川区委办公室")
        #expect(entry["DUTY_RECIPIENT"] == "alice")
        #expect(entry["DUTY_SCHEDULE_FILE"] == file)
        #expect(entry["DUTY_KEY"] == "soon@\(Int(due))/due/alice")
        // Fired on time: the journal's own timestamp is at or after the due instant, and not long after.
        let realtime = try #require(entry["__REALTIME_TIMESTAMP"].flatMap(Double.init)) / 1e6
        #expect(realtime >= due)
        #expect(realtime - due < 2.0, "late by \(realtime - due) s")
    }

    /// A burst of reminders due at once, the daemon killed with SIGKILL in the middle (once the journal holds
    /// `killAt` of them), restarted: every reminder is in the journal exactly once. Repeated at different points.
    @Test(arguments: [1, 500, 2500])
    func killDuringBurstLosesNothingAndRepeatsNothing(killAt: Int) throws {
        let total = 5000
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/schedules/rosters", withIntermediateDirectories: true)
        let roster = "n\n" + (1...total).map { "\($0)\n" }.joined()
        try roster.write(toFile: dir + "/schedules/rosters/r.csv", atomically: true, encoding: .utf8)
        let due = Date().addingTimeInterval(2).timeIntervalSince1970.rounded(.up)
        let file = dir + "/schedules/burst.toml"
        try """
            [[template]]
            id = "burst"
            roster = "rosters/r.csv"
            [template.person]
            id = "p{n}"
            name = "Person {n}"
            mail = "none"
            [template.duty]
            id = "burst-{n}"
            title = "Burst {n}"
            recipients = ["p{n}"]
            due = \(Self.utcStamp(Date(timeIntervalSince1970: due)))
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let first = try LiveDaemon(schedules: [dir + "/schedules"], workDirectory: dir, arguments: ["--no-mail"])
        // Wait for the burst to reach the kill point, then kill in the middle of it.
        _ = try JournalReader.wait(for: ["DUTY_SCHEDULE_FILE=\(file)"], timeout: 30) { $0.count >= killAt }
        first.killHard()
        let before = try JournalReader.entries(["DUTY_SCHEDULE_FILE=\(file)"]).count
        let second = try LiveDaemon(schedules: [dir + "/schedules"], workDirectory: dir, arguments: ["--no-mail"])
        defer { second.stop() }
        let entries = try JournalReader.wait(for: ["DUTY_SCHEDULE_FILE=\(file)", "DUTY_KIND=due"], timeout: 60) {
            Set($0.compactMap { $0["DUTY_KEY"] }).count >= total
        }
        usleep(500_000)  // anything sent twice would show up by now
        let final = try JournalReader.entries(["DUTY_SCHEDULE_FILE=\(file)", "DUTY_KIND=due"])
        var counts: [String: Int] = [:]
        for entry in final { counts[entry["DUTY_KEY"] ?? "?", default: 0] += 1 }
        print("kill at \(killAt): \(before) of \(total) journaled when killed, \(entries.count) after restart")
        #expect(counts.count == total, "lost: \(total - counts.count)")
        #expect(counts.values.allSatisfy { $0 == 1 }, "duplicated: \(counts.filter { $0.value > 1 }.keys.sorted().prefix(10))")
    }

    /// A reload with a broken schedule keeps the old duties firing, journals the errors, and a later good
    /// reload takes effect.
    @Test func brokenReloadKeepsTheOldSchedulesRunning() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/schedules", withIntermediateDirectories: true)
        try Self.people.write(toFile: dir + "/schedules/people.toml", atomically: true, encoding: .utf8)
        let file = dir + "/schedules/tick.toml"
        try """
            [[duty]]
            id = "tick"
            title = "every two seconds"
            recipients = ["alice"]
            calendar = "*-*-* *:*:00/2"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let daemon = try LiveDaemon(schedules: [dir + "/schedules"], workDirectory: dir, arguments: ["--no-mail"])
        defer { daemon.stop() }
        let ticks = ["DUTY_SCHEDULE_FILE=\(file)", "DUTY_ID=tick"]
        let firstTicks = try JournalReader.wait(for: ticks, timeout: 20) { $0.count >= 1 }.count
        #expect(firstTicks >= 1, "log:\n\(daemon.log)")
        // Break the file: a typo in a key and a bad calendar expression.
        try """
            [[duty]]
            id = "tick"
            titel = "every two seconds"
            recipients = ["alice"]
            calendar = "*-*-* 25:*:00"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        let errors = try JournalReader.wait(for: ["SYSLOG_IDENTIFIER=dutyd", "DUTY_SCHEDULE_FILE=\(file)", "PRIORITY=3"], timeout: 20) {
            $0.count >= 2
        }
        #expect(errors.count >= 2)
        #expect(errors.contains { $0["MESSAGE"]?.contains("unknown key 'titel'") == true })
        // The old duty keeps firing after the broken reload.
        let afterBroken = try JournalReader.wait(for: ticks, timeout: 20) { $0.count >= firstTicks + 2 }.count
        #expect(afterBroken >= firstTicks + 2)
        #expect(daemon.isRunning)
        // A good reload replaces the duty.
        try """
            [[duty]]
            id = "tock"
            title = "replaced"
            recipients = ["alice"]
            calendar = "*-*-* *:*:00/2"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        let tocks = try JournalReader.wait(for: ["DUTY_SCHEDULE_FILE=\(file)", "DUTY_ID=tock"], timeout: 20) { $0.count >= 1 }
        #expect(tocks.count >= 1, "log:\n\(daemon.log)")
    }

    /// `dutyd --clock-start 2018-09-13T08:00:00+08:00` on the shipped plan journals the plan's reminders in time
    /// order, and exactly the agenda's due dates and warnings of the simulated days.
    @Test func planOnASimulatedClockMatchesTheAgenda() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A private copy, so this run's entries are told apart by DUTY_SCHEDULE_FILE.
        let copy = try TestSupport.run("/bin/cp", ["-r", TestSupport.shippedSchedules, dir + "/schedules"])
        #expect(copy.status == 0)
        // Four simulated days per real second: 2018-09-13 08:00 to past 09-20 08:00 in about 2 s. The catch-up
        // window is wider than the week: on a loaded machine delivery trails such a clock by more than a
        // simulated day, and a late reminder must be delivered, not recorded as missed.
        let daemon = try LiveDaemon(
            schedules: [dir + "/schedules"], workDirectory: dir,
            arguments: ["--no-mail", "--clock-start", "2018-09-13T08:00:00+08:00", "--clock-rate", "345600",
                "--catch-up", "400d"])
        // This daemon's entries only (journald indexes _PID): the shared journal of a test host holds hundreds of
        // thousands of dutyd entries, and reading them all on every poll took minutes.
        let matches = ["SYSLOG_IDENTIFIER=dutyd", "_PID=\(daemon.process.processIdentifier)"]
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        let end = TimeFormatting.parseISO8601("2018-09-20T08:00:00+08:00", defaultZone: shanghai)!
        func ours(_ entries: [JournalReader.Entry]) -> [JournalReader.Entry] {
            entries.filter { $0["DUTY_SCHEDULE_FILE"]?.hasPrefix(dir + "/schedules/") == true }
        }
        let entries = ours(try JournalReader.wait(for: matches, timeout: 30) { entries in
            ours(entries).contains { ($0["DUTY_FIRE_AT"].flatMap { TimeFormatting.parseISO8601($0, defaultZone: shanghai) } ?? .distantPast) > end }
        })
        daemon.stop()
        // In order of fire time as journaled.
        let fireTimes = entries.compactMap { $0["DUTY_FIRE_AT"].flatMap { TimeFormatting.parseISO8601($0, defaultZone: shanghai) } }
        #expect(fireTimes == fireTimes.sorted())
        // The journaled due dates and warnings of the week are exactly the agenda's.
        let agenda = try TestSupport.dutyctl([
            "agenda", "--schedules", TestSupport.shippedSchedules, "--from", "2018-09-13", "--to", "2018-09-19", "--json",
        ])
        let expected = try JSONSerialization.jsonObject(with: Data(agenda.stdout.utf8)) as! [[String: Any]]
        let start = TimeFormatting.parseISO8601("2018-09-13T08:00:00+08:00", defaultZone: shanghai)!
        let expectedSet = Set(expected.compactMap { e -> String? in
            let fire = TimeFormatting.parseISO8601(e["fire_at"] as! String, defaultZone: shanghai)!
            guard fire > start else { return nil }
            return "\(e["duty"]!)|\(e["kind"]!)|\(e["occurrence"]!)"
        })
        let journaled = Set(entries.compactMap { e -> String? in
            guard let kind = e["DUTY_KIND"], kind == "due" || kind == "warning",
                let fire = e["DUTY_FIRE_AT"].flatMap({ TimeFormatting.parseISO8601($0, defaultZone: shanghai) }),
                fire < TimeFormatting.parseISO8601("2018-09-20T00:00:00+08:00", defaultZone: shanghai)!
            else { return nil }
            return "\(e["DUTY_ID"]!)|\(kind)|\(e["DUTY_OCCURRENCE"]!)"
        })
        #expect(!expectedSet.isEmpty)
        #expect(journaled == expectedSet, "only journaled: \(journaled.subtracting(expectedSet).sorted().prefix(5)); only in agenda: \(expectedSet.subtracting(journaled).sorted().prefix(5))")
    }
}
