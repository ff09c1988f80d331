import DutyCore
import Foundation
import Glibc
import Testing

@testable import DutyJournal

/// Against the REAL journald of this machine: entries are written with sd_journal_sendv and read back with
/// `journalctl -o json --all` (an independent reader) and with `contains(key:since:)`. Needs a journald on
/// /run/systemd/journal/socket and permission to read the journal (root here; CI starts journald with
/// scripts/ensure-journald.sh). Without one the tests fail with the reason, they are not skipped.
@Suite(.serialized) struct JournalWriterLiveTests {
    let writer = JournalWriter()

    /// Sends a probe and waits for it; records why the journal is unusable otherwise.
    func journaldReachable() -> Bool {
        let key = "probe-\(UUID().uuidString)"
        let since = Date() - 1
        do {
            try writer.send(fields: [JournalField("MESSAGE", "dutyd test probe"), JournalField("DUTY_KEY", key)])
            if try writer.waitUntilVisible(key: key, since: since, timeout: .seconds(5)) { return true }
            Issue.record(
                "journald accepted the probe but it was not readable within 5 s: is journald running and is the journal readable? (scripts/ensure-journald.sh)"
            )
        } catch {
            Issue.record("journald is not reachable: \(error); start it with scripts/ensure-journald.sh")
        }
        return false
    }

    /// The entries of `SYSLOG_IDENTIFIER=dutyd DUTY_KEY=key`, decoded from `journalctl -o json --all`.
    func readBack(key: String) throws -> [[String: Any]] {
        let result = try run(
            "/usr/bin/journalctl",
            ["-o", "json", "--all", "--no-pager", "SYSLOG_IDENTIFIER=dutyd", "DUTY_KEY=\(key)"])
        #expect(result.status == 0)
        return try String(decoding: result.output, as: UTF8.self).split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func remindersRoundTripThroughJournald() throws {
        guard journaldReachable() else { return }
        let run = UUID().uuidString.prefix(8).lowercased()
        // A 5000-byte description with newlines (above journalctl's 4096-byte "null unless --all" limit).
        let paragraph = "第一段：请各单位按时报送材料。\nSecond line, ASCII.\n"
        var description = ""
        while description.utf8.count + paragraph.utf8.count <= 5000 { description += paragraph }
        description += String(repeating: "x", count: 5000 - description.utf8.count)
        #expect(description.utf8.count == 5000)

        let reminders = [
            sampleReminder(id: "live-\(run)-a", kind: .due, priority: .high, description: description),
            sampleReminder(
                id: "live-\(run)-b", kind: .warning, title: "标题\n第二行", zone: "Europe/Berlin",
                at: Date(timeIntervalSince1970: 1_774_854_000), offset: "2 workdays", responsible: ["办公室"]),
            sampleReminder(
                id: "live-\(run)-c", kind: .escalation, priority: .alert, title: "Emoji 🚨 and quotes \"'",
                clause: nil, responsible: [], scheduleFile: nil),
        ]
        let since = Date() - 1
        for reminder in reminders { try writer.send(reminder) }

        // Expected values, written out by hand (not from the writer).
        let expected: [[String: Any]] = [
            [
                "MESSAGE": "东川区委双周工作例会 due 2018-09-17 09:00 CST", "PRIORITY": "4",
                "MESSAGE_ID": "c8ef11574ca845e598cf40969ac09226", "DUTY_KIND": "due", "DUTY_PRIORITY": "high",
                "DUTY_TITLE": "东川区委双周工作例会", "DUTY_OCCURRENCE": "2018-09-17T09:00:00+08:00",
                "DUTY_OCCURRENCE_ID": "live-\(run)-a@1537146000", "DUTY_CLAUSE": "二(一)1",
                "DUTY_RESPONSIBLE": ["区委办", "组织部"], "DUTY_SCHEDULE_FILE": "/etc/dutyd/plan.toml",
                "DUTY_DESCRIPTION": description,
            ],
            [
                "MESSAGE": "标题 第二行 due 2026-03-30 09:00 CEST (2 workdays ahead)", "PRIORITY": "5",
                "MESSAGE_ID": "b465300be5bd48cf9029c6c26d0bd3aa", "DUTY_KIND": "warning",
                "DUTY_TITLE": "标题\n第二行", "DUTY_OCCURRENCE": "2026-03-30T09:00:00+02:00",
                "DUTY_OCCURRENCE_ID": "live-\(run)-b@1774854000", "DUTY_RESPONSIBLE": "办公室",
                "DUTY_OFFSET": "2 workdays",
            ],
            [
                "MESSAGE": "Emoji 🚨 and quotes \"' escalated: overdue since 2018-09-17 09:00 CST", "PRIORITY": "1",
                "MESSAGE_ID": "c4c5a0abd5ad4762b5ad11a9ce7e9c90", "DUTY_KIND": "escalation",
                "DUTY_PRIORITY": "alert", "DUTY_TITLE": "Emoji 🚨 and quotes \"'",
            ],
        ]
        let absent: [Set<String>] = [
            ["DUTY_OFFSET"], [], ["DUTY_CLAUSE", "DUTY_RESPONSIBLE", "DUTY_SCHEDULE_FILE", "DUTY_DESCRIPTION"],
        ]

        for (index, reminder) in reminders.enumerated() {
            #expect(try writer.waitUntilVisible(key: reminder.key, since: since, timeout: .seconds(5)))
            let entries = try readBack(key: reminder.key)
            try #require(entries.count == 1, "one entry for \(reminder.key), got \(entries.count)")
            let entry = entries[0]
            #expect(entry["SYSLOG_IDENTIFIER"] as? String == "dutyd")
            #expect(entry["DUTY_KEY"] as? String == reminder.key)
            #expect(entry["DUTY_ID"] as? String == reminder.dutyID)
            #expect(entry["DUTY_RECIPIENT"] as? String == "dc-secretary")
            #expect(entry["_TRANSPORT"] as? String == "journal")
            #expect(entry["_PID"] as? String == String(getpid()))
            for (name, value) in expected[index] {
                if let list = value as? [String] {
                    #expect(entry[name] as? [String] == list, "\(reminder.key) \(name)")
                } else {
                    #expect(entry[name] as? String == value as? String, "\(reminder.key) \(name): \(String(describing: entry[name]))")
                }
            }
            for name in absent[index] { #expect(entry[name] == nil, "\(reminder.key) \(name) must be absent") }
            // No stray fields: everything user-supplied is one we meant to send.
            let ours = Set(writer.fields(for: reminder).map(\.name))
            let sent = Set(entry.keys.filter { !$0.hasPrefix("_") })
            #expect(sent == ours, "fields of \(reminder.key)")
        }
    }

    @Test func containsFindsSentKeysOnly() throws {
        guard journaldReachable() else { return }
        let reminder = sampleReminder(id: "contains-\(UUID().uuidString.prefix(8).lowercased())")
        let before = Date() - 1
        #expect(!writer.contains(key: reminder.key, since: before))
        try writer.send(reminder)
        #expect(try writer.waitUntilVisible(key: reminder.key, since: before, timeout: .seconds(5)))
        #expect(writer.contains(key: reminder.key, since: before))
        #expect(try writer.lookup(key: reminder.key, since: before))
        // Only entries at or after `since` count.
        #expect(!writer.contains(key: reminder.key, since: Date() + 3600))
        // A different identifier does not match.
        #expect(!JournalWriter(identifier: "not-dutyd").contains(key: reminder.key, since: before))
        // Absent keys time out rather than hang.
        let start = ContinuousClock.now
        #expect(try !writer.waitUntilVisible(key: "never-\(UUID())", since: before, timeout: .milliseconds(300)))
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func genericScheduleErrorEntry() throws {
        guard journaldReachable() else { return }
        let key = "schedule-error-\(UUID().uuidString.prefix(8).lowercased())"
        let since = Date() - 1
        try writer.send(fields: [
            JournalField("MESSAGE", "schedule file /etc/dutyd/plan.toml has 2 errors"),
            JournalField("PRIORITY", String(JournalWriter.scheduleErrorPriority)),
            JournalField("MESSAGE_ID", DutyMessageID.scheduleError),
            JournalField("DUTY_KEY", key),
            JournalField("DUTY_SCHEDULE_FILE", "/etc/dutyd/plan.toml"),
            JournalField("DUTY_ERROR", "plan.toml:3:7: 未知的星期 \"周八\"\nplan.toml:9:1: missing title"),
        ])
        #expect(try writer.waitUntilVisible(key: key, since: since))
        let entries = try readBack(key: key)
        try #require(entries.count == 1)
        #expect(entries[0]["PRIORITY"] as? String == "3")
        #expect(entries[0]["MESSAGE_ID"] as? String == "4c17156041ef43a8a02162286b87f3b2")
        #expect(entries[0]["SYSLOG_IDENTIFIER"] as? String == "dutyd")  // added by send(fields:)
        #expect(
            entries[0]["DUTY_ERROR"] as? String == "plan.toml:3:7: 未知的星期 \"周八\"\nplan.toml:9:1: missing title")
    }

    /// A value far above a datagram's size goes through libsystemd's memfd path and still arrives whole.
    @Test func largeEntryArrivesWhole() throws {
        guard journaldReachable() else { return }
        let key = "large-\(UUID().uuidString.prefix(8).lowercased())"
        let big = String(repeating: "大", count: 400_000)  // 1.2 MB
        let since = Date() - 1
        try writer.send(fields: [JournalField("MESSAGE", "large entry"), JournalField("DUTY_KEY", key), JournalField("DUTY_DESCRIPTION", big)])
        #expect(try writer.waitUntilVisible(key: key, since: since))
        let entries = try readBack(key: key)
        try #require(entries.count == 1)
        #expect((entries[0]["DUTY_DESCRIPTION"] as? String)?.utf8.count == big.utf8.count)
    }
}

extension JournalWriterLiveTests {
    /// Figures for the report: sendv throughput and send-to-visible latency (printed; loose bounds).
    @Test func sendFigures() throws {
        guard journaldReachable() else { return }
        let run = UUID().uuidString.prefix(8).lowercased()
        let reminders = (0..<200).map { sampleReminder(id: "figures-\(run)-\($0)", description: "说明\n第二行") }
        let clock = ContinuousClock()
        let since = Date() - 1
        let sending = try clock.measure { for reminder in reminders { try writer.send(reminder) } }
        var visible = false
        let latency = try clock.measure {
            visible = try writer.waitUntilVisible(key: reminders.last!.key, since: since, timeout: .seconds(10))
        }
        #expect(visible)
        var found = 0
        let lookups = clock.measure {
            for reminder in reminders.prefix(50) where writer.contains(key: reminder.key, since: since) { found += 1 }
        }
        #expect(found == 50)
        print("DutyJournal figures: 200 reminder entries sent in \(sending); last visible \(latency) later; 50 contains() lookups \(lookups); fields(for:) \(clock.measure { for r in reminders { _ = writer.fields(for: r) } }) for 200")
    }
}
