/// A parse error that knows the 1-based column of the problem in its input and says what was expected.
/// The schedule loader adds the file, line and the column of the value to report `file:line:column`.
public protocol PositionedError: Error, CustomStringConvertible {
    /// 1-based column in the parsed text.
    var column: Int { get }
    /// What went wrong and what was expected, without the position.
    var message: String { get }
}

extension CalendarSpecError: PositionedError {}
extension RecurrenceRuleError: PositionedError {}
