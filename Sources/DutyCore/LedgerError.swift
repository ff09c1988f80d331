/// An error of a `Ledger`, typed by what the caller must do about it (`remedy`).
///
/// It wraps, never flattens: `code` says what went wrong, `message` what the ledger was doing, `underlying` keeps
/// the backend's own error (an SQLite or PostgreSQL error) for logs and bug reports. The text never contains SQL
/// arguments or reminder contents (titles, notes): backends keep those out of `message`.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        public init(_ name: String) { self.name = name }

        /// The database cannot be opened or created (missing directory, permissions, no server).
        public static let cannotOpen = Code("cannotOpen")
        /// The database or its directory is read-only.
        public static let readOnly = Code("readOnly")
        /// Not a database at all (a truncated or overwritten file).
        public static let notADatabase = Code("notADatabase")
        /// The backend reports corruption.
        public static let corrupt = Code("corrupt")
        /// A database of another program (another application id, unknown tables).
        public static let foreignDatabase = Code("foreignDatabase")
        /// Migrated by a newer dutyd.
        public static let newerSchema = Code("newerSchema")
        /// A migration failed.
        public static let migrationFailed = Code("migrationFailed")
        /// Locked by another process or connection longer than the backend waits.
        public static let busy = Code("busy")
        /// Disk full or an I/O error.
        public static let io = Code("io")
        /// The connection to a database server was lost.
        public static let connectionLost = Code("connectionLost")
        /// This instance no longer holds the lease its writes are fenced by (several hosts).
        public static let fenced = Code("fenced")
        /// A constraint failed (a bug in the caller or the ledger).
        public static let constraint = Code("constraint")
        /// No ledger row for the key.
        public static let unknownDelivery = Code("unknownDelivery")
        /// The transition is not allowed from the row's state.
        public static let invalidTransition = Code("invalidTransition")
        /// No such record (a problem id).
        public static let notFound = Code("notFound")
        /// Somebody changed the record since the caller read it (`Ledger.recordChange`'s expected revision).
        public static let conflict = Code("conflict")
        /// A stored value could not be decoded.
        public static let invalidData = Code("invalidData")
        /// The executor the ledger runs on has shut down (the daemon is stopping).
        public static let shutDown = Code("shutDown")
        /// Any other backend error.
        public static let database = Code("database")
    }

    /// What the caller must do.
    public enum Remedy: String, Sendable, Hashable {
        /// Try again later: the condition is expected to pass (a lock, a full disk, a lost connection).
        case retry
        /// The ledger cannot be used as it is: do not start (or stop), and tell the administrator how to fix it.
        case refuseToStart
        /// The data is damaged: stop and keep it for inspection; `--reset-state` moves it aside.
        case corrupt
        /// The request was wrong (a bug in the caller, or a client's bad id): report it, change nothing.
        case fixRequest
    }

    public var code: Code
    /// What the ledger was doing, e.g. `claim deliveries`.
    public var message: String
    /// The backend's error, when there is one.
    public var underlying: (any Error & Sendable)?
    /// Where it was thrown.
    public var file: String
    public var line: Int

    public init(
        code: Code, message: String, underlying: (any Error & Sendable)? = nil, file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var remedy: Remedy {
        switch code {
        case .busy, .io, .connectionLost, .fenced, .shutDown: .retry
        case .cannotOpen, .readOnly, .newerSchema, .foreignDatabase, .migrationFailed: .refuseToStart
        case .corrupt, .notADatabase, .invalidData: .corrupt
        default: .fixRequest
        }
    }

    /// Error texts stored in a ledger (`Delivery.lastError`) are cut to this many characters.
    public static let maximumStoredText = 1000

    public var description: String {
        var text = "ledger error \(code): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
