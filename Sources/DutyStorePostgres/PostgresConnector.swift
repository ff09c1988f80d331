import DutyCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// The connections to the PostgreSQL server: a `PostgresClient` pool (which must be running, `run()`), every
/// call with a deadline, every error translated to a `LedgerError` in one place.
///
/// A deadline matters because a partitioned network answers nothing: a query would wait for TCP to give up,
/// minutes. postgres-nio's queries do not end on task cancellation, so when a call's deadline passes its
/// connection is closed, which fails the query at once; the pool opens a new one for the next call.
final class PostgresConnector: Sendable {
    let client: PostgresClient
    let configuration: PostgresStoreConfiguration
    let logger: Logger

    init(configuration: PostgresStoreConfiguration, logger: Logger) throws(PostgresStoreConfiguration.ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        client = PostgresClient(configuration: try Self.clientConfiguration(configuration), backgroundLogger: logger)
    }

    /// The TLS settings of `sslmode`: nil for `disable`; for `verify-full` the chain and the server's identity
    /// checked (its name, or its address when the URL names an IP address).
    static func tlsSettings(_ mode: PostgresStoreConfiguration.TLSMode) throws(PostgresStoreConfiguration.ConfigurationError)
        -> TLSConfiguration?
    {
        switch mode {
        case .disable:
            return nil
        case .verifyFull(let rootCertificate):
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .fullVerification
            tls.minimumTLSVersion = .tlsv12
            if let rootCertificate {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
                } catch {
                    throw .init("sslrootcert \(rootCertificate): cannot read the CA certificate (\(error))")
                }
            }
            return tls
        }
    }

    static func tlsConfiguration(_ mode: PostgresStoreConfiguration.TLSMode) throws(PostgresStoreConfiguration.ConfigurationError)
        -> PostgresClient.Configuration.TLS
    {
        try tlsSettings(mode).map { .require($0) } ?? .disable
    }

    static func clientConfiguration(_ c: PostgresStoreConfiguration) throws(PostgresStoreConfiguration.ConfigurationError)
        -> PostgresClient.Configuration
    {
        var configuration: PostgresClient.Configuration
        switch c.endpoint {
        case .tcp(let host, let port):
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: c.user, password: c.password, database: c.database,
                tls: try tlsConfiguration(c.tls))
            // The name the certificate must carry is the host of the URL. postgres-nio sends it as SNI and
            // NIOSSL checks it against the certificate's DNS names. An IP address cannot be sent as SNI (RFC 6066
            // 3), so for one no server name is set: NIOSSL's full verification then matches the peer's address
            // against the certificate's IP addresses, which is still verify-full.
        case .unixSocket(let directory, let port):
            configuration = PostgresClient.Configuration(
                unixSocketPath: (directory as NSString).appendingPathComponent(".s.PGSQL.\(port)"), username: c.user,
                password: c.password, database: c.database)
        }
        configuration.options.connectTimeout = c.connectTimeout
        configuration.options.maximumConnections = c.maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectionIdleTimeout = .seconds(60)
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(15))
        // Server-side limits, so that a stopped or partitioned instance cannot hold the lease row's lock (a
        // transaction left open) longer than a few seconds: the server ends such a session itself.
        configuration.options.additionalStartupParameters = [
            ("application_name", c.applicationName),
            ("search_path", c.schema),
            ("statement_timeout", "30s"),
            ("lock_timeout", "10s"),
            ("idle_in_transaction_session_timeout", "3s"),
            ("TimeZone", "UTC"),
        ]
        return configuration
    }

    /// Runs the pool until cancelled.
    func run() async {
        await client.run()
    }

    /// One connection of its own, outside the pool, opened and closed: the pool retries a failed connection
    /// until the call's deadline and then reports only that the database did not answer; this says why (the
    /// server's certificate, the password, the database's name, or no server at the address) at once.
    func probe() async throws(LedgerError) {
        let c = configuration
        var connectionConfiguration: PostgresConnection.Configuration
        switch c.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            do {
                tls = try Self.tlsSettings(c.tls).map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
            } catch {
                throw LedgerError(code: .cannotOpen, message: "connect: TLS: \(error)")
            }
            connectionConfiguration = .init(
                host: host, port: port, username: c.user, password: c.password, database: c.database, tls: tls)
        case .unixSocket(let directory, let port):
            connectionConfiguration = .init(
                unixSocketPath: (directory as NSString).appendingPathComponent(".s.PGSQL.\(port)"), username: c.user,
                password: c.password, database: c.database)
        }
        let (seconds, attoseconds) = c.connectTimeout.components
        connectionConfiguration.options.connectTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        connectionConfiguration.options.additionalStartupParameters = [("application_name", c.applicationName)]
        let logger = self.logger
        let configured = connectionConfiguration
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configured, id: 0, logger: logger
            ).get()
            try? await connection.close()
        } catch {
            throw Self.translate(error, while: "connect")
        }
    }

    // MARK: Calls

    /// Runs `body` on a pooled connection, at most `timeout` (default: the configuration's call timeout).
    func withConnection<T: Sendable>(
        _ operation: String, timeout: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws(LedgerError) -> T {
        let client = self.client
        let logger = self.logger
        let limit = timeout ?? configuration.callTimeout
        let inUse = ConnectionSlot()
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        inUse.connection.withLock { $0 = connection }
                        defer { inUse.connection.withLock { $0 = nil } }
                        return try await body(connection, logger)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    // The server does not answer: close the connection, which fails the query in flight.
                    if let connection = inUse.connection.withLock({ $0 }) { try? await connection.close() }
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw CallTimeout()
                }
                return value
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw Self.translate(error, while: operation)
        }
    }

    /// `withConnection` inside `BEGIN` … `COMMIT` (rolled back when `body` throws).
    func transaction<T: Sendable>(
        _ operation: String, timeout: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws(LedgerError) -> T {
        try await withConnection(operation, timeout: timeout) { connection, logger in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection, logger)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    struct CallTimeout: Error {}

    /// The connection a call is using, for its deadline to close.
    final class ConnectionSlot: Sendable {
        let connection = Mutex<PostgresConnection?>(nil)
    }

    // MARK: Errors

    /// The seam's form of a PostgreSQL or connection error: a code the caller can act on, the SQLSTATE kept,
    /// no SQL arguments (postgres-nio's own description leaves them out too).
    static func translate(_ error: any Error, while operation: String) -> LedgerError {
        switch error {
        case let error as LedgerError:
            return error
        case is CallTimeout:
            return LedgerError(code: .connectionLost, message: "\(operation): the database did not answer in time")
        case is CancellationError:
            return LedgerError(code: .shutDown, message: "\(operation): cancelled (the daemon is stopping)")
        case let error as PostgresTransactionError:
            if let inner = error.closureError ?? error.beginError ?? error.commitError {
                return translate(inner, while: operation)
            }
            return LedgerError(code: .database, message: "\(operation): transaction failed")
        case let error as PSQLError:
            let summary = ServerErrorSummary(error)
            switch error.code {
            case .server:
                return LedgerError(code: code(forSQLState: summary.sqlState), message: "\(operation): \(summary)", underlying: summary)
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                .sslUnsupported, .failedToAddSSLHandler:
                if let underlying = error.underlying, "\(underlying)".contains("certificate") || "\(underlying)".contains("handshake") {
                    return LedgerError(code: .cannotOpen, message: "\(operation): TLS: \(underlying)", underlying: summary)
                }
                return LedgerError(code: .connectionLost, message: "\(operation): \(summary)", underlying: summary)
            case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
                return LedgerError(code: .cannotOpen, message: "\(operation): authentication: \(summary)", underlying: summary)
            case .queryCancelled:
                return LedgerError(code: .busy, message: "\(operation): query cancelled", underlying: summary)
            default:
                return LedgerError(code: .database, message: "\(operation): \(summary)", underlying: summary)
            }
        case let error as PostgresDecodingError:
            return LedgerError(code: .invalidData, message: "\(operation): cannot decode column \(error.columnName)")
        case let error as NIOSSLError:
            return LedgerError(code: .cannotOpen, message: "\(operation): TLS: \(error)")
        case let error as NIOSSLExtraError:
            return LedgerError(code: .cannotOpen, message: "\(operation): TLS: \(error)")
        case let error as NIOConnectionError:
            return LedgerError(code: .connectionLost, message: "\(operation): cannot connect (\(error))")
        case let error as ChannelError:
            return LedgerError(code: .connectionLost, message: "\(operation): \(error)")
        case let error as IOError:
            return LedgerError(code: .connectionLost, message: "\(operation): \(error)")
        default:
            return LedgerError(code: .database, message: "\(operation): \(type(of: error))")
        }
    }

    /// SQLSTATE classes (PostgreSQL appendix A) to what the caller must do.
    static func code(forSQLState state: String) -> LedgerError.Code {
        switch state {
        case "40001", "40P01", "55P03", "57014": return .busy
        case "25006": return .readOnly
        case "53100", "58030": return .io
        case "XX001", "XX002": return .corrupt
        case "42501": return .cannotOpen
        case "3D000", "3F000": return .cannotOpen
        default: break
        }
        switch state.prefix(2) {
        case "08", "57": return .connectionLost
        case "28": return .cannotOpen
        case "23": return .constraint
        case "53": return .busy
        default: return .database
        }
    }
}

/// What is kept of a server error: its SQLSTATE, severity and message (the server's message names objects, not
/// the statement's arguments; the detail, which may hold values, is left out).
struct ServerErrorSummary: Error, Sendable, CustomStringConvertible {
    var code: String
    var sqlState: String
    var message: String

    init(_ error: PSQLError) {
        code = "\(error.code)"
        sqlState = error.serverInfo?[.sqlState] ?? ""
        message = error.serverInfo?[.message] ?? ""
        if message.isEmpty, let underlying = error.underlying { message = "\(underlying)" }
    }

    var description: String {
        sqlState.isEmpty ? "\(code)\(message.isEmpty ? "" : ": \(message)")" : "SQLSTATE \(sqlState): \(message)"
    }
}
