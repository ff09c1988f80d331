import CSystemd
import DutyCore
import Foundation
import Glibc

/// Writes dutyd's structured entries to journald with `sd_journal_sendv`: one entry per reminder (see
/// `fields(for:)` and docs/journal.md for the fields), and generic entries (schedule errors, missed summaries).
///
/// A successful `send` means libsystemd handed the datagram to the journal socket: journald stores it
/// asynchronously, so a reader may see it a moment later (`contains(key:since:)`).
public struct JournalWriter: Sendable {
    /// `SYSLOG_IDENTIFIER` of every entry.
    public var identifier: String
    /// The socket whose absence means "no journald" (`sd_journal_sendv` itself returns 0 and drops the entry
    /// then). libsystemd always sends to the default path; this is only checked.
    public var socketPath: String
    /// Longest value (in bytes) of `DUTY_DESCRIPTION`; longer descriptions are cut at a character boundary.
    public var maxDescriptionBytes: Int = 64 * 1024
    /// At most this many `DUTY_RESPONSIBLE` values per entry.
    public var maxResponsible: Int = 32
    /// The id of the ledger this writer delivers for, sent as `DUTY_LEDGER` with every reminder. Reconciliation
    /// only trusts entries with the same ledger id written by this process's uid, so an entry from an earlier
    /// ledger (after `--reset-state`), another instance or another local user never counts as a delivery.
    public var ledgerID: String?

    public static let defaultSocketPath = "/run/systemd/journal/socket"

    public init(identifier: String = "dutyd", socketPath: String = JournalWriter.defaultSocketPath) {
        self.identifier = identifier
        self.socketPath = socketPath
    }

    // MARK: Sending

    /// Sends the entry of one reminder.
    public func send(_ reminder: Reminder) throws(JournalError) {
        try send(fields: fields(for: reminder))
    }

    /// Sends one entry made of `fields`. `SYSLOG_IDENTIFIER` is added unless present; `MESSAGE` is expected.
    ///
    /// - Throws: `.invalidField` for a name journald would drop, `.unavailable` when the journal socket is
    ///   missing (the entry would be lost), `.sendFailed` with errno when libsystemd fails.
    public func send(fields: [JournalField]) throws(JournalError) {
        var fields = fields
        if !fields.contains(where: { $0.name == "SYSLOG_IDENTIFIER" }) {
            fields.append(JournalField("SYSLOG_IDENTIFIER", identifier))
        }
        guard !fields.isEmpty else { throw JournalError(code: .invalidField, message: "empty entry") }
        if let bad = fields.first(where: { !JournalField.isValidName($0.name) }) {
            // Field names are ours, not user data: safe to show.
            throw JournalError(code: .invalidField, message: "invalid field name \"\(bad.name.prefix(80))\"")
        }
        guard Self.isSocket(socketPath) else {
            throw JournalError(code: .unavailable, message: "no journal socket at \(socketPath)", errno: ENOENT)
        }
        // One contiguous buffer of NAME=value items; the iovecs point into it while sd_journal_sendv runs.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + 1 + $1.value.count })
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.name.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: field.value)
            ranges.append(start..<buffer.count)
        }
        let result: Int32 = buffer.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            let vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
        if result < 0 {
            throw JournalError(code: .sendFailed, message: "send entry", errno: -result)
        }
    }

    static func isSocket(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }

    // MARK: Entry of a reminder

    /// The fields of a reminder's entry, in a stable order. Pure: no I/O except reading the zone file for the
    /// time zone abbreviation.
    public func fields(for reminder: Reminder) -> [JournalField] {
        let zone = TimeZone(identifier: reminder.timeZoneIdentifier) ?? TimeZone(secondsFromGMT: 0)!
        var fields: [JournalField] = [
            JournalField("MESSAGE", Self.message(for: reminder, in: zone)),
            JournalField("PRIORITY", String(Self.priority(for: reminder))),
            JournalField("SYSLOG_IDENTIFIER", identifier),
            JournalField("MESSAGE_ID", DutyMessageID.forKind(reminder.kind)),
            JournalField("DUTY_ID", reminder.dutyID),
            JournalField("DUTY_TITLE", reminder.title),
            JournalField("DUTY_OCCURRENCE", ZoneFormat.iso8601(reminder.occurrence, in: zone)),
            JournalField("DUTY_OCCURRENCE_ID", reminder.occurrenceID),
            JournalField("DUTY_FIRE_AT", ZoneFormat.iso8601(reminder.fireAt, in: zone)),
            JournalField("DUTY_TIMEZONE", reminder.timeZoneIdentifier),
            JournalField("DUTY_KEY", reminder.key),
            JournalField("DUTY_KIND", reminder.kind.rawValue),
            JournalField("DUTY_PRIORITY", reminder.priority.rawValue),
            JournalField("DUTY_RECIPIENT", reminder.recipient.id),
        ]
        if let ledgerID { fields.append(JournalField("DUTY_LEDGER", ledgerID)) }
        if !reminder.offsetLabel.isEmpty { fields.append(JournalField("DUTY_OFFSET", reminder.offsetLabel)) }
        if let clause = reminder.clause, !clause.isEmpty { fields.append(JournalField("DUTY_CLAUSE", clause)) }
        // A list becomes a repeated field: `journalctl DUTY_RESPONSIBLE=x` matches any of them.
        for unit in reminder.responsible.prefix(maxResponsible) { fields.append(JournalField("DUTY_RESPONSIBLE", unit)) }
        if let file = reminder.scheduleFile, !file.isEmpty {
            fields.append(JournalField("DUTY_SCHEDULE_FILE", file))
        }
        if !reminder.description.isEmpty {
            fields.append(JournalField("DUTY_DESCRIPTION", Self.truncated(reminder.description, maxBytes: maxDescriptionBytes)))
        }
        if let original = reminder.originalOccurrence {
            // A moved occurrence: DUTY_OCCURRENCE is where it happens now, this its own instant (its id's).
            fields.append(JournalField("DUTY_SCHEDULED", ZoneFormat.iso8601(original, in: zone)))
        }
        if let change = reminder.change {
            fields.append(JournalField("DUTY_CHANGE", change.action))
            fields.append(JournalField("DUTY_CHANGE_ID", String(change.id)))
            fields.append(JournalField("DUTY_CHANGED_BY", change.actor))
            if let uid = change.actorUID { fields.append(JournalField("DUTY_CHANGED_BY_UID", String(uid))) }
            if let previous = change.previous {
                fields.append(JournalField("DUTY_PREVIOUS_OCCURRENCE", ZoneFormat.iso8601(previous, in: zone)))
            }
            if let repeats = change.repeats { fields.append(JournalField("DUTY_REPEATS", repeats.rawValue)) }
            for person in change.people ?? [] { fields.append(JournalField("DUTY_PAUSED_FOR", person)) }
            if let note = change.note, !note.isEmpty {
                fields.append(JournalField("DUTY_NOTE", Self.truncated(note, maxBytes: maxDescriptionBytes)))
            }
        }
        return fields
    }

    /// `PRIORITY` (syslog level) of a reminder: warning 5 (notice), due 5 or 4 for high/alert duties, overdue 4
    /// (warning), escalation 2 (critical) or 1 (alert) for alert duties, interview 4, missed 3 (error),
    /// bulletin and digest 6 (info).
    public static func priority(for reminder: Reminder) -> Int {
        switch reminder.kind {
        case .warning: 5
        case .due: reminder.priority == .high || reminder.priority == .alert ? 4 : 5
        case .overdue: 4
        case .escalation: reminder.priority == .alert ? 1 : 2
        case .interview: 4
        case .missed: 3
        case .bulletin, .digest: 6
        case .changed, .cancelled: 5
        case .snoozed: 5
        case .skipped: 6
        }
    }

    /// `PRIORITY` of a schedule error entry.
    public static let scheduleErrorPriority = 3

    /// The one-line `MESSAGE`: `东川区委双周工作例会 due 2018-09-17 09:00 CST`. Control characters of the title
    /// become spaces (the full title is in `DUTY_TITLE`).
    public static func message(for reminder: Reminder, in zone: TimeZone) -> String {
        let title = singleLine(reminder.title)
        let when = ZoneFormat.short(reminder.occurrence, in: zone, identifier: reminder.timeZoneIdentifier)
        switch reminder.kind {
        case .warning:
            let ahead = reminder.offsetLabel.isEmpty ? "" : " (\(singleLine(reminder.offsetLabel)) ahead)"
            return "\(title) due \(when)\(ahead)"
        case .due: return "\(title) due \(when)"
        case .overdue: return "\(title) overdue since \(when)"
        case .escalation: return "\(title) escalated: overdue since \(when)"
        case .interview: return "\(title) interview at \(when)"
        case .missed: return "\(title) missed, was due \(when)"
        case .bulletin: return "\(title) bulletin for \(when)"
        case .digest: return "\(title) digest for \(when)"
        case .changed:
            switch reminder.change?.action {
            case "move":
                let from = reminder.change?.previous.map { ZoneFormat.short($0, in: zone, identifier: reminder.timeZoneIdentifier) }
                return "\(title) moved\(from.map { " from \($0)" } ?? "") to \(when)"
            case "restore": return "\(title) restored to \(when)"
            case "add": return "\(title) extra occurrence at \(when)"
            default: return "\(title) changed: due \(when)"
            }
        case .cancelled: return "\(title) cancelled, was due \(when)"
        case .snoozed: return "\(title) reminder repeated (snoozed): due \(when)"
        case .skipped:
            if let people = reminder.change?.people, !people.isEmpty {
                return "\(title) due \(when): not reminded to \(people.joined(separator: ", ")) (paused)"
            }
            return "\(title) skipped by a pause, was due \(when)"
        }
    }

    /// Replaces C0 controls and DEL by spaces and collapses runs of whitespace.
    static func singleLine(_ text: String) -> String {
        var out = ""
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            let isSpace = scalar.value < 0x20 || scalar.value == 0x7F || scalar == " "
            if isSpace {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// The longest prefix of `text` of at most `maxBytes` UTF-8 bytes ending on a character boundary.
    static func truncated(_ text: String, maxBytes: Int) -> String {
        if text.utf8.count <= maxBytes { return text }
        var bytes = 0
        var end = text.startIndex
        for index in text.indices {
            let next = text.index(after: index)
            let size = text[index..<next].utf8.count
            if bytes + size > maxBytes { break }
            bytes += size
            end = next
        }
        return String(text[..<end])
    }

    // MARK: Fallback

    /// One stderr line for an entry that could not be journaled: `<PRIORITY>IDENTIFIER: MESSAGE [KEY=… …]`. The
    /// `<N>` prefix is what systemd's stderr capture (`SyslogLevelPrefix=`) turns back into a priority. Values
    /// are made single-line; `DUTY_DESCRIPTION` is left out.
    public func stderrLine(fields: [JournalField]) -> String {
        let priority = fields.last { $0.name == "PRIORITY" }?.stringValue ?? "6"
        let message = fields.last { $0.name == "MESSAGE" }?.stringValue ?? ""
        let ident = fields.last { $0.name == "SYSLOG_IDENTIFIER" }?.stringValue ?? identifier
        let extras = fields.filter {
            $0.name.hasPrefix("DUTY_") && $0.name != "DUTY_DESCRIPTION" || $0.name == "MESSAGE_ID"
        }
        var line = "<\(Self.singleLine(priority))>\(Self.singleLine(ident)): \(Self.singleLine(message))"
        if !extras.isEmpty {
            line += " [" + extras.map { "\($0.name)=\(Self.singleLine($0.stringValue))" }.joined(separator: " ") + "]"
        }
        return line
    }

    /// Writes `stderrLine(fields:)` and a newline to standard error.
    public func writeToStderr(fields: [JournalField]) {
        let bytes = Array((stderrLine(fields: fields) + "\n").utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}
