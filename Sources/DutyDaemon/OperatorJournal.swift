import DutyCore
import DutyJournal
import DutySchedules
import Foundation
import Logging

/// The daemon's own journal entries for operators, beside the reminders: a summary of reminders recorded as
/// missed, and one entry per schedule error of a failed reload (with their catalog message ids, so
/// `journalctl -x` explains them). Sent on the blocking executor; nothing when the journal is off.
struct OperatorJournal: Sendable {
    let writer: JournalWriter?
    let executor: any BlockingExecutor
    let logger: Logger

    private func send(_ entries: [[JournalField]]) async {
        guard let writer, !entries.isEmpty else { return }
        _ = try? await executor.run {
            for fields in entries { try? writer.send(fields: fields) }
        }
    }

    /// One summary entry (and a warning in the log) for `count` reminders recorded as missed.
    func missed(count: Int, notices: [Notice], catchUpWindow: TimeInterval, zone: TimeZone) async {
        guard count > 0, let first = notices.first, let last = notices.last else { return }
        let text =
            "dutyd missed \(count) reminder(s) of \(Set(notices.map(\.dutyID)).count) duties due between "
            + "\(TimeFormatting.iso8601(first.fireAt, in: zone)) and \(TimeFormatting.iso8601(last.fireAt, in: zone)): "
            + "they fell due more than \(Int(catchUpWindow))s before it could deliver them"
        logger.warning("\(text)")
        await send([[
            JournalField("MESSAGE", text), JournalField("MESSAGE_ID", DutyMessageID.missedSummary),
            JournalField("PRIORITY", "4"), JournalField("SYSLOG_IDENTIFIER", "dutyd"),
            JournalField("DUTY_KIND", ReminderKind.missed.rawValue), JournalField("DUTY_MISSED_COUNT", String(count)),
        ]])
    }

    /// One entry when this instance starts or stops leading (several instances share a ledger).
    func leadership(leading: Bool, epoch: Int64?, reason: String?) async {
        var fields = [
            JournalField(
                "MESSAGE",
                leading ? "dutyd leads (lease epoch \(epoch ?? 0)): planning and delivering"
                    : "dutyd stopped leading: \(reason ?? "the lease was lost")"),
            JournalField("PRIORITY", leading ? "5" : "4"), JournalField("SYSLOG_IDENTIFIER", "dutyd"),
            JournalField("DUTY_ROLE", leading ? "leader" : "follower"),
        ]
        if let epoch { fields.append(JournalField("DUTY_LEASE_EPOCH", String(epoch))) }
        await send([fields])
    }

    /// One entry when this instance's schedules differ from the leader's (by content digest).
    func schedulesDiffer(mine: String, leader: String, leaderInstance: String) async {
        let text = "dutyd's schedules differ from those of the leader \(leaderInstance) (digest \(mine.prefix(12)) here, \(leader.prefix(12)) there): deploy the same schedule files on every host"
        logger.warning("\(text)")
        await send([[
            JournalField("MESSAGE", text), JournalField("PRIORITY", "4"), JournalField("SYSLOG_IDENTIFIER", "dutyd"),
            JournalField("DUTY_SCHEDULE_DIGEST", mine), JournalField("DUTY_LEADER_SCHEDULE_DIGEST", leader),
        ]])
    }

    /// One entry per schedule error of a failed reload (at most 100).
    func scheduleErrors(_ errors: [ScheduleDiagnostic]) async {
        await send(
            errors.prefix(100).map { error in
                [
                    JournalField("MESSAGE", "schedule error: \(error.description)"),
                    JournalField("MESSAGE_ID", DutyMessageID.scheduleError), JournalField("PRIORITY", "3"),
                    JournalField("SYSLOG_IDENTIFIER", "dutyd"), JournalField("DUTY_SCHEDULE_FILE", error.location.file),
                    JournalField("CODE_LINE", String(error.location.line)),
                ]
            })
    }
}
