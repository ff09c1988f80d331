import DutyConformance
import DutyTestSupport
import DutyCore
import Foundation
import Testing

@testable import DutyMail

@Suite struct MailComposerTests {
    let composer = TestSupport.composer
    let date = Date(timeIntervalSince1970: 1_796_002_233)  // Mon, 30 Nov 2026 01:30:33 UTC

    /// Every line of every header is at most 76 characters, every encoded-word at most 75 and holds whole UTF-8
    /// characters (each word decodes on its own, checked with Foundation's base64, not ours).
    @Test(arguments: TestSupport.sampleTitles)
    func subjectEncodedWordsRespectTheLimits(title: String) throws {
        let message = try composer.compose(TestSupport.reminder(title: title), date: date)
        for header in message.headers {
            let lines = header.line.split(separator: "\n")
            for line in lines {
                #expect(line.utf8.count <= 76, "\(header.name) line too long: \(line)")
                #expect(line.utf8.allSatisfy { $0 < 0x80 }, "non-ASCII in \(header.name)")
            }
        }
        let subject = try #require(message.header("Subject"))
        var decoded = ""
        for token in subject.split(whereSeparator: { $0 == " " || $0 == "\n" }) where token.hasPrefix("=?") {
            #expect(token.utf8.count <= 75)
            #expect(token.hasPrefix("=?UTF-8?B?") && token.hasSuffix("?="))
            let payload = token.dropFirst(10).dropLast(2)
            let data = try #require(Data(base64Encoded: String(payload)), "bad base64 in \(token)")
            let piece = try #require(String(validating: data, as: UTF8.self), "word \(token) splits a character")
            decoded += piece
        }
        if subject.contains("=?") { #expect(decoded == HeaderEncoding.sanitize(title)) }
    }

    /// Python's email package (policy.default) decodes the Subject back to the title, the body keeps the title,
    /// clause, responsible units and the ack command, and reports no defects.
    @Test func pythonDecodesRandomChineseSubjects() throws {
        var (rng, _) = SeededRandom.fromEnvironment()
        let titles = TestSupport.sampleTitles + (0..<40).map { _ in TestSupport.randomTitle(using: &rng) }
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var paths: [String] = []
        var reminders: [Reminder] = []
        for (index, title) in titles.enumerated() where !title.isEmpty {
            let encoding = MailComposer.BodyEncoding.allCases[index % 3]
            var composer = composer
            composer.bodyEncoding = encoding
            let reminder = TestSupport.reminder(title: title, description: "From the desk: 第\(index)条\n.\n末行 ")
            let path = "\(dir)/\(index).eml"
            _ = FileManager.default.createFile(atPath: path, contents: Data(try composer.compose(reminder, date: date).bytes))
            paths.append(path)
            reminders.append(reminder)
        }
        let parsed = try TestSupport.python("raw", paths)
        try #require(parsed.count == reminders.count)
        for (message, reminder) in zip(parsed, reminders) {
            #expect(message.subject == reminder.title)
            #expect(message.defects.isEmpty, "defects \(message.defects) for \(reminder.title)")
            let body = try #require(message.body)
            #expect(body.contains(reminder.title))
            #expect(body.contains("dutyctl ack \(reminder.occurrenceID)"))
            #expect(body.contains("二(一)1") && body.contains("办公室、财务处"))
            #expect(body.contains("From the desk: 第"))
            #expect(body.contains("2026-12-01 09:00 (Asia/Shanghai)"))
            #expect(message.from == "dutyd 值班提醒 <dutyd@vm>")
            #expect(message.to == "王秘书 <\(TestSupport.currentAccount())@vm>")
            #expect(message.date == "2026-11-30T09:30:33+08:00")
        }
    }

    @Test func headerSetIsFixedAndOrdered() throws {
        let message = try composer.compose(TestSupport.reminder(title: "季度报告"), date: date)
        #expect(message.headers.map(\.name) == [
            "Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
            "Auto-Submitted", "List-Id", "X-Dutyd-Duty", "X-Dutyd-Occurrence", "X-Dutyd-Kind", "X-Dutyd-Key",
        ])
        #expect(message.header("List-Id")?.hasSuffix(" <dutyd.vm>") == true)
        #expect(message.header("Date") == "Mon, 30 Nov 2026 09:30:33 +0800")
        #expect(message.header("Auto-Submitted") == "auto-generated")
        #expect(message.header("X-Dutyd-Occurrence") == "dc-report@1796086800")
        #expect(message.header("X-Dutyd-Key") == "dc-report@1796086800/due/secretary")
    }

    /// Same reminder → same Message-ID whatever the Date; any change of the key changes it. The digest is checked
    /// against python3's hashlib.
    @Test func messageIDIsDerivedFromTheKey() throws {
        let reminder = TestSupport.reminder(title: "季度报告")
        let first = try composer.compose(reminder, date: date)
        let second = try composer.compose(reminder, date: date.addingTimeInterval(3600))
        #expect(first.messageID == second.messageID)
        var warning = reminder
        warning.kind = .warning
        warning.offsetLabel = "3d"
        #expect(try composer.compose(warning, date: date).messageID != first.messageID)
        let oracle = try TestSupport.run(
            "/usr/bin/python3",
            ["-c", "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:32])", reminder.key])
        let hex = oracle.text.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(first.messageID == "<\(hex).dutyd@vm>")
    }

    /// Instances on several hosts share the Message-ID domain (`--message-id-domain`): the same reminder composed
    /// on host a and host b has one Message-ID, while addresses keep each host's name.
    @Test func theMessageIDDomainIsConfigured() throws {
        let reminder = TestSupport.reminder(title: "季度报告")
        let a = try MailComposer(hostName: "host-a").withMessageIDDomain("dutyd.example.org")
        let b = try MailComposer(hostName: "host-b").withMessageIDDomain("dutyd.example.org")
        let fromA = try a.compose(reminder, date: date)
        #expect(fromA.messageID == (try b.compose(reminder, date: date)).messageID)
        #expect(fromA.messageID?.hasSuffix(".dutyd@dutyd.example.org>") == true)
        #expect(a.messageID(for: reminder) == fromA.messageID)
        #expect(a.senderAddress == "dutyd@host-a")
        #expect(throws: MailCompositionError.self) { try a.withMessageIDDomain("not a domain") }
    }

    /// CR, LF, NUL, other controls and `Bcc:` tricks in titles, names and ids never add a header: Python sees
    /// exactly the composed header set, and no Bcc/Cc at all.
    @Test(arguments: [
        "会议提醒\r\nBcc: bob@vm",
        "会议提醒\nBcc: bob@vm",
        "Quote\rCc: victim@example.com",
        "null\0byte\nTo: evil@example.com",
        "tab\there\u{0B}\u{0C}\u{1B}[31m red\u{7F}\u{85}\u{2028}Bcc: x@y",
        "\n\nBcc: only@injection",
        "Subject: fake\r\n\r\nbody injection",
    ])
    func headerInjectionNeverAddsAHeader(title: String) throws {
        let recipient = Recipient(id: "sec", name: "Evil\r\nBcc: bob@vm", account: "root", channel: .mbox(account: "root"))
        var reminder = TestSupport.reminder(title: title, recipient: recipient)
        reminder.clause = "c\nBcc: z@z"
        reminder.responsible = ["x\r\nCc: a@b"]
        let message = try composer.compose(reminder, date: date)
        let parsed = try #require(try TestSupport.pythonRaw(message))
        #expect(parsed.headerNames == message.headers.map(\.name))
        #expect(!parsed.headerNames.contains { ["bcc", "cc"].contains($0.lowercased()) })
        #expect(parsed.subject == HeaderEncoding.sanitize(title))
        #expect(parsed.subject?.contains("\n") == false)
        #expect(parsed.defects.isEmpty)
        for header in message.headers { #expect(MailHeader.isValidValue(header.value)) }
    }

    @Test func mailHeaderRejectsBareLineBreaksAndControls() {
        #expect(throws: MailCompositionError.self) { try MailHeader("Subject", "a\nBcc: b") }
        #expect(throws: MailCompositionError.self) { try MailHeader("Subject", "a\r\n b") }
        #expect(throws: MailCompositionError.self) { try MailHeader("Subject", "a\0") }
        #expect(throws: MailCompositionError.self) { try MailHeader("Sub ject", "a") }
        #expect(throws: MailCompositionError.self) { try MailHeader("Subject", "trailing\n") }
        #expect(throws: Never.self) { try MailHeader("Subject", "a\n b") }
    }

    @Test(arguments: ["", "Root", "1abc", "a b", "a/b", "../etc", "a@b", "a.b", String(repeating: "a", count: 33), "用户"])
    func invalidAccountsAreRefused(account: String) {
        #expect(!MailValidation.isValidAccount(account))
        let recipient = Recipient(id: "x", name: "x", account: account, channel: .mbox(account: account))
        #expect(throws: MailCompositionError.self) {
            try composer.compose(TestSupport.reminder(title: "t", recipient: recipient), date: date)
        }
    }

    @Test(arguments: ["root", "_apt", "alice-2", "a", String(repeating: "a", count: 32)])
    func validAccountsAreAccepted(account: String) {
        #expect(MailValidation.isValidAccount(account))
    }

    @Test(arguments: ["-oQ/tmp", "a b", "a@b@c", "x@-host", "a\n@b", ".a", "a..b@c", "a;rm@b"])
    func invalidSendmailAddressesAreRefused(address: String) {
        #expect(!MailValidation.isValidAddress(address))
    }

    @Test func hostNameIsValidated() {
        #expect(throws: MailCompositionError.self) { try MailComposer(hostName: "vm\nBcc: x") }
        #expect(throws: MailCompositionError.self) { try MailComposer(hostName: "-vm") }
        #expect(throws: Never.self) { try MailComposer(hostName: "mail.example.org") }
    }

    /// One pass: a title that contains `{ack}` is not expanded again; unknown placeholders stay.
    @Test func templateRendersInOnePass() throws {
        let template = MailTemplate(subject: "[{kind_zh}] {title}", body: "{title} {nothing} {ack}\n")
        var composer = composer
        composer.template = template
        composer.bodyEncoding = .eightBit
        let message = try composer.compose(TestSupport.reminder(title: "看 {ack} 这里"), date: date)
        let parsed = try #require(try TestSupport.pythonRaw(message))
        #expect(parsed.subject == "[今日到期] 看 {ack} 这里")
        #expect(parsed.body == "看 {ack} 这里 {nothing} dutyctl ack dc-report@1796086800\n")
    }

    /// Quoted-printable: no line over 76 characters, no line starting with `From ` or `.`, Python decodes it back.
    @Test func quotedPrintableIsSafeForMboxAndSMTP() throws {
        var composer = composer
        composer.bodyEncoding = .quotedPrintable
        composer.template = MailTemplate(body: "{description}\n")
        let description = "From here\n.\n" + String(repeating: "长", count: 40) + "From x\n" + String(repeating: "a", count: 74)
            + "From y\ntrailing space \n=sign"
        let message = try composer.compose(TestSupport.reminder(title: "t", description: description), date: date)
        for line in message.body.split(separator: 0x0A, omittingEmptySubsequences: false) {
            #expect(line.count <= 76)
            #expect(!line.starts(with: Array("From ".utf8)) && line.first != UInt8(ascii: "."))
        }
        let parsed = try #require(try TestSupport.pythonRaw(message))
        #expect(parsed.body == MailValidation.bodyText(description))
    }

    // MARK: - Headers for machines

    /// ASCII X-Dutyd-* values are never RFC 2047 encoded: a key too long for the first line goes on a
    /// continuation line of its own and unfolds to itself (Python, policy.default); List-Id parses as one.
    @Test func longAsciiKeysAreFoldedNotEncoded() throws {
        let long = TestSupport.reminder(title: "入户走访", dutyID: "visit-awang-pingzi-00001-with-a-long-household-id", offset: "5 workdays")
        let message = try composer.compose(long, date: date)
        let key = try #require(message.header("X-Dutyd-Key"))
        #expect(!key.contains("=?"))
        #expect(key == "\n " + long.key)
        #expect(message.headers.first { $0.name == "X-Dutyd-Key" }?.line == "X-Dutyd-Key:\n " + long.key)
        #expect(message.header("X-Dutyd-Duty") == "visit-awang-pingzi-00001-with-a-long-household-id")
        let parsed = try #require(try TestSupport.pythonRaw(message))
        #expect(parsed.defects.isEmpty)
        // RFC 5322 unfolding gives "X-Dutyd-Key: KEY"; Python keeps the folding space (a reader trims it).
        #expect(parsed.headers.first { $0[0] == "X-Dutyd-Key" }?[1].trimmingCharacters(in: .whitespaces) == long.key)
        #expect(parsed.headers.first { $0[0] == "List-Id" }?[1] == "dutyd 值班提醒 <dutyd.vm>")
        // A short key stays on the first line.
        let short = try composer.compose(TestSupport.reminder(title: "季度报告"), date: date)
        #expect(short.headers.first { $0.name == "X-Dutyd-Key" }?.line == "X-Dutyd-Key: dc-report@1796086800/due/secretary")
    }

    /// A value with a word no line of 998 octets can hold (a 3,000-character warning label in the key, found by
    /// `FuzzMailComposer`) is encoded instead: every line of the message stays within RFC 5322's limit and the
    /// header decodes back to the key.
    @Test func aKeyNoLineCanHoldIsEncoded() throws {
        let label = String(repeating: "A", count: 3000)
        let reminder = TestSupport.reminder(title: "季度报告", offset: label)
        let message = try composer.compose(reminder, date: date)
        let lines = message.bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 998 }, "a line of \(lines.map(\.count).max() ?? 0) octets")
        let parsed = try #require(try TestSupport.pythonRaw(message))
        #expect(parsed.defects.isEmpty)
        #expect(reminder.key.contains(label))
        // Python (policy.default) decodes the encoded words, adjacent ones without the folding space (RFC 2047 §6.2).
        #expect(parsed.headers.first { $0[0] == "X-Dutyd-Key" }?[1] == reminder.key)
    }

    // MARK: - Digests

    static func visits(_ count: Int) -> [Reminder] {
        (0..<count).map { i in
            var r = TestSupport.reminder(
                title: "入户走访：阿旺镇坪子村\(["王树林", "段国富", "胡文华", "陈成"][i % 4])户（每月至少入户1次）",
                description: "结对帮扶干部每月至少入户1次。", dutyID: "visit-awang-\(i)", offset: "")
            r.digest = .instant
            return r
        }
    }

    /// A digest is one valid text/plain message: Python reads no defects, every reminder's key is an X-Dutyd-Key,
    /// the body lists each title with its clause, due time and `dutyctl ack` command, the shared description once.
    @Test func aDigestListsEachDutyAndCarriesEveryKey() throws {
        let reminders = Self.visits(4)
        let message = try composer.composeDigest(reminders, date: date)
        #expect(message.messageID == composer.digestMessageID(for: reminders))
        #expect(composer.digestMessageID(for: reminders.reversed()) == message.messageID)
        #expect(composer.digestMessageID(for: Array(reminders.prefix(3))) != message.messageID)
        #expect(message.header("X-Dutyd-Digest") == "4")
        for header in message.headers { for line in header.line.split(separator: "\n") { #expect(line.utf8.count <= 998) } }
        let parsed = try #require(try TestSupport.pythonRaw(message))
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(Set(parsed.headers.filter { $0[0] == "X-Dutyd-Key" }.map { $0[1].trimmingCharacters(in: .whitespaces) }) == Set(reminders.map(\.key)))
        let first = try #require(reminders.map(\.title).min())
        #expect(parsed.subject == "【今日到期】4 项：\(first)等")
        let body = try #require(parsed.body)
        for reminder in reminders {
            #expect(body.contains(reminder.title))
            #expect(body.contains("dutyctl ack \(reminder.occurrenceID)"))
        }
        #expect(body.components(separatedBy: "依据条款 Clause: 二(一)1").count == 5)
        #expect(body.components(separatedBy: "结对帮扶干部每月至少入户1次。").count == 2)
        // One reminder is composed as usual.
        let one = try composer.composeDigest([reminders[0]], date: date)
        #expect(one == (try composer.compose(reminders[0], date: date)))
    }

    /// Packing: a group's reminders share one envelope (the digest's id); a reminder whose digest is off, or of
    /// another kind, is its own message with its own id.
    @Test func envelopesGroupByRecipientKindAndInstant() throws {
        let channel = MailChannel(kind: .mbox, composer: composer, deliverer: MboxDeliverer(spoolDirectory: "/nonexistent"), executor: TestExecutor())
        var reminders = Self.visits(3)
        var off = Self.visits(1)[0]
        off.dutyID = "visit-off"
        off.digest = .off
        var warning = Self.visits(1)[0]
        warning.dutyID = "visit-warning"
        warning.kind = .warning
        reminders += [off, warning]
        let route = DeliveryRoute.mail(.mbox(account: TestSupport.currentAccount()))
        let envelopes = channel.envelopes(reminders.map { ChannelDelivery(reminder: $0, route: route, attempt: 1) })
        #expect(envelopes.map(\.members) == [[0, 1, 2], [3], [4]])
        #expect(envelopes[0].messageID == composer.digestMessageID(for: Array(reminders.prefix(3))))
        #expect(envelopes[1].messageID == composer.messageID(for: off))
    }
}
