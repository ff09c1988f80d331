extension Parser {
    /// `"..."`: on one line, with escapes.
    mutating func parseBasicString() throws(TOMLSyntaxError) -> String {
        try parseSingleLineString(delimiter: ASCII.quote)
    }

    /// `'...'`: on one line, taken as written.
    mutating func parseLiteralString() throws(TOMLSyntaxError) -> String {
        try parseSingleLineString(delimiter: ASCII.apostrophe)
    }

    /// `"""..."""`: several lines, with escapes and line-ending backslashes.
    mutating func parseMultiLineBasicString() throws(TOMLSyntaxError) -> String {
        try parseMultiLineString(delimiter: ASCII.quote)
    }

    /// `'''...'''`: several lines, taken as written.
    mutating func parseMultiLineLiteralString() throws(TOMLSyntaxError) -> String {
        try parseMultiLineString(delimiter: ASCII.apostrophe)
    }

    private mutating func parseSingleLineString(delimiter: UInt8) throws(TOMLSyntaxError) -> String {
        let start = offset
        offset += 1
        var content: [UInt8] = []
        while true {
            switch current {
            case delimiter:
                offset += 1
                return String(decoding: content, as: UTF8.self)
            case nil, ASCII.lineFeed,
                ASCII.carriageReturn where peek(1) == ASCII.lineFeed:
                let quote = delimiter == ASCII.quote ? "'\"'" : "\"'\""
                let hint = delimiter == ASCII.quote ? "\"\"\"" : "'''"
                throw error(
                    .unterminatedString,
                    "unterminated string: no closing \(quote) on its line "
                        + "(a string of several lines starts with \(hint))",
                    at: start)
            case ASCII.backslash where delimiter == ASCII.quote:
                try parseEscape(into: &content, multiLine: false)
            case let byte?:
                try append(byte, to: &content)
            }
        }
    }

    private mutating func parseMultiLineString(delimiter: UInt8) throws(TOMLSyntaxError) -> String {
        let start = offset
        let closing = String(repeating: String(UnicodeScalar(delimiter)), count: 3)
        offset += 3
        // A line break right after the opening delimiter is not part of the string.
        _ = try skipLineBreak()
        var content: [UInt8] = []
        while true {
            switch current {
            case nil:
                throw error(
                    .unterminatedString,
                    "unterminated multi-line string: no closing \(closing) before the end of the file", at: start)
            case delimiter where looking(at: closing):
                offset += 3
                // Up to two more quotes belong to the content: `""""` ends a string with one quote in it.
                var extra = 0
                while extra < 2, current == delimiter {
                    content.append(delimiter)
                    offset += 1
                    extra += 1
                }
                return String(decoding: content, as: UTF8.self)
            case ASCII.backslash where delimiter == ASCII.quote:
                try parseEscape(into: &content, multiLine: true)
            case ASCII.lineFeed, ASCII.carriageReturn:
                // CR LF is kept as LF, as the specification allows.
                _ = try skipLineBreak()
                content.append(ASCII.lineFeed)
            case let byte?:
                try append(byte, to: &content)
            }
        }
    }

    /// Appends one byte of string content; control characters other than tab must be escaped.
    private mutating func append(_ byte: UInt8, to content: inout [UInt8]) throws(TOMLSyntaxError) {
        if ASCII.isControl(byte) && byte != ASCII.tab {
            if byte == ASCII.carriageReturn { throw loneCarriageReturn() }
            throw error(
                .controlCharacter, "\(describe()) is not allowed in a string; write it as an escape such as \\u0001")
        }
        content.append(byte)
        offset += 1
    }

    /// An escape sequence at the read position (a backslash) in a basic string.
    private mutating func parseEscape(into content: inout [UInt8], multiLine: Bool) throws(TOMLSyntaxError) {
        let start = offset
        offset += 1
        guard let letter = current else { return }  // the string is unterminated; the caller reports it
        if let byte = Self.unescaped(letter) {
            content.append(byte)
            offset += 1
            return
        }
        switch letter {
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = letter == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for index in 1...count {
                guard let byte = peek(index), let digit = ASCII.digitValue(byte, radix: 16) else {
                    throw error(
                        .invalidEscape, "expected \(count) hexadecimal digits after '\\\(UnicodeScalar(letter))'",
                        at: start)
                }
                value = value << 4 | UInt32(digit)
            }
            guard let scalar = Unicode.Scalar(value) else {
                let text = String(decoding: bytes[start..<(offset + 1 + count)], as: UTF8.self)
                throw error(
                    .invalidEscape,
                    "\(text) is not a Unicode scalar value (surrogates and values above 10FFFF are not)", at: start)
            }
            content.append(contentsOf: String(scalar).utf8)
            offset += 1 + count
        case _ where multiLine && [ASCII.space, ASCII.tab, ASCII.lineFeed, ASCII.carriageReturn].contains(letter):
            // A line-ending backslash: the line break and every blank and line break after it are dropped.
            skipBlanks()
            guard try skipLineBreak() else {
                throw error(.invalidEscape, "a '\\' followed by blanks must be the last thing on its line", at: start)
            }
            while true {
                skipBlanks()
                guard try skipLineBreak() else { return }
            }
        default:
            throw error(
                .invalidEscape,
                "invalid escape sequence: '\\' followed by \(describe(wholeWord: false)); "
                    + "the escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX and \\UXXXXXXXX",
                at: start)
        }
    }

    /// The character a one-letter escape (`\n`, `\"`, ...) stands for.
    private static func unescaped(_ letter: UInt8) -> UInt8? {
        switch letter {
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "t"): ASCII.tab
        case UInt8(ascii: "n"): ASCII.lineFeed
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "r"): ASCII.carriageReturn
        case ASCII.quote, ASCII.backslash: letter
        default: nil
        }
    }
}
