/// A recursive-descent parser over a document's UTF-8 bytes.
///
/// Positions are byte offsets while it reads; they become lines and columns only when an error is thrown. It recurses
/// only into arrays and inline tables, at most `maxDepth` levels deep.
struct Parser {
    let bytes: [UInt8]
    let maxDepth: Int
    var offset = 0
    var tree: TableTree

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.tree = TableTree(bytes: bytes)
    }

    // MARK: - Reading

    /// The byte at the read position; nil at the end.
    var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    /// The byte `distance` bytes ahead of the read position; nil past the end.
    func peek(_ distance: Int) -> UInt8? {
        let index = offset + distance
        return index < bytes.count ? bytes[index] : nil
    }

    /// Whether `literal` starts at the read position.
    func looking(at literal: String) -> Bool {
        offset <= bytes.count && bytes[offset...].starts(with: literal.utf8)
    }

    mutating func skipBlanks() {
        while let byte = current, byte == ASCII.space || byte == ASCII.tab { offset += 1 }
    }

    /// Consumes a line feed or CR LF at the read position, if there is one; a lone carriage return is an error.
    mutating func skipLineBreak() throws(TOMLSyntaxError) -> Bool {
        switch current {
        case ASCII.lineFeed:
            offset += 1
            return true
        case ASCII.carriageReturn:
            guard peek(1) == ASCII.lineFeed else { throw loneCarriageReturn() }
            offset += 2
            return true
        default:
            return false
        }
    }

    /// Skips a comment up to its line break; control characters other than tab are not allowed in it.
    mutating func skipComment() throws(TOMLSyntaxError) {
        offset += 1
        while let byte = current, byte != ASCII.lineFeed {
            if byte == ASCII.carriageReturn {
                guard peek(1) == ASCII.lineFeed else { throw loneCarriageReturn() }
                return
            }
            if ASCII.isControl(byte) && byte != ASCII.tab {
                throw error(.controlCharacter, "\(describe()) is not allowed in a comment")
            }
            offset += 1
        }
    }

    // MARK: - Errors

    func error(_ code: TOMLSyntaxError.Code, _ message: String, at position: Int? = nil) -> TOMLSyntaxError {
        TOMLSyntaxError(code, message, at: position ?? offset, in: bytes)
    }

    func unexpected(_ expected: String) -> TOMLSyntaxError {
        error(.unexpectedCharacter, "expected \(expected), found \(describe())")
    }

    func loneCarriageReturn() -> TOMLSyntaxError {
        error(.controlCharacter, "a carriage return (U+000D) must be followed by a line feed")
    }

    /// What stands at the read position, for messages: a word (`'Standup'`) or one character (`'='`), a control
    /// character by its code point, or the end of the line or file.
    func describe(wholeWord: Bool = true) -> String {
        guard let byte = current else { return "the end of the file" }
        switch byte {
        case ASCII.lineFeed: return "the end of the line"
        case ASCII.carriageReturn where peek(1) == ASCII.lineFeed: return "the end of the line"
        case ASCII.tab: return "a tab"
        case _ where ASCII.isControl(byte): return "control character U+00\(hex(byte))"
        case _ where wholeWord && ASCII.isBareKeyCharacter(byte):
            var end = offset
            while end < bytes.count, end - offset < 24, ASCII.isBareKeyCharacter(bytes[end]) { end += 1 }
            let word = String(decoding: bytes[offset..<end], as: UTF8.self)
            return end < bytes.count && ASCII.isBareKeyCharacter(bytes[end]) ? "'\(word)…'" : "'\(word)'"
        default:
            var end = offset + 1
            while end < bytes.count, ASCII.isContinuation(bytes[end]) { end += 1 }
            return "'\(String(decoding: bytes[offset..<end], as: UTF8.self))'"
        }
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    // MARK: - Document

    mutating func parseDocument() throws(TOMLSyntaxError) -> [String: TOMLValue] {
        if bytes.starts(with: ASCII.byteOrderMark) { offset = ASCII.byteOrderMark.count }
        var table = TableTree.root
        while true {
            skipBlanks()
            guard let byte = current else { break }
            switch byte {
            case ASCII.lineFeed, ASCII.carriageReturn, ASCII.hash:
                break
            case ASCII.leftBracket:
                table = try parseTableHeader()
            default:
                try parseKeyValue(in: table)
            }
            try finishLine(after: byte == ASCII.leftBracket ? "the table header" : "the value")
        }
        return tree.rootTable()
    }

    /// After a statement: blanks, an optional comment, then a line break or the end of the file.
    mutating func finishLine(after statement: String) throws(TOMLSyntaxError) {
        skipBlanks()
        if current == ASCII.hash { try skipComment() }
        if current == nil { return }
        if try skipLineBreak() { return }
        throw unexpected("the end of the line after \(statement)")
    }

    /// `[a.b]` or `[[a.b]]`; returns the table that the following key/value pairs go into.
    mutating func parseTableHeader() throws(TOMLSyntaxError) -> TableTree.ID {
        let isArray = peek(1) == ASCII.leftBracket
        offset += isArray ? 2 : 1
        skipBlanks()
        let key = try parseKey(in: isArray ? " in the array-of-tables header" : " in the table header")
        try checkDepth(key.count, at: key[0].offset)
        let close = isArray ? "]]" : "]"
        guard looking(at: close) else {
            throw unexpected("'\(close)' to close the \(isArray ? "array-of-tables" : "table") header")
        }
        offset += close.count
        return try isArray ? tree.appendArrayElement(at: key) : tree.defineTable(at: key)
    }

    /// `key = value` into `table` (the root table or the one of the last header).
    mutating func parseKeyValue(in table: TableTree.ID) throws(TOMLSyntaxError) {
        let key = try parseKey(in: "")
        guard current == ASCII.equals else { throw unexpected("'=' after the key") }
        offset += 1
        skipBlanks()
        let depth = tree.depth(of: table) + key.count
        try checkDepth(depth, at: key[0].offset)
        let value = try parseValue(depth: depth)
        try tree.insert(value, at: key, in: table)
    }

    func checkDepth(_ depth: Int, at position: Int) throws(TOMLSyntaxError) {
        guard depth <= maxDepth else {
            throw error(
                .nestingTooDeep, "nested too deeply: tables and arrays may nest at most \(maxDepth) levels",
                at: position)
        }
    }

    // MARK: - Keys

    /// A bare, quoted or dotted key; `context` completes "expected a key" in messages. Blanks after it are skipped.
    mutating func parseKey(in context: String) throws(TOMLSyntaxError) -> [KeyPart] {
        var parts = [try parseKeyPart(context: context)]
        skipBlanks()
        while current == ASCII.dot {
            offset += 1
            skipBlanks()
            parts.append(try parseKeyPart(context: context, afterDot: true))
            skipBlanks()
        }
        return parts
    }

    mutating func parseKeyPart(context: String, afterDot: Bool = false) throws(TOMLSyntaxError) -> KeyPart {
        let start = offset
        switch current {
        case let byte? where ASCII.isBareKeyCharacter(byte):
            while let byte = current, ASCII.isBareKeyCharacter(byte) { offset += 1 }
            return KeyPart(name: String(decoding: bytes[start..<offset], as: UTF8.self), offset: start)
        case ASCII.quote where looking(at: "\"\"\""), ASCII.apostrophe where looking(at: "'''"):
            throw error(.unexpectedCharacter, "a key cannot be a multi-line string")
        case ASCII.quote:
            return KeyPart(name: try parseBasicString(), offset: start)
        case ASCII.apostrophe:
            return KeyPart(name: try parseLiteralString(), offset: start)
        default:
            throw unexpected("a key\(afterDot ? " after '.'" : "")\(context)")
        }
    }
}

/// One part of a dotted key, with where it starts for error messages.
struct KeyPart {
    var name: String
    var offset: Int
}
