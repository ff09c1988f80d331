extension Parser {
    /// An integer (decimal with an optional sign, or `0x`, `0o`, `0b` without one) or a float (`3.14`, `-1e6`,
    /// `inf`, `nan`) at the read position.
    mutating func parseNumber() throws(TOMLSyntaxError) -> TOMLValue {
        let start = offset
        let negative = current == ASCII.minus
        if current == ASCII.plus || negative { offset += 1 }
        if looking(at: "inf") || looking(at: "nan") {
            let value = current == UInt8(ascii: "i") ? Double.infinity : .nan
            offset += 3
            try checkNumberEnd()
            return .float(negative ? -value : value)
        }
        if current == UInt8(ascii: "0"), let prefix = peek(1), let radix = Self.radixes[prefix] {
            guard offset == start else {
                throw error(.invalidNumber, "a hexadecimal, octal or binary integer cannot have a sign", at: start)
            }
            offset += 2
            return .integer(try parseDigits(radix: radix.base, named: radix.name, start: start))
        }

        // Decimal: checked while scanning, converted afterwards without the underscores.
        let integerStart = offset
        try scanDecimalDigits(context: offset == start ? "" : " after the sign")
        if offset - integerStart > 1 && bytes[integerStart] == UInt8(ascii: "0") {
            throw error(.invalidNumber, "leading zeros are not allowed in a number", at: integerStart)
        }
        let integerEnd = offset
        var isFloat = false
        if current == ASCII.dot {
            isFloat = true
            offset += 1
            try scanDecimalDigits(context: " after the decimal point")
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isFloat = true
            offset += 1
            if current == ASCII.plus || current == ASCII.minus { offset += 1 }
            try scanDecimalDigits(context: " in the exponent")
        }
        try checkNumberEnd()
        if isFloat {
            // Correctly rounded by the standard library; too large a magnitude becomes infinity, as in other parsers.
            let text = String(decoding: bytes[start..<offset].filter { $0 != ASCII.underscore }, as: UTF8.self)
            guard let value = Double(text) else { throw error(.invalidNumber, "invalid float", at: start) }
            return .float(value)
        }
        var value: Int64 = 0
        for byte in bytes[integerStart..<integerEnd] where byte != ASCII.underscore {
            value = try accumulate(
                value, radix: 10, digit: Int64(byte - UInt8(ascii: "0")), negative: negative, start: start)
        }
        return .integer(value)
    }

    private static let radixes: [UInt8: (base: Int64, name: String)] = [
        UInt8(ascii: "x"): (16, "a hexadecimal"),
        UInt8(ascii: "o"): (8, "an octal"),
        UInt8(ascii: "b"): (2, "a binary"),
    ]

    /// The digits of a `0x`, `0o` or `0b` integer after its prefix.
    private mutating func parseDigits(radix: Int64, named name: String, start: Int) throws(TOMLSyntaxError) -> Int64 {
        let isDigit = { (byte: UInt8?) in byte.flatMap { ASCII.digitValue($0, radix: Int(radix)) } != nil }
        guard isDigit(current) else {
            throw error(.invalidNumber, "expected \(name) digit, found \(describe(wholeWord: false))")
        }
        var value: Int64 = 0
        while let byte = current {
            if let digit = ASCII.digitValue(byte, radix: Int(radix)) {
                value = try accumulate(value, radix: radix, digit: Int64(digit), negative: false, start: start)
            } else if byte == ASCII.underscore {
                guard isDigit(peek(1)) else { throw misplacedUnderscore() }
            } else {
                break
            }
            offset += 1
        }
        try checkNumberEnd()
        return value
    }

    /// `value * radix ± digit`, or an error when it leaves Int64 (negative numbers are accumulated downwards, so that
    /// -2^63 itself fits).
    private func accumulate(_ value: Int64, radix: Int64, digit: Int64, negative: Bool, start: Int)
        throws(TOMLSyntaxError) -> Int64
    {
        let (shifted, overflow) = value.multipliedReportingOverflow(by: radix)
        let (next, carry) =
            negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
        guard !overflow && !carry else {
            throw error(
                .integerOutOfRange,
                "integer out of range: TOML integers must lie within \(Int64.min)...\(Int64.max)", at: start)
        }
        return next
    }

    /// One or more decimal digits with single underscores between them.
    private mutating func scanDecimalDigits(context: String) throws(TOMLSyntaxError) {
        guard let first = current, ASCII.isDigit(first) else {
            throw error(.invalidNumber, "expected a digit\(context), found \(describe(wholeWord: false))")
        }
        while let byte = current {
            if byte == ASCII.underscore {
                guard let next = peek(1), ASCII.isDigit(next) else { throw misplacedUnderscore() }
            } else if !ASCII.isDigit(byte) {
                return
            }
            offset += 1
        }
    }

    private func misplacedUnderscore() -> TOMLSyntaxError {
        error(.invalidNumber, "an underscore in a number must stand between two digits")
    }

    /// A number ends at a blank, a line break, a comment or a separator; a letter, digit, `_` or `.` right after it
    /// means it was malformed (`0123`, `1.2.3`, `0X1F`, `1e5e5`).
    private func checkNumberEnd() throws(TOMLSyntaxError) {
        guard let byte = current, ASCII.isBareKeyCharacter(byte) || byte == ASCII.dot else { return }
        throw error(.invalidNumber, "invalid number: unexpected \(describe(wholeWord: false))")
    }
}
