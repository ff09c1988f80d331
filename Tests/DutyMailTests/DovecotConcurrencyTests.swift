import DutyConformance
import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// Dovecot's IMAP server (`dovecot-imapd`) on a private copy of the spool while dutyd delivers into it: the way
/// people in an office read the mail dutyd appends. A private instance (`dovecot -F -c CONF`, everything under a
/// temporary directory, listening on 127.0.0.1 only) serves `alice` and `bob` from mbox (`INBOX=SPOOL/%u`, the
/// spool `root:mail 2775` as Debian's `/var/mail`) and `carol` from a maildir, as the `mail` user. Python imaplib
/// clients read, flag, move (COPY to `Archive` + expunge) and expunge continuously, so Dovecot rewrites the mboxes
/// (its `Status:`/`X-IMAP` headers, the "FOLDER INTERNAL DATA" first message, expunges) while dutyd appends a
/// burst (single reminders and digests, two writers per mailbox); mutt, under tmux, follows bob's INBOX over IMAP
/// through the burst, then shows one of his digests (index and pager) and deletes it.
///
/// Afterwards: every message dutyd reported delivered is in a folder or was expunged by a client; none is there
/// twice; each parses without defects with its keys and body; `doveadm force-resync` has nothing to fix and
/// Dovecot logged no error. Locks: dutyd takes the dot-lock and an fcntl lock (OFD, which conflicts with POSIX
/// fcntl locks); Dovecot is set to `mbox_write_locks = dotlock fcntl`, `mbox_read_locks = fcntl` (Debian's
/// defaults, docs/mail.md says which others would not exclude dutyd).
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/dovecot")))
struct DovecotConcurrencyTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    final class Dovecot {
        let dir: String
        let port: Int
        let process = Process()
        var conf: String { dir + "/dovecot.conf" }
        var spool: String { dir + "/spool" }
        var maildir: String { dir + "/maildir" }

        init() throws {
            dir = try TestSupport.temporaryDirectory("dutyd-dovecot")
            chmod(dir, 0o755)
            let mail = try #require(getpwnam("mail")).pointee
            let mailGroup = try #require(getgrnam("mail")).pointee.gr_gid
            for sub in ["spool", "home", "run", "state", "log", "maildir"] { try #require(mkdir(dir + "/" + sub, 0o755) == 0) }
            try #require(chown(dir + "/spool", 0, mailGroup) == 0 && chmod(dir + "/spool", 0o2775) == 0)
            try #require(chown(dir + "/home", mail.pw_uid, mail.pw_gid) == 0)
            try #require(chown(dir + "/maildir", mail.pw_uid, mail.pw_gid) == 0)
            let out = try TestSupport.run(
                "/usr/bin/env", ["python3", "-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"])
            port = try #require(Int(out.text.trimmingCharacters(in: .whitespacesAndNewlines)))
            let uid = mail.pw_uid
            let gid = mail.pw_gid
            try """
                alice:{PLAIN}secret:\(uid):\(gid)::\(dir)/home/alice::
                bob:{PLAIN}secret:\(uid):\(gid)::\(dir)/home/bob::
                carol:{PLAIN}secret:\(uid):\(gid)::\(dir)/home/carol::userdb_mail=maildir:\(dir)/maildir/carol

                """.write(toFile: dir + "/users", atomically: true, encoding: .utf8)
            try """
                protocols = imap
                listen = 127.0.0.1
                base_dir = \(dir)/run
                state_dir = \(dir)/state
                log_path = \(dir)/log/dovecot.log
                ssl = no
                disable_plaintext_auth = no
                auth_mechanisms = plain
                first_valid_uid = 1
                mail_privileged_group = mail
                default_internal_user = dovecot
                default_login_user = dovenull
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN \(dir)/users
                }
                userdb {
                  driver = passwd-file
                  args = \(dir)/users
                }
                mail_location = mbox:~/mail:INBOX=\(dir)/spool/%u
                mbox_write_locks = dotlock fcntl
                mbox_read_locks = fcntl
                service imap-login {
                  inet_listener imap {
                    address = 127.0.0.1
                    port = \(port)
                  }
                  inet_listener imaps {
                    port = 0
                  }
                }

                """.write(toFile: conf, atomically: true, encoding: .utf8)
        }

        func start() throws {
            // Through a Python exec that empties the signal mask: Foundation's Process passes on the mask of the
            // spawning thread (a test thread blocks SIGTERM), and Dovecot's master would never see its SIGTERM.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                "/usr/sbin/dovecot", "-F", "-c", conf,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }

        var log: String { (try? String(contentsOfFile: dir + "/log/dovecot.log", encoding: .utf8)) ?? "" }

        func doveadm(_ arguments: [String]) throws -> TestSupport.Output {
            try TestSupport.run("/usr/bin/doveadm", ["-c", conf] + arguments)
        }

        /// A python imaplib client of `scripts/imap-churn.py` that runs until its stdin closes.
        func churn(_ user: String, seed: Int, mode: String) throws -> (Process, Pipe, Pipe) {
            let client = Process()
            client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            client.arguments = [
                "python3", TestSupport.repoRoot.appendingPathComponent("scripts/imap-churn.py").path, "churn", "\(port)", user, "secret",
                "\(seed)", mode,
            ]
            let input = Pipe()
            let output = Pipe()
            client.standardInput = input
            client.standardOutput = output
            try client.run()
            return (client, input, output)
        }

        struct Listed: Decodable {
            var folder: String
            var message_id: String
            var keys: [String]
            var subject: String
            var defects: [String]
            var body: String?
        }

        func dump(_ user: String) throws -> [Listed] {
            let out = try TestSupport.run(
                "/usr/bin/env", ["python3", TestSupport.repoRoot.appendingPathComponent("scripts/imap-churn.py").path, "dump", "\(port)", user, "secret"])
            guard out.status == 0 else { throw Failure("imap dump \(user): \(out.stderr)") }
            return try JSONDecoder().decode([Listed].self, from: out.stdout)
        }
    }

    /// mutt, a real IMAP client in a terminal, in a private tmux server.
    final class Mutt {
        let socket = "dutyd-mutt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

        init(port: Int, user: String) throws {
            let url = "imap://\(user)@127.0.0.1:\(port)/"
            let command = "mutt -n -F /dev/null -e 'set imap_user=\(user) imap_pass=secret folder=\(url) spoolfile=+INBOX "
                + "mail_check=1 timeout=1 sort=mailbox-order charset=utf-8 delete=yes quit=yes move=no mark_old=no "
                + "pager_index_lines=0 record=/dev/null ssl_starttls=no ssl_force_tls=no' -f \(url)INBOX"
            // Started through Python's subprocess so the server inherits none of the test's pipes (RealReaderTests).
            let started = try TestSupport.run(
                "/usr/bin/python3",
                [
                    "-c",
                    "import subprocess,sys; sys.exit(subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, "
                        + "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True).returncode)",
                    "tmux", "-L", socket, "-u", "new-session", "-d", "-s", "mail", "-x", "200", "-y", "50", command,
                ], environment: ["LANG": "C.UTF-8", "TERM": "xterm-256color"])
            guard started.status == 0 else { throw Failure("tmux: \(started.stderr)") }
        }

        func screen() -> String {
            (try? TestSupport.shell("tmux -L \(socket) capture-pane -p -t mail </dev/null 2>/dev/null").text) ?? ""
        }

        /// Waits (at most `timeout` seconds) until the screen shows `text`; the last screen.
        @discardableResult
        func wait(for text: String, timeout: Double = 20) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var current = screen()
            while !current.contains(text) && Date() < deadline {
                usleep(100_000)
                current = screen()
            }
            return current
        }

        func keys(_ keys: String, literal: Bool = false) {
            _ = try? TestSupport.shell("tmux -L \(socket) send-keys -t mail \(literal ? "-l " : "")\(keys) </dev/null")
        }

        var running: Bool { (try? TestSupport.shell("tmux -L \(socket) has-session -t mail </dev/null 2>/dev/null").status) == 0 }

        func close() {
            let pid = (try? TestSupport.shell("tmux -L \(socket) display -p '#{pid}' </dev/null 2>/dev/null").text) ?? ""
            _ = try? TestSupport.shell("tmux -L \(socket) kill-session -t mail </dev/null >/dev/null 2>&1")
            if let server = pid_t(pid.trimmingCharacters(in: .whitespacesAndNewlines)), server > 1 { kill(server, SIGTERM) }
            unlink("/tmp/tmux-\(geteuid())/\(socket)")
        }
    }

    struct Churned: Decodable {
        var deleted: [String]
        var moved: [String]
        var ops: Int
    }

    static func reminder(_ n: Int, to recipient: Recipient, digest: Bool) -> Reminder {
        let t0 = Date(timeIntervalSince1970: 1_538_213_400)
        return Reminder(
            dutyID: "visit-\(recipient.id)-\(n)", title: "入户走访：第 \(n) 户（每月至少入户1次）", description: "结对帮扶干部每月至少入户1次。",
            clause: "二(二)4", occurrence: t0, timeZoneIdentifier: "Asia/Shanghai",
            fireAt: t0.addingTimeInterval(Double(digest ? n / 3 : n) * 60), kind: .due, recipient: recipient,
            digest: digest ? .instant : nil)
    }

    @Test func imapClientsAndDutydShareTheSpoolWithoutLossOrDamage() async throws {
        let dovecot = try Dovecot()
        defer {
            dovecot.stop()
            try? FileManager.default.removeItem(atPath: dovecot.dir)
        }
        var configuration = MboxDeliverer.Configuration()
        configuration.privateSpool = true
        configuration.lockAttempts = 200  // Dovecot holds the locks while it rewrites a large mbox
        configuration.lockRetryInterval = 0.05
        let composer = try MailComposer(hostName: "dutyd-test")
        let mbox = MailChannel(
            kind: .mbox, composer: composer,
            deliverer: MboxDeliverer(spoolDirectory: dovecot.spool, envelopeSender: "dutyd@dutyd-test", configuration: configuration),
            executor: TestExecutor())
        let maildir = MailChannel(kind: .maildir, composer: composer, deliverer: MaildirDeliverer(root: "/"), executor: TestExecutor())
        let recipients = [
            Recipient(id: "alice", name: "甲", account: "alice", channels: [.mbox(account: "alice")]),
            Recipient(id: "bob", name: "乙", account: "bob", channels: [.mbox(account: "bob")]),
            Recipient(id: "carol", name: "丙", account: "mail", channels: [.maildir(path: dovecot.maildir + "/carol")]),
        ]
        // The mailboxes exist before Dovecot starts (dutyd creates them, as on a spool).
        for recipient in recipients {
            let channel = recipient.id == "carol" ? maildir : mbox
            let first = Self.reminder(0, to: recipient, digest: false)
            let outcome = await channel.deliver([ChannelDelivery(reminder: first, route: .mail(recipient.channels[0]), attempt: 1)])
            try #require(outcome.first?.isSuccess == true, "\(outcome)")
        }
        try dovecot.start()
        var clients: [(String, Process, Pipe, Pipe)] = []
        // alice's (mbox) and carol's (maildir) clients move and expunge; a second one on alice's only reads and
        // flags (two clients moving the same message would both copy it to Archive: a duplicate made by the
        // clients, not by dutyd). bob's client only reads and flags (Dovecot rewriting his mbox's Status headers
        // while dutyd appends): mutt deletes one of his digests below, which a client expunging at random could
        // have taken away first.
        for (index, (user, mode)) in [("alice", "all"), ("bob", "read"), ("carol", "all"), ("alice", "read")].enumerated() {
            let (process, input, output) = try dovecot.churn(user, seed: 1000 + index, mode: mode)
            clients.append((user, process, input, output))
        }
        // Each client says READY once it is logged in (a blocking read of its first line): the burst starts with
        // all of them at work.
        for (user, _, _, output) in clients {
            var line = Data()
            while !line.contains(0x0A) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            try #require(String(decoding: line, as: UTF8.self).hasPrefix("READY"), "imap client of \(user) did not start")
        }

        // mutt reads bob's INBOX over IMAP through the burst (it checks for new mail every second).
        let mutt = try Mutt(port: dovecot.port, user: "bob")
        defer { mutt.close() }
        let opened = mutt.wait(for: "Msgs:")
        try #require(opened.contains("Msgs:"), "mutt did not open the mailbox:\n\(opened)")

        // The burst: per mailbox, 60 single reminders and 30 in digests of three, from two writers at once;
        // temporary failures (a lock held through a long rewrite) are retried, as the pipeline would.
        let perMailbox = 90
        let delivered = try await withThrowingTaskGroup(of: [String: [String]].self) { group in
            for recipient in recipients {
                let channel = recipient.id == "carol" ? maildir : mbox
                for writer in 0..<2 {
                    group.addTask {
                        var sent: [String: [String]] = [:]  // Message-ID -> keys
                        var n = 1 + writer * perMailbox / 2
                        let end = n + perMailbox / 2
                        while n < end {
                            let digest = n % 3 == 0 && n + 2 < end
                            let batch = (digest ? [n, n + 1, n + 2] : [n]).map { Self.reminder($0, to: recipient, digest: digest) }
                            n += batch.count
                            let deliveries = batch.map { ChannelDelivery(reminder: $0, route: .mail(recipient.channels[0]), attempt: 1) }
                            for attempt in 1...20 {
                                let outcomes = await channel.deliver(deliveries)
                                if outcomes.allSatisfy(\.isSuccess) {
                                    sent[composer.carrierID(for: batch), default: []] += batch.map(\.key)
                                    break
                                }
                                guard case .temporaryFailure = outcomes.first, attempt < 20 else {
                                    throw Failure("\(recipient.id): \(outcomes)")
                                }
                            }
                        }
                        return sent
                    }
                }
            }
            var all: [String: [String]] = [:]
            for try await part in group { all.merge(part) { $0 + $1 } }
            return all
        }
        #expect(delivered.values.map(\.count).reduce(0, +) == recipients.count * perMailbox)

        // In mutt: limit the index to one of bob's digests, read it in the pager, delete it, sync, quit.
        let bobsDigest = try #require(delivered.first { $0.key.contains(".digest.") && $0.value.first?.hasSuffix("/bob") == true }?.key)
        // (A regex: the dots of the id match themselves too; the angle brackets are left out.)
        let pattern = "~i" + bobsDigest.dropFirst().dropLast()
        mutt.keys("l")
        mutt.keys("'\(pattern)'", literal: true)
        mutt.keys("Enter")
        let limited = mutt.wait(for: "3 项")
        #expect(limited.contains("【今日到期】3 项：入户走访"), "mutt index:\n\(limited)")
        mutt.keys("Enter")
        let pager = mutt.wait(for: "dutyctl ack")
        #expect(pager.contains("dutyctl ack visit-bob-") && pager.contains("依据条款 Clause: 二(二)4"), "mutt pager:\n\(pager)")
        mutt.keys("q")
        mutt.keys("D")
        mutt.keys("'\(pattern)'", literal: true)
        mutt.keys("Enter")
        mutt.keys("q")  // quit = yes, delete = yes: mutt expunges the deleted message on its way out
        let deadline = Date().addingTimeInterval(20)
        while mutt.running && Date() < deadline { usleep(100_000) }
        #expect(!mutt.running, "mutt did not quit:\n\(mutt.screen())")

        var removed: Set<String> = [bobsDigest]
        var operations = 0
        for (user, process, input, output) in clients {
            try input.fileHandleForWriting.close()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "imap client of \(user) failed")
            let last = data.split(separator: 0x0A).last.map { Data($0) } ?? Data()
            let churned = try JSONDecoder().decode(Churned.self, from: last)
            removed.formUnion(churned.deleted)
            operations += churned.ops
        }
        #expect(operations > 20, "the clients hardly ran")

        var present: [String: Int] = [:]
        var places: [String: [String]] = [:]
        for user in ["alice", "bob", "carol"] {
            for message in try dovecot.dump(user) where !message.subject.contains("FOLDER INTERNAL DATA") {
                present[message.message_id, default: 0] += 1
                places[message.message_id, default: []].append("\(user)/\(message.folder)")
                #expect(message.defects.isEmpty, "\(user) \(message.message_id): \(message.defects)")
                #expect(message.body?.contains("dutyctl ack") == true, "\(user) \(message.message_id): damaged body")
                #expect(!message.keys.isEmpty)
            }
        }
        let sentIDs = Set(delivered.keys)
        let lost = sentIDs.subtracting(present.keys).subtracting(removed)
        #expect(lost.isEmpty, "delivered but neither there nor expunged by a client: \(lost.sorted().prefix(5))")
        let duplicated = present.filter { $0.value > 1 }.keys.sorted()
        #expect(duplicated.isEmpty, "duplicated: \(duplicated.prefix(5).map { "\($0) in \(places[$0] ?? [])" })")
        #expect(Set(present.keys).subtracting(sentIDs).count <= 3)  // the three first messages, sent before the clients

        // Dovecot's view is consistent: a forced resync of every folder finds nothing to fix, nothing was logged
        // as an error (a broken lock, a corrupted index, an mbox changed under it).
        for user in ["alice", "bob", "carol"] {
            let resync = try dovecot.doveadm(["force-resync", "-u", user, "*"])
            #expect(resync.status == 0, "\(user): \(resync.stderr)")
            #expect(resync.stderr.isEmpty, "\(user): \(resync.stderr)")
        }
        dovecot.stop()
        let problems = dovecot.log.split(separator: "\n").filter { $0.contains("Error:") || $0.contains("Panic:") || $0.contains("Fatal:") }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        print("dovecot: \(sentIDs.count) messages delivered by dutyd, \(operations) client rounds, \(removed.count) expunged by clients")
    }
}
