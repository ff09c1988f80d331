/// A recurrence rule or iCalendar recurrence text that cannot be read, with the position of the offending part.
public struct RecurrenceRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case empty
        case missingFrequency
        case malformedPart
        case unknownPart
        case duplicatePart
        case invalidValue
        case valueOutOfRange
        case countWithUntil
        case partNotAllowed
        case setPositionWithoutSelector
        case malformedLine
        case unknownProperty
        case missingStart
        case unknownTimeZone
        case invalidDateTime
    }

    public var code: Code
    public var message: String
    /// The line of input the error is in (one line of iCalendar text, or the rule text).
    public var input: String
    /// 1-based line within a multi-line input.
    public var line: Int
    /// 1-based column of the first offending character.
    public var column: Int
    /// Number of offending characters (at least 1).
    public var length: Int

    public init(code: Code, message: String, input: String, line: Int = 1, column: Int, length: Int = 1) {
        self.code = code
        self.message = message
        self.input = input
        self.line = line
        self.column = max(1, column)
        self.length = max(1, length)
    }

    public var description: String { "\(line):\(column): \(message)" }

    /// Compiler-style rendering with the input line and a caret under the offending part.
    public var rendered: String {
        let caretLine = String(repeating: " ", count: column - 1) + "^"
            + String(repeating: "~", count: max(0, min(length, input.count - column + 1) - 1))
        return "error: \(message) (line \(line), column \(column))\n\(input)\n\(caretLine)"
    }
}
