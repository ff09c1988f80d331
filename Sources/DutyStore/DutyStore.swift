import DutyCore
import Foundation
import GRDB

/// The delivery ledger of dutyd in SQLite: what was planned, what is being delivered, what was delivered, who
/// acknowledged what, a few meta values (the planning horizon) and an audit log.
///
/// One instance wraps one GRDB `DatabaseWriter`: a `DatabasePool` in WAL mode on disk (readers never block the
/// writer), or an in-memory `DatabaseQueue` for tests. The schema is created and upgraded by named, append-only
/// migrations in the initialiser. Every method is synchronous, runs in one transaction and throws `StoreError`.
public final class DutyStore: Sendable {
    /// Options for opening the store.
    public struct Configuration: Sendable {
        /// How long a write waits for another process's lock before failing with `.busy`.
        public var busyTimeout: Duration = .seconds(5)
        /// Run `PRAGMA quick_check` at open and refuse a corrupt file (O(size), the ledger is small).
        public var verifyIntegrity: Bool = true
        /// Open read-only (e.g. `dutyctl` inspecting a stopped daemon's ledger). No migrations are run.
        public var readOnly: Bool = false

        public init() {}
    }

    /// The file name used by `init(directory:)`.
    public static let fileName = "dutyd.sqlite"
    /// `PRAGMA application_id` of a dutyd ledger ("DUTY"), set by the first migration.
    public static let applicationID: Int32 = 0x4455_5459

    let writer: any DatabaseWriter

    /// Opens (or creates) the ledger `dutyd.sqlite` in `directory`, which must exist.
    public convenience init(directory: URL, configuration: Configuration = Configuration()) throws(StoreError) {
        try self.init(path: directory.appendingPathComponent(Self.fileName).path, configuration: configuration)
    }

    /// Opens (or creates) the ledger at `path` as a WAL `DatabasePool`.
    public init(path: String, configuration: Configuration = Configuration()) throws(StoreError) {
        let grdbConfiguration = Self.grdbConfiguration(configuration)
        do {
            writer = try DatabasePool(path: path, configuration: grdbConfiguration)
        } catch let error as DatabaseError {
            throw StoreError(error, while: "open database")
        } catch {
            throw StoreError(code: .cannotOpen, message: "open database: \(error)")
        }
        try Self.prepare(writer, configuration: configuration)
    }

    /// An empty in-memory ledger (tests, dry runs).
    public static func inMemory(_ configuration: Configuration = Configuration()) throws(StoreError) -> DutyStore {
        var configuration = configuration
        configuration.readOnly = false
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: grdbConfiguration(configuration))
        } catch let error as DatabaseError {
            throw StoreError(error, while: "open in-memory database")
        } catch {
            throw StoreError(code: .cannotOpen, message: "open in-memory database: \(error)")
        }
        return try DutyStore(writer: queue, configuration: configuration)
    }

    private init(writer: any DatabaseWriter, configuration: Configuration) throws(StoreError) {
        self.writer = writer
        try Self.prepare(writer, configuration: configuration)
    }

    private static func grdbConfiguration(_ configuration: Configuration) -> GRDB.Configuration {
        var config = GRDB.Configuration()
        config.foreignKeysEnabled = true
        config.readonly = configuration.readOnly
        let timeout = configuration.busyTimeout.components
        config.busyMode = .timeout(Double(timeout.seconds) + Double(timeout.attoseconds) / 1e18)
        config.label = "dutyd.store"
        return config
    }

    // MARK: Opening checks and migrations

    /// Refuses files that are not ours, corrupt, or from a newer dutyd; then migrates.
    private static func prepare(_ writer: any DatabaseWriter, configuration: Configuration) throws(StoreError) {
        let migrator = Self.migrator
        do {
            try writer.read { db in
                let storedID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                if storedID != 0 && storedID != Self.applicationID {
                    throw StoreError(
                        code: .foreignDatabase,
                        message: "the file has application id \(storedID), not dutyd's \(Self.applicationID)")
                }
                if storedID == 0 && !tables.isEmpty {
                    throw StoreError(
                        code: .foreignDatabase,
                        message: "the file holds \(tables.count) table(s) but is not a dutyd ledger")
                }
                if try migrator.hasBeenSuperseded(db) {
                    throw StoreError(code: .newerSchema, message: "the ledger was migrated by a newer dutyd")
                }
                if configuration.verifyIntegrity {
                    let report = try String.fetchAll(db, sql: "PRAGMA quick_check")
                    if report != ["ok"] {
                        throw StoreError(
                            code: .corrupt, message: "integrity check failed: \(report.prefix(3).joined(separator: "; "))")
                    }
                }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError(error, while: "check database at open")
        } catch {
            throw StoreError(code: .database, message: "check database at open: \(error)")
        }
        if configuration.readOnly { return }
        do {
            try migrator.migrate(writer)
        } catch let error as DatabaseError {
            var wrapped = StoreError(error, while: "migrate")
            if wrapped.code == .database || wrapped.code == .constraint { wrapped.code = .migrationFailed }
            throw wrapped
        } catch {
            throw StoreError(code: .migrationFailed, message: "migrate: \(error)")
        }
        // Prove the ledger can be written now, not at the first reminder: SQLite opens a file on a read-only mount
        // (or one whose directory it may not write) without complaint and fails only at the first write, and a
        // full disk shows only then too. One small committed write settles both at open.
        do {
            try writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO meta (key, value) VALUES ('opened', '1')
                        ON CONFLICT (key) DO UPDATE SET value = excluded.value
                        """)
            }
        } catch let error as DatabaseError {
            throw StoreError(error, while: "check that the ledger can be written")
        } catch {
            throw StoreError(code: .io, message: "check that the ledger can be written: \(error)")
        }
    }

    /// Named, append-only migrations. Never edit a shipped one: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 ledger") { db in
            try db.execute(sql: "PRAGMA application_id = \(DutyStore.applicationID)")
            try db.execute(
                sql: """
                    CREATE TABLE delivery (
                        key TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        duty_id TEXT NOT NULL,
                        occurrence_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        recipient_id TEXT NOT NULL,
                        fire_at DATETIME NOT NULL,
                        state TEXT NOT NULL DEFAULT 'planned'
                            CHECK (state IN ('planned', 'delivering', 'delivered', 'failed', 'missed')),
                        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                        last_error TEXT,
                        next_attempt_at DATETIME,
                        reminder TEXT NOT NULL CHECK (json_valid(reminder)),
                        created_at DATETIME NOT NULL,
                        updated_at DATETIME NOT NULL,
                        PRIMARY KEY (key, channel)
                    ) WITHOUT ROWID;
                    CREATE INDEX delivery_due ON delivery (state, next_attempt_at);
                    CREATE INDEX delivery_occurrence ON delivery (occurrence_id);
                    CREATE TABLE acknowledgement (
                        id INTEGER PRIMARY KEY,
                        occurrence_id TEXT NOT NULL,
                        who TEXT NOT NULL,
                        peer_uid INTEGER CHECK (peer_uid IS NULL OR peer_uid >= 0),
                        note TEXT,
                        at DATETIME NOT NULL,
                        UNIQUE (occurrence_id, who)
                    );
                    CREATE TABLE meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE event_log (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        actor_uid INTEGER,
                        action TEXT NOT NULL,
                        details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
                        at DATETIME NOT NULL
                    );
                    CREATE INDEX event_log_at ON event_log (at);
                    """)
        }
        migrator.registerMigration("v2 rankings and problems") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ranking (
                        period TEXT PRIMARY KEY NOT NULL,
                        submitted_at DATETIME NOT NULL,
                        submitted_by INTEGER,
                        data TEXT NOT NULL CHECK (json_valid(data))
                    ) WITHOUT ROWID;
                    CREATE TABLE problem (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        township TEXT NOT NULL,
                        text TEXT NOT NULL,
                        deadline DATETIME NOT NULL,
                        responsible TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(responsible)),
                        created_at DATETIME NOT NULL,
                        created_by INTEGER,
                        closed_at DATETIME,
                        closed_by INTEGER,
                        close_note TEXT
                    );
                    CREATE INDEX problem_township ON problem (township, closed_at);
                    """)
        }
        migrator.registerMigration("v3 due order index") { db in
            // `pending(dueBy:limit:)` walks this index in delivery order (secondary index entries of a WITHOUT
            // ROWID table end with the primary key, so key and channel break ties) and reads only `limit` rows,
            // instead of sorting every due row: with a backlog of N rows the old query cost O(N) per batch.
            try db.execute(sql: "CREATE INDEX delivery_due_order ON delivery (state, next_attempt_at, fire_at)")
        }
        migrator.registerMigration("v4 delivery routes") { db in
            // Rows of a person's mail were keyed on the channel "mail" while a person had one mail channel; with
            // several, a row names its route ("mbox", "maildir:/path", "sendmail:address"), read from the
            // recipient's channel in the stored reminder (`{"mbox":{"account":…}}` and so on).
            try db.execute(
                sql: """
                    UPDATE delivery SET channel = CASE
                        WHEN json_type(reminder, '$.recipient.channel.mbox') IS NOT NULL THEN 'mbox'
                        WHEN json_type(reminder, '$.recipient.channel.maildir') IS NOT NULL
                            THEN 'maildir:' || json_extract(reminder, '$.recipient.channel.maildir.path')
                        WHEN json_type(reminder, '$.recipient.channel.sendmail') IS NOT NULL
                            THEN 'sendmail:' || json_extract(reminder, '$.recipient.channel.sendmail.address')
                        ELSE channel END
                    WHERE channel = 'mail'
                    """)
        }
        migrator.registerMigration("v5 occurrence changes") { db in
            // Changes to the plan while it runs (dutyctl move, cancel, restore, add, snooze, pause, resume): an
            // append-only history, folded by `OccurrenceChanges`. `subject` is what concurrent changes compete
            // for (`ChangeAction.subject`); its latest id is the revision a client expects.
            try db.execute(
                sql: """
                    CREATE TABLE occurrence_change (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        action TEXT NOT NULL
                            CHECK (action IN ('move', 'cancel', 'restore', 'add', 'snooze', 'pause', 'resume')),
                        subject TEXT NOT NULL,
                        occurrence_id TEXT,
                        scope TEXT,
                        at DATETIME,
                        until DATETIME,
                        span INTEGER CHECK (span IS NULL OR span > 0),
                        person TEXT,
                        actor_uid INTEGER CHECK (actor_uid IS NULL OR actor_uid >= 0),
                        actor TEXT NOT NULL,
                        note TEXT,
                        recorded_at DATETIME NOT NULL
                    );
                    CREATE INDEX occurrence_change_subject ON occurrence_change (subject, id);
                    """)
        }
        migrator.registerMigration("v6 digest carriers") { db in
            // A mail channel may send several reminders of one recipient in one message (a digest): each row
            // records the Message-ID of the message that carries it, written before the message is sent, so a row
            // left `delivering` is reconciled by looking for that message. `pending(dueBy:limit:)` lists rows due
            // at the same instant grouped by recipient, channel and kind (the rows of one digest next to each
            // other) by walking this index (`delivery_due_order` stays for retention, which walks closed rows by
            // fire time).
            try db.execute(
                sql: """
                    ALTER TABLE delivery ADD COLUMN message_id TEXT;
                    CREATE INDEX delivery_due_group ON delivery (state, next_attempt_at, recipient_id, channel, kind);
                    """)
        }
        return migrator
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read("list migrations") { db in try Self.migrator.appliedMigrations(db) }
    }

    // MARK: Transactions with error wrapping

    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.write(body)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError(error, while: operation)
        } catch {
            throw StoreError(code: .invalidData, message: "\(operation): \(error)")
        }
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError(error, while: operation)
        } catch {
            throw StoreError(code: .invalidData, message: "\(operation): \(error)")
        }
    }
}
