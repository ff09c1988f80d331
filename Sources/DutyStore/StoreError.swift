import GRDB

/// An error of the delivery ledger. It wraps, never flattens: `code` says what went wrong for the caller,
/// `message` says what the store was doing, `underlying` keeps the SQLite error.
///
/// The text never contains SQL arguments (reminder titles, notes, error texts stored in the ledger): `description`
/// renders the code, the operation and SQLite's own message, and GRDB keeps statement arguments private.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        public var description: String { name }

        /// The database file cannot be opened or created (missing directory, permissions).
        public static let cannotOpen = Code(name: "cannotOpen")
        /// The file is not an SQLite database (SQLITE_NOTADB), e.g. a truncated or overwritten file.
        public static let notADatabase = Code(name: "notADatabase")
        /// SQLite reports corruption (SQLITE_CORRUPT or a failed integrity check).
        public static let corrupt = Code(name: "corrupt")
        /// A valid SQLite database that belongs to another program (other application id or unknown tables).
        public static let foreignDatabase = Code(name: "foreignDatabase")
        /// The database was migrated by a newer dutyd: it has migrations this version does not know.
        public static let newerSchema = Code(name: "newerSchema")
        /// A migration failed.
        public static let migrationFailed = Code(name: "migrationFailed")
        /// The database is locked by another process longer than the busy timeout.
        public static let busy = Code(name: "busy")
        /// The database or its directory is read-only.
        public static let readOnly = Code(name: "readOnly")
        /// Disk full or an I/O error.
        public static let io = Code(name: "io")
        /// A constraint failed (a bug in the caller or the store).
        public static let constraint = Code(name: "constraint")
        /// No ledger row for the given key and channel.
        public static let unknownDelivery = Code(name: "unknownDelivery")
        /// No such record (a problem id).
        public static let notFound = Code(name: "notFound")
        /// The record changed since the caller read it (an expected revision that is not the latest).
        public static let conflict = Code(name: "conflict")
        /// The requested transition is not allowed from the row's current state.
        public static let invalidTransition = Code(name: "invalidTransition")
        /// A value stored in the database could not be decoded.
        public static let invalidData = Code(name: "invalidData")
        /// Any other SQLite error.
        public static let database = Code(name: "database")
    }

    public var code: Code
    /// What the store was doing, e.g. `claim delivery`. Never contains SQL arguments.
    public var message: String
    /// The SQLite error, when there is one.
    public var underlying: DatabaseError?
    /// Where the error was thrown (the store's source location, for bug reports).
    public var file: String
    public var line: Int

    public init(
        code: Code, message: String, underlying: DatabaseError? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    /// Wraps an SQLite error, classifying it by its primary result code.
    init(_ error: DatabaseError, while operation: String, file: String = #fileID, line: Int = #line) {
        let code: Code
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: code = .busy
        case .SQLITE_NOTADB: code = .notADatabase
        case .SQLITE_CORRUPT: code = .corrupt
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH: code = .cannotOpen
        case .SQLITE_READONLY: code = .readOnly
        case .SQLITE_FULL, .SQLITE_IOERR: code = .io
        case .SQLITE_CONSTRAINT: code = .constraint
        default: code = .database
        }
        self.init(code: code, message: operation, underlying: error, file: file, line: line)
    }

    public var description: String {
        var text = "store error \(code): \(message)"
        if let underlying {
            text += " (SQLite error \(underlying.extendedResultCode.rawValue)"
            if let sqliteMessage = underlying.message { text += ": \(sqliteMessage)" }
            text += ")"
        }
        return text
    }
}
