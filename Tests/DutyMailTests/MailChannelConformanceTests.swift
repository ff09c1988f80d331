import DutyConformance
import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// The channel conformance suite on the three mail channels, each on real files (an mbox spool, maildirs, a
/// sendmail program that files what it is given), with Python's `mailbox`/`email` as the independent probe that
/// counts copies by Message-ID.
@Suite struct MailChannelConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case mbox, maildir, sendmail
        var testDescription: String { rawValue }
    }

    /// A subject over a fresh temporary directory (removed by the caller).
    static func subject(_ kind: Kind, dir: String) throws -> ChannelConformance.Subject {
        let account = TestSupport.currentAccount()
        let composer = TestSupport.composer
        func copies(_ read: @escaping @Sendable () throws -> [TestSupport.Parsed]) -> @Sendable (Reminder, Int) async throws -> Int {
            { reminder, _ in
                let id = composer.messageID(for: reminder)
                return try read().filter { $0.message_id == id }.count
            }
        }
        switch kind {
        case .mbox:
            let recipient = Recipient(id: "r", name: "收件人", account: account, channels: [.mbox(account: account)])
            return ChannelConformance.Subject(
                channel: MailChannel(
                    kind: .mbox, composer: composer, deliverer: MboxDeliverer(spoolDirectory: dir, envelopeSender: "dutyd@vm"),
                    executor: TestExecutor()),
                recipients: [recipient], route: { _ in .mail(.mbox(account: account)) },
                copies: copies { try TestSupport.python("mbox", ["\(dir)/\(account)"]) })
        case .maildir:
            let a = Recipient(id: "a", name: "甲", account: account, channels: [.maildir(path: "\(dir)/a")])
            let b = Recipient(id: "b", name: "乙", account: account, channels: [.maildir(path: "\(dir)/b")])
            return ChannelConformance.Subject(
                channel: MailChannel(kind: .maildir, composer: composer, deliverer: MaildirDeliverer(root: "/"), executor: TestExecutor()),
                recipients: [a, b], route: { .mail($0.channels[0]) },
                copies: copies {
                    let existing = ["\(dir)/a", "\(dir)/b"].filter { FileManager.default.fileExists(atPath: $0) }
                    return try existing.flatMap { try TestSupport.python("maildir", [$0]) }
                })
        case .sendmail:
            let script = "\(dir)/sendmail"
            // Written through an O_CLOEXEC descriptor: a child that another test spawns meanwhile must not inherit
            // it open for writing, or running the script fails with ETXTBSY ("Text file busy") for that child's life.
            try TestSupport.writeExecutable(script, "#!/bin/sh\ncat > $(mktemp \(dir)/out/msg.XXXXXX)\n")
            try #require(mkdir("\(dir)/out", 0o700) == 0)
            let recipient = Recipient(id: "r", name: "收件人", account: account, channels: [.sendmail(address: "r@example.org")])
            return ChannelConformance.Subject(
                channel: MailChannel(
                    kind: .sendmail, composer: composer, deliverer: SendmailDeliverer(path: script, sender: "dutyd@vm", timeout: 10),
                    executor: TestExecutor()),
                recipients: [recipient], canReconcile: false, route: { .mail($0.channels[0]) },
                copies: copies {
                    let names = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/out").sorted()
                    return names.isEmpty ? [] : try TestSupport.python("raw", names.map { "\(dir)/out/\($0)" })
                })
        }
    }

    @Test(arguments: Kind.allCases, ChannelConformance.cases)
    func conforms(_ kind: Kind, _ check: ChannelConformance.Case) async throws {
        let dir = try TestSupport.temporaryDirectory("dutymail-channel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await check.run(try Self.subject(kind, dir: dir))
    }

    /// Failures keep their class: a spool that cannot be written is temporary (retried), a refused recipient is
    /// permanent; nothing half-written is left behind.
    @Test func failuresAreTypedAndLeaveNothingBehind() async throws {
        let dir = try TestSupport.temporaryDirectory("dutymail-channel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let composer = TestSupport.composer
        let missing = MailChannel(
            kind: .mbox, composer: composer,
            deliverer: MboxDeliverer(spoolDirectory: "\(dir)/no-such-spool", envelopeSender: "dutyd@vm"), executor: TestExecutor())
        let account = TestSupport.currentAccount()
        let recipient = Recipient(id: "r", name: "收件人", account: account, channels: [.mbox(account: account)])
        let reminder = ChannelConformance.reminder(to: recipient)
        let outcome = await missing.deliver([ChannelDelivery(reminder: reminder, route: .mail(.mbox(account: account)), attempt: 1)])
        guard case .temporaryFailure(let failure, _) = outcome.first else {
            Issue.record("expected a temporary failure, got \(outcome)")
            return
        }
        #expect(failure.code.hasPrefix("mail."))

        let refusing = "\(dir)/refuse"
        try "#!/bin/sh\ncat >/dev/null\necho 'no such user' >&2\nexit 67\n".write(toFile: refusing, atomically: true, encoding: .utf8)
        try #require(chmod(refusing, 0o755) == 0)
        let mta = MailChannel(
            kind: .sendmail, composer: composer, deliverer: SendmailDeliverer(path: refusing, sender: "dutyd@vm", timeout: 10),
            executor: TestExecutor())
        let refused = await mta.deliver([ChannelDelivery(reminder: reminder, route: .mail(.sendmail(address: "nobody@example.org")), attempt: 1)])
        guard case .permanentFailure = refused.first else {
            Issue.record("expected a permanent failure, got \(refused)")
            return
        }
        // A route of another kind is refused, not delivered somewhere else.
        let wrong = await mta.deliver([ChannelDelivery(reminder: reminder, route: .journal, attempt: 1)])
        guard case .permanentFailure = wrong.first else {
            Issue.record("expected a permanent failure, got \(wrong)")
            return
        }
    }
}
