import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SendmailDelivererTests {
    let date = Date(timeIntervalSince1970: 1_796_002_233)
    let alice = Recipient(id: "a", name: "Alice", account: "root", channel: .sendmail(address: "alice@example.org"))

    /// Writes a fake sendmail that records its arguments and stdin, then runs `tail` (shell) for its exit.
    func fakeSendmail(_ dir: String, tail: String) throws -> String {
        let path = "\(dir)/sendmail"
        let script = "#!/bin/sh\nprintf '%s\\n' \"$@\" > \(dir)/args\ncat > \(dir)/stdin\n\(tail)\n"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try #require(chmod(path, 0o755) == 0)
        return path
    }

    @Test func passesRecipientAfterDoubleDashAndMessageOnStdin() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sendmail = SendmailDeliverer(path: try fakeSendmail(dir, tail: "exit 0"), sender: "dutyd@vm", timeout: 10)
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "季度报告\nBcc: x@y", recipient: alice), date: date)
        try sendmail.deliver(message, to: alice)
        let args = try String(contentsOfFile: "\(dir)/args", encoding: .utf8)
        #expect(args == "-i\n-f\ndutyd@vm\n--\nalice@example.org\n")
        #expect(FileManager.default.contents(atPath: "\(dir)/stdin") == Data(message.bytes))
        #expect(!args.contains("-t"))
    }

    @Test func exitSeventyFiveIsTemporaryOthersPermanent() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "x", recipient: alice), date: date)
        let temp = SendmailDeliverer(path: try fakeSendmail(dir, tail: "echo 'queue full' >&2; exit 75"), sender: "dutyd@vm")
        let tempError = #expect(throws: DeliveryError.self) { try temp.deliver(message, to: alice) }
        #expect(tempError?.code == .mtaTemporaryFailure && tempError?.isTemporary == true)
        #expect(tempError?.message.contains("queue full") == true)
        let perm = SendmailDeliverer(path: try fakeSendmail(dir, tail: "exit 67"), sender: "dutyd@vm")
        let permError = #expect(throws: DeliveryError.self) { try perm.deliver(message, to: alice) }
        #expect(permError?.code == .mtaFailure && permError?.isTemporary == false)
        let killed = SendmailDeliverer(path: try fakeSendmail(dir, tail: "kill -9 $$"), sender: "dutyd@vm")
        #expect((#expect(throws: DeliveryError.self) { try killed.deliver(message, to: alice) })?.isTemporary == true)
        let missing = SendmailDeliverer(path: "\(dir)/no-such-sendmail", sender: "dutyd@vm")
        let missingError = #expect(throws: DeliveryError.self) { try missing.deliver(message, to: alice) }
        #expect(missingError?.code == .mtaUnavailable)
    }

    /// A sendmail that never reads stdin and never exits (with a grandchild) is killed at the timeout: temporary.
    @Test func hangingSendmailIsKilled() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/sendmail"
        try "#!/bin/sh\necho $$ > \(dir)/pid\nsleep 30 &\necho $! > \(dir)/child\nwait\n".write(toFile: path, atomically: true, encoding: .utf8)
        try #require(chmod(path, 0o755) == 0)
        var composer = TestSupport.composer
        composer.template = MailTemplate(body: "{description}\n")
        // Bigger than a socket buffer, so the writer would block forever without the deadline.
        let message = try composer.compose(
            TestSupport.reminder(title: "x", description: String(repeating: "挂起", count: 300_000), recipient: alice),
            date: date)
        let started = Date()
        let error = #expect(throws: DeliveryError.self) {
            try SendmailDeliverer(path: path, sender: "dutyd@vm", timeout: 0.5).deliver(message, to: alice)
        }
        #expect(error?.code == .mtaTimeout && error?.isTemporary == true)
        #expect(Date().timeIntervalSince(started) < 5)
        let child = try String(contentsOfFile: "\(dir)/child", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        usleep(100_000)
        // Gone, or a zombie waiting for a reaper (PID 1 in a container may not reap).
        let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
        #expect(state == nil || state == "Z", "the grandchild survived: state \(state.map(String.init) ?? "-")")
    }

    @Test func refusesOptionLikeAddresses() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let evil = Recipient(id: "e", name: "e", channel: .sendmail(address: "-oQ/tmp/x"))
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "x"), date: date)
        let sendmail = SendmailDeliverer(path: try fakeSendmail(dir, tail: "exit 0"), sender: "dutyd@vm")
        let error = #expect(throws: DeliveryError.self) { try sendmail.deliver(message, to: evil) }
        #expect(error?.code == .invalidRecipient && error?.isTemporary == false)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/args"))
    }

    /// The real MTA: Debian's exim4 (`sendmail -odi`, no daemon needed) delivers to the local spool. Debian's exim
    /// never delivers as root: mail for `root` without an alias lands in /var/mail/mail (the `mail4root` router).
    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/exim4")))
    func realEximDeliversToTheSpool() throws {
        let root = Recipient(id: "root", name: "系统管理员", account: "root", channel: .sendmail(address: "root"))
        var reminder = TestSupport.reminder(title: "真实投递：值班提醒 \(UInt32.random(in: 0...UInt32.max))", recipient: root)
        reminder.dutyID = "exim-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let message = try TestSupport.composer.compose(reminder, date: Date())
        let id = try #require(message.messageID)
        try SendmailDeliverer(sender: "dutyd@vm", timeout: 30, extraArguments: ["-odi"]).deliver(message, to: root)
        let spool = MboxDeliverer(spoolDirectory: "/var/mail")
        let boxes = ["root", "mail"].filter {
            spool.alreadyDelivered(messageID: id, to: Recipient(id: $0, name: $0, channel: .mbox(account: $0)))
        }
        try #require(boxes.count == 1, "message \(id) not found in /var/mail/root or /var/mail/mail")
        let parsed = try TestSupport.python("mbox", ["/var/mail/\(boxes[0])"]).filter { $0.message_id == id }
        #expect(parsed.count == 1)
        #expect(parsed.first?.subject == reminder.title)
        #expect(parsed.first?.body?.contains("dutyctl ack \(reminder.occurrenceID)") == true)
    }
}
