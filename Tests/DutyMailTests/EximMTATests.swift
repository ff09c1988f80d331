import DutyConformance
import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// The sendmail channel in front of a real MTA: Debian's exim4 (`exim4-daemon-light`, its `/usr/sbin/sendmail`)
/// run as a private instance (`-C` a configuration in a temporary directory: its own spool, log and mailboxes;
/// no daemon, nothing of the system's configuration or queue), relaying to an SMTP sink on 127.0.0.1
/// (`scripts/smtp-sink.py`, python aiosmtpd) and delivering local accounts to mbox files. Exim gives up root for
/// a `-C` configuration, so the instance runs as `Debian-exim` in directories it owns.
///
/// Checked: the envelope sender (`MAIL FROM`, `Return-path`) is dutyd's address and receives the bounces;
/// `Auto-Submitted: auto-generated` arrives; a digest is relayed as one message; a relay that is down is retried
/// by the MTA's queue; a relay that refuses a recipient produces a bounce to dutyd's address naming the
/// reminder's Message-ID; a relay that defers keeps it queued; a spool without room (exim's `check_spool_space`)
/// is a temporary failure for dutyd, delivered once after room is made.
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/exim4")))
struct EximMTATests {
    static let host = "dutyd-test.example"
    static let sender = "dutyd@dutyd-test.example"

    /// A loopback SMTP sink; stops when its stdin closes.
    final class Sink {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let directory: String
        let port: Int

        init(directory: String, port: Int = 0, reject: String? = nil, defer deferred: String? = nil) throws {
            self.directory = directory
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            var arguments = ["python3", TestSupport.repoRoot.appendingPathComponent("scripts/smtp-sink.py").path, directory, "--port", "\(port)"]
            if let reject { arguments += ["--reject", reject] }
            if let deferred { arguments += ["--defer", deferred] }
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            // The first line says it listens (a blocking read: the event, not a poll).
            var line = Data()
            while !line.contains(0x0A) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("READY "), let bound = Int(text.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw Failure("smtp-sink.py did not start: \(text)")
            }
            self.port = bound
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }

        /// The messages accepted so far: envelope sender, recipients and the parsed message (mail-read.py).
        func messages() throws -> [(from: String, to: [String], message: TestSupport.Parsed)] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            return try names.map { name in
                let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
                let record = try JSONSerialization.jsonObject(with: data) as! [String: Any]
                let raw = directory + "/" + name + ".eml"
                try Data(((record["data"] as? String) ?? "").utf8).write(to: URL(fileURLWithPath: raw))
                let parsed = try #require(try TestSupport.python("raw", [raw]).first)
                return ((record["mail_from"] as? String) ?? "", (record["rcpt_tos"] as? [String]) ?? [], parsed)
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A private exim: configuration, spool, log and mailboxes under one temporary directory.
    struct Exim {
        let dir: String
        var conf: String { dir + "/exim.conf" }

        init() throws {
            dir = try TestSupport.temporaryDirectory("dutyd-exim")
            chmod(dir, 0o755)
            for sub in ["spool", "log", "mail"] {
                let path = dir + "/" + sub
                try #require(mkdir(path, 0o750) == 0)
                let user = try #require(getpwnam("Debian-exim"))
                try #require(chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0)
            }
            try "alice:\ndutyd:\n".write(toFile: dir + "/users", atomically: true, encoding: .utf8)
        }

        /// Writes the configuration: local accounts (`alice`, `dutyd`) to `mail/ACCOUNT`, every other domain to
        /// the sink on 127.0.0.1:`port`; `spoolSpace` is `check_spool_space` (exim refuses mail with less free).
        func configure(port: Int, spoolSpace: String = "0") throws {
            try """
                primary_hostname = \(EximMTATests.host)
                qualify_domain = \(EximMTATests.host)
                domainlist local_domains = \(EximMTATests.host)
                spool_directory = \(dir)/spool
                log_file_path = \(dir)/log/%slog
                exim_user = Debian-exim
                exim_group = Debian-exim
                keep_environment =
                check_spool_space = \(spoolSpace)
                begin routers
                local:
                  driver = accept
                  domains = +local_domains
                  local_parts = lsearch,ret=key;\(dir)/users
                  transport = local_mbox
                relay:
                  driver = manualroute
                  domains = ! +local_domains
                  route_list = * 127.0.0.1
                  self = send
                  transport = relay_smtp
                begin transports
                local_mbox:
                  driver = appendfile
                  file = \(dir)/mail/$local_part_data
                  user = Debian-exim
                  group = Debian-exim
                  mode = 0660
                  delivery_date_add
                  envelope_to_add
                  return_path_add
                relay_smtp:
                  driver = smtp
                  port = \(port)
                  allow_localhost
                begin retry
                *   *   F,1h,1m

                """.write(toFile: conf, atomically: true, encoding: .utf8)
        }

        /// The channel as the daemon builds it, with exim's own sendmail and this configuration (`-odi`: deliver
        /// before exiting, so the test need not wait for a background delivery).
        func channel() throws -> MailChannel {
            MailChannel(
                kind: .sendmail, composer: try MailComposer(hostName: EximMTATests.host),
                deliverer: SendmailDeliverer(path: "/usr/sbin/sendmail", sender: EximMTATests.sender, timeout: 30, extraArguments: ["-C", conf, "-odi"]),
                executor: TestExecutor())
        }

        func exim(_ arguments: [String]) throws -> TestSupport.Output {
            try TestSupport.run("/usr/sbin/exim4", ["-C", conf] + arguments)
        }

        /// Messages in the queue.
        func queued() throws -> Int {
            Int(String(decoding: try exim(["-bpc"]).stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }

        func mailbox(_ account: String) throws -> [TestSupport.Parsed] {
            FileManager.default.fileExists(atPath: "\(dir)/mail/\(account)") ? try TestSupport.python("mbox", ["\(dir)/mail/\(account)"]) : []
        }

        var log: String { (try? String(contentsOfFile: dir + "/log/mainlog", encoding: .utf8)) ?? "" }
    }

    static func reminder(to address: String, title: String = "双周例会", duty: String = "meeting", digest: DigestPolicy? = nil) -> Reminder {
        let t0 = Date(timeIntervalSince1970: 1_538_213_400)
        return Reminder(
            dutyID: "\(duty)-\(UInt32.random(in: 0...UInt32.max))", title: title, description: "请准时参加。", clause: "二(一)1",
            occurrence: t0, timeZoneIdentifier: "Asia/Shanghai", fireAt: t0, kind: .due,
            recipient: Recipient(id: address, name: "收件人", channels: [.sendmail(address: address)]), digest: digest)
    }

    static func deliveries(_ reminders: [Reminder]) -> [ChannelDelivery] {
        reminders.map { ChannelDelivery(reminder: $0, route: .mail($0.recipient.channels[0]), attempt: 1) }
    }

    static func header(_ message: TestSupport.Parsed, _ name: String) -> [String] {
        message.headers.filter { $0[0].lowercased() == name.lowercased() }.map { $0[1].trimmingCharacters(in: .whitespaces) }
    }

    @Test func localAndRelayedMailCarryTheEnvelopeAnMTAExpects() async throws {
        let exim = try Exim()
        defer { try? FileManager.default.removeItem(atPath: exim.dir) }
        let sink = try Sink(directory: exim.dir + "/sink")
        defer { sink.stop() }
        try exim.configure(port: sink.port)
        let channel = try exim.channel()
        let local = Self.reminder(to: "alice")
        let visits = ["王树林户", "段国富户", "胡文华户"].map { Self.reminder(to: "bob@relay.example", title: "入户走访：\($0)", duty: "visit", digest: .instant) }
        let outcomes = await channel.deliver(Self.deliveries([local] + visits))
        #expect(outcomes.allSatisfy { $0.isSuccess }, "\(outcomes)\n\(exim.log)")

        // Local delivery: the envelope sender is dutyd's address, nothing rewritten or warned about.
        let inbox = try exim.mailbox("alice")
        try #require(inbox.count == 1, "\(exim.log)")
        let message = inbox[0]
        #expect(message.from_?.hasPrefix("\(Self.sender) ") == true)
        #expect(Self.header(message, "Return-path") == ["<\(Self.sender)>"])
        #expect(Self.header(message, "Auto-Submitted") == ["auto-generated"])
        #expect(Self.header(message, "Sender").isEmpty && Self.header(message, "X-Authentication-Warning").isEmpty)
        #expect(message.message_id == channel.composer.messageID(for: local))
        #expect(message.subject == "双周例会")
        #expect(message.defects.isEmpty)

        // Relayed: one message for the three visits, MAIL FROM dutyd's address, every key on board.
        let relayed = try sink.messages()
        try #require(relayed.count == 1, "\(exim.log)")
        #expect(relayed[0].from == Self.sender)
        #expect(relayed[0].to == ["bob@relay.example"])
        let digest = relayed[0].message
        #expect(digest.message_id == channel.composer.digestMessageID(for: visits))
        #expect(Set(Self.header(digest, "X-Dutyd-Key")) == Set(visits.map(\.key)))
        #expect(Self.header(digest, "Auto-Submitted") == ["auto-generated"])
        #expect(Self.header(digest, "List-Id") == ["dutyd 值班提醒 <dutyd.\(Self.host)>"])
        #expect(digest.defects.isEmpty)
        #expect(try exim.queued() == 0)
    }

    /// Nothing listens where the relay should be: exim accepts the message (dutyd's part is done, once), keeps it
    /// queued, and the next queue run after the relay is back delivers it, once.
    @Test func aRelayThatIsDownIsRetriedByTheMTA() async throws {
        let exim = try Exim()
        defer { try? FileManager.default.removeItem(atPath: exim.dir) }
        let probe = try Sink(directory: exim.dir + "/probe")
        let port = probe.port
        probe.stop()  // a port nobody listens on now
        try exim.configure(port: port)
        let channel = try exim.channel()
        let reminder = Self.reminder(to: "bob@relay.example")
        let outcome = await channel.deliver(Self.deliveries([reminder]))
        #expect(outcome.first?.isSuccess == true, "\(outcome)")
        #expect(try exim.queued() == 1, "\(exim.log)")
        #expect(exim.log.contains("Connection refused"))

        let sink = try Sink(directory: exim.dir + "/sink", port: port)
        defer { sink.stop() }
        #expect(try exim.exim(["-qff"]).status == 0)
        let relayed = try sink.messages()
        #expect(relayed.count == 1, "\(exim.log)")
        #expect(relayed.first?.message.message_id == channel.composer.messageID(for: reminder))
        #expect(try exim.queued() == 0)
    }

    /// The relay refuses one recipient for good (550) and defers another (451): the first comes back as a bounce
    /// to dutyd's envelope address (null sender, `Auto-Submitted: auto-replied`, the reminder's Message-ID in
    /// `References`), the second stays queued for the MTA's retries; dutyd handed each over once.
    @Test func aRelayThatRefusesBouncesToDutydAndOneThatDefersKeepsItQueued() async throws {
        let exim = try Exim()
        defer { try? FileManager.default.removeItem(atPath: exim.dir) }
        let sink = try Sink(directory: exim.dir + "/sink", reject: "^gone@", defer: "^later@")
        defer { sink.stop() }
        try exim.configure(port: sink.port)
        let channel = try exim.channel()
        let refused = Self.reminder(to: "gone@relay.example")
        let deferred = Self.reminder(to: "later@relay.example")
        let outcomes = await channel.deliver(Self.deliveries([refused, deferred]))
        #expect(outcomes.allSatisfy { $0.isSuccess }, "\(outcomes)")
        #expect(try sink.messages().isEmpty)

        let bounces = try exim.mailbox("dutyd")
        try #require(bounces.count == 1, "\(exim.log)")
        let bounce = bounces[0]
        #expect(Self.header(bounce, "Return-path") == ["<>"])
        #expect(Self.header(bounce, "X-Failed-Recipients") == ["gone@relay.example"])
        #expect(Self.header(bounce, "Auto-Submitted") == ["auto-replied"])
        #expect(Self.header(bounce, "References") == [channel.composer.messageID(for: refused)])
        #expect(bounce.to?.contains(Self.sender) == true)
        #expect(try exim.queued() == 1)
        #expect(exim.log.contains("451 4.3.0"))
    }

    /// Exim refuses a message when its spool has less room than `check_spool_space` ("exim: insufficient disk
    /// space", exit 1): dutyd takes it for a temporary failure (not the permanent failure other exit codes are),
    /// nothing is queued or delivered; once there is room the same message goes through, once.
    @Test func aFullSpoolIsATemporaryFailureAndDeliversOnceWhenThereIsRoom() async throws {
        let exim = try Exim()
        defer { try? FileManager.default.removeItem(atPath: exim.dir) }
        let sink = try Sink(directory: exim.dir + "/sink")
        defer { sink.stop() }
        try exim.configure(port: sink.port, spoolSpace: "100000G")
        let channel = try exim.channel()
        let reminder = Self.reminder(to: "bob@relay.example")
        let full = await channel.deliver(Self.deliveries([reminder]))
        guard case .temporaryFailure(let failure, _) = full.first else {
            Issue.record("expected a temporary failure, got \(full)")
            return
        }
        #expect(failure.message.contains("insufficient disk space"))
        #expect(try exim.queued() == 0)
        #expect(try sink.messages().isEmpty)

        try exim.configure(port: sink.port)
        let retried = await channel.deliver([ChannelDelivery(reminder: reminder, route: .mail(reminder.recipient.channels[0]), attempt: 2)])
        #expect(retried.first?.isSuccess == true, "\(retried)")
        #expect(try sink.messages().count == 1)
    }

    @Test func exitStatusesAreClassified() {
        #expect(SendmailDeliverer.isTemporary(exitCode: 75, output: ""))
        #expect(SendmailDeliverer.isTemporary(exitCode: 73, output: "postdrop: warning: cannot create file"))
        #expect(SendmailDeliverer.isTemporary(exitCode: 1, output: "exim: insufficient disk space"))
        #expect(!SendmailDeliverer.isTemporary(exitCode: 1, output: "exim: bad -f address"))
        #expect(!SendmailDeliverer.isTemporary(exitCode: 67, output: "no such user"))
        #expect(!SendmailDeliverer.isTemporary(exitCode: 78, output: "configuration error"))
    }
}
