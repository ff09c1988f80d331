import Glibc

/// An error talking to journald. `errno` is the positive error number libsystemd returned (e.g. `ECONNREFUSED`
/// when the socket file exists but nobody listens).
///
/// The text never contains field values (reminder titles, descriptions): only field names, codes and errno.
public struct JournalError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        public var description: String { name }

        /// No journald socket: the entry would be silently lost, so the caller must keep its ledger row pending
        /// (and may log through `JournalWriter.stderrLine(fields:)`).
        public static let unavailable = Code(name: "unavailable")
        /// `sd_journal_sendv` failed (`errno` says why; `ECONNREFUSED`: journald stopped or died).
        public static let sendFailed = Code(name: "sendFailed")
        /// A field name journald would silently drop (see `JournalField.isValidName`), or an empty entry.
        public static let invalidField = Code(name: "invalidField")
        /// The journal files could not be opened for reading (`sd_journal_open`).
        public static let openFailed = Code(name: "openFailed")
        /// Reading the journal failed (`sd_journal_add_match`, `seek`, `next`, `wait`).
        public static let queryFailed = Code(name: "queryFailed")
    }

    public var code: Code
    /// What was being done, e.g. `send entry`.
    public var message: String
    /// Positive errno, 0 when not applicable.
    public var errno: Int32

    public init(code: Code, message: String, errno: Int32 = 0) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        var text = "journal error \(code): \(message)"
        if errno != 0 { text += " (errno \(errno): \(String(cString: strerror(errno))))" }
        return text
    }
}
