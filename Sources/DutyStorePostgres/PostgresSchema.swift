import DutyCore
import Foundation
import Logging
import PostgresNIO

/// The ledger's tables in PostgreSQL, created and upgraded by named, append-only migrations (as `DutyStore`'s
/// GRDB migrator does for SQLite). Never edit a shipped migration: add one.
///
/// Everything lives in one schema (default `dutyd`) that dutyd's role owns; the role needs no other right
/// (docs/operations.md, "Several hosts"). Opening refuses a schema of another application (tables but no
/// `dutyd_migration`, or another application name) and one migrated by a newer dutyd (a migration this binary
/// does not know). Instances starting together migrate one at a time (an advisory lock).
enum PostgresSchema {
    struct Migration {
        let name: String
        let sql: [String]
    }

    static let application = "dutyd"

    static let migrations: [Migration] = [
        Migration(
            name: "v1 ledger",
            sql: [
                """
                CREATE TABLE delivery (
                    key text COLLATE "C" NOT NULL,
                    channel text COLLATE "C" NOT NULL,
                    duty_id text COLLATE "C" NOT NULL,
                    occurrence_id text COLLATE "C" NOT NULL,
                    kind text NOT NULL,
                    recipient_id text COLLATE "C" NOT NULL,
                    fire_at timestamptz NOT NULL,
                    state text NOT NULL DEFAULT 'planned'
                        CHECK (state IN ('planned', 'delivering', 'delivered', 'failed', 'missed')),
                    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    last_error text,
                    next_attempt_at timestamptz,
                    reminder text NOT NULL,
                    created_at timestamptz NOT NULL,
                    updated_at timestamptz NOT NULL,
                    PRIMARY KEY (key, channel)
                )
                """,
                "CREATE INDEX delivery_due_order ON delivery (state, next_attempt_at, fire_at, key, channel)",
                "CREATE INDEX delivery_occurrence ON delivery (occurrence_id)",
                """
                CREATE TABLE acknowledgement (
                    id bigserial PRIMARY KEY,
                    occurrence_id text COLLATE "C" NOT NULL,
                    who text COLLATE "C" NOT NULL,
                    peer_uid bigint CHECK (peer_uid IS NULL OR peer_uid >= 0),
                    note text,
                    at timestamptz NOT NULL,
                    UNIQUE (occurrence_id, who)
                )
                """,
                "CREATE TABLE meta (key text COLLATE \"C\" PRIMARY KEY, value text NOT NULL)",
                """
                CREATE TABLE event_log (
                    id bigserial PRIMARY KEY,
                    actor_uid bigint,
                    action text NOT NULL,
                    details text NOT NULL DEFAULT '{}',
                    at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX event_log_at ON event_log (at)",
                """
                CREATE TABLE ranking (
                    period text COLLATE "C" PRIMARY KEY,
                    submitted_at timestamptz NOT NULL,
                    submitted_by bigint,
                    data text NOT NULL
                )
                """,
                """
                CREATE TABLE problem (
                    id bigserial PRIMARY KEY,
                    township text COLLATE "C" NOT NULL,
                    text text NOT NULL,
                    deadline timestamptz NOT NULL,
                    responsible text NOT NULL DEFAULT '[]',
                    created_at timestamptz NOT NULL,
                    created_by bigint,
                    closed_at timestamptz,
                    closed_by bigint,
                    close_note text
                )
                """,
                "CREATE INDEX problem_township ON problem (township, closed_at)",
                // Occurrence ids are "<duty id>@<unix seconds>" and duty ids hold no "@".
                """
                CREATE FUNCTION dutyd_occurrence_seconds(occurrence_id text) RETURNS bigint
                    LANGUAGE sql IMMUTABLE PARALLEL SAFE
                    RETURN CASE WHEN split_part(occurrence_id, '@', 2) ~ '^-?[0-9]{1,18}$'
                                THEN split_part(occurrence_id, '@', 2)::bigint ELSE 0 END
                """,
            ]),
        Migration(
            name: "v2 lease and fencing",
            sql: [
                // docs/lease-protocol.md, section 2.
                """
                CREATE TABLE dutyd_lease (
                    id integer PRIMARY KEY CHECK (id = 1),
                    epoch bigint NOT NULL,
                    holder text NOT NULL,
                    acquired_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL,
                    schedule_digest text NOT NULL DEFAULT ''
                )
                """,
                "INSERT INTO dutyd_lease VALUES (1, 0, '', '-infinity', '-infinity', '') ON CONFLICT DO NOTHING",
                "ALTER TABLE delivery ADD COLUMN epoch bigint",
                "ALTER TABLE delivery ADD COLUMN claimed_by text[] NOT NULL DEFAULT '{}'",
            ]),
        Migration(
            name: "v3 occurrence changes and digest carriers",
            sql: [
                // Changes to the plan while it runs (SQLite's "v5 occurrence changes"): an append-only history,
                // folded by `OccurrenceChanges`. `subject` is what concurrent changes compete for
                // (`ChangeAction.subject`); its latest id is the revision a client expects.
                """
                CREATE TABLE occurrence_change (
                    id bigserial PRIMARY KEY,
                    action text NOT NULL
                        CHECK (action IN ('move', 'cancel', 'restore', 'add', 'snooze', 'pause', 'resume')),
                    subject text COLLATE "C" NOT NULL,
                    occurrence_id text COLLATE "C",
                    scope text COLLATE "C",
                    at timestamptz,
                    until timestamptz,
                    span bigint CHECK (span IS NULL OR span > 0),
                    person text COLLATE "C",
                    actor_uid bigint CHECK (actor_uid IS NULL OR actor_uid >= 0),
                    actor text NOT NULL,
                    note text,
                    recorded_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX occurrence_change_subject ON occurrence_change (subject, id)",
                // One row per subject holding its revision (the id of its latest change): `recordChange` locks it
                // (`FOR UPDATE`) for the check and the insert, so of concurrent changes expecting one revision
                // exactly one is recorded, on every instance.
                """
                CREATE TABLE occurrence_change_revision (
                    subject text COLLATE "C" PRIMARY KEY,
                    revision bigint NOT NULL
                )
                """,
                // Digests (SQLite's "v6 digest carriers"): the Message-ID of the message that carries each row,
                // written before the message is sent; `pending` lists rows due at one instant grouped by recipient,
                // channel and kind by walking this index.
                "ALTER TABLE delivery ADD COLUMN message_id text",
                """
                CREATE INDEX delivery_due_group
                    ON delivery (state, next_attempt_at, recipient_id, channel, kind COLLATE "C", key)
                """,
            ]),
    ]

    /// Checks the schema and applies the migrations it lacks, in one transaction under an advisory lock.
    /// - Returns: the names of the migrations applied now.
    static func migrate(_ connector: PostgresConnector) async throws(LedgerError) -> [String] {
        let schema = connector.configuration.schema
        let user = connector.configuration.user
        return try await connector.transaction("migrate", timeout: .seconds(60)) { connection, logger in
            // One instance at a time; the others wait here, then find the work done.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("dutyd-migrate:" + schema)))", logger: logger)
            let schemaRows = try await connection.query(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = \(schema)", logger: logger
            ).collect()
            if schemaRows.isEmpty {
                do {
                    try await connection.query("CREATE SCHEMA \(unescaped: schema)", logger: logger)
                } catch {
                    throw LedgerError(
                        code: .cannotOpen,
                        message: "schema \(schema) does not exist and role \(user) may not create it: "
                            + "CREATE SCHEMA \(schema) AUTHORIZATION \(user); (docs/operations.md, Several hosts)")
                }
            } else if let owner = try schemaRows.first?.decode(String.self), owner != user {
                throw LedgerError(
                    code: .foreignDatabase,
                    message: "schema \(schema) belongs to role \(owner), not to \(user): not dutyd's (or the wrong role)")
            }
            let tables = try await connection.query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = \(schema)", logger: logger
            ).collect().map { try $0.decode(String.self) }
            var applied: [String] = []
            if !tables.isEmpty {
                guard tables.contains("dutyd_migration"), tables.contains("meta") else {
                    throw LedgerError(
                        code: .foreignDatabase,
                        message: "schema \(schema) holds \(tables.count) table(s) but is not a dutyd ledger")
                }
                let app = try await connection.query(
                    "SELECT value FROM meta WHERE key = 'application'", logger: logger
                ).collect().first.map { try $0.decode(String.self) }
                guard app == application else {
                    throw LedgerError(
                        code: .foreignDatabase,
                        message: "schema \(schema) belongs to application '\(app ?? "")', not \(application)")
                }
                applied = try await connection.query(
                    "SELECT name FROM dutyd_migration ORDER BY applied_at, name", logger: logger
                ).collect().map { try $0.decode(String.self) }
                let known = Set(migrations.map(\.name))
                if let unknown = applied.first(where: { !known.contains($0) }) {
                    throw LedgerError(
                        code: .newerSchema,
                        message: "the ledger was migrated by a newer dutyd (migration '\(unknown)' is unknown to this one)")
                }
            } else {
                try await connection.query(
                    """
                    CREATE TABLE dutyd_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())
                    """, logger: logger)
            }
            var now: [String] = []
            for migration in migrations where !applied.contains(migration.name) {
                do {
                    for statement in migration.sql {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    if migration.name == migrations[0].name {
                        try await connection.query(
                            "INSERT INTO meta (key, value) VALUES ('application', \(application))", logger: logger)
                    }
                    try await connection.query("INSERT INTO dutyd_migration (name) VALUES (\(migration.name))", logger: logger)
                } catch {
                    var wrapped = PostgresConnector.translate(error, while: "migration '\(migration.name)'")
                    if wrapped.code == .database || wrapped.code == .constraint { wrapped.code = .migrationFailed }
                    throw wrapped
                }
                now.append(migration.name)
            }
            return now
        }
    }

    /// The names of the migrations applied, in order.
    static func applied(_ connector: PostgresConnector) async throws(LedgerError) -> [String] {
        try await connector.withConnection("list migrations") { connection, logger in
            try await connection.query("SELECT name FROM dutyd_migration ORDER BY applied_at, name", logger: logger)
                .collect().map { try $0.decode(String.self) }
        }
    }
}
