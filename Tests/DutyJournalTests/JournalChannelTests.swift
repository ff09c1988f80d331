import DutyConformance
import DutyCore
import Foundation
import Synchronization
import Testing

@testable import DutyJournal

/// The channel conformance suite on the journal: entries sent to the real journald and counted back with
/// `journalctl -o json` (the independent probe), and the stderr stand-in of `dutyd --no-journal`.
@Suite(.serialized) struct JournalChannelTests {
    static let available = JournalWriter.isSocket(JournalWriter.defaultSocketPath)

    /// Entries with this `DUTY_KEY` in the journal, read by journalctl, waiting up to 10 s for `expected`.
    static func journalCopies(of reminder: Reminder, expected: Int) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let output = try run("/usr/bin/journalctl", ["-o", "json", "--no-pager", "DUTY_KEY=\(reminder.key)"])
            let count = String(decoding: output.output, as: UTF8.self).split(separator: "\n").count
            if count >= expected || ContinuousClock.now > deadline { return count }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test(.enabled(if: available), arguments: ChannelConformance.cases)
    func journalConforms(_ check: ChannelConformance.Case) async throws {
        var writer = JournalWriter(identifier: "dutyd-channel-test")
        writer.ledgerID = "conformance-\(UUID().uuidString.prefix(8))"
        let recipient = Recipient(id: "secretary", name: "秘书", account: "sec", channels: [])
        try await check.run(
            ChannelConformance.Subject(
                channel: JournalChannel(writer: writer, executor: TestExecutor()),
                recipients: [recipient, .nobody], route: { _ in .journal },
                copies: { reminder, expected in try await Self.journalCopies(of: reminder, expected: expected) }))
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    @Test(arguments: ChannelConformance.cases)
    func stderrConforms(_ check: ChannelConformance.Case) async throws {
        let lines = Lines()
        try await check.run(
            ChannelConformance.Subject(
                channel: StderrJournalChannel(write: { line in lines.lines.withLock { $0.append(line) } }),
                recipients: [Recipient(id: "secretary", name: "秘书", channels: [])], canReconcile: false,
                route: { _ in .journal },
                copies: { reminder, _ in lines.lines.withLock { $0.filter { $0.contains("DUTY_KEY=\(reminder.key)") }.count } }))
    }

    /// journald unreachable: a temporary failure with a retry hint, and the entry said on stderr meanwhile.
    @Test func unreachableJournalIsATemporaryFailure() async throws {
        let writer = JournalWriter(identifier: "dutyd-channel-test", socketPath: "/nonexistent/journal/socket")
        let said = Lines()
        let channel = JournalChannel(writer: writer, executor: TestExecutor(), onUnavailable: { fields, _ in
            said.lines.withLock { $0.append(fields.map(\.name).joined(separator: ",")) }
        })
        let reminder = ChannelConformance.reminder(to: Recipient(id: "s", name: "s", channels: []))
        let outcome = await channel.deliver([ChannelDelivery(reminder: reminder, route: .journal, attempt: 1)])
        guard case .temporaryFailure(let failure, let hint) = outcome.first else {
            Issue.record("expected a temporary failure, got \(outcome)")
            return
        }
        #expect(failure.code == "journal.unavailable")
        #expect(hint != nil)
        #expect(said.lines.withLock { $0.count } == 1)
    }
}
