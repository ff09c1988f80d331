import DutyCore
import Foundation

/// Builds the RFC 5322 message for one `Reminder`. Pure: the `Date` header comes from the instant passed in, the
/// `Message-ID` from the reminder's key and the host, so composing twice gives the same bytes.
///
/// Security rules: titles and other free text are sanitised (`HeaderEncoding.sanitize`) and only ever land in
/// unstructured fields (Subject, X-…) or display names, as RFC 2047 encoded-words when not plain ASCII; addresses
/// are built from validated account names and host names only, never from titles.
public struct MailComposer: Sendable {
    /// How the body is transfer-encoded. `base64` and `quotedPrintable` are 7-bit clean, so no body line ever starts
    /// with `From ` or `.` and the message survives any relay; `eightBit` keeps raw UTF-8 (readable in the spool,
    /// relies on mbox `>From ` quoting) and falls back to quoted-printable when a line exceeds 998 octets.
    public enum BodyEncoding: String, Sendable, Hashable, Codable, CaseIterable {
        case base64
        case quotedPrintable = "quoted-printable"
        case eightBit = "8bit"
    }

    public let hostName: String
    public let senderAccount: String
    public let senderName: String
    public var template: MailTemplate
    public var bodyEncoding: BodyEncoding
    /// The domain part of every Message-ID (default: the host name). Instances sharing a ledger must share it, so
    /// that a reminder sent again by another instance carries the same Message-ID (docs/lease-protocol.md 3.8).
    public private(set) var messageIDDomain: String

    public init(
        hostName: String, senderAccount: String = "dutyd", senderName: String = "dutyd 值班提醒",
        template: MailTemplate = .default, bodyEncoding: BodyEncoding = .base64
    ) throws(MailCompositionError) {
        guard MailValidation.isValidHostName(hostName) else {
            throw MailCompositionError(.invalidHostName, "host name \(hostName.debugDescription) is not a DNS name")
        }
        guard MailValidation.isValidAccount(senderAccount) else {
            throw MailCompositionError(.invalidAccount, "sender account \(senderAccount.debugDescription) is invalid")
        }
        self.hostName = hostName
        self.senderAccount = senderAccount
        self.senderName = senderName
        self.template = template
        self.bodyEncoding = bodyEncoding
        messageIDDomain = hostName
    }

    /// The same composer with Message-IDs in `domain` (`--message-id-domain`).
    public func withMessageIDDomain(_ domain: String) throws(MailCompositionError) -> MailComposer {
        guard MailValidation.isValidHostName(domain) else {
            throw MailCompositionError(.invalidHostName, "Message-ID domain \(domain.debugDescription) is not a DNS name")
        }
        var copy = self
        copy.messageIDDomain = domain
        return copy
    }

    /// Envelope and header sender, `dutyd@host`.
    public var senderAddress: String { "\(senderAccount)@\(hostName)" }

    /// `<32 hex digits of SHA-256(key).dutyd@host>`: the same reminder always gets the same id, so a second copy
    /// (after a crash between append and ledger commit) is recognisable.
    public static func messageID(key: String, hostName: String) -> String {
        "<\(SHA256.hex(Array(key.utf8)).prefix(32)).dutyd@\(hostName)>"
    }

    public func messageID(for reminder: Reminder) -> String {
        Self.messageID(key: reminder.key, hostName: messageIDDomain)
    }

    /// The address a recipient gets in `To:` (and the sendmail deliverer passes on the command line).
    public func address(of recipient: Recipient, via channel: Recipient.Channel? = nil) throws(MailCompositionError)
        -> String?
    {
        switch channel ?? recipient.channels.first {
        case .mbox(let account):
            guard MailValidation.isValidAccount(account) else {
                throw MailCompositionError(.invalidAccount, "account \(account.debugDescription) is not a user name")
            }
            return "\(account)@\(hostName)"
        case .sendmail(let address):
            guard MailValidation.isValidAddress(address) else {
                throw MailCompositionError(.invalidAddress, "address \(address.debugDescription) is not allowed")
            }
            return address
        case .maildir, nil:
            guard let account = recipient.account else { return nil }
            guard MailValidation.isValidAccount(account) else {
                throw MailCompositionError(.invalidAccount, "account \(account.debugDescription) is not a user name")
            }
            return "\(account)@\(hostName)"
        }
    }

    /// The values the template sees for a reminder.
    public func templateValues(for reminder: Reminder) throws(MailCompositionError) -> [String: String] {
        guard let zone = TimeZone(identifier: reminder.timeZoneIdentifier) else {
            throw MailCompositionError(.invalidTimeZone, "unknown time zone \(reminder.timeZoneIdentifier)")
        }
        let kind = MailTemplate.kindText(reminder)
        let line = HeaderEncoding.sanitize
        let responsible = reminder.responsible.map(line).filter { !$0.isEmpty }
        let change = reminder.change
        let previous = change?.previous.map { "\(MailDate.civil($0, in: zone)) (\(reminder.timeZoneIdentifier))" }
        let note = change?.note.map(line).flatMap { $0.isEmpty ? nil : $0 }
        var changeZH = ""
        var changeEN = ""
        if let change {
            if let previous {
                changeZH += "\n原定时间：\(previous)"
                changeEN += "\nWas: \(previous)"
            }
            if let note {
                changeZH += "\n说明：\(note)"
                changeEN += "\nNote: \(note)"
            }
            let by = line(change.actor)
            changeZH += change.action == "snooze" ? "\n应 \(by) 要求再次提醒" : "\n变更人：\(by)"
            changeEN += change.action == "snooze" ? "\nRepeated as \(by) asked" : "\nChanged by: \(by)"
        }
        let tag: String
        switch reminder.kind {
        case .changed, .cancelled, .snoozed, .skipped: tag = "【\(kind.zh)】"
        default: tag = ""
        }
        return [
            "tag": tag,
            "previous": previous ?? "",
            "note": note ?? "",
            "change_zh": changeZH,
            "change_en": changeEN,
            "title": line(reminder.title),
            "description": MailValidation.bodyText(reminder.description),
            "due": "\(MailDate.civil(reminder.occurrence, in: zone)) (\(reminder.timeZoneIdentifier))",
            "fire_at": "\(MailDate.civil(reminder.fireAt, in: zone)) (\(reminder.timeZoneIdentifier))",
            "clause": reminder.clause.map(line).flatMap { $0.isEmpty ? nil : $0 } ?? "—",
            "responsible": responsible.isEmpty ? "—" : responsible.joined(separator: "、"),
            "recipient": line(reminder.recipient.name.isEmpty ? reminder.recipient.id : reminder.recipient.name),
            "account": reminder.recipient.account.map(line) ?? "",
            "duty": line(reminder.dutyID),
            "occurrence": line(reminder.occurrenceID),
            "ack": "dutyctl ack \(line(reminder.occurrenceID))",
            "kind": reminder.kind.rawValue,
            "kind_zh": kind.zh,
            "kind_en": kind.en,
            "offset": line(reminder.offsetLabel),
            "priority": reminder.priority.rawValue,
            "schedule": reminder.scheduleFile.map(line) ?? "",
            "key": line(reminder.key),
        ]
    }

    /// Composes the message; `date` is the instant written into the `Date:` header.
    public func compose(_ reminder: Reminder, via channel: Recipient.Channel? = nil, date: Date) throws(MailCompositionError)
        -> MailMessage
    {
        let values = try templateValues(for: reminder)
        guard let zone = TimeZone(identifier: reminder.timeZoneIdentifier) else {
            throw MailCompositionError(.invalidTimeZone, "unknown time zone \(reminder.timeZoneIdentifier)")
        }
        let subject = template.render(template.subject, values: values)
        let bodyText = MailValidation.bodyText(template.render(template.body, values: values))
        let to = try address(of: reminder.recipient, via: channel)

        let (encoding, body) = encodedBody(bodyText)

        var headers: [MailHeader] = []
        func add(_ name: String, _ value: String) throws(MailCompositionError) {
            headers.append(try MailHeader(name, value))
        }
        try add("Date", MailDate.rfc5322(date, in: zone))
        try add("From", HeaderEncoding.mailbox(headerName: "From", displayName: senderName, address: senderAddress))
        if let to {
            try add("To", HeaderEncoding.mailbox(headerName: "To", displayName: reminder.recipient.name, address: to))
        } else {
            try add("To", "undisclosed-recipients:;")
        }
        try add("Subject", HeaderEncoding.unstructured(name: "Subject", text: subject))
        try add("Message-ID", messageID(for: reminder))
        try add("MIME-Version", "1.0")
        try add("Content-Type", "text/plain; charset=utf-8")
        try add("Content-Transfer-Encoding", encoding.rawValue)
        try add("Auto-Submitted", "auto-generated")
        try add("List-Id", listID)
        try add("X-Dutyd-Duty", HeaderEncoding.machine(name: "X-Dutyd-Duty", text: reminder.dutyID))
        try add("X-Dutyd-Occurrence", HeaderEncoding.machine(name: "X-Dutyd-Occurrence", text: reminder.occurrenceID))
        try add("X-Dutyd-Kind", reminder.kind.rawValue)
        try add("X-Dutyd-Key", HeaderEncoding.machine(name: "X-Dutyd-Key", text: reminder.key))
        return try MailMessage(headers: headers, body: body)
    }

    /// `List-Id: dutyd 值班提醒 <dutyd.HOST>` (RFC 2919 syntax): one id for all of this host's reminder mail, so a
    /// person can file or filter it in any client ("List-Id contains dutyd.HOST"). No List-Post or List-Unsubscribe:
    /// it is not a list anybody posts to.
    public var listID: String {
        HeaderEncoding.mailbox(headerName: "List-Id", displayName: senderName, address: "dutyd.\(hostName)")
    }

    /// Body lines of a message, encoded as `bodyEncoding` says (8bit falls back to QP for a line over 998 octets).
    func encodedBody(_ text: String) -> (BodyEncoding, [UInt8]) {
        var encoding = bodyEncoding
        let raw = Array(text.utf8)
        if encoding == .eightBit, raw.split(separator: 0x0A).contains(where: { $0.count > 998 }) {
            encoding = .quotedPrintable
        }
        switch encoding {
        case .base64: return (encoding, Base64.encodeBody(raw))
        case .quotedPrintable: return (encoding, QuotedPrintable.encodeBody(raw))
        case .eightBit: return (encoding, raw)
        }
    }

    // MARK: - Digests

    /// At most this many reminders in one digest; more of one group are sent as several digests.
    public static let maximumDigestSize = 200

    /// The Message-ID of a digest: `<32 hex digits of SHA-256(the sorted reminder keys).digest.dutyd@HOST>`. The same
    /// set of reminders always gets the same id; a different set (one more reminder) another.
    public func digestMessageID(for reminders: [Reminder]) -> String {
        let keys = reminders.map(\.key).sorted().joined(separator: "\n")
        return "<\(SHA256.hex(Array(keys.utf8)).prefix(32)).digest.dutyd@\(hostName)>"
    }

    /// The message id of what carries these reminders: the reminder's own for one, the digest's for several.
    public func carrierID(for reminders: [Reminder]) -> String {
        reminders.count == 1 ? messageID(for: reminders[0]) : digestMessageID(for: reminders)
    }

    /// One message for several reminders of one recipient and kind (a digest): the subject names the kind and
    /// the count, the body lists each duty with its title, due time, clause and acknowledgement command (in
    /// Chinese and English labels), and the headers carry an `X-Dutyd-Key` per reminder. One reminder is
    /// composed as usual (`compose(_:via:date:)`).
    public func composeDigest(_ reminders: [Reminder], via channel: Recipient.Channel? = nil, date: Date)
        throws(MailCompositionError) -> MailMessage
    {
        guard let first = reminders.first else {
            throw MailCompositionError(.invalidBody, "a digest needs at least one reminder")
        }
        if reminders.count == 1 { return try compose(first, via: channel, date: date) }
        let items = reminders.sorted { ($0.occurrence, $0.title, $0.key) < ($1.occurrence, $1.title, $1.key) }
        var values: [[String: String]] = []
        for reminder in items { values.append(try templateValues(for: reminder)) }
        guard let zone = TimeZone(identifier: first.timeZoneIdentifier) else {
            throw MailCompositionError(.invalidTimeZone, "unknown time zone \(first.timeZoneIdentifier)")
        }
        let kind = MailTemplate.kindText(first.kind)
        let count = items.count
        let subject = "【\(kind.zh)】\(count) 项：\(values[0]["title"] ?? "")等"
        var text = "\(values[0]["recipient"] ?? "")，您好：\n\n"
        text += "以下 \(count) 项【\(kind.zh)】合在这一封邮件里，请逐项办理并分别确认。\n"
        text += "[\(kind.en)] \(count) reminders in one mail; acknowledge each one.\n\n"
        for (number, value) in values.enumerated() {
            text += "\(number + 1). \(value["title"] ?? "")\n"
            text += "   到期时间 Due: \(value["due"] ?? "")\n"
            text += "   依据条款 Clause: \(value["clause"] ?? "")\n"
            if let responsible = value["responsible"], responsible != "—" {
                text += "   责任部门/人 Responsible: \(responsible)\n"
            }
            if let offset = value["offset"], !offset.isEmpty { text += "   提前 Ahead: \(offset)\n" }
            text += "   确认 Acknowledge: \(value["ack"] ?? "")\n\n"
        }
        // A description shared by every duty (the visits quote the same clause) is printed once, after the list.
        let descriptions = Set(values.map { $0["description"] ?? "" })
        if descriptions.count == 1, let description = descriptions.first, !description.isEmpty {
            text += "----------------------------------------\n\(description)\n"
        }
        text += "-- \ndutyd\n"
        let (encoding, body) = encodedBody(MailValidation.bodyText(text))
        let to = try address(of: first.recipient, via: channel)

        var headers: [MailHeader] = []
        func add(_ name: String, _ value: String) throws(MailCompositionError) {
            headers.append(try MailHeader(name, value))
        }
        try add("Date", MailDate.rfc5322(date, in: zone))
        try add("From", HeaderEncoding.mailbox(headerName: "From", displayName: senderName, address: senderAddress))
        if let to {
            try add("To", HeaderEncoding.mailbox(headerName: "To", displayName: first.recipient.name, address: to))
        } else {
            try add("To", "undisclosed-recipients:;")
        }
        try add("Subject", HeaderEncoding.unstructured(name: "Subject", text: subject))
        try add("Message-ID", digestMessageID(for: items))
        try add("MIME-Version", "1.0")
        try add("Content-Type", "text/plain; charset=utf-8")
        try add("Content-Transfer-Encoding", encoding.rawValue)
        try add("Auto-Submitted", "auto-generated")
        try add("List-Id", listID)
        try add("X-Dutyd-Kind", first.kind.rawValue)
        try add("X-Dutyd-Digest", "\(count)")
        for reminder in items {
            try add("X-Dutyd-Key", HeaderEncoding.machine(name: "X-Dutyd-Key", text: reminder.key))
        }
        return try MailMessage(headers: headers, body: body)
    }
}

/// Validation of the few things that become addresses, host names or file names.
public enum MailValidation {
    /// Debian's conservative user name rule: `[a-z_][a-z0-9_-]{0,31}`.
    public static func isValidAccount(_ account: String) -> Bool {
        let bytes = Array(account.utf8)
        guard let first = bytes.first, bytes.count <= 32 else { return false }
        guard (first >= 0x61 && first <= 0x7A) || first == 0x5F else { return false }
        return bytes.dropFirst().allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D }
    }

    /// Letters, digits and hyphens in dot-separated labels of 1…63, at most 253 in all; no leading hyphen.
    public static func isValidHostName(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        for label in host.split(separator: ".", omittingEmptySubsequences: false) {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            guard label.utf8.allSatisfy({ isAlnum($0) || $0 == 0x2D }) else { return false }
        }
        return true
    }

    /// A conservative address for the sendmail command line and `To:`: `local` or `local@domain`, the local part
    /// from `[A-Za-z0-9._+=-]` (not starting with `-` or `.`), the domain a valid host name.
    public static func isValidAddress(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let local = parts.first, (1...64).contains(local.utf8.count) else {
            return false
        }
        guard local.first != "-", local.first != ".", local.last != ".", !local.contains("..") else { return false }
        guard local.utf8.allSatisfy({ isAlnum($0) || "._+=-".utf8.contains($0) }) else { return false }
        return parts.count == 1 || isValidHostName(String(parts[1]))
    }

    /// Body text: CRLF and CR become LF, other controls except TAB are dropped, the text ends in one LF.
    static func bodyText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                out.append("\n")
                previousCR = true
                continue
            }
            defer { previousCR = false }
            if scalar == "\n" {
                if !previousCR { out.append("\n") }
                continue
            }
            if scalar == "\t" || !(scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0)) {
                out.append(scalar)
            }
        }
        var result = String(out)
        while result.hasSuffix("\n\n") { result.removeLast() }
        if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
        return result
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
