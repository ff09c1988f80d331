import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct MaildirDelivererTests {
    let date = Date(timeIntervalSince1970: 1_796_002_233)

    func recipient(_ path: String) -> Recipient {
        Recipient(id: "sec", name: "王秘书", account: TestSupport.currentAccount(), channel: .maildir(path: path))
    }

    /// Python's `mailbox.Maildir` and `s-nail -f DIR` read what we deliver; names follow time.pid_seq.host.
    @Test func deliversIntoNewWithUniqueNames() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let maildir = MaildirDeliverer(root: root, hostName: "vm:1/x") { self.date }
        let titles = Array(TestSupport.sampleTitles.prefix(5))
        for title in titles {
            try maildir.deliver(try TestSupport.composer.compose(TestSupport.reminder(title: title), date: date), to: recipient("Maildir"))
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(root)/Maildir/new").sorted()
        #expect(names.count == titles.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/Maildir/tmp").isEmpty)
        for name in names {
            let parts = name.split(separator: ".", maxSplits: 2)
            #expect(parts.count == 3 && parts[0] == "1796002233" && parts[2] == "vm\\0721\\057x")
            #expect(parts[1].hasPrefix("\(getpid())_"))
        }
        let parsed = try TestSupport.python("maildir", ["\(root)/Maildir"])
        #expect(Set(parsed.compactMap(\.subject)) == Set(titles))
        var st = stat()
        try #require(stat("\(root)/Maildir/new/\(names[0])", &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test func alreadyDeliveredLooksAtHeadersOfNewAndCur() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let maildir = MaildirDeliverer(root: root)
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "一"), date: date)
        let id = try #require(message.messageID)
        #expect(!maildir.alreadyDelivered(messageID: id, to: recipient("m")))
        try maildir.deliver(message, to: recipient("m"))
        #expect(maildir.alreadyDelivered(messageID: id, to: recipient("m")))
        // A reader moved it to cur/ with flags.
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: "\(root)/m/new").first)
        try #require(rename("\(root)/m/new/\(name)", "\(root)/m/cur/\(name):2,S") == 0)
        #expect(maildir.alreadyDelivered(messageID: id, to: recipient("m")))
        #expect(!maildir.alreadyDelivered(messageID: "<other@vm>", to: recipient("m")))
    }

    @Test func refusesDotDotAndSymlinkedDirectories() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "x"), date: date)
        let maildir = MaildirDeliverer(root: root)
        let error = #expect(throws: DeliveryError.self) { try maildir.deliver(message, to: recipient("../etc")) }
        #expect(error?.code == .invalidRecipient)
        try FileManager.default.createDirectory(atPath: "\(root)/real/new", withIntermediateDirectories: true)
        try #require(mkdir("\(root)/link", 0o700) == 0)
        try #require(symlink("\(root)/real/new", "\(root)/link/new") == 0)
        let linked = #expect(throws: DeliveryError.self) { try maildir.deliver(message, to: recipient("link")) }
        #expect(linked?.isTemporary == false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/real/new").isEmpty)
    }

    @Test func fullFilesystemLeavesNothingBehind() throws {
        guard geteuid() == 0 else { return }
        let mount = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: mount) }
        let mounted = try TestSupport.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount])
        guard mounted.status == 0 else {
            // Root without CAP_SYS_ADMIN (some containers): the RLIMIT_FSIZE test still covers the truncate path.
            print("skipping the tmpfs case: mount failed: \(mounted.stderr)")
            return
        }
        defer { _ = try? TestSupport.run("/bin/umount", [mount]) }
        var composer = TestSupport.composer
        composer.template = MailTemplate(body: "{description}\n")
        let big = String(repeating: "大量内容", count: 20_000)
        let message = try composer.compose(TestSupport.reminder(title: "大", description: big), date: date)
        let maildir = MaildirDeliverer(root: mount)
        let error = #expect(throws: DeliveryError.self) { try maildir.deliver(message, to: recipient("m")) }
        #expect(error?.code == .mailboxFull && error?.isTemporary == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(mount)/m/tmp").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(mount)/m/new").isEmpty)
    }
}
