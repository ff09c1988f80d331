extension Parser {
    /// A value at `depth` levels below the root table.
    mutating func parseValue(depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        try checkDepth(depth, at: offset)
        guard let byte = current else { throw unexpected("a value") }
        switch byte {
        case ASCII.quote:
            return .string(try looking(at: "\"\"\"") ? parseMultiLineBasicString() : parseBasicString())
        case ASCII.apostrophe:
            return .string(try looking(at: "'''") ? parseMultiLineLiteralString() : parseLiteralString())
        case ASCII.leftBracket:
            return try parseArray(depth: depth)
        case ASCII.leftBrace:
            return try parseInlineTable(depth: depth)
        case UInt8(ascii: "t") where looking(at: "true"):
            offset += 4
            return .boolean(true)
        case UInt8(ascii: "f") where looking(at: "false"):
            offset += 5
            return .boolean(false)
        case _ where digits(4, then: ASCII.minus):
            return try parseDateOrDateTime()
        case _ where digits(2, then: ASCII.colon):
            return .localTime(try parseTime())
        case _ where ASCII.isDigit(byte) || byte == ASCII.plus || byte == ASCII.minus:
            return try parseNumber()
        case UInt8(ascii: "i") where looking(at: "inf"), UInt8(ascii: "n") where looking(at: "nan"):
            return try parseNumber()
        case _ where ASCII.isLetter(byte):
            throw error(.unexpectedCharacter, "expected a value, found \(describe()); text must be in quotes")
        default:
            throw unexpected("a value")
        }
    }

    /// Whether `count` digits and `separator` follow: four and a `-` start a date, two and a `:` a time; neither can
    /// start a number.
    func digits(_ count: Int, then separator: UInt8) -> Bool {
        (0..<count).allSatisfy { peek($0).map(ASCII.isDigit) == true } && peek(count) == separator
    }

    /// `[1, 2, 3]`: elements of any types, separated by commas, with a trailing comma, line breaks and comments
    /// allowed between them.
    mutating func parseArray(depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        let start = offset
        offset += 1
        var elements: [TOMLValue] = []
        while true {
            try skipArrayTrivia()
            switch current {
            case nil:
                throw error(.unexpectedCharacter, "unterminated array: no ']' before the end of the file", at: start)
            case ASCII.rightBracket:
                offset += 1
                return .array(elements)
            default:
                elements.append(try parseValue(depth: depth + 1))
            }
            try skipArrayTrivia()
            switch current {
            case nil:
                throw error(.unexpectedCharacter, "unterminated array: no ']' before the end of the file", at: start)
            case ASCII.comma:
                offset += 1
            case ASCII.rightBracket:
                break
            default:
                throw unexpected("',' or ']' after an array element")
            }
        }
    }

    /// Blanks, line breaks and comments, which may stand anywhere between array elements.
    mutating func skipArrayTrivia() throws(TOMLSyntaxError) {
        while true {
            skipBlanks()
            if current == ASCII.hash { try skipComment() }
            guard try skipLineBreak() else { return }
        }
    }

    /// `{ a = 1, b.c = 2 }`: on one line, no trailing comma, and complete: nothing may be added to it afterwards.
    mutating func parseInlineTable(depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        offset += 1
        var table = TableTree(bytes: bytes)
        skipBlanks()
        if current == ASCII.rightBrace {
            offset += 1
            return .table(table.rootTable())
        }
        while true {
            let key = try parseKey(in: " in the inline table")
            guard current == ASCII.equals else { throw unexpected("'=' after the key") }
            offset += 1
            skipBlanks()
            let valueDepth = depth + key.count
            try checkDepth(valueDepth, at: key[0].offset)
            let value = try parseValue(depth: valueDepth)
            try table.insert(value, at: key, in: TableTree.root)
            skipBlanks()
            switch current {
            case ASCII.rightBrace:
                offset += 1
                return .table(table.rootTable())
            case ASCII.comma:
                offset += 1
                skipBlanks()
                if current == ASCII.rightBrace {
                    throw error(
                        .unexpectedCharacter,
                        "expected a key after ',' in the inline table: a trailing comma is not allowed")
                }
            case ASCII.lineFeed, ASCII.carriageReturn, nil:
                throw unexpected("',' or '}': an inline table must be on one line")
            default:
                throw unexpected("',' or '}' after a value in the inline table")
            }
        }
    }
}
