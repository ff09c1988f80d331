import Foundation

/// Which occurrence of which duty: a duty id and the occurrence's instant in whole Unix seconds, written
/// `<duty id>@<unix seconds>` (`dongchuan-biweekly-meeting@1537146000`). It is the one spelling of an occurrence:
/// the delivery ledger and acknowledgements store it, the journal's `DUTY_OCCURRENCE_ID` and the mails'
/// `X-Dutyd-Occurrence` carry it, the query socket and `dutyctl ack`/`show` take it. The text form must never
/// change: existing ledgers and journals hold it.
///
/// The instant is cut to the whole second below (`floor`, also before 1970). Reading is strict, so that what reads
/// is exactly what `description` writes: the duty is everything before the last `@` (not empty), the seconds an
/// optional `-` and decimal digits without a leading zero or `+`. Codable as that string.
public struct OccurrenceID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The duty's id.
    public var duty: String
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64

    public init(duty: String, seconds: Int64) {
        self.duty = duty
        self.seconds = seconds
    }

    /// The occurrence of `duty` at `instant` (cut to the whole second below).
    public init(duty: String, at instant: Date) {
        self.init(duty: duty, seconds: Int64(instant.timeIntervalSince1970.rounded(.down)))
    }

    /// The occurrence's instant (a whole second).
    public var instant: Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

    /// `<duty id>@<unix seconds>`.
    public var description: String { "\(duty)@\(seconds)" }

    /// Reads `<duty id>@<unix seconds>`; nil when malformed (`init(parsing:)` says why).
    public init?(_ text: String) {
        guard let id = try? OccurrenceID(parsing: text) else { return nil }
        self = id
    }

    /// Reads `<duty id>@<unix seconds>`, or says where it is malformed.
    public init(parsing text: String) throws(OccurrenceIDError) {
        let chars = Array(text)
        func fail(_ code: OccurrenceIDError.Code, at index: Int, through end: Int? = nil, _ message: String) -> OccurrenceIDError {
            OccurrenceIDError(input: text, code: code, columns: (index + 1)..<(max(index, end ?? index) + 2), message: message)
        }
        guard let at = chars.lastIndex(of: "@") else {
            throw fail(.missingSeparator, at: chars.count, "expected '@' and the occurrence's unix seconds after the duty id")
        }
        guard at > 0 else { throw fail(.emptyDuty, at: 0, "expected a duty id before '@'") }
        var i = at + 1
        let negative = i < chars.count && chars[i] == "-"
        if negative { i += 1 }
        let digitsStart = i
        var value: Int64 = 0
        while i < chars.count, chars[i].isASCII, let d = chars[i].wholeNumberValue {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { throw fail(.outOfRange, at: at + 1, through: chars.count - 1, "the seconds do not fit in 64 bits") }
            value = next
            i += 1
        }
        guard i > digitsStart else {
            throw fail(.expectedSeconds, at: i, "expected the occurrence's unix seconds after '@'")
        }
        guard i == chars.count else {
            throw fail(.expectedSeconds, at: i, "expected only the digits of whole unix seconds after '@'")
        }
        guard chars[digitsStart] != "0" || i == digitsStart + 1, !(negative && value == 0) else {
            throw fail(.expectedSeconds, at: digitsStart, "expected the seconds without a leading zero")
        }
        self.init(duty: String(chars[..<at]), seconds: negative ? -value : value)
    }

    /// By duty, then by instant.
    public static func < (lhs: OccurrenceID, rhs: OccurrenceID) -> Bool {
        (lhs.duty, lhs.seconds) < (rhs.duty, rhs.seconds)
    }

    /// Encoded as the text form; decoding reads and validates it.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why an occurrence id was refused, and where: the 1-based column range (in characters), a code and a message.
public struct OccurrenceIDError: Error, PositionedError, Sendable, Hashable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// No `@`.
        case missingSeparator
        /// Nothing before the `@`.
        case emptyDuty
        /// The part after the `@` is not whole seconds written plainly.
        case expectedSeconds
        /// The seconds do not fit in 64 bits.
        case outOfRange
    }

    public var input: String
    public var code: Code
    /// 1-based, half-open column range of the offending text; never empty.
    public var columns: Range<Int>
    /// What was expected; `description` adds the position and the form of an occurrence id.
    public var message: String

    public var column: Int { columns.lowerBound }

    public init(input: String, code: Code, columns: Range<Int>, message: String) {
        self.input = input
        self.code = code
        self.columns = columns
        self.message = message
    }

    /// `occurrence id:1:COLUMN: error: MESSAGE (occurrence ids look like <duty id>@<unix seconds>)`, the input and a
    /// caret line.
    public var description: String { rendered(source: "occurrence id") }

    public func rendered(source: String) -> String {
        caretRendering(
            source: source, input: input, columns: columns,
            message: "\(message) (occurrence ids look like <duty id>@<unix seconds>)")
    }
}
