/// Why a document is not TOML 1.0, and where: the first problem found, with a message that says what was expected.
///
/// `line` and `column` are 1-based; columns count Unicode scalars (a tab is one column), so they match what an editor
/// shows for the line and what the schedule loader reports for its own positions. A leading byte order mark does not
/// count as a column.
public struct TOMLSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is, for callers and tests that must not depend on the wording of `message`.
    public enum Code: String, Sendable, Hashable {
        /// A character that cannot stand where it is (a key, `=`, a value, a separator or a line end was expected).
        case unexpectedCharacter
        /// A control character (other than tab) in a string or comment, or a carriage return without a line feed.
        case controlCharacter
        case unterminatedString
        case invalidEscape
        /// Misplaced underscores, leading zeros, a sign on a hexadecimal number, a missing digit, ...
        case invalidNumber
        /// An integer outside -2^63...2^63-1.
        case integerOutOfRange
        /// A malformed or impossible date, time or offset (`2021-02-29`, `24:00:00`, `07:32`).
        case invalidDateTime
        /// A key that already has a value in its table.
        case duplicateKey
        /// A table defined twice: by two headers, by a header and dotted keys, or as a table and an array of tables.
        case tableRedefined
        /// An inline table or an array value extended afterwards, which TOML forbids.
        case immutableValue
        /// A key used as a table although it holds a string, number, date or boolean.
        case notATable
        /// Tables and arrays nested deeper than the parser's limit.
        case nestingTooDeep
    }

    public var code: Code
    public var message: String
    public var line: Int
    public var column: Int

    public init(code: Code, message: String, line: Int, column: Int) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column): \(message)" }
}

extension TOMLSyntaxError {
    /// An error at a byte offset of the document; the offset becomes a line and a column only here, once, so that the
    /// parser does not track lines while it reads.
    init(_ code: Code, _ message: String, at offset: Int, in bytes: [UInt8]) {
        let position = SourcePosition(offset: offset, in: bytes)
        self.init(code: code, message: message, line: position.line, column: position.column)
    }
}

/// The line and column (in Unicode scalars) of a byte offset.
struct SourcePosition {
    var line = 1
    var column = 1

    init(offset: Int, in bytes: [UInt8]) {
        let start = bytes.starts(with: ASCII.byteOrderMark) ? ASCII.byteOrderMark.count : 0
        let end = min(max(offset, start), bytes.count)
        for byte in bytes[start..<end] {
            if byte == ASCII.lineFeed {
                line += 1
                column = 1
            } else if !ASCII.isContinuation(byte) {
                column += 1
            }
        }
    }
}
