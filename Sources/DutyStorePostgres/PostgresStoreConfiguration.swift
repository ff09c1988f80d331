import DutyCore
import Foundation

/// Where and how to reach the PostgreSQL ledger: read from `--store postgresql://user@host:port/db?…` (or
/// `DUTYD_STORE`), the password from a systemd credential, never from the URL, the command line or the
/// environment.
///
/// URL parameters (libpq's names where libpq has one):
/// - `sslmode`: `verify-full` (default: TLS, the server certificate checked against `sslrootcert` and the host
///   name), or `disable` (plain; refused for a host that is not loopback unless `allowPlaintext` is set).
/// - `sslrootcert`: the CA certificate file (PEM) that signed the server's certificate (default: the system's
///   trust store).
/// - `host`: a directory holding the server's Unix socket (`.s.PGSQL.<port>`) instead of a TCP host.
/// - `schema`: the schema dutyd's tables live in (default `dutyd`; the role must own it).
/// - `application_name`: shown in `pg_stat_activity` (default `dutyd`).
public struct PostgresStoreConfiguration: Sendable, Hashable {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unixSocket(directory: String, port: Int)
    }

    public enum TLSMode: Sendable, Hashable {
        /// TLS with the certificate chain and the host name verified (libpq's `verify-full`).
        case verifyFull(rootCertificate: String?)
        /// No TLS.
        case disable
    }

    public var endpoint: Endpoint
    public var user: String
    public var database: String
    public var schema: String
    public var tls: TLSMode
    public var applicationName: String
    /// The password (from `$CREDENTIALS_DIRECTORY`), nil for trust or peer authentication.
    public var password: String?
    /// Plain connections to a host that is not loopback are refused unless this is set (`--store-allow-plaintext`).
    public var allowPlaintext: Bool = false
    /// How long connecting may take.
    public var connectTimeout: Duration = .seconds(3)
    /// How long one ledger call may take before its connection is closed (a partition: nothing answers).
    public var callTimeout: Duration = .seconds(10)
    /// Connections in the pool.
    public var maximumConnections: Int = 8
    /// The lease (docs/lease-protocol.md, 3.1).
    public var lease: LeaseTiming = LeaseTiming()

    /// The constants of the lease protocol. The defaults are the specification's; tests may shorten them with
    /// the same ratios.
    public struct LeaseTiming: Sendable, Hashable {
        /// Lease duration, added to the database's `now()` at acquisition and renewal.
        public var ttl: Duration = .seconds(6)
        /// The local view is fresh while less than `ttl − margin` passed since the last acquisition or renewal.
        public var margin: Duration = .seconds(2)
        /// How often the leader renews.
        public var renewal: Duration = .seconds(2)
        /// How often a follower tries to acquire (a release is also announced, so a graceful handover is at once).
        public var poll: Duration = .seconds(1)
        /// W: the longest expected time from a final check to the side effect; longer ones are counted.
        public var window: Duration = .seconds(1)
        /// A lease statement (acquire, renew, release) gives up after this long.
        public var statementTimeout: Duration = .seconds(1)

        public init() {}

        public init(ttl: Duration, margin: Duration, renewal: Duration, poll: Duration, window: Duration) {
            self.ttl = ttl
            self.margin = margin
            self.renewal = renewal
            self.poll = poll
            self.window = window
        }

        /// How long the local view stays fresh after a successful acquisition or renewal.
        public var freshFor: Duration { ttl - margin }
    }

    public init(
        endpoint: Endpoint, user: String, database: String, schema: String = "dutyd", tls: TLSMode,
        applicationName: String = "dutyd", password: String? = nil
    ) {
        self.endpoint = endpoint
        self.user = user
        self.database = database
        self.schema = schema
        self.tls = tls
        self.applicationName = applicationName
        self.password = password
    }

    /// Whether `text` names a PostgreSQL store (as opposed to a SQLite directory).
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Parses `postgresql://user@host:port/database?sslmode=…&sslrootcert=…&schema=…`.
    /// - Throws: `ConfigurationError` naming what is wrong; a password in the URL is refused.
    public init(url text: String) throws(ConfigurationError) {
        guard Self.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw ConfigurationError("not a postgresql:// URL")
        }
        guard components.password == nil else {
            throw ConfigurationError(
                "the URL holds a password: give it as the systemd credential instead (LoadCredential=, see dutyd(8))")
        }
        guard let user = components.user, !user.isEmpty else { throw ConfigurationError("the URL names no user (postgresql://USER@host/db)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw ConfigurationError("the URL names no database (postgresql://user@host/DB)") }
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value else { throw ConfigurationError("URL parameter \(item.name) has no value") }
            parameters[item.name] = value
        }
        let known: Set<String> = ["sslmode", "sslrootcert", "host", "port", "schema", "application_name"]
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError("unknown URL parameter '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        let port: Int
        if let given = components.port ?? parameters["port"].flatMap(Int.init) {
            guard (1...65535).contains(given) else { throw ConfigurationError("port \(given) is out of range") }
            port = given
        } else {
            port = 5432
        }
        let endpoint: Endpoint
        if let directory = parameters["host"] {
            guard directory.hasPrefix("/") else { throw ConfigurationError("host= must be the absolute path of a socket directory") }
            endpoint = .unixSocket(directory: directory, port: port)
        } else if let host = components.host, !host.isEmpty {
            endpoint = .tcp(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
        } else {
            throw ConfigurationError("the URL names no host (postgresql://user@HOST:port/db, or ?host=/socket/directory)")
        }
        let tls: TLSMode
        switch parameters["sslmode"] ?? "verify-full" {
        case "verify-full": tls = .verifyFull(rootCertificate: parameters["sslrootcert"])
        case "disable": tls = .disable
        case let other:
            throw ConfigurationError("sslmode=\(other) is not supported: use verify-full (the default) or disable")
        }
        let schema = parameters["schema"] ?? "dutyd"
        guard Self.isPlainIdentifier(schema) else { throw ConfigurationError("schema must be a lower-case identifier") }
        self.init(
            endpoint: endpoint, user: user, database: database, schema: schema, tls: tls,
            applicationName: parameters["application_name"] ?? "dutyd")
    }

    /// Refuses what must not run: a plain TCP connection to a host that is not loopback (unless allowed).
    public func validate() throws(ConfigurationError) {
        if case .tcp(let host, _) = endpoint, tls == .disable, !allowPlaintext, !Self.isLoopback(host) {
            throw ConfigurationError(
                "sslmode=disable to \(host), which is not loopback: the password and every reminder would cross the "
                    + "network in clear; use TLS (sslmode=verify-full) or pass --store-allow-plaintext")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    static func isPlainIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first) || first == "_", text.count <= 63 else {
            return false
        }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The URL without secrets, for logs and the status.
    public var redacted: String {
        let query: String
        switch tls {
        case .verifyFull: query = "sslmode=verify-full"
        case .disable: query = "sslmode=disable"
        }
        switch endpoint {
        case .tcp(let host, let port):
            let shown = host.contains(":") ? "[\(host)]" : host
            return "postgresql://\(user)@\(shown):\(port)/\(database)?\(query)"
        case .unixSocket(let directory, let port):
            return "postgresql://\(user)@/\(database)?host=\(directory)&port=\(port)"
        }
    }

    /// An error in the store's configuration: dutyd does not start.
    public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Reads the password from the systemd credential `name` in `$CREDENTIALS_DIRECTORY` (`LoadCredential=`), if
    /// the service has one; a trailing newline is dropped. nil when there is no credentials directory or no
    /// such credential.
    public static func credential(named name: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> String?
    {
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else { return nil }
        let path = (directory as NSString).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("credential \(name) in $CREDENTIALS_DIRECTORY cannot be read as UTF-8")
        }
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw ConfigurationError("credential \(name) is empty") }
        return text
    }
}
