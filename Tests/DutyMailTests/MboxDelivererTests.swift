import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// The mbox deliverer against Python's `mailbox` (the oracle) in a temporary spool; the account is the current
/// user (root in CI) unless a test says otherwise.
@Suite struct MboxDelivererTests {
    static let fixedNow = Date(timeIntervalSince1970: 1_796_002_233)  // Mon Nov 30 01:30:33 2026 UTC
    let account = TestSupport.currentAccount()

    func deliverer(_ spool: String, configure: (inout MboxDeliverer.Configuration) -> Void = { _ in }) -> MboxDeliverer {
        var configuration = MboxDeliverer.Configuration()
        configuration.lockAttempts = 3
        configuration.lockRetryInterval = 0.01
        configure(&configuration)
        return MboxDeliverer(spoolDirectory: spool, envelopeSender: "dutyd@vm", configuration: configuration) {
            Self.fixedNow
        }
    }

    func recipient(_ account: String? = nil) -> Recipient {
        let name = account ?? self.account
        return Recipient(id: "secretary", name: "王秘书", account: name, channel: .mbox(account: name))
    }

    func contents(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    @Test func appendsMessagesPythonReadsBack() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let mbox = deliverer(spool)
        var expected: [(title: String, bodyLine: String)] = []
        for (index, title) in TestSupport.sampleTitles.enumerated() {
            var composer = TestSupport.composer
            composer.bodyEncoding = MailComposer.BodyEncoding.allCases[index % 3]
            let line = "From the desk of the director: 请准时参加。第\(index)条"
            let message = try composer.compose(
                TestSupport.reminder(title: title, description: "\(line)\n>From an already quoted line\nFromage"),
                date: Self.fixedNow)
            try mbox.deliver(message, to: recipient())
            expected.append((title, line))
        }
        let path = "\(spool)/\(account)"
        let parsed = try TestSupport.python("mbox", [path])
        try #require(parsed.count == expected.count)
        for (index, (message, want)) in zip(parsed, expected).enumerated() {
            #expect(message.subject == want.title)
            #expect(message.from_ == "dutyd@vm Mon Nov 30 01:30:33 2026")
            #expect(message.defects.isEmpty)
            let body = try #require(message.body)
            // 8bit bodies are mboxo-quoted (readers do not un-quote); base64/QP bodies never need it.
            let isEightBit = MailComposer.BodyEncoding.allCases[index % 3] == .eightBit
            #expect(body.contains((isEightBit ? ">" : "") + want.bodyLine + "\n"))
            #expect(body.contains("\n>From an already quoted line\nFromage\n"))
        }
        // Raw layout: every message ends with an empty line, the file with "\n\n".
        let raw = contents(path)
        #expect(raw.suffix(2) == Data([0x0A, 0x0A]))
        #expect(String(decoding: raw, as: UTF8.self).components(separatedBy: "\n\nFrom dutyd@vm ").count == expected.count)
    }

    @Test func newMailboxIsModeAndOwnerLikeDebian() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "季度报告"), date: Self.fixedNow)
        try deliverer(spool).deliver(message, to: recipient())
        var st = stat()
        try #require(stat("\(spool)/\(account)", &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o660)
        #expect(st.st_uid == geteuid())
        let mailGroup = try TestSupport.shell("getent group mail | cut -d: -f3").text
        if geteuid() == 0, let gid = UInt32(mailGroup.trimmingCharacters(in: .whitespacesAndNewlines)) {
            #expect(st.st_gid == gid)
        }
        #expect(!FileManager.default.fileExists(atPath: "\(spool)/\(account).lock"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool) == [account])
    }

    /// As root, delivering to another (non-root) account creates the mailbox owned by that user.
    @Test(.enabled(if: geteuid() == 0)) func rootDeliversToAnotherAccount() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let other = Recipient(id: "n", name: "Nobody", account: "nobody", channel: .mbox(account: "nobody"))
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "给别人", recipient: other), date: Self.fixedNow)
        try deliverer(spool).deliver(message, to: other)
        var st = stat()
        try #require(stat("\(spool)/nobody", &st) == 0)
        #expect(st.st_uid == 65534)
        // And the runuser'd owner can read it with Python (mode 0660 user:mail).
        let read = try TestSupport.shell(
            "chmod 755 \(spool) && runuser -u nobody -- python3 \(TestSupport.readScript) mbox \(spool)/nobody")
        #expect(read.status == 0, "\(read.stderr)")
        let parsed = try JSONDecoder().decode([TestSupport.Parsed].self, from: read.stdout)
        #expect(parsed.map(\.subject) == ["给别人"])
    }

    @Test func unknownUserIsPermanent() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let ghost = recipient("no_such_user_dutyd")
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "x"), date: Self.fixedNow)
        let error = #expect(throws: DeliveryError.self) { try deliverer(spool).deliver(message, to: ghost) }
        #expect(error?.code == .unknownUser && error?.isTemporary == false)
    }

    /// atime stays where it was and mtime moves to now, so MUAs report new mail.
    @Test func keepsAtimeSoReadersSeeNewMail() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let path = "\(spool)/\(account)"
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "第一封"), date: Self.fixedNow)
        try deliverer(spool).deliver(message, to: recipient())
        // Pretend the user read the mailbox an hour ago (atime) and it was last changed two hours ago.
        let old = Date().timeIntervalSince1970 - 3600
        var times = [timeval(tv_sec: Int(old), tv_usec: 0), timeval(tv_sec: Int(old) - 3600, tv_usec: 0)]
        try #require(utimes(path, &times) == 0)
        try deliverer(spool).deliver(message, to: recipient())
        var st = stat()
        try #require(stat(path, &st) == 0)
        #expect(st.st_atim.tv_sec == Int(old))
        #expect(st.st_mtim.tv_sec > st.st_atim.tv_sec)
    }

    /// A mailbox that does not end in an empty line gets one before the new From_ line.
    @Test func repairsAMissingSeparator() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let path = "\(spool)/\(account)"
        let old = "From someone@vm Mon Nov 30 00:00:00 2026\nSubject: old\n\nold body without newline"
        _ = FileManager.default.createFile(atPath: path, contents: Data(old.utf8), attributes: [.posixPermissions: 0o600])
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "新的"), date: Self.fixedNow)
        try deliverer(spool).deliver(message, to: recipient())
        let parsed = try TestSupport.python("mbox", [path])
        #expect(parsed.map(\.subject) == ["old", "新的"])
        #expect(parsed.first?.body == "old body without newline\n")
    }

    @Test func refusesASymlinkedMailbox() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let target = "\(spool)/target"
        _ = FileManager.default.createFile(atPath: target, contents: Data("precious\n".utf8))
        try #require(symlink(target, "\(spool)/\(account)") == 0)
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "x"), date: Self.fixedNow)
        let error = #expect(throws: DeliveryError.self) { try deliverer(spool).deliver(message, to: recipient()) }
        #expect(error?.code == .symlinkRefused && error?.isTemporary == false)
        #expect(contents(target) == Data("precious\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: "\(spool)/\(account).lock"))
    }

    @Test func refusesAHardLinkedMailbox() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let other = "\(spool)/elsewhere"
        _ = FileManager.default.createFile(atPath: other, contents: Data("precious\n".utf8))
        try #require(link(other, "\(spool)/\(account)") == 0)
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "x"), date: Self.fixedNow)
        let error = #expect(throws: DeliveryError.self) { try deliverer(spool).deliver(message, to: recipient()) }
        #expect(error?.code == .hardLinkRefused && error?.isTemporary == false)
        #expect(contents(other) == Data("precious\n".utf8))
    }

    @Test(.enabled(if: geteuid() == 0)) func refusesAMailboxOwnedByAnotherUser() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let path = "\(spool)/\(account)"
        _ = FileManager.default.createFile(atPath: path, contents: Data("precious\n".utf8))
        try #require(chown(path, 65534, 65534) == 0)
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "x"), date: Self.fixedNow)
        let error = #expect(throws: DeliveryError.self) { try deliverer(spool).deliver(message, to: recipient()) }
        #expect(error?.code == .ownerRefused && error?.isTemporary == false)
        #expect(contents(path) == Data("precious\n".utf8))
    }

    @Test func refusesADirectoryOrFifo() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        try #require(mkfifo("\(spool)/\(account)", 0o600) == 0)
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "x"), date: Self.fixedNow)
        let error = #expect(throws: DeliveryError.self) { try deliverer(spool).deliver(message, to: recipient()) }
        #expect(error?.code == .notARegularFile && error?.isTemporary == false)
    }

    /// A live dot-lock made by liblockfile's `dotlockfile` keeps us out (temporary error, nothing written); a stale
    /// one (mtime 10 minutes ago) is broken and delivery succeeds.
    @Test func respectsLiveDotlocksAndBreaksStaleOnes() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let path = "\(spool)/\(account)"
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "锁"), date: Date())
        let live = MboxDeliverer(spoolDirectory: spool, envelopeSender: "dutyd@vm", configuration: {
            var c = MboxDeliverer.Configuration()
            c.lockAttempts = 3
            c.lockRetryInterval = 0.01
            return c
        }())
        try live.deliver(message, to: recipient())
        let before = contents(path)
        let made = try TestSupport.run("/usr/bin/dotlockfile", ["-l", "-r", "0", "\(path).lock"])
        try #require(made.status == 0, "dotlockfile: \(made.stderr)")
        let error = #expect(throws: DeliveryError.self) { try live.deliver(message, to: recipient()) }
        #expect(error?.code == .lockBusy && error?.isTemporary == true)
        #expect(contents(path) == before)
        #expect(FileManager.default.fileExists(atPath: "\(path).lock"), "someone else's lock must stay")
        // Age it past the stale limit.
        let old = Date().timeIntervalSince1970 - 600
        var times = [timeval(tv_sec: Int(old), tv_usec: 0), timeval(tv_sec: Int(old), tv_usec: 0)]
        try #require(utimes("\(path).lock", &times) == 0)
        try live.deliver(message, to: recipient())
        #expect(try TestSupport.python("mbox", [path]).count == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(path).lock"))
    }

    /// A lock whose holder was SIGKILLed (its pid written in the lock, as liblockfile and dutyd do) is broken at
    /// once, not after the 300 s age limit, and the killed waiters' temporary link files on this host are swept; a
    /// lock naming a live process (`dotlockfile -p`, held by a sleeping shell) keeps us out.
    @Test func breaksLocksOfDeadHoldersAtOnce() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let path = "\(spool)/\(account)"
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "死锁"), date: Date())
        let mbox = deliverer(spool)

        // A live holder: a shell that takes the lock with its own pid and sleeps.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "dotlockfile -p -l -r 0 \"$0\" && exec sleep 30", "\(path).lock"]
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        let waitUntil = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: "\(path).lock") && Date() < waitUntil { usleep(10_000) }
        try #require(FileManager.default.fileExists(atPath: "\(path).lock"))
        let busy = #expect(throws: DeliveryError.self) { try mbox.deliver(message, to: self.recipient()) }
        #expect(busy?.code == .lockBusy)
        #expect(FileManager.default.fileExists(atPath: "\(path).lock"), "a live holder's lock must stay")

        // The holder is killed: its lock (fresh mtime) names a pid that is gone.
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let written = try String(contentsOfFile: "\(path).lock", encoding: .utf8)
        #expect(Int32(written.trimmingCharacters(in: .whitespacesAndNewlines)) == holder.processIdentifier)
        // Litter of a killed waiter on this host (dead pid) and of a live one (ours): only the first is swept.
        let host = String(Posix.hostName().map { $0 == "/" || $0 == "." ? "_" : $0 })
        let deadLitter = "\(path).lock.\(host).\(holder.processIdentifier).1.17960022330"
        let liveLitter = "\(path).lock.\(host).\(getpid()).999999.17960022330"
        for file in [deadLitter, liveLitter] { #expect(FileManager.default.createFile(atPath: file, contents: Data("1\n".utf8))) }
        defer { unlink(liveLitter) }
        try mbox.deliver(message, to: recipient())
        #expect(try TestSupport.python("mbox", [path]).count == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(path).lock"))
        #expect(!FileManager.default.fileExists(atPath: deadLitter))
        #expect(FileManager.default.fileExists(atPath: liveLitter))
    }

    /// Another process holding an fcntl write lock (Python `lockf`, as MUAs do) keeps us out.
    @Test func respectsFcntlLocks() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let path = "\(spool)/\(account)"
        let message = try TestSupport.composer.compose(TestSupport.reminder(title: "锁"), date: Self.fixedNow)
        try deliverer(spool).deliver(message, to: recipient())
        let before = contents(path)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = [
            "-c",
            "import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\nsys.stdin.read()",
            path,
        ]
        let out = Pipe()
        let input = Pipe()
        holder.standardOutput = out
        holder.standardInput = input
        try holder.run()
        let line = out.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self).hasPrefix("locked"))
        let error = #expect(throws: DeliveryError.self) { try deliverer(spool).deliver(message, to: recipient()) }
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        #expect(error?.code == .lockBusy && error?.isTemporary == true)
        #expect(contents(path) == before)
        #expect(!FileManager.default.fileExists(atPath: "\(path).lock"), "our dot-lock is released on failure")
        try deliverer(spool).deliver(message, to: recipient())
        #expect(try TestSupport.python("mbox", [path]).count == 2)
    }

    @Test func alreadyDeliveredFindsTheMessageIDInTheTail() throws {
        let spool = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let mbox = deliverer(spool)
        let first = try TestSupport.composer.compose(TestSupport.reminder(title: "一"), date: Self.fixedNow)
        let second = try TestSupport.composer.compose(TestSupport.reminder(title: "二", kind: .overdue), date: Self.fixedNow)
        let firstID = try #require(first.messageID)
        #expect(!mbox.alreadyDelivered(messageID: firstID, to: recipient()))
        try mbox.deliver(first, to: recipient())
        #expect(mbox.alreadyDelivered(messageID: firstID, to: recipient()))
        #expect(!mbox.alreadyDelivered(messageID: try #require(second.messageID), to: recipient()))
        // Lower-case header names (other MTAs) count too; a tail window shorter than the distance does not.
        #expect(MboxDeliverer.containsMessageID("<a@b>", in: ArraySlice("x\nmessage-id:  <a@b>\n".utf8)))
        #expect(!MboxDeliverer.containsMessageID("<a@b>", in: ArraySlice("x\nIn-Reply-To: <a@b>\n".utf8)))
        var small = mbox
        small.configuration.tailScanBytes = 64
        for _ in 0..<3 { try small.deliver(second, to: recipient()) }
        #expect(!small.alreadyDelivered(messageID: firstID, to: recipient()))
    }

    /// mboxo and mboxrd quoting, checked line by line against what the formats define.
    @Test func fromQuoting() {
        let input = Array("From a\n>From b\n>>From c\nFromage\n From d\nFrom".utf8)
        let mboxo = String(decoding: MboxDeliverer.quote(input, style: .mboxo), as: UTF8.self)
        let mboxrd = String(decoding: MboxDeliverer.quote(input, style: .mboxrd), as: UTF8.self)
        #expect(mboxo == ">From a\n>From b\n>>From c\nFromage\n From d\nFrom")
        #expect(mboxrd == ">From a\n>>From b\n>>>From c\nFromage\n From d\nFrom")
    }
}
