import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// One conformance test for every `MailDeliverer`: what comes out of the mailbox (or the MTA's stdin) parses, with
/// Python's `email` package, to exactly the same header list and body as the composed message itself.
@Suite struct DelivererConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case mbox, maildir, sendmail
        var testDescription: String { rawValue }
    }

    struct Setup {
        var deliverer: any MailDeliverer
        var recipient: Recipient
        var read: () throws -> [TestSupport.Parsed]
        var remembers: Bool
    }

    func setUp(_ kind: Kind, dir: String) throws -> Setup {
        let account = TestSupport.currentAccount()
        switch kind {
        case .mbox:
            return Setup(
                deliverer: MboxDeliverer(spoolDirectory: dir, envelopeSender: "dutyd@vm"),
                recipient: Recipient(id: "r", name: "收件人", account: account, channel: .mbox(account: account)),
                read: { try TestSupport.python("mbox", ["\(dir)/\(account)"]) }, remembers: true)
        case .maildir:
            return Setup(
                deliverer: MaildirDeliverer(root: dir),
                recipient: Recipient(id: "r", name: "收件人", account: account, channel: .maildir(path: "Maildir")),
                read: { try TestSupport.python("maildir", ["\(dir)/Maildir"]) }, remembers: true)
        case .sendmail:
            let script = "\(dir)/sendmail"
            try "#!/bin/sh\nn=$(ls \(dir)/out | wc -l)\ncat > \(dir)/out/msg.$n\n".write(
                toFile: script, atomically: true, encoding: .utf8)
            try #require(chmod(script, 0o755) == 0 && mkdir("\(dir)/out", 0o700) == 0)
            return Setup(
                deliverer: SendmailDeliverer(path: script, sender: "dutyd@vm", timeout: 10),
                recipient: Recipient(id: "r", name: "收件人", account: account, channel: .sendmail(address: "r@example.org")),
                read: {
                    let names = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/out").sorted()
                    return try TestSupport.python("raw", names.map { "\(dir)/out/\($0)" })
                }, remembers: false)
        }
    }

    @Test(arguments: Kind.allCases)
    func deliveredMessagesParseBackIdentically(kind: Kind) throws {
        let dir = try TestSupport.temporaryDirectory("dutymail-conformance")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let setup = try setUp(kind, dir: dir)
        var sent: [String: TestSupport.Parsed] = [:]
        for (index, title) in TestSupport.sampleTitles.enumerated() {
            var composer = TestSupport.composer
            let encoding = MailComposer.BodyEncoding.allCases[index % 3]
            composer.bodyEncoding = encoding
            // 8bit bodies avoid lines starting "From " here: mbox quoting of those is tested separately.
            let description = encoding == .eightBit ? "正文第\(index)条\n.\n末行" : "From the desk 第\(index)条\n.\n末行"
            var reminder = TestSupport.reminder(title: title, description: description, dutyID: "conf-\(index)")
            reminder.recipient = setup.recipient
            let message = try composer.compose(reminder, date: Date(timeIntervalSince1970: 1_796_002_233))
            let id = try #require(message.messageID)
            #expect(!setup.deliverer.alreadyDelivered(messageID: id, to: setup.recipient))
            try setup.deliverer.deliver(message, to: setup.recipient)
            #expect(setup.deliverer.alreadyDelivered(messageID: id, to: setup.recipient) == setup.remembers)
            sent[id] = try TestSupport.pythonRaw(message)
        }
        let received = try setup.read()
        #expect(received.count == sent.count)
        for message in received {
            let id = try #require(message.message_id)
            let original = try #require(sent[id], "unexpected message \(id)")
            #expect(message.headers == original.headers)
            #expect(message.body == original.body)
            #expect(message.defects.isEmpty)
        }
    }
}
