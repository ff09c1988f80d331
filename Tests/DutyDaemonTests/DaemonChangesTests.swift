import DutyCore
import DutyTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A month of the 2018 plan with changes, on the real daemon, journald and mail spool: this fortnight's 双周例会
/// moved to Wednesday afternoon, an extra meeting, a city inspection cancelled, 汤丹镇 paused until October and a
/// snooze. The changes are made over the socket with `dutyctl` on a clock running at real speed, the daemon is
/// restarted (the changes must survive it) and the month runs on a fast simulated clock. The journal must show
/// exactly the reminders the unchanged agenda has, less what the changes removed and plus what they added (worked
/// out here from the agenda by the rules of each change, not by the planner), and the spool exactly what the
/// journal shows.
@Suite(.serialized) struct DaemonChangesTests {
    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    static func at(_ text: String) -> Date { TimeFormatting.parseISO8601(text, defaultZone: zone)! }
    static func iso(_ text: String) -> String { TimeFormatting.iso8601(at(text), in: zone) }
    static func seconds(_ text: String) -> Int { Int(at(text).timeIntervalSince1970) }

    struct Entry {
        var fields: [String: String]
        var duty: String { fields["DUTY_ID"] ?? "" }
        var kind: String { fields["DUTY_KIND"] ?? "" }
        var offset: String { fields["DUTY_OFFSET"] ?? "" }
        var occurrence: String { fields["DUTY_OCCURRENCE"] ?? "" }
        var occurrenceID: String { fields["DUTY_OCCURRENCE_ID"] ?? "" }
        var recipient: String { fields["DUTY_RECIPIENT"] ?? "" }
        var fireAt: Date { fields["DUTY_FIRE_AT"].flatMap { TimeFormatting.parseISO8601($0, defaultZone: zone) } ?? .distantPast }
        /// The notice (not the recipient): duty, kind, offset, occurrence time.
        var notice: String { "\(duty)|\(kind)|\(offset)|\(occurrence)" }
    }

    static func waitForSocket(_ daemon: LiveDaemon) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: daemon.socket),
                try TestSupport.dutyctl(["status"], environment: ["DUTYD_SOCKET": daemon.socket]).status == 0
            {
                return
            }
            guard daemon.isRunning else { break }
            usleep(100_000)
        }
        Issue.record("dutyd did not answer on its socket: \(daemon.log)")
        throw CancellationError()
    }

    @Test func aMonthOfThePlanWithAMovedMeetingACancelledInspectionAPausedTownshipAndASnooze() throws {
        try #require(JournalReader.isAvailable, "no journald answers: run scripts/ensure-journald.sh (make test does)")
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try TestSupport.run("/bin/cp", ["-r", TestSupport.shippedSchedules, dir + "/schedules"]).status == 0)
        let schedules = dir + "/schedules"

        // 1. The changes, on a clock at real speed from 2018-09-13 08:00 (nothing of the plan fires before 09:00).
        let first = try LiveDaemon(
            schedules: [schedules], workDirectory: dir,
            arguments: ["--private-spool", "--clock-start", "2018-09-13T08:00:00+08:00", "--clock-rate", "1"])
        defer { first.stop() }
        try Self.waitForSocket(first)
        let env = ["DUTYD_SOCKET": first.socket]
        func ctl(_ arguments: [String]) throws -> TestSupport.Output {
            let out = try TestSupport.dutyctl(arguments, environment: env)
            #expect(out.status == 0, "dutyctl \(arguments.joined(separator: " ")): \(out.stderr)")
            return out
        }
        let meeting = "dongchuan-biweekly-meeting@\(Self.seconds("2018-09-17T09:00"))"
        let inspection = "city-inspection-luquan@\(Self.seconds("2018-09-18T09:00"))"
        let snoozed = "city-inspection-dongchuan@\(Self.seconds("2018-09-14T09:00"))"
        let extra = "dongchuan-biweekly-meeting@\(Self.seconds("2018-09-28T15:00"))"
        _ = try ctl(["move", meeting, "--to", "2018-09-19T15:00", "--note", "本周例会改到周三下午"])
        _ = try ctl(["add", "dongchuan-biweekly-meeting", "--at", "2018-09-28T15:00", "--note", "加开一次例会"])
        _ = try ctl(["cancel", inspection, "--note", "本月停检"])
        let pause = try ctl(["pause", "--township", "汤丹镇", "--until", "2018-09-30", "--note", "汛期暂停", "--json"])
        let snooze = try JSONSerialization.jsonObject(
            with: Data(try ctl(["snooze", snoozed, "2h", "--as", "city-inspection-desk", "--json"]).stdout.utf8)) as! [String: Any]
        let snoozedAt = try #require(((snooze["change"] as? [String: Any])?["recorded_at"] as? String).flatMap { TimeFormatting.parseISO8601($0, defaultZone: Self.zone) })

        // What the socket shows: the moved occurrence keeps its id, with its history.
        let show = try JSONSerialization.jsonObject(with: Data(try ctl(["show", meeting, "--json"]).stdout.utf8)) as! [String: Any]
        #expect(show["status"] as? String == "moved")
        #expect(show["occurrence"] as? String == Self.iso("2018-09-19T15:00"))
        #expect(show["scheduled"] as? String == Self.iso("2018-09-17T09:00"))
        let history = show["changes"] as? [[String: Any]] ?? []
        #expect(history.map { $0["action"] as? String } == ["move"])
        #expect(history.first?["note"] as? String == "本周例会改到周三下午" && history.first?["uid"] as? Int == 0)
        let upcoming = try JSONSerialization.jsonObject(
            with: Data(try ctl(["upcoming", "--duty", "dongchuan-biweekly-meeting", "--from", "2018-09-14", "--to", "2018-09-30", "--json"]).stdout.utf8))
            as! [String: Any]
        let dues = (upcoming["items"] as? [[String: Any]] ?? []).map { "\($0["occurrence_id"]!) \($0["occurrence"]!)" }
        #expect(dues == ["\(meeting) \(Self.iso("2018-09-19T15:00"))", "\(extra) \(Self.iso("2018-09-28T15:00"))"])
        // The pause lists what it skips.
        let paused = try JSONSerialization.jsonObject(with: Data(pause.stdout.utf8)) as! [String: Any]
        let skippedByPause = Set((paused["skipped"] as? [[String: Any]] ?? []).compactMap { $0["occurrence_id"] as? String })
        #expect(skippedByPause.contains("tangdan-monthly-bulletin@\(Self.seconds("2018-09-30T17:00"))"))
        // The calendar feeds of the people concerned: the moved meeting keeps its UID at its new time with
        // SEQUENCE:1, the extra meeting is there, the cancelled inspection is STATUS:CANCELLED.
        func event(of person: String, _ uid: String) throws -> String {
            let feed = try TestSupport.run(
                "/usr/bin/curl", ["-sf", "--unix-socket", first.socket, "http://localhost/v1/calendar.ics?person=\(person)"]).stdout
            return feed.components(separatedBy: "BEGIN:VEVENT").first { $0.contains("UID:\(uid)@dutyd\r\n") } ?? ""
        }
        let movedEvent = try event(of: "dc-secretary", meeting)
        #expect(movedEvent.contains("DTSTART;TZID=Asia/Shanghai:20180919T150000\r\n") && movedEvent.contains("SEQUENCE:1\r\n"), "\(movedEvent)")
        #expect(!movedEvent.contains("STATUS:CANCELLED"))
        #expect(try event(of: "dc-secretary", extra).contains("DTSTART;TZID=Asia/Shanghai:20180928T150000\r\n"))
        let cancelledEvent = try event(of: "city-inspection-desk", inspection)
        #expect(cancelledEvent.contains("STATUS:CANCELLED\r\n") && cancelledEvent.contains("DTSTART;TZID=Asia/Shanghai:20180918T090000\r\n"), "\(cancelledEvent)")
        first.stop()

        let start = Self.at("2018-09-13T08:00")
        let end = Self.at("2018-10-13T08:00")
        // 2. What the month must show (computed before it runs, to wait for it): due dates and warnings of the
        // unchanged agenda, changed by the rules of each change; the paused township's occurrences as skipped.
        let agendaOut = try TestSupport.dutyctl(["agenda", "--schedules", schedules, "--from", "2018-09-13", "--to", "2018-10-13", "--json"])
        let agenda = try JSONSerialization.jsonObject(with: Data(agendaOut.stdout.utf8)) as! [[String: Any]]
        let pauseEnd = Self.at("2018-10-01T00:00")
        let township = try JSONSerialization.jsonObject(
            with: Data(try TestSupport.dutyctl(["agenda", "--schedules", schedules, "--from", "2018-09-13", "--to", "2018-10-13", "--township", "汤丹镇", "--json"]).stdout.utf8))
            as! [[String: Any]]
        let townshipDuties = Set(township.map { $0["duty"] as! String })
        // A duty only the township has (recipients and responsible all its role) is skipped whole; the others go on
        // without the township's people.
        let wholly = Set(township.filter { e in
            ((e["recipients"] as! [String]) + (e["responsible"] as! [String])).allSatisfy { $0 == "tangdan-township" }
        }.map { $0["duty"] as! String })
        func inPause(_ occurrence: String) -> Bool {
            let t = TimeFormatting.parseISO8601(occurrence, defaultZone: Self.zone)!
            return t >= start && t < pauseEnd
        }
        var expected = Set<String>()
        for e in agenda {
            let fire = TimeFormatting.parseISO8601(e["fire_at"] as! String, defaultZone: Self.zone)!
            guard fire > start, fire <= end else { continue }
            let duty = e["duty"] as! String, occurrence = e["occurrence"] as! String
            if duty == "dongchuan-biweekly-meeting" && occurrence == Self.iso("2018-09-17T09:00") { continue }  // moved
            if duty == "city-inspection-luquan" && occurrence == Self.iso("2018-09-18T09:00") { continue }  // cancelled
            if wholly.contains(duty) && inPause(occurrence) { continue }  // paused whole
            expected.insert("\(duty)|\(e["kind"]!)|\(e["offset"] as? String ?? "")|\(occurrence)")
        }
        // The moved and the extra meeting: due, and the duty's warnings (1d, 2h) from their time.
        for occurrence in ["2018-09-19T15:00", "2018-09-28T15:00"] {
            expected.insert("dongchuan-biweekly-meeting|due||\(Self.iso(occurrence))")
            expected.insert("dongchuan-biweekly-meeting|warning|1d|\(Self.iso(occurrence))")
            expected.insert("dongchuan-biweekly-meeting|warning|2h|\(Self.iso(occurrence))")
        }
        let expectedSkipped = Set(township.filter { ($0["kind"] as! String) == "due" && inPause($0["occurrence"] as! String) }
            .map { "\($0["duty"]!)|\($0["occurrence"]!)" })

        // 3. Restarted (the changes are read back from the ledger), the month on a fast clock. Delivery runs
        // behind the clock by up to seconds of real time (two simulated days a second; the visits' bursts and
        // their mail; a loaded CI machine): the catch-up window is wider than the month, so that a late reminder
        // is delivered rather than recorded as missed, and the month is over when every reminder and skip it
        // must show is journaled (each is looked for below, exactly, with the differences named), not when the
        // first entry after it appears.
        let second = try LiveDaemon(
            schedules: [schedules], workDirectory: dir,
            arguments: ["--private-spool", "--clock-start", "2018-09-13T08:10:00+08:00", "--clock-rate", "172800",
                "--catch-up", "400d"])
        defer { second.stop() }
        func ours(_ entries: [JournalReader.Entry]) -> [Entry] {
            entries.filter { $0["DUTY_SCHEDULE_FILE"]?.hasPrefix(schedules + "/") == true }.map { Entry(fields: $0.fields) }
        }
        let before = ours(try JournalReader.entries(["SYSLOG_IDENTIFIER=dutyd", "_PID=\(first.pid)"]))
        _ = try JournalReader.wait(for: ["SYSLOG_IDENTIFIER=dutyd", "_PID=\(second.pid)"], timeout: 180) { entries in
            let month = (before + ours(entries)).filter { $0.fireAt <= end }
            return expected.isSubset(of: month.filter { $0.kind == "due" || $0.kind == "warning" }.map(\.notice))
                && expectedSkipped.isSubset(of: month.filter { $0.kind == "skipped" }.map { "\($0.duty)|\($0.occurrence)" })
        }
        second.stop()
        let all = ours(try JournalReader.entries(["SYSLOG_IDENTIFIER=dutyd", "_PID=\(first.pid)"]))
            + ours(try JournalReader.entries(["SYSLOG_IDENTIFIER=dutyd", "_PID=\(second.pid)"]))
        let journal = all.filter { $0.fireAt <= end }

        // Nothing twice.
        var keys: [String: Int] = [:]
        for e in all { keys[e.fields["DUTY_KEY"] ?? "?", default: 0] += 1 }
        #expect(keys.filter { $0.value > 1 }.isEmpty, "journaled twice: \(keys.filter { $0.value > 1 }.keys.sorted().prefix(5))")

        let journaled = Set(journal.filter { $0.kind == "due" || $0.kind == "warning" }.map(\.notice))
        let onlyJournaled = journaled.subtracting(expected).sorted(), onlyExpected = expected.subtracting(journaled).sorted()
        #expect(onlyJournaled.isEmpty && onlyExpected.isEmpty, "only journaled: \(onlyJournaled.prefix(8)); only expected: \(onlyExpected.prefix(8))")

        // The moved meeting: its id kept, its warnings from the new time, overdue and escalation after it.
        let movedEntries = journal.filter { $0.occurrenceID == meeting }
        #expect(movedEntries.allSatisfy { $0.kind == "changed" || $0.occurrence == Self.iso("2018-09-19T15:00") })
        #expect(Set(movedEntries.filter { $0.kind == "warning" }.map(\.fireAt)) == [Self.at("2018-09-18T15:00"), Self.at("2018-09-19T13:00")])
        #expect(Set(movedEntries.filter { $0.kind == "overdue" }.map(\.fireAt)) == [Self.at("2018-09-20T15:00")])
        // Every recipient got one change notice with the old and the new time and the note.
        let notices = movedEntries.filter { $0.kind == "changed" }
        let dueRecipients = Set(movedEntries.filter { $0.kind == "due" }.map(\.recipient))
        #expect(!dueRecipients.isEmpty && Set(notices.map(\.recipient)) == dueRecipients && notices.count == dueRecipients.count)
        for n in notices {
            #expect(n.fields["DUTY_CHANGE"] == "move" && n.fields["DUTY_NOTE"] == "本周例会改到周三下午")
            #expect(n.fields["DUTY_PREVIOUS_OCCURRENCE"] == Self.iso("2018-09-17T09:00") && n.occurrence == Self.iso("2018-09-19T15:00"))
            #expect(n.fields["DUTY_CHANGED_BY_UID"] == "0")
        }
        // The extra meeting: announced to the same people, reminded like the others.
        let added = journal.filter { $0.occurrenceID == extra }
        #expect(Set(added.filter { $0.kind == "changed" && $0.fields["DUTY_CHANGE"] == "add" }.map(\.recipient)) == dueRecipients)
        #expect(Set(added.filter { $0.kind == "due" }.map(\.recipient)) == dueRecipients)
        // The cancelled inspection: a cancellation notice to its people, and nothing else.
        let cancelled = journal.filter { $0.occurrenceID == inspection }
        #expect(!cancelled.isEmpty && cancelled.allSatisfy { $0.kind == "cancelled" && $0.fields["DUTY_NOTE"] == "本月停检" })
        // The paused township: every occurrence of its duties inside the pause journaled as skipped, none of them
        // reminded to its people, and the whole-skipped ones to nobody.
        let skipped = journal.filter { $0.kind == "skipped" }
        #expect(Set(skipped.map { "\($0.duty)|\($0.occurrence)" }) == expectedSkipped)
        #expect(skipped.allSatisfy { $0.recipient == "-" && $0.fields["DUTY_CHANGE"] == "pause" && $0.fields["DUTY_NOTE"] == "汛期暂停" })
        #expect(!expectedSkipped.isEmpty)
        let silenced = journal.filter {
            townshipDuties.contains($0.duty) && inPause($0.occurrence) && $0.kind != "skipped" && $0.recipient == "tangdan-leaders"
        }
        #expect(silenced.isEmpty, "reminded while paused: \(silenced.prefix(3).map(\.fields))")
        #expect(journal.filter { wholly.contains($0.duty) && inPause($0.occurrence) && $0.kind != "skipped" }.isEmpty)
        // The snooze: the latest reminder to that person at or before the snooze (the 3-workday warning of
        // 09-11; the daemon first started after it) once more, two hours after the snooze was recorded.
        let repeats = journal.filter { $0.kind == "snoozed" }
        #expect(repeats.count == 1)
        #expect(repeats.first?.recipient == "city-inspection-desk" && repeats.first?.occurrenceID == snoozed)
        #expect(repeats.first.map { Int($0.fireAt.timeIntervalSince1970) } == Int(snoozedAt.timeIntervalSince1970) + 7200, "\(repeats.first?.fields["DUTY_FIRE_AT"] ?? "-")")
        #expect(repeats.first?.fields["DUTY_REPEATS"] == "warning")
        #expect(repeats.first?.fields["DUTY_OFFSET"]?.hasPrefix("2h-") == true)

        // 4. The spool holds exactly what the journal shows for people with a mailbox, once each.
        let script = """
            import sys, os, mailbox, email.policy, json
            out = []
            for name in sorted(os.listdir(sys.argv[1])):
                if name.endswith('.lock'): continue
                for msg in mailbox.mbox(os.path.join(sys.argv[1], name), factory=None, create=False):
                    m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
                    keys = [str(k).strip() for k in m.get_all("X-Dutyd-Key", [])]
                    out.append({"keys": keys, "subject": str(m["Subject"]), "defects": len(m.defects)})
            print(json.dumps(out, ensure_ascii=False))
            """
        let read = try TestSupport.python(script, [second.spool])
        #expect(read.status == 0, "\(read.stderr)")
        let mails = try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as! [[String: Any]]
        var mailed: [String: String] = [:]
        // One X-Dutyd-Key per reminder a message carries (a digest carries several; its subject then names the
        // count, so the change tags are checked on single messages only).
        var single: Set<String> = []
        for m in mails {
            let keys = m["keys"] as? [String] ?? []
            #expect(!keys.isEmpty)
            for key in keys {
                #expect(mailed[key] == nil, "mailed twice: \(key)")
                mailed[key] = m["subject"] as? String
            }
            if keys.count == 1 { single.insert(keys[0]) }
            #expect(m["defects"] as? Int == 0)
        }
        // The ledger says which rows each channel delivered by the time the daemon stopped (mail may trail the
        // journal by a batch: such a row is still planned and goes out at the next start). The journal holds
        // exactly the journal rows delivered, the spool exactly the mail rows delivered, and every reminder
        // journaled to a person has its mail row.
        func rows(_ query: String) throws -> Set<String> {
            let out = try TestSupport.run("/usr/bin/sqlite3", ["-readonly", second.stateDirectory + "/dutyd.sqlite", query])
            #expect(out.status == 0, "\(out.stderr)")
            return Set(out.stdout.split(separator: "\n").map(String.init))
        }
        let journalKeys = Set(all.filter { $0.recipient != "-" }.compactMap { $0.fields["DUTY_KEY"] })
        let journalRows = try rows("SELECT key FROM delivery WHERE channel = 'journal' AND state = 'delivered' AND recipient_id != '-'")
        #expect(journalRows == journalKeys, "journaled, not in the ledger: \(journalKeys.subtracting(journalRows).prefix(3)); delivered in the ledger, not journaled: \(journalRows.subtracting(journalKeys).prefix(3))")
        let mailRows = try rows("SELECT key FROM delivery WHERE channel != 'journal' AND state = 'delivered'")
        #expect(Set(mailed.keys) == mailRows, "mailed, not delivered in the ledger: \(Set(mailed.keys).subtracting(mailRows).prefix(3)); delivered in the ledger, not in the spool: \(mailRows.subtracting(mailed.keys).prefix(3))")
        let mailAll = try rows("SELECT key FROM delivery WHERE channel != 'journal'")
        #expect(journalKeys.isSubset(of: mailAll), "journaled without a mail row: \(journalKeys.subtracting(mailAll).prefix(3))")
        #expect(try rows("SELECT key FROM delivery WHERE state IN ('delivering', 'failed')").subtracting([""]).isEmpty)
        let tags = ["move": "【改期】", "add": "【加开】"]
        for e in all where e.kind == "changed" || e.kind == "cancelled" || e.kind == "snoozed" {
            guard let key = e.fields["DUTY_KEY"], let subject = mailed[key] else { continue }
            #expect(single.contains(key), "a change notice went out in a digest: \(key)")
            let tag = e.kind == "cancelled" ? "【取消】" : e.kind == "snoozed" ? "【再次提醒】" : tags[e.fields["DUTY_CHANGE"] ?? ""] ?? "?"
            #expect(subject.hasPrefix(tag) && subject.contains(e.fields["DUTY_TITLE"] ?? "\u{0}"), "\(subject)")
        }
    }
}
