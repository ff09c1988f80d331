import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL server started by a test (docs: /work/shared/docs/servers.md): `initdb` as the
/// `postgres` user into a temporary directory, listening on its own Unix socket directory and on the given
/// addresses (127.0.0.1 by default), with TLS from a CA the test makes with openssl, password (SCRAM)
/// authentication for dutyd's role over TCP and TLS only, trust over the socket. Stopped and removed by
/// `destroy()`.
///
/// The role `dutyd` is set up as docs/operations.md ("Several hosts") says: no superuser, it owns only its
/// schema(s), the database's `public` schema closed.
public final class PostgresServer: @unchecked Sendable {
    public static let binDirectory = "/usr/lib/postgresql/15/bin"
    public let directory: String
    public let dataDirectory: String
    public let socketDirectory: String
    public let port: Int
    /// Addresses it listens on besides its socket.
    public let addresses: [String]
    public let password: String
    public let caCertificate: String
    public let database = "dutyd"
    public let role = "dutyd"

    /// Whether PostgreSQL 15 and a `postgres` user are here (`make deps` installs them).
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: binDirectory + "/initdb") && getpwnam("postgres") != nil
            && geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// - Parameters:
    ///   - addresses: TCP addresses to listen on (each also gets into the server certificate).
    ///   - uncertified: further addresses to listen on that the certificate does not name (to show that a
    ///     client refuses them).
    public init(addresses: [String] = ["127.0.0.1"], uncertified: [String] = []) throws {
        directory = "/tmp/dutyd-pg-\(UUID().uuidString.prefix(8))"
        dataDirectory = directory + "/data"
        socketDirectory = directory + "/socket"
        self.addresses = addresses
        port = try Self.freePort()
        password = UUID().uuidString
        caCertificate = directory + "/tls/ca.crt"
        try FileManager.default.createDirectory(atPath: directory + "/tls", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        try makeCertificates()
        let listening = addresses + uncertified
        try Self.shell("chown -R postgres:postgres '\(directory)' && chmod 0755 '\(directory)'")
        try asPostgres("\(Self.binDirectory)/initdb -D '\(dataDirectory)' --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >'\(directory)/initdb.log' 2>&1")
        let hba = """
            local   all  all                  trust
            hostssl all  dutyd  127.0.0.0/8   scram-sha-256
            hostssl all  dutyd  198.18.0.0/15 scram-sha-256
            host    all  all    0.0.0.0/0     reject

            """
        try hba.write(toFile: dataDirectory + "/pg_hba.conf", atomically: true, encoding: .utf8)
        let conf = """
            listen_addresses = '\(listening.joined(separator: ","))'
            port = \(port)
            unix_socket_directories = '\(socketDirectory)'
            ssl = on
            ssl_cert_file = '\(directory)/tls/server.crt'
            ssl_key_file = '\(directory)/tls/server.key'
            password_encryption = 'scram-sha-256'
            max_connections = 100
            fsync = on
            shared_buffers = 32MB
            log_min_messages = warning
            """
        let existing = try String(contentsOfFile: dataDirectory + "/postgresql.conf", encoding: .utf8)
        try (existing + "\n" + conf + "\n").write(toFile: dataDirectory + "/postgresql.conf", atomically: true, encoding: .utf8)
        try Self.shell("chown postgres:postgres '\(dataDirectory)/pg_hba.conf' '\(dataDirectory)/postgresql.conf'")
        try start()
        try psql(
            """
            CREATE ROLE dutyd LOGIN PASSWORD '\(password)' NOSUPERUSER NOCREATEDB NOCREATEROLE;
            CREATE DATABASE dutyd;
            REVOKE ALL ON DATABASE dutyd FROM PUBLIC;
            GRANT CONNECT, TEMPORARY ON DATABASE dutyd TO dutyd;
            """, database: "postgres")
        try psql("REVOKE ALL ON SCHEMA public FROM PUBLIC; CREATE SCHEMA dutyd AUTHORIZATION dutyd;")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw Failure("bind: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure("getsockname: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func makeCertificates() throws {
        let tls = directory + "/tls"
        let sans = (addresses.map { "IP:\($0)" } + ["DNS:localhost"]).joined(separator: ",")
        try Self.shell(
            """
            cd '\(tls)' && \
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
              -days 2 -subj '/CN=dutyd test CA' 2>/dev/null && \
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr \
              -subj '/CN=dutyd test database' 2>/dev/null && \
            printf 'subjectAltName=\(sans)\\nextendedKeyUsage=serverAuth\\n' > server.ext && \
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
              -extfile server.ext 2>/dev/null && \
            chmod 0600 server.key ca.key && chmod 0644 ca.crt server.crt
            """)
    }

    // MARK: Control

    /// The server is started with no descriptor of this process beyond the standard three: Foundation's `Process`
    /// learns that its child exited when a socket the child inherited is closed, and a postmaster holding a copy
    /// would keep `waitUntilExit()` waiting for ever (the `runuser` a zombie).
    public func start() throws {
        try asPostgres(
            "exec /usr/bin/python3 -c 'import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])' "
                + "\(Self.binDirectory)/pg_ctl -D '\(dataDirectory)' -l '\(directory)/server.log' -w -t 60 start >/dev/null")
    }

    /// `fast`: a clean stop; `immediate`: a crash (recovery at the next start).
    public func stop(mode: String = "fast") throws {
        try asPostgres("\(Self.binDirectory)/pg_ctl -D '\(dataDirectory)' -m \(mode) -w -t 60 stop >/dev/null")
    }

    /// Stops (as a crash by default) and starts again.
    public func restart(mode: String = "immediate") throws {
        try stop(mode: mode)
        try start()
    }

    /// Stops the server and removes its directory.
    public func destroy() {
        _ = try? asPostgres("\(Self.binDirectory)/pg_ctl -D '\(dataDirectory)' -m immediate -w -t 30 stop >/dev/null 2>&1")
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs SQL as the superuser over the socket; returns psql's output (unaligned, tuples only).
    @discardableResult
    public func psql(_ sql: String, database: String? = nil) throws -> String {
        let file = directory + "/q-\(UUID().uuidString.prefix(8)).sql"
        try sql.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = chmod(file, 0o644)
        let out = try TestSupport.run(
            "/usr/sbin/runuser",
            ["-u", "postgres", "--", "/usr/bin/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory,
             "-p", String(port), "-d", database ?? self.database, "-f", file])
        guard out.status == 0 else { throw Failure("psql: \(out.stderr)") }
        return out.stdout
    }

    /// A fresh schema owned by dutyd (one per test or conformance case).
    public func makeSchema() throws -> String {
        let name = "s" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try psql("CREATE SCHEMA \(name) AUTHORIZATION dutyd;")
        return name
    }

    // MARK: URLs

    /// Over TCP with TLS checked against the test CA (`sslmode=verify-full`); the password goes separately.
    public func url(host: String = "127.0.0.1", schema: String = "dutyd") -> String {
        "postgresql://dutyd@\(host):\(port)/dutyd?sslmode=verify-full&sslrootcert=\(caCertificate)&schema=\(schema)"
    }

    /// Over the Unix socket (trust, no TLS).
    public func socketURL(schema: String = "dutyd") -> String {
        "postgresql://dutyd@/dutyd?host=\(socketDirectory)&port=\(port)&sslmode=disable&schema=\(schema)"
    }

    // MARK: Helpers

    @discardableResult
    func asPostgres(_ command: String) throws -> TestSupport.Output {
        let out = try TestSupport.run("/usr/sbin/runuser", ["-u", "postgres", "--", "/bin/sh", "-c", command])
        guard out.status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw Failure("as postgres: \(command): status \(out.status): \(out.stderr) \(log.suffix(2000))")
        }
        return out
    }

    @discardableResult
    static func shell(_ command: String) throws -> TestSupport.Output {
        let out = try TestSupport.run("/bin/sh", ["-c", command])
        guard out.status == 0 else { throw Failure("\(command): status \(out.status): \(out.stderr)") }
        return out
    }
}

extension PostgresServer {
    /// One server for the whole test process, made at first use and destroyed at exit; nil (with the reason
    /// printed once) when PostgreSQL cannot run here.
    public static func shared() throws -> PostgresServer {
        guard let server = sharedServer.server else { throw Failure(sharedServer.error ?? "PostgreSQL unavailable") }
        return server
    }
}

private let sharedServer: (server: PostgresServer?, error: String?) = {
    guard PostgresServer.isAvailable else {
        return (nil, "PostgreSQL 15 (postgresql), openssl and root are needed: make deps")
    }
    do {
        let server = try PostgresServer()
        sharedServerForExit = server
        atexit { sharedServerForExit?.destroy() }
        return (server, nil)
    } catch {
        return (nil, "\(error)")
    }
}()

nonisolated(unsafe) private var sharedServerForExit: PostgresServer?
