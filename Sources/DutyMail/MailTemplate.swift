import DutyCore
import Foundation

/// The text of a reminder mail with `{placeholder}` fields, rendered in one pass (a value that itself contains
/// `{title}` is not expanded again; unknown placeholders stay as written).
///
/// Placeholders: `{title}`, `{description}`, `{due}` (occurrence, local time and zone), `{fire_at}`, `{clause}`,
/// `{responsible}`, `{recipient}`, `{account}`, `{duty}`, `{occurrence}` (the occurrence id), `{ack}` (the command
/// that acknowledges it), `{kind}` (raw kind), `{kind_zh}`, `{kind_en}`, `{offset}`, `{priority}`, `{schedule}`,
/// `{key}`; for change notices and snoozed reminders `{tag}` (`【改期】`, `【取消】`, …; empty for other reminders),
/// `{previous}` (the time before a move), `{note}`, and `{change_zh}`/`{change_en}` (lines about the change, each
/// starting with a line feed; empty for other reminders).
public struct MailTemplate: Sendable, Hashable, Codable {
    /// The Subject line; the default is the title alone, so a reader shows exactly the duty's title.
    public var subject: String
    public var body: String

    public init(subject: String = "{title}", body: String) {
        self.subject = subject
        self.body = body
    }

    /// Chinese first, English after, signature last (`-- ` line).
    public static let `default` = MailTemplate(
        subject: "{tag}{title}",
        body: """
            {recipient}，您好：

            【{kind_zh}】{title}
            到期时间：{due}{change_zh}
            依据条款：{clause}
            责任部门/人：{responsible}

            {description}

            办理完成后请确认：{ack}

            ----------------------------------------
            [{kind_en}] {title}
            Due: {due}{change_en}
            Clause: {clause}
            Responsible: {responsible}
            Acknowledge with: {ack}

            -- 
            dutyd

            """)

    /// Replaces every known `{name}` by its value; one pass, left to right.
    public func render(_ text: String, values: [String: String]) -> String {
        var out = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"),
                let value = values[String(rest[afterOpen..<close])]
            {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out += "{"
                rest = rest[afterOpen...]
            }
        }
        out += rest
        return out
    }

    static func kindText(_ kind: ReminderKind) -> (zh: String, en: String) {
        switch kind {
        case .warning: ("提前提醒", "Upcoming")
        case .due: ("今日到期", "Due")
        case .overdue: ("已逾期", "Overdue")
        case .interview: ("约谈", "Interview")
        case .escalation: ("升级提醒", "Escalation")
        case .missed: ("未按期办理", "Missed")
        case .bulletin: ("通报", "Bulletin")
        case .digest: ("汇总", "Digest")
        case .changed: ("变更", "Changed")
        case .cancelled: ("取消", "Cancelled")
        case .snoozed: ("再次提醒", "Reminder again")
        case .skipped: ("暂停", "Paused")
        }
    }
}

extension MailTemplate {
    /// The kind's words for a reminder: a change notice says which change (改期 for a move, 恢复, 加开).
    static func kindText(_ reminder: Reminder) -> (zh: String, en: String) {
        guard reminder.kind == .changed else { return kindText(reminder.kind) }
        switch reminder.change?.action {
        case "move": return ("改期", "Rescheduled")
        case "restore": return ("恢复", "Restored")
        case "add": return ("加开", "Extra occurrence")
        default: return kindText(reminder.kind)
        }
    }
}
