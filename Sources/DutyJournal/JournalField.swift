/// One `NAME=value` journal field. The value is bytes: journald is binary-safe, newlines and any UTF-8 are fine.
public struct JournalField: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = Array(value.utf8)
    }

    public init(_ name: String, bytes: [UInt8]) {
        self.name = name
        self.value = bytes
    }

    /// The value as UTF-8 text (invalid bytes replaced).
    public var stringValue: String { String(decoding: value, as: UTF8.self) }

    /// journald's rule for client field names: 1…64 characters of `A–Z`, `0–9`, `_`, not starting with a digit or
    /// `_`. Anything else is *silently dropped* by journald, so the writer refuses it instead.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), let first = bytes.first else { return false }
        if first == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }
}
