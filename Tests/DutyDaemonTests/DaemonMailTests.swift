import DutyCore
import DutyTestSupport
import Foundation
import Testing

/// A simulated month of the 2018 plan with mail on (the sample roster's household visits included): the spool holds
/// exactly the reminders the journal shows, each in one message; the visits of a cadre (and the escalations to a
/// township) that fire at one instant arrive as one digest; the journal still has one entry per reminder; real
/// readers (python `mailbox`, s-nail) read every message with its Chinese subject.
@Suite(.serialized) struct DaemonMailTests {
    @Test func aMonthOfThePlanLeavesInTheSpoolExactlyWhatTheJournalShowsWithOneDigestPerInstant() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try TestSupport.run("/bin/cp", ["-r", TestSupport.shippedSchedules, dir + "/schedules"]).status == 0)
        let daemon = try LiveDaemon(
            schedules: [dir + "/schedules"], workDirectory: dir,
            arguments: ["--private-spool", "--clock-start", "2018-09-13T08:00:00+08:00", "--clock-rate", "172800",
                "--catch-up", "400d"])
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        let end = TimeFormatting.parseISO8601("2018-10-13T08:00:00+08:00", defaultZone: shanghai)!
        func ours(_ entries: [JournalReader.Entry]) -> [JournalReader.Entry] {
            entries.filter { $0["DUTY_SCHEDULE_FILE"]?.hasPrefix(dir + "/schedules/") == true }
        }
        func fire(_ e: JournalReader.Entry) -> Date { e["DUTY_FIRE_AT"].flatMap { TimeFormatting.parseISO8601($0, defaultZone: shanghai) } ?? .distantPast }
        // This daemon's entries only (journald indexes _PID; the shared journal of a test host is large).
        let matches = ["SYSLOG_IDENTIFIER=dutyd", "_PID=\(daemon.process.processIdentifier)"]
        _ = try JournalReader.wait(for: matches, timeout: 120) { ours($0).contains { fire($0) > end } }
        daemon.stop()
        let journal = ours(try JournalReader.entries(matches))
        // Every journaled reminder to a person with a mailbox must be in that mailbox, and nothing else.
        let schedules = try String(contentsOfFile: dir + "/schedules/people.toml", encoding: .utf8)
        #expect(schedules.contains("account"))
        let script = """
            import sys, os, mailbox, email.policy, json
            out = {}
            for name in sorted(os.listdir(sys.argv[1])):
                if name.endswith('.lock'): continue
                box = mailbox.mbox(os.path.join(sys.argv[1], name), factory=None, create=False)
                for msg in box:
                    m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
                    out.setdefault(name, []).append({"keys": [str(k).strip() for k in m.get_all("X-Dutyd-Key", [])],
                        "subject": str(m["Subject"]), "kind": str(m["X-Dutyd-Kind"]), "list": str(m["List-Id"]),
                        "defects": len(m.defects), "body": m.get_body(preferencelist=('plain',)).get_content()})
            print(json.dumps(out, ensure_ascii=False))
            """
        let read = try TestSupport.python(script, [daemon.spool])
        #expect(read.status == 0, "\(read.stderr)")
        let boxes = try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as! [String: [[String: Any]]]
        var mailed: [String: String] = [:]  // key -> subject
        var carriers: [String: Set<String>] = [:]  // key -> the keys of its message
        var digests = 0
        for (_, messages) in boxes {
            for m in messages {
                let keys = m["keys"] as! [String]
                #expect(!keys.isEmpty)
                if keys.count > 1 { digests += 1 }
                for key in keys {
                    #expect(mailed[key] == nil, "mailed twice: \(key)")
                    mailed[key] = m["subject"] as? String
                    carriers[key] = Set(keys)
                }
                #expect((m["defects"] as! Int) == 0)
                #expect((m["list"] as? String)?.hasSuffix("<dutyd.dutyd-test.local>") == true)
            }
        }
        #expect(digests > 0)
        // Journal entries for recipients that have mail: every entry's recipient id maps to an account here.
        let journalKeys = Set(journal.filter { $0["DUTY_RECIPIENT"] != "-" && $0["DUTY_KIND"] != nil }.compactMap { $0["DUTY_KEY"] })
        #expect(!mailed.isEmpty)
        // The ledger says which rows each channel delivered by the time the daemon stopped (mail may trail the
        // journal by a batch: such a row is still planned and goes out at the next start). The journal holds
        // exactly the journal rows delivered, the spool exactly the mail rows delivered, and every reminder
        // journaled to a person has its mail row.
        func rows(_ query: String) throws -> Set<String> {
            let out = try TestSupport.run("/usr/bin/sqlite3", ["-readonly", daemon.stateDirectory + "/dutyd.sqlite", query])
            #expect(out.status == 0, "\(out.stderr)")
            return Set(out.stdout.split(separator: "\n").map(String.init))
        }
        let journalRows = try rows("SELECT key FROM delivery WHERE channel = 'journal' AND state = 'delivered' AND recipient_id != '-'")
        #expect(journalRows == journalKeys, "journaled, not in the ledger: \(journalKeys.subtracting(journalRows).prefix(3)); delivered in the ledger, not journaled: \(journalRows.subtracting(journalKeys).prefix(3))")
        let mailRows = try rows("SELECT key FROM delivery WHERE channel != 'journal' AND state = 'delivered'")
        #expect(Set(mailed.keys) == mailRows, "mailed, not delivered in the ledger: \(Set(mailed.keys).subtracting(mailRows).prefix(3)); delivered in the ledger, not in the spool: \(mailRows.subtracting(mailed.keys).prefix(3))")
        let mailAll = try rows("SELECT key FROM delivery WHERE channel != 'journal'")
        #expect(journalKeys.isSubset(of: mailAll), "journaled without a mail row: \(journalKeys.subtracting(mailAll).prefix(3))")
        // The journal has one entry per reminder.
        var perKey: [String: Int] = [:]
        for entry in journal { if let key = entry["DUTY_KEY"] { perKey[key, default: 0] += 1 } }
        #expect(perKey.values.allSatisfy { $0 == 1 }, "journaled twice: \(perKey.filter { $0.value > 1 }.keys.sorted().prefix(3))")
        // The visits (a template: digests on) of one recipient, kind and fire instant are exactly one message; the
        // other duties (digests off) are one message per reminder.
        let entries = Dictionary(journal.compactMap { e in e["DUTY_KEY"].map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
        var instants: [String: Set<String>] = [:]
        for (key, entry) in entries where journalKeys.contains(key) && mailed[key] != nil {
            let group = key.hasPrefix("visit-")
                ? "\(entry["DUTY_RECIPIENT"] ?? "")|\(entry["DUTY_KIND"] ?? "")|\(entry["DUTY_FIRE_AT"] ?? "")" : key
            instants[group, default: []].insert(key)
        }
        #expect(instants.values.contains { $0.count > 1 }, "no cadre had two visits at one instant")
        for (group, keys) in instants {
            #expect(carriers[keys.first!] == keys, "\(group): \(keys.sorted()) arrived as \(carriers[keys.first!].map { $0.sorted() } ?? [])")
        }
        // Subjects decode to the titles the journal shows (a digest's to its first title and the count).
        let titles = Dictionary(journal.compactMap { e in e["DUTY_KEY"].map { ($0, e["DUTY_TITLE"] ?? "") } }, uniquingKeysWith: { a, _ in a })
        for (key, subject) in mailed where carriers[key]?.count == 1 {
            #expect(subject.contains(titles[key] ?? "\u{0}"), "\(key): \(subject)")
        }
        for (key, subject) in mailed where (carriers[key]?.count ?? 0) > 1 {
            #expect(subject.contains("\(carriers[key]!.count) 项"), "\(key): \(subject)")
        }
        // s-nail lists every message of one mailbox in batch mode.
        let box = try #require(boxes.max { $0.value.count < $1.value.count })
        let snail = try TestSupport.run(
            "/usr/bin/env",
            ["LC_ALL=C.UTF-8", "s-nail", "-n", "-#", "-R", "-Sttycharset=utf-8", "-Y", "from *", "-Y", "xit", "-f", daemon.spool + "/" + box.key])
        #expect(snail.status == 0, "\(snail.stderr)")
        // One index line per message; s-nail shortens the sender column, so match its start.
        let listed = snail.stdout.split(separator: "\n").filter { $0.contains("dutyd@dutyd-test") }
        #expect(listed.count == box.value.count, "\(snail.stdout.prefix(500))")
        #expect(!snail.stderr.contains("non-conforming"))
    }
}
