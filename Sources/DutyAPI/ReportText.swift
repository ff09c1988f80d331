import DutyCore
import Foundation

/// CSV for spreadsheets: UTF-8 with a byte order mark (so that spreadsheet programs read the Chinese columns as
/// UTF-8), CRLF line ends, RFC 4180 quoting. A cell that a spreadsheet would take for a formula (`=`, `+`, `-`,
/// `@`, tab or CR first) is prefixed with `'`, so a title from a schedule file cannot run as one.
public enum CSVText {
    public static let byteOrderMark = "\u{FEFF}"

    public static func document(header: [String], rows: [[String]]) -> String {
        var out = byteOrderMark
        out += line(header)
        for row in rows { out += line(row) }
        return out
    }

    static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first),
            Double(text) == nil
        {
            text = "'" + text
        }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}

extension VisitReport {
    /// The report as CSV: one row per township (`group` `township`, the default), per unit, or per cadre.
    public func csv(group: String) -> String {
        let head = ["已走访 acknowledged", "逾期 overdue", "未到期 pending"]
        func numbers(_ c: VisitCounts) -> [String] {
            [String(c.due), String(c.acknowledged), String(c.overdue), String(c.pending)]
        }
        switch group {
        case "unit":
            return CSVText.document(
                header: ["月份 month", "帮扶单位 unit", "应走访 due"] + head,
                rows: units.map { [month, $0.name] + numbers($0.counts) })
        case "cadre":
            return CSVText.document(
                header: ["月份 month", "乡镇 township", "乡镇代码 township_id", "帮扶单位 unit", "干部 cadre", "干部代码 cadre_id", "应走访 due"] + head,
                rows: cadres.map { [month, $0.townshipName, $0.township, $0.unit, $0.name, $0.id] + numbers($0.counts) })
        default:
            return CSVText.document(
                header: ["月份 month", "乡镇 township", "乡镇代码 township_id", "应走访 due"] + head,
                rows: townships.map { [month, $0.name, $0.id] + numbers($0.counts) }
                    + [[month, "合计 total", ""] + numbers(total)])
        }
    }
}

extension DutyReport {
    public var csv: String {
        CSVText.document(
            header: [
                "任务代码 duty", "任务 title", "条款 clause", "责任单位 responsible", "需销号 ack", "次数 occurrences",
                "已销号 acknowledged", "逾期 overdue", "未到期 pending", "首次 first", "末次 last",
            ],
            rows: rows.map {
                [
                    $0.duty, $0.title, $0.clause ?? "", $0.responsible.joined(separator: "、"), $0.needsAcknowledgement ? "是 yes" : "否 no",
                    String($0.occurrences), String($0.counts.acknowledged), String($0.counts.overdue), String($0.counts.pending),
                    $0.first ?? "", $0.last ?? "",
                ]
            })
    }
}

/// The calendar feed (`GET /v1/calendar.ics`): one VEVENT per occurrence, its UID the occurrence id, so that a
/// moved or cancelled occurrence can later be sent as the same UID with another DTSTART, a higher SEQUENCE or
/// `STATUS:CANCELLED` (`Event.sequence`, `Event.cancelled`) and calendar programs update it in place.
public enum ICalendarFeed {
    public struct Event: Sendable, Hashable {
        public var uid: String
        public var start: Date
        public var zone: TimeZone
        public var durationMinutes: Int
        public var summary: String
        public var description: String
        public var categories: String
        public var url: String?
        public var sequence: Int
        public var cancelled: Bool

        public init(
            uid: String, start: Date, zone: TimeZone, durationMinutes: Int = 60, summary: String, description: String,
            categories: String, url: String? = nil, sequence: Int = 0, cancelled: Bool = false
        ) {
            self.uid = uid
            self.start = start
            self.zone = zone
            self.durationMinutes = durationMinutes
            self.summary = summary
            self.description = description
            self.categories = categories
            self.url = url
            self.sequence = sequence
            self.cancelled = cancelled
        }
    }

    /// `stamp` is the DTSTAMP of every event: when the feed's content last changed, so the text (and its ETag)
    /// stays the same between polls while nothing changes.
    public static func calendar(name: String, events: [Event], stamp: Date) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dutyd//dutyd \(DutyCore.version)//EN", "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH", "X-WR-CALNAME:\(escape(name))", "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        ]
        let utc = TimeZone(identifier: "UTC")!
        for event in events {
            lines.append("BEGIN:VEVENT")
            lines.append("UID:\(escape(event.uid))@dutyd")
            lines.append("DTSTAMP:\(stampText(stamp, utc))Z")
            lines.append("DTSTART;TZID=\(event.zone.identifier):\(stampText(event.start, event.zone))")
            lines.append("DURATION:PT\(event.durationMinutes)M")
            lines.append("SEQUENCE:\(event.sequence)")
            if event.cancelled { lines.append("STATUS:CANCELLED") }
            lines.append("SUMMARY:\(escape(event.summary))")
            lines.append("DESCRIPTION:\(escape(event.description))")
            lines.append("CATEGORIES:\(escape(event.categories))")
            if let url = event.url { lines.append("URL:\(url)") }
            lines.append("END:VEVENT")
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined()
    }

    static func stampText(_ date: Date, _ zone: TimeZone) -> String {
        String(TimeFormatting.iso8601(date, in: zone).prefix(19).filter { $0 != "-" && $0 != ":" })
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n", "\r\n": out += "\\n"
            case "\r": continue
            default:
                if let a = c.asciiValue, a < 0x20 { continue }
                out.append(c)
            }
        }
        return out
    }

    /// Folds a content line at 75 octets without splitting a UTF-8 sequence; ends it with CRLF.
    static func fold(_ line: String) -> String {
        var out = ""
        var count = 0
        var limit = 75
        for scalar in line.unicodeScalars {
            let n = String(scalar).utf8.count
            if count + n > limit {
                out += "\r\n "
                count = 0
                limit = 74
            }
            out.unicodeScalars.append(scalar)
            count += n
        }
        return out + "\r\n"
    }
}
