/// Parses TOML 1.0.0 documents (https://toml.io/en/v1.0.0).
///
/// The parser is strict: it accepts the documents the specification allows, plus a leading byte order mark (which
/// some editors write), and reports the first problem of anything else as a `TOMLSyntaxError` with a line, a column
/// and what was expected. It never traps, whatever the input: every read is bounds-checked, integers are checked for
/// overflow, and nesting is limited, so recursion stays shallow and a hostile file is an error like any other.
public enum TOMLDocument {
    /// How deeply tables and arrays may nest, counting each part of a dotted key or header, each array and each inline
    /// table. Schedules need fewer than ten levels.
    public static let defaultMaxDepth = 128

    /// The document's root table.
    public static func parse(
        _ text: String, maxDepth: Int = defaultMaxDepth
    ) throws(TOMLSyntaxError) -> [String: TOMLValue] {
        var parser = Parser(bytes: Array(text.utf8), maxDepth: maxDepth)
        return try parser.parseDocument()
    }
}
