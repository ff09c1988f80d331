import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// The spool as Debian's real readers see it: s-nail (batch mode), formail, mutt under tmux, Python.
/// Commands as in docs/delivery.md §4.3.
@Suite struct RealReaderTests {
    static let titles = [
        "提醒：明天上午九点与王经理开会讨论第三季度预算，地点：三楼会议室",
        "Quote of the day 每日一句 Bcc: victim@example.com",
        "季度报告",
        "From the desk of the director 主任办公室通知",
    ]

    /// A spool with one message per title (all three body encodings; 8bit bodies carry `From ` lines).
    static func makeSpool() throws -> (dir: String, path: String, messages: [MailMessage]) {
        let dir = try TestSupport.temporaryDirectory("dutymail-readers")
        let account = TestSupport.currentAccount()
        let mbox = MboxDeliverer(spoolDirectory: dir, envelopeSender: "dutyd@vm")
        var messages: [MailMessage] = []
        for (index, title) in titles.enumerated() {
            var composer = TestSupport.composer
            composer.bodyEncoding = MailComposer.BodyEncoding.allCases[index % 3]
            let reminder = TestSupport.reminder(
                title: index == 1 ? "Quote of the day 每日一句\r\nBcc: victim@example.com" : title,
                description: "From the desk of the director: 请准时参加。\n>From an already quoted line\n.\n",
                dutyID: "duty-\(index)")
            let message = try composer.compose(reminder, date: Date(timeIntervalSince1970: 1_796_002_233 + Double(index)))
            try mbox.deliver(message, to: Recipient(id: "r", name: "r", channel: .mbox(account: account)))
            messages.append(message)
        }
        return (dir, "\(dir)/\(account)", messages)
    }

    @Test func pythonMailboxReadsEveryMessage() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(atPath: spool.dir) }
        let parsed = try TestSupport.python("mbox", [spool.path])
        #expect(parsed.map(\.subject) == Self.titles)
        #expect(parsed.map(\.message_id) == spool.messages.map(\.messageID))
        #expect(parsed.allSatisfy { $0.defects.isEmpty && $0.headerNames.allSatisfy { $0.lowercased() != "bcc" } })
        for message in parsed {
            let body = try #require(message.body)
            #expect(body.contains("请准时参加。\n>From an already quoted line\n.\n"))
        }
    }

    /// `s-nail -n -# -R … -f FILE`: lists all messages, prints the decoded subjects, no From_ warnings, and the
    /// file is unchanged afterwards.
    @Test func sNailListsAndPrintsThem() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(atPath: spool.dir) }
        let before = FileManager.default.contents(atPath: spool.path)
        var arguments = ["-n", "-#", "-R", "-Sttycharset=utf-8", "-Y", "headers"]
        for index in 1...Self.titles.count { arguments += ["-Y", "print \(index)"] }
        arguments += ["-Y", "xit", "-f", spool.path]
        let output = try TestSupport.run("/usr/bin/s-nail", arguments, environment: ["LC_ALL": "C.UTF-8"])
        #expect(output.status == 0, "s-nail: \(output.stderr)")
        #expect(!output.stderr.contains("non-conforming") && !output.text.contains("non-conforming"))
        let lines = output.text.split(separator: "\n")
        let index = lines.filter { $0.contains("dutyd") && $0.range(of: #"^.?.?\s*N?\s+\d+ "#, options: .regularExpression) != nil }
        #expect(index.count == Self.titles.count, "header list:\n\(output.text.prefix(800))")
        for title in Self.titles {
            #expect(output.text.contains("Subject: \(title)"), "s-nail did not show \(title)")
        }
        #expect(output.text.contains("[-- Message  \(Self.titles.count) --"))
        #expect(FileManager.default.contents(atPath: spool.path) == before)
    }

    /// `formail -s` splits into exactly one file per message; `formail -x Message-ID:` finds each id.
    @Test func formailSplitsIntoTheRightCount() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(atPath: spool.dir) }
        let split = spool.dir + "/split"
        try FileManager.default.createDirectory(atPath: split, withIntermediateDirectories: true)
        let result = try TestSupport.shell("formail -s sh -c 'cat > \(split)/msg.$FILENO' < \(spool.path)")
        #expect(result.status == 0, "\(result.stderr)")
        let parts = try FileManager.default.contentsOfDirectory(atPath: split).sorted()
        #expect(parts.count == Self.titles.count)
        let ids = try TestSupport.shell("formail -s formail -c -x Message-ID: < \(spool.path)").text
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(ids == spool.messages.compactMap(\.messageID))
    }

    /// mutt (`-R`, no rc) in a detached tmux session: the index shows every decoded subject and the status line
    /// counts the messages as new (atime kept < mtime).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
    func muttUnderTmuxShowsTheSubjects() throws {
        let spool = try Self.makeSpool()
        defer { try? FileManager.default.removeItem(atPath: spool.dir) }
        let socket = "dutymail-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let mutt = "mutt -n -F /dev/null -R -e 'set folder=\(spool.dir) sort=mailbox-order pager_index_lines=0 "
            + "charset=utf-8 mark_old=no' -f \(spool.path)"
        // Private server socket. The server outlives the client, so it must not inherit any of our pipes (nor those
        // of tests running in parallel): start it through Python's subprocess, which closes every fd above 2.
        let started = try TestSupport.run(
            "/usr/bin/python3",
            [
                "-c",
                "import subprocess,sys; sys.exit(subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, "
                    + "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True).returncode)",
                "tmux", "-L", socket, "-u", "new-session", "-d", "-s", "mail", "-x", "220", "-y", "40", mutt,
            ], environment: ["LANG": "C.UTF-8", "TERM": "xterm-256color"])
        try #require(started.status == 0, "tmux failed: \(started.stderr)")
        defer {
            // kill-session ends mutt and with it the server; kill the server pid too in case it lingers.
            let pid = (try? TestSupport.shell("tmux -L \(socket) display -p '#{pid}' </dev/null 2>/dev/null").text) ?? ""
            _ = try? TestSupport.shell("tmux -L \(socket) kill-session -t mail </dev/null >/dev/null 2>&1")
            if let server = pid_t(pid.trimmingCharacters(in: .whitespacesAndNewlines)), server > 1 { kill(server, SIGTERM) }
            unlink("/tmp/tmux-\(geteuid())/\(socket)")
        }
        var screen = ""
        for _ in 0..<50 {
            screen = try TestSupport.shell("tmux -L \(socket) capture-pane -p -t mail </dev/null 2>/dev/null").text
            if screen.contains("Msgs:") { break }
            usleep(100_000)
        }
        #expect(screen.contains("Msgs:\(Self.titles.count) New:\(Self.titles.count)"), "mutt screen:\n\(screen)")
        for title in Self.titles {
            // The index may cut long subjects at the right margin: look for a prefix.
            #expect(screen.contains(String(title.prefix(20))), "mutt index lacks \(title)\n\(screen)")
        }
        #expect(screen.contains("提醒：明天上午九点与王经理开会讨论第三季度预算"))
    }
}
