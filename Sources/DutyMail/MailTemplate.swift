import DutyCore
import Foundation

/// The text of a reminder mail with `{placeholder}` fields, rendered in one pass (a value that itself contains
/// `{title}` is not expanded again; unknown placeholders stay as written).
///
/// Placeholders: `{title}`, `{description}`, `{due}` (occurrence, local time and zone), `{fire_at}`, `{clause}`,
/// `{responsible}`, `{recipient}`, `{account}`, `{duty}`, `{occurrence}` (the occurrence id), `{ack}` (the command
/// that acknowledges it), `{kind}` (raw kind), `{kind_zh}`, `{kind_en}`, `{offset}`, `{priority}`, `{schedule}`,
/// `{key}`.
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
        subject: "{title}",
        body: """
            {recipient}，您好：

            【{kind_zh}】{title}
            到期时间：{due}
            依据条款：{clause}
            责任部门/人：{responsible}

            {description}

            办理完成后请确认：{ack}

            ----------------------------------------
            [{kind_en}] {title}
            Due: {due}
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
        }
    }
}
