import DutyCore

/// One header field of a `MailMessage`: a name and an already-encoded, ASCII-only field body.
///
/// The field body may be folded (`"\n "` or `"\n\t"`), but it never contains a bare line break, a CR, a NUL or any
/// other control character, so a header can never end early and smuggle in another header. The initialiser checks
/// this; `MailComposer` only ever builds values that pass.
public struct MailHeader: Sendable, Hashable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) throws(MailCompositionError) {
        guard MailHeader.isValidName(name) else {
            throw MailCompositionError(.invalidHeader, "header name \(name.debugDescription) is not printable ASCII")
        }
        guard MailHeader.isValidValue(value) else {
            throw MailCompositionError(.invalidHeader, "header \(name) has a control character or a bare line break")
        }
        self.name = name
        self.value = value
    }

    /// `ftext` of RFC 5322 §3.6.8: printable ASCII except the colon.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 76 && name.utf8.allSatisfy { $0 >= 33 && $0 <= 126 && $0 != 58 }
    }

    /// Printable ASCII plus folding: a LF is allowed only when followed by a space or a tab, and never at the end.
    static func isValidValue(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case 0x20...0x7E, 0x09:
                continue
            case 0x0A:
                guard index + 1 < bytes.count, bytes[index + 1] == 0x20 || bytes[index + 1] == 0x09 else { return false }
            default:
                return false
            }
        }
        return true
    }

    /// The field as it appears in the message, without the final line break (a value folded before its first
    /// word follows the colon directly, without a trailing space).
    public var line: String { value.hasPrefix("\n") ? "\(name):\(value)" : "\(name): \(value)" }
}

/// A composed message: header fields in order, then the body bytes (already transfer-encoded, LF line endings).
///
/// The wire form (`bytes`) uses LF line endings as a Unix mail spool and `sendmail` expect; an MTA converts to
/// CRLF on SMTP itself.
public struct MailMessage: Sendable, Hashable {
    public let headers: [MailHeader]
    /// Body bytes, each line ending in LF (an empty body is allowed).
    public let body: [UInt8]

    public init(headers: [MailHeader], body: [UInt8]) throws(MailCompositionError) {
        guard headers.contains(where: { $0.name.lowercased() == "from" }),
            headers.contains(where: { $0.name.lowercased() == "date" })
        else {
            throw MailCompositionError(.invalidHeader, "a message needs a From and a Date header (RFC 5322 §3.6)")
        }
        guard !body.contains(0) else {
            throw MailCompositionError(.invalidBody, "the body contains a NUL byte")
        }
        self.headers = headers
        var body = body
        if let last = body.last, last != 0x0A { body.append(0x0A) }
        self.body = body
    }

    /// The first value of a header (case-insensitive name), as stored (encoded, possibly folded).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// `<id@host>` from the `Message-ID` header, if any.
    public var messageID: String? { header("Message-ID") }

    /// Headers, an empty line, then the body.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count + headers.count * 80 + 1)
        for header in headers {
            out.append(contentsOf: header.line.utf8)
            out.append(0x0A)
        }
        out.append(0x0A)
        out.append(contentsOf: body)
        return out
    }
}
