import DutyCore
import DutyTestSupport
import Foundation
import Testing

/// Clause 二(一)2 and 3 end to end: rankings submitted with `dutyctl ranking submit` over the real socket, the
/// interviews and the escalation in the real journal, `dutyctl interviews`, and an on-demand bulletin that
/// arrives in the spool.
@Suite(.serialized) struct DaemonTriggerTests {
    static let townships = [
        "阿旺镇", "铜都镇", "因民镇", "舍块乡", "汤丹镇", "红土地镇", "转龙镇", "雪山乡", "乌蒙乡", "马鹿塘", "翠华镇", "则黑乡", "中屏镇",
    ]

    /// A CSV ranking by scores with `worst` as the three lowest (worst last).
    static func ranking(worst: [String]) -> String {
        var lines = ["township,score"]
        var score = 100
        for name in townships where !worst.contains(name) {
            lines.append("\(name),\(score)")
            score -= 1
        }
        for name in worst {
            lines.append("\(name),\(score)")
            score -= 1
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func threeRankingsGiveTwoRoundsOfInterviewsThenAnEscalation() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try TestSupport.run("/bin/cp", ["-r", TestSupport.shippedSchedules, dir + "/schedules"]).status == 0)
        let daemon = try LiveDaemon(
            schedules: [dir + "/schedules"], workDirectory: dir,
            arguments: ["--private-spool", "--clock-start", "2018-10-31T18:00:00+08:00", "--clock-rate", "60"])
        defer { daemon.stop() }
        // Wait for the socket.
        var status = try TestSupport.dutyctl(["status", "--socket", daemon.socket])
        for _ in 0..<100 where status.status != 0 {
            usleep(100_000)
            status = try TestSupport.dutyctl(["status", "--socket", daemon.socket])
        }
        #expect(status.status == 0, "\(status.stderr)\n\(daemon.log)")

        for (period, worst) in [("2018-10", ["则黑乡", "汤丹镇", "乌蒙乡"]), ("2018-11", ["汤丹镇", "因民镇", "雪山乡"]), ("2018-12", ["阿旺镇", "则黑乡", "汤丹镇"])] {
            try Self.ranking(worst: worst).write(toFile: dir + "/\(period).csv", atomically: true, encoding: .utf8)
            let out = try TestSupport.dutyctl(["ranking", "submit", "--socket", daemon.socket, "--json", period, dir + "/\(period).csv"])
            #expect(out.status == 0, "\(out.stderr)")
        }
        // Resubmitting December changes nothing.
        let again = try TestSupport.dutyctl(["ranking", "submit", "--socket", daemon.socket, "2018-12", dir + "/2018-12.csv"])
        #expect(again.status == 0, "\(again.stderr)")

        let interviews = try TestSupport.dutyctl(["interviews", "--socket", daemon.socket, "--json"])
        #expect(interviews.status == 0, "\(interviews.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(interviews.stdout.utf8)) as! [String: Any]
        let counts = report["counts"] as! [String: [String: Int]]
        #expect(counts["tangdan"] == ["city": 2, "county": 2, "county-org": 2])
        let decisions = report["decisions"] as! [[String: Any]]
        let tangdan = decisions.filter { $0["township"] as? String == "tangdan" }.map { $0["kind"] as! String }
        #expect(tangdan == ["interview", "interview", "interview", "interview", "interview", "interview", "escalation"])
        // The human table shows the counts too.
        let table = try TestSupport.dutyctl(["interviews", "--socket", daemon.socket])
        #expect(table.stdout.contains("汤丹镇"))

        // The escalation reaches the journal with DUTY_KIND=escalation, at alert priority, for 汤丹镇.
        let files = dir + "/schedules/triggers.toml"
        let escalations = try JournalReader.wait(for: ["DUTY_SCHEDULE_FILE=\(files)", "DUTY_KIND=escalation"], timeout: 30) {
            $0.contains { $0["DUTY_ID"] == "ranking-interviews.2018-12.tangdan.escalation" }
        }
        let entry = try #require(escalations.first { $0["DUTY_ID"] == "ranking-interviews.2018-12.tangdan.escalation" }, "\(daemon.log.suffix(2000))")
        #expect(entry["DUTY_TITLE"] == "组织处理：汤丹镇累计约谈2次后排名仍在后三位")
        #expect(entry["PRIORITY"] == "1")
        #expect(entry["DUTY_CLAUSE"] == "二(一)3")
        let interviewEntries = try JournalReader.entries(["DUTY_SCHEDULE_FILE=\(files)", "DUTY_KIND=interview"])
        let tangdanInterviews = Set(interviewEntries.compactMap { $0["DUTY_ID"] }.filter { $0.contains(".tangdan.") })
        #expect(tangdanInterviews.count == 6, "\(tangdanInterviews.sorted())")

        // A bad ranking is refused with the reason, and changes nothing.
        try "township,score\n汤丹镇,1\n汤丹镇,2\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        let bad = try TestSupport.dutyctl(["ranking", "submit", "--socket", daemon.socket, "2019-01", dir + "/bad.csv"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("duplicate row for 汤丹镇"))

        // A bulletin for one township and month, on demand: it arrives in the spool of the township's role.
        let bulletin = try TestSupport.dutyctl(["bulletin", "--socket", daemon.socket, "汤丹镇", "2018-10"])
        #expect(bulletin.status == 0, "\(bulletin.stderr)")
        #expect(bulletin.stdout.contains("汤丹镇2018-10脱贫攻坚工作通报"))
        let spool = daemon.spool
        var found = false
        for _ in 0..<100 where !found {
            let read = try TestSupport.python(
                """
                import sys, os, mailbox, email.policy
                for name in os.listdir(sys.argv[1]):
                    if name.endswith('.lock'): continue
                    for msg in mailbox.mbox(os.path.join(sys.argv[1], name), create=False):
                        m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
                        if str(m['X-Dutyd-Kind']) == 'bulletin':
                            print(name, m['Subject'])
                """, [spool])
            found = read.stdout.contains("汤丹镇2018-10脱贫攻坚工作通报")
            if !found { usleep(100_000) }
        }
        #expect(found)
    }
}
