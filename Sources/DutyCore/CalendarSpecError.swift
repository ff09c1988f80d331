/// Why a calendar expression (systemd.time(7) syntax) was refused, and where.
///
/// Columns are 1-based and count bytes of the UTF-8 input. `description` renders the error compiler-style:
///
/// ```
/// calendar:1:11: error: hour must be in 0..23, got 25
///  | Mon *-*-* 25:00
///  |           ^~
/// ```
public struct CalendarSpecError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Nothing left to parse (empty input, or only a time-zone suffix).
        case empty
        /// A weekday name is malformed (`Mond`), a range runs backwards (`Sat..Mon`) or stays open (`Mon..`).
        case invalidWeekday
        /// A digit (or `*`) was expected.
        case expectedNumber
        /// A character that cannot follow at this place.
        case unexpectedCharacter
        /// A number does not fit the 32-bit fields systemd uses, or a repeat is zero.
        case numberOutOfRange
        /// A value outside its field's range (`25:00`, `2200-01-01`, `*~29`).
        case valueOutOfRange
        /// A repetition that can never fire or exceeds the field span (`00:00/60`, `20/4:00`).
        case invalidRepeat
        /// A range whose end precedes its start, or a sub-second range without a repeat.
        case invalidRange
        /// More than 241 comma-separated values in one field.
        case tooManyValues
        /// `@epoch` out of range.
        case invalidTimestamp
        /// The last word looks like a time zone but names none known (`Europe/Nowhere`).
        case unknownTimeZone
    }

    /// The systemd errno class of this failure, for `systemd-analyze`-compatible messages.
    public enum SystemdErrno: String, Sendable, Hashable {
        case invalidArgument = "Invalid argument"  // EINVAL
        case outOfRange = "Numerical result out of range"  // ERANGE
        case noBufferSpace = "No buffer space available"  // ENOBUFS
    }

    public var input: String
    public var code: Code
    /// 1-based column range (half-open) of the offending text; never empty.
    public var columns: Range<Int>
    public var message: String
    public var systemdErrno: SystemdErrno

    /// 1-based column of the first offending byte.
    public var column: Int { columns.lowerBound }

    public init(input: String, code: Code, columns: Range<Int>, message: String, systemdErrno: SystemdErrno) {
        self.input = input
        self.code = code
        self.columns = columns
        self.message = message
        self.systemdErrno = systemdErrno
    }

    /// `calendar:1:COL: error: MESSAGE`, the input and a caret line.
    public var description: String { rendered(source: "calendar") }

    public func rendered(source: String) -> String {
        var out = "\(source):1:\(column): error: \(message)\n"
        let shown = input.replacingControlCharacters()
        out += " | " + shown + "\n"
        let width = max(1, columns.count)
        out += " | " + String(repeating: " ", count: max(0, column - 1)) + "^"
            + String(repeating: "~", count: width - 1)
        return out
    }
}

extension String {
    /// Control characters shown as `?` so the caret stays aligned on one line.
    fileprivate func replacingControlCharacters() -> String {
        String(decoding: utf8.map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
    }
}
