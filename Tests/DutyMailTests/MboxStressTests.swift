import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// Concurrency and failure tests of the mbox deliverer. Serialized: the file-size-limit test lowers
/// RLIMIT_FSIZE for the whole test process for the length of one delivery, and the concurrency test writes a
/// few megabytes.
@Suite(.serialized) struct MboxStressTests {
    let account = TestSupport.currentAccount()

    func recipient() -> Recipient {
        Recipient(id: "secretary", name: "王秘书", account: account, channel: .mbox(account: account))
    }

    func contents(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    func times(_ path: String) -> [Int] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        return [st.st_atim.tv_sec, st.st_atim.tv_nsec, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, Int(st.st_size)]
    }

    /// dutyd (two threads, 500 messages each) and an independent Python writer that uses dot-lock + fcntl like
    /// §2.6 (1,000 messages), plus procmail (50), all append to one mbox at once: every message comes out intact.
    @Test func concurrentWritersNeverInterleave() throws {
        let spool = try TestSupport.temporaryDirectory("dutymail-concurrency")
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let path = "\(spool)/\(account)"
        var configuration = MboxDeliverer.Configuration()
        configuration.lockAttempts = 200_000
        configuration.lockRetryInterval = 0.001
        let mbox = MboxDeliverer(spoolDirectory: spool, envelopeSender: "dutyd@vm", configuration: configuration)
        let ours = 1000
        let theirs = 1000
        let procmails = 50
        var messages: [MailMessage] = []
        var titles: [String: String] = [:]
        for index in 0..<ours {
            var composer = TestSupport.composer
            composer.bodyEncoding = MailComposer.BodyEncoding.allCases[index % 3]
            let title = "并发 第\(index)封 From x"
            let message = try composer.compose(
                TestSupport.reminder(title: title, description: "From the desk \(index)", dutyID: "c-\(index)"),
                date: Date(timeIntervalSince1970: 1_796_002_233))
            messages.append(message)
            titles[message.messageID!] = title
        }

        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = [TestSupport.repoRoot.appendingPathComponent("scripts/mail-lockwriter.py").path, path, "\(theirs)", "py"]
        python.standardOutput = FileHandle.nullDevice
        let procmail = Process()
        procmail.executableURL = URL(fileURLWithPath: "/bin/sh")
        procmail.arguments = [
            "-c",
            "for i in $(seq 0 \(procmails - 1)); do printf 'From: p@test\\nSubject: procmail %d\\nMessage-ID: <pm-%d@test>\\n\\n"
                + "body\\nFrom x\\n' $i $i | procmail -f procmail@test -m DEFAULT=\(path) /dev/null || exit 1; done",
        ]
        let hasProcmail = FileManager.default.isExecutableFile(atPath: "/usr/bin/procmail")
        try python.run()
        if hasProcmail { try procmail.run() }

        let failures = Failures()
        let frozen = messages
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            for index in stride(from: thread, to: ours, by: 2) {
                do {
                    try mbox.deliver(frozen[index], to: recipient())
                } catch {
                    failures.add("\(index): \(error)")
                }
            }
        }
        python.waitUntilExit()
        if hasProcmail { procmail.waitUntilExit() }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(5))")
        #expect(python.terminationStatus == 0)
        if hasProcmail { #expect(procmail.terminationStatus == 0) }

        let parsed = try TestSupport.python("mbox", [path])
        let expectedCount = ours + theirs + (hasProcmail ? procmails : 0)
        #expect(parsed.count == expectedCount)
        var expectedIDs = Set(titles.keys)
        expectedIDs.formUnion((0..<theirs).map { "<py-\($0)@lockwriter.test>" })
        if hasProcmail { expectedIDs.formUnion((0..<procmails).map { "<pm-\($0)@test>" }) }
        let seen = parsed.compactMap(\.message_id)
        #expect(seen.count == expectedCount && Set(seen) == expectedIDs)
        for message in parsed {
            #expect(message.defects.isEmpty)
            guard let id = message.message_id else { continue }
            if let title = titles[id] {
                #expect(message.subject == title)
                #expect(message.body?.contains("From the desk ") == true)
            } else if id.hasPrefix("<py-") {
                let number = id.dropFirst(4).prefix { $0.isNumber }
                #expect(message.subject == "py 第\(number)封")
                #expect(message.body == "正文 \(number)\n>From the other writer\n")
            } else {
                #expect(message.body == "body\n>From x\n")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: "\(path).lock"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool) == [account])
    }

    /// A full file system (64 KiB tmpfs) in the middle of a message: temporary error, mailbox byte-identical with
    /// the same times, no lock left; after space returns the same message is delivered.
    @Test(.enabled(if: geteuid() == 0)) func fullFilesystemLeavesTheMailboxIntact() throws {
        let mount = try TestSupport.temporaryDirectory("dutymail-tmpfs")
        defer { try? FileManager.default.removeItem(atPath: mount) }
        let mounted = try TestSupport.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount])
        guard mounted.status == 0 else {
            // Root without CAP_SYS_ADMIN (some containers): the RLIMIT_FSIZE test still covers the truncate path.
            print("skipping the tmpfs case: mount failed: \(mounted.stderr)")
            return
        }
        defer { _ = try? TestSupport.run("/bin/umount", [mount]) }
        let path = "\(mount)/\(account)"
        let mbox = MboxDeliverer(spoolDirectory: mount, envelopeSender: "dutyd@vm")
        let small = try TestSupport.composer.compose(TestSupport.reminder(title: "小"), date: Date())
        try mbox.deliver(small, to: recipient())
        try mbox.deliver(small, to: recipient())
        // Leave about two pages free: enough for the lock files, not for the message.
        var fs = statvfs()
        try #require(statvfs(mount, &fs) == 0)
        let free = Int(fs.f_bavail) * Int(fs.f_bsize)
        let filler = "\(mount)/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: Data(count: max(0, free - 2 * 4096)))
        var composer = TestSupport.composer
        composer.template = MailTemplate(body: "{description}\n")
        let big = try composer.compose(
            TestSupport.reminder(title: "大", description: String(repeating: "大量的提醒内容。\n", count: 1500), dutyID: "big"),
            date: Date())
        try #require(big.bytes.count > 3 * 4096)
        let before = contents(path)
        let beforeTimes = times(path)
        let error = #expect(throws: DeliveryError.self) { try mbox.deliver(big, to: recipient()) }
        #expect(error?.code == .mailboxFull && error?.isTemporary == true && error?.errno == ENOSPC)
        #expect(times(path) == beforeTimes)  // before reading it again (relatime would move atime)
        #expect(contents(path) == before)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: mount)) == [account, "filler"])
        // Space returns.
        try FileManager.default.removeItem(atPath: filler)
        try mbox.deliver(big, to: recipient())
        let parsed = try TestSupport.python("mbox", [path])
        #expect(parsed.map(\.subject) == ["小", "小", "大"])
        #expect(parsed.last?.body == MailValidation.bodyText(String(repeating: "大量的提醒内容。\n", count: 1500)))
    }

    /// RLIMIT_FSIZE (SIGXFSZ ignored, as dutyd must) stops the write mid-message with EFBIG: temporary error,
    /// mailbox byte-identical; with the limit lifted the same message goes in. The limit is set just above an
    /// 8 MiB mailbox so nothing else the test process writes in the meantime is affected.
    @Test func fileSizeLimitLeavesTheMailboxIntact() throws {
        let spool = try TestSupport.temporaryDirectory("dutymail-fsize")
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let path = "\(spool)/\(account)"
        var filler = Data("From filler@vm Mon Nov 30 00:00:00 2026\nSubject: filler\n\n".utf8)
        let line = Data(String(repeating: "填充", count: 40).appending("\n").utf8)
        while filler.count < 8 << 20 { filler.append(line) }
        filler.append(Data("\n".utf8))
        _ = FileManager.default.createFile(atPath: path, contents: filler, attributes: [.posixPermissions: 0o600])
        let mbox = MboxDeliverer(spoolDirectory: spool, envelopeSender: "dutyd@vm")
        var composer = TestSupport.composer
        composer.template = MailTemplate(body: "{description}\n")
        let message = try composer.compose(
            TestSupport.reminder(title: "超限", description: String(repeating: "限制文件大小。\n", count: 2000)), date: Date())
        let before = contents(path)
        let beforeTimes = times(path)

        signal(SIGXFSZ, SIG_IGN)
        var saved = rlimit()
        try #require(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved) == 0)
        var limited = saved
        limited.rlim_cur = rlim_t(before.count + 4096)
        try #require(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited) == 0)
        let result = Result { () throws(DeliveryError) in try mbox.deliver(message, to: recipient()) }
        _ = setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)

        guard case .failure(let error) = result else {
            Issue.record("delivery past RLIMIT_FSIZE succeeded")
            return
        }
        #expect(error.code == .mailboxFull && error.isTemporary && error.errno == EFBIG)
        #expect(times(path) == beforeTimes)  // before reading it again (relatime would move atime)
        #expect(contents(path) == before)
        try mbox.deliver(message, to: recipient())
        let parsed = try TestSupport.python("mbox", [path])
        #expect(parsed.map(\.subject) == ["filler", "超限"])
    }
}

/// Thread-safe list of failure descriptions for the concurrency test.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
