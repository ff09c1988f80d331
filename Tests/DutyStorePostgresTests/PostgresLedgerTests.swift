import DutyConformance
import DutyCore
import DutyTestSupport
import Foundation
import Logging
import Testing

@testable import DutyStorePostgres

/// The PostgreSQL ledger behind the `Ledger` seam, against a real server the test starts (initdb into a
/// temporary directory, its own socket and port): the conformance suite, over the Unix socket and over TCP with
/// TLS and a password; migrations and refusals; fencing by the lease epoch.
@Suite(.serialized) struct PostgresLedgerTests {
    static let logger = Logger(label: "dutyd.test.postgres")

    /// A backend on a fresh schema, running, migrated, holding the lease (TTL long enough for any case).
    static func withLedger<T>(
        url: ((PostgresServer, String) -> String)? = nil, password: Bool = false, instance: String = "test:/a",
        _ body: (PostgresBackend) async throws -> T
    ) async throws -> T {
        let server = try PostgresServer.shared()
        let schema = try server.makeSchema()
        var configuration = try PostgresStoreConfiguration(url: url?(server, schema) ?? server.socketURL(schema: schema))
        if password { configuration.password = server.password }
        configuration.lease.ttl = .seconds(600)
        let backend = try PostgresBackend(configuration: configuration, instance: instance, host: "host-a", logger: logger)
        return try await backend.run {
            try await backend.migrate()
            return try await body(backend)
        }
    }

    @Test(arguments: LedgerConformance.cases)
    func conforms(_ check: LedgerConformance.Case) async throws {
        try await Self.withLedger { backend in
            #expect(await backend.lease.acquire() != nil)
            try await check.run(backend.ledger)
        }
    }

    /// The same suite over TCP, TLS checked against the test's CA (`sslmode=verify-full`), SCRAM password.
    @Test(arguments: LedgerConformance.cases.prefix(4))
    func conformsOverTLSWithAPassword(_ check: LedgerConformance.Case) async throws {
        try await Self.withLedger(url: { server, schema in server.url(schema: schema) }, password: true) { backend in
            #expect(await backend.lease.acquire() != nil)
            try await check.run(backend.ledger)
        }
    }

    // MARK: Migrations and refusals

    @Test func migrationsAreNamedAndAppliedOnce() async throws {
        let server = try PostgresServer.shared()
        let schema = try server.makeSchema()
        let configuration = try PostgresStoreConfiguration(url: server.socketURL(schema: schema))
        for round in 0..<2 {
            let backend = try PostgresBackend(configuration: configuration, instance: "t:/m", host: "h", logger: Self.logger)
            let applied = try await backend.run { try await backend.migrate() }
            #expect(applied == (round == 0 ? ["v1 ledger", "v2 lease and fencing", "v3 occurrence changes and digest carriers"] : []))
        }
        // Three instances starting together: one migrates, the others find it done.
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            let fresh = try server.makeSchema()
            let c = try PostgresStoreConfiguration(url: server.socketURL(schema: fresh))
            for i in 0..<3 {
                group.addTask {
                    let backend = try PostgresBackend(configuration: c, instance: "t:/\(i)", host: "h", logger: Self.logger)
                    return try await backend.run { try await backend.migrate() }
                }
            }
            var all: [[String]] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.filter { !$0.isEmpty }.count == 1)
    }

    @Test func aSchemaOfAnotherApplicationIsRefused() async throws {
        let server = try PostgresServer.shared()
        let schema = try server.makeSchema()
        try server.psql("SET ROLE dutyd; CREATE TABLE \(schema).invoices (id int);")
        let backend = try PostgresBackend(
            configuration: try PostgresStoreConfiguration(url: server.socketURL(schema: schema)), instance: "t:/f", host: "h",
            logger: Self.logger)
        await #expect(throws: LedgerError.self) {
            do {
                _ = try await backend.run { try await backend.migrate() }
            } catch let error as LedgerError {
                #expect(error.code == .foreignDatabase && error.remedy == .refuseToStart)
                throw error
            }
        }
    }

    @Test func aSchemaOfANewerDutydIsRefused() async throws {
        try await Self.withLedger { backend in
            let schema = backend.configuration.schema
            try PostgresServer.shared().psql("INSERT INTO \(schema).dutyd_migration (name) VALUES ('v99 from the future');")
            await #expect(throws: LedgerError.self) {
                do {
                    try await backend.migrate()
                } catch let error as LedgerError {
                    #expect(error.code == .newerSchema)
                    throw error
                }
            }
        }
    }

    // MARK: Configuration and the link's security

    @Test func aPasswordInTheURLIsRefused() {
        #expect(throws: PostgresStoreConfiguration.ConfigurationError.self) {
            try PostgresStoreConfiguration(url: "postgresql://dutyd:secret@db.example.org/dutyd")
        }
    }

    @Test func plainToARemoteHostIsRefused() throws {
        var remote = try PostgresStoreConfiguration(url: "postgresql://dutyd@db.example.org:5433/dutyd?sslmode=disable")
        #expect(throws: PostgresStoreConfiguration.ConfigurationError.self) { try remote.validate() }
        remote.allowPlaintext = true
        try remote.validate()
        try PostgresStoreConfiguration(url: "postgresql://dutyd@127.0.0.1/dutyd?sslmode=disable").validate()
        let tls = try PostgresStoreConfiguration(url: "postgresql://dutyd@db.example.org/dutyd?sslrootcert=/etc/ca.pem")
        #expect(tls.tls == .verifyFull(rootCertificate: "/etc/ca.pem"))
        #expect(tls.redacted == "postgresql://dutyd@db.example.org:5432/dutyd?sslmode=verify-full")
        #expect(throws: PostgresStoreConfiguration.ConfigurationError.self) {
            try PostgresStoreConfiguration(url: "postgresql://dutyd@db/dutyd?sslmode=prefer")
        }
    }

    @Test func theCredentialIsReadFromTheCredentialsDirectory() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "s3cret\n".write(toFile: dir + "/dutyd-store-password", atomically: true, encoding: .utf8)
        #expect(try PostgresStoreConfiguration.credential(named: "dutyd-store-password", environment: ["CREDENTIALS_DIRECTORY": dir]) == "s3cret")
        #expect(try PostgresStoreConfiguration.credential(named: "other", environment: ["CREDENTIALS_DIRECTORY": dir]) == nil)
        #expect(try PostgresStoreConfiguration.credential(named: "dutyd-store-password", environment: [:]) == nil)
    }

    /// A server certificate of another CA (here: the system's trust store, which does not hold the test CA) and
    /// a wrong password are refused before anything is read, at once, with the reason.
    @Test func aCertificateOfAnotherCAIsRefused() async throws {
        let server = try PostgresServer.shared()
        let schema = try server.makeSchema()
        var wrongCA = try PostgresStoreConfiguration(
            url: "postgresql://dutyd@127.0.0.1:\(server.port)/dutyd?sslmode=verify-full&schema=\(schema)")
        wrongCA.password = server.password
        var wrongPassword = try PostgresStoreConfiguration(url: server.url(schema: schema))
        wrongPassword.password = "not the password"
        for configuration in [wrongCA, wrongPassword] {
            let backend = try PostgresBackend(configuration: configuration, instance: "t:/x", host: "h", logger: Self.logger)
            await #expect(throws: LedgerError.self) {
                do {
                    _ = try await backend.run { try await backend.migrate() }
                } catch let error as LedgerError {
                    // At once and with the reason, not after the pool's retries as "did not answer in time".
                    #expect(error.code == .cannotOpen, "\(error)")
                    #expect(error.remedy == .refuseToStart, "\(error)")
                    throw error
                }
            }
        }
    }

    /// verify-full checks who the server is, by name and by address: the certificate names 127.0.0.1 and
    /// localhost; the same server reached at 127.0.0.3, an address its certificate does not carry, is refused in
    /// the handshake (an IP address is not sent as SNI but is matched against the certificate's IP addresses).
    @Test func theServerIsCheckedByNameAndByAddress() async throws {
        let server = try PostgresServer(addresses: ["127.0.0.1"], uncertified: ["127.0.0.3"])
        defer { server.destroy() }
        let schema = try server.makeSchema()
        func open(_ host: String) async throws {
            var configuration = try PostgresStoreConfiguration(url: server.url(host: host, schema: schema))
            configuration.password = server.password
            let backend = try PostgresBackend(configuration: configuration, instance: "t:/\(host)", host: "h", logger: Self.logger)
            try await backend.run { _ = try await backend.migrate() }
        }
        try await open("127.0.0.1")
        try await open("localhost")
        await #expect(throws: LedgerError.self) {
            do {
                try await open("127.0.0.3")
            } catch let error as LedgerError {
                #expect(error.code == .cannotOpen, "\(error)")
                #expect("\(error)".contains("TLS"), "\(error)")
                throw error
            }
        }
    }

    // MARK: Fencing

    /// An instance whose lease expired and was taken by another can no longer write the delivery ledger: the
    /// database refuses (the lease check under FOR SHARE), and it steps down; acknowledgements stay writable.
    @Test func aStaleLeaderCannotWrite() async throws {
        let server = try PostgresServer.shared()
        let schema = try server.makeSchema()
        var configuration = try PostgresStoreConfiguration(url: server.socketURL(schema: schema))
        configuration.lease.ttl = .seconds(600)
        let a = try PostgresBackend(configuration: configuration, instance: "t:/a", host: "host-a", logger: Self.logger)
        let b = try PostgresBackend(configuration: configuration, instance: "t:/b", host: "host-b", logger: Self.logger)
        try await a.run {
            try await b.run {
                try await a.migrate()
                let epochA = try #require(await a.lease.acquire())
                #expect(await b.lease.acquire() == nil)  // held
                let t0 = Date(timeIntervalSince1970: 1_537_146_000)
                let reminder = Reminder(
                    dutyID: "d", title: "t", occurrence: t0, timeZoneIdentifier: "UTC", fireAt: t0, kind: .due, recipient: .nobody)
                let key = LedgerEntry(reminder, route: .journal).key
                try await a.ledger.plan([LedgerEntry(reminder, route: .journal)], at: t0)
                #expect(try await a.ledger.claim([key], at: t0).first?.epoch == epochA)
                // B cannot write while it follows.
                await #expect(throws: LedgerError.self) { try await b.ledger.markDelivered([key], at: t0) }
                // A is paused past its lease: the database lets it expire, B takes over.
                try server.psql("UPDATE \(schema).dutyd_lease SET expires_at = now() - interval '1 second';")
                let epochB = try #require(await b.lease.acquire())
                #expect(epochB == epochA + 1)
                #expect(a.lease.currentTerm() != nil)  // A still believes it leads ...
                do {
                    try await a.ledger.markDelivered([key], at: t0)
                    Issue.record("a stale leader wrote")
                } catch let error as LedgerError {
                    #expect(error.code == .fenced)
                }
                #expect(a.lease.currentTerm() == nil)  // ... and stepped down at the refusal
                #expect(!a.lease.mayAct())
                #expect(try await a.ledger.delivery(key)?.state == .delivering)
                // B reconciles: takes the row over under its epoch and records it.
                let taken = try #require(try await b.ledger.takeOver(key, at: t0))
                #expect(taken.epoch == epochB && taken.claimedBy == ["host-a", "host-b"])
                try await b.ledger.markDelivered([key], at: t0)
                #expect(try await b.ledger.delivery(key)?.state == .delivered)
                // Facts from users are not fenced.
                #expect(try await a.ledger.acknowledge(occurrenceID: "d@1", by: "x", uid: nil, note: nil, at: t0))
                // A graceful release lets the next acquisition happen at once.
                await b.lease.release()
                #expect(await a.lease.acquire() == epochB + 1)
            }
        }
    }

    /// The gate: open for a fresh view, refused when stale or after stepping down, and the window measured.
    @Test func theGateFollowsTheLocalView() async throws {
        let server = try PostgresServer.shared()
        let schema = try server.makeSchema()
        var configuration = try PostgresStoreConfiguration(url: server.socketURL(schema: schema))
        configuration.lease = .init(ttl: .milliseconds(1500), margin: .milliseconds(500), renewal: .milliseconds(500), poll: .milliseconds(250), window: .milliseconds(100))
        let a = try PostgresBackend(configuration: configuration, instance: "t:/a", host: "h", logger: Self.logger)
        try await a.run {
            try await a.migrate()
            #expect(!a.lease.mayAct())
            _ = try #require(await a.lease.acquire())
            #expect(a.lease.withPermit { 42 } == 42)
            // Nobody renews: the view goes stale after TTL − M = 1 s, before the database lets the lease go.
            try await Task.sleep(for: .milliseconds(1100))
            #expect(!a.lease.mayAct())
            #expect(a.lease.withPermit { 1 } == nil)
            #expect(await a.lease.refresh())  // a synchronous renewal: still ours in the database
            #expect(a.lease.withPermit { () -> Int in usleep(150_000); return 2 } == 2)
            #expect(a.lease.status().windowBreaches == 1)
            a.lease.stepDown(reason: "test")
            #expect(!a.lease.mayAct())
        }
    }
}
