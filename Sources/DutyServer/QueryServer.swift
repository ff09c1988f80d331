import DutyAPI
import Foundation
import Synchronization
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The query socket: HTTP/1.1 over a Unix socket, bound by the server or inherited from systemd. Each
/// connection's peer credentials (`SO_PEERCRED`) are read once when it is accepted and travel with every request
/// in `DutyRequestContext.peer`. Runs as one `Service` of the daemon's `ServiceGroup`; graceful shutdown stops
/// accepting, lets the requests in flight finish and removes a socket file it created.
public final class QueryServer: Service, Sendable {
    public let configuration: QueryServerConfiguration
    public let router: QueryRouter
    public let resolver: PeerResolver
    let logger: Logger

    public init(configuration: QueryServerConfiguration, backend: any DutyQueryBackend, logger: Logger) {
        self.configuration = configuration
        self.router = QueryRouter(backend: backend, limits: configuration.limits)
        let readGroup = configuration.socketGroup ?? Self.socketFileGroup(configuration.listener)
        self.resolver = PeerResolver(policy: AccessPolicy(readGroup: readGroup, adminGroup: configuration.adminGroup))
        self.logger = logger
    }

    struct Connection: Sendable {
        var http: HTTP1Channel
        var value: HTTP1Channel.Value
    }

    public struct BindError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "query socket \(path): \(reason)" }
    }

    public func run() async throws {
        let responder = router.build().buildResponder()
        let limits = configuration.limits
        let metrics = router.metrics
        let resolver = self.resolver
        let logger = self.logger
        let gate = ConnectionGate(limit: limits.maximumConnections, metrics: metrics)

        let initializer: @Sendable (any Channel) -> EventLoopFuture<Connection?> = { channel in
            guard gate.tryOpen() else {
                channel.close(promise: nil)
                return channel.eventLoop.makeSucceededFuture(nil)
            }
            gate.register(channel)
            channel.closeFuture.whenComplete { _ in gate.close(channel) }
            guard let provider = channel as? any SocketOptionProvider else {
                gate.settled()
                channel.close(promise: nil)
                return channel.eventLoop.makeSucceededFuture(nil)
            }
            let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            return credentials.flatMap { credentials in
                let peer = resolver.peer(uid: credentials.uid, gid: credentials.gid, pid: credentials.pid)
                let http = Self.connectionChannel(responder: responder, peer: peer, limits: limits, metrics: metrics, logger: logger)
                return http.setup(channel: channel, logger: logger).map { Connection(http: http, value: $0) }
            }.flatMapErrorThrowing { error in
                // No connection value was made: nothing for the accept loop to take.
                gate.settled()
                throw error
            }
        }

        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 512)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        let server: NIOAsyncChannel<Connection?, Never>
        var createdPath: String?
        switch configuration.listener {
        case .path(let path):
            do {
                try Self.prepare(path)
                server = try await bootstrap.bind(
                    unixDomainSocketPath: path, cleanupExistingSocketFile: false, childChannelInitializer: initializer)
            } catch {
                // The reminders matter more than the socket: say it once and let the other services run.
                logger.error("query socket unavailable: \(error)", metadata: ["socket.path": "\(path)"])
                return
            }
            createdPath = path
            if chmod(path, mode_t(configuration.socketMode)) != 0 {
                throw BindError(path: path, reason: "chmod: \(String(cString: strerror(errno)))")
            }
            if let group = configuration.socketGroup, chown(path, uid_t.max, gid_t(group)) != 0 {
                throw BindError(path: path, reason: "chown to group \(group): \(String(cString: strerror(errno)))")
            }
        case .inherited(let fd, _):
            server = try await bootstrap.bind(fd, childChannelInitializer: initializer)
        }
        logger.info("query socket listening", metadata: ["socket.path": "\(Self.path(configuration.listener) ?? "?")"])
        defer { if let createdPath { unlink(createdPath) } }

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        guard let connection else { continue }
                        gate.settled()
                        group.addTask {
                            await connection.http.handle(value: connection.value, logger: logger)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            // Stop accepting: connections accepted from now on are closed at once. The listening socket closes
            // once every connection already accepted has reached the accept loop: a connection value the loop never
            // takes would be dropped unfinished, which NIO treats as a programming error and traps. Requests in
            // flight get a second to finish, then every connection is closed (an idle client must not hold up the
            // daemon's stop).
            gate.stopAccepting { server.channel.close(promise: nil) }
            gate.closeAll(after: .seconds(1))
            // Should a setup never settle (a bug), the socket still closes.
            server.channel.eventLoop.scheduleTask(in: .seconds(5)) { server.channel.close(promise: nil) }
        }
    }

    /// The HTTP/1.1 handling of one accepted connection whose peer is known: NIO's decoder with the header limits,
    /// the deadline handler, and a responder that renders every error the router lets through as its JSON
    /// response. `run()` sets it up on each connection; the fuzz target (Fuzz/Sources/FuzzHTTPRequest) sets the
    /// same up on an in-memory channel, so both exercise this code.
    package static func connectionChannel(
        responder: some HTTPResponder<DutyRequestContext>, peer: Peer, limits: QueryServerLimits, metrics: ServerMetrics,
        logger: Logger
    ) -> HTTP1Channel {
        let configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadlineHandler(limits: limits, metrics: metrics)],
            idleTimeout: TimeAmount(limits.idleTimeout),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maximumHeaderSize, maxHeaderListSize: limits.maximumHeaderSize,
                maxHeaderFieldCount: limits.maximumHeaderCount))
        return HTTP1Channel(
            responder: { request, writer, channel in
                let context = DutyRequestContext(source: .init(channel: channel, logger: logger), peer: peer)
                let response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch {
                    response = QueryRouter.response(for: error)
                }
                try await writer.write(response: response.head, body: response.body)
            }, configuration: configuration)
    }

    /// Creates the socket's directory if needed and removes a stale socket file, but never one somebody still
    /// listens on (another dutyd).
    static func prepare(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw BindError(path: path, reason: "exists and is not a socket") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw BindError(path: path, reason: "path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let live = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
        if live { throw BindError(path: path, reason: "another process listens on it") }
        unlink(path)
    }

    static func path(_ listener: QueryServerConfiguration.Listener) -> String? {
        switch listener {
        case .path(let path): return path
        case .inherited(_, let path): return path
        }
    }

    /// The group of the socket file when systemd bound it (`SocketGroup=`): its members may read.
    static func socketFileGroup(_ listener: QueryServerConfiguration.Listener) -> UInt32? {
        guard case .inherited(_, let path?) = listener else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_gid == 0 ? nil : UInt32(info.st_gid)
    }

    /// The path a listening Unix socket is bound to (`getsockname`), nil for other sockets.
    public static func boundPath(fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        var path = address.sun_path
        let capacity = MemoryLayout.size(ofValue: path)
        return withUnsafePointer(to: &path) {
            $0.withMemoryRebound(to: CChar.self, capacity: capacity) { String(cString: $0) }
        }
    }
}

/// `struct ucred` of `SO_PEERCRED` (Glibc hides it without `_GNU_SOURCE`): same layout.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Counts open connections and refuses those beyond the limit; closes them all at shutdown.
///
/// It also counts connections between their acceptance and the moment the accept loop takes them (or their set-up
/// fails): at shutdown the listening socket may only close once none is in between (`stopAccepting`).
final class ConnectionGate: Sendable {
    struct State {
        var open = 0
        /// The open channels.
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// Once `closeAll` ran, the delay it gave (a channel registered after that is closed the same way).
        var closing: Duration?
        /// Accepted connections not yet taken by the accept loop (or given up).
        var unsettled = 0
        /// Set by `stopAccepting`: new connections are refused, and this runs once `unsettled` is zero.
        var stopped = false
        var onSettled: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())
    let limit: Int
    let metrics: ServerMetrics

    init(limit: Int, metrics: ServerMetrics) {
        self.limit = limit
        self.metrics = metrics
    }

    /// Admits a new connection (false: over the limit, or the server is stopping). An admitted connection is
    /// unsettled until `settled()`.
    func tryOpen() -> Bool {
        let ok = state.withLock { state in
            guard state.open < limit, !state.stopped else { return false }
            state.open += 1
            state.unsettled += 1
            return true
        }
        if ok { metrics.opened() } else { metrics.refused() }
        return ok
    }

    /// The accept loop took an admitted connection, or its set-up failed.
    func settled() {
        let run = state.withLock { state -> (@Sendable () -> Void)? in
            state.unsettled -= 1
            guard state.stopped, state.unsettled == 0, let run = state.onSettled else { return nil }
            state.onSettled = nil
            return run
        }
        run?()
    }

    /// Refuses new connections and runs `body` once every admitted one is settled (now, if they are).
    func stopAccepting(then body: @escaping @Sendable () -> Void) {
        let run = state.withLock { state -> Bool in
            state.stopped = true
            if state.unsettled == 0 { return true }
            state.onSettled = body
            return false
        }
        if run { body() }
    }

    func register(_ channel: any Channel) {
        let closing = state.withLock { state -> Duration? in
            if let closing = state.closing { return closing }
            state.channels[ObjectIdentifier(channel)] = channel
            return nil
        }
        if let closing { channel.eventLoop.scheduleTask(in: TimeAmount(closing)) { channel.close(promise: nil) } }
    }

    func close(_ channel: any Channel) {
        state.withLock { state in
            state.channels.removeValue(forKey: ObjectIdentifier(channel))
            state.open -= 1
        }
        metrics.closed()
    }

    func closeAll(after delay: Duration) {
        let open = state.withLock { state in
            state.closing = delay
            return Array(state.channels.values)
        }
        for channel in open {
            channel.eventLoop.scheduleTask(in: TimeAmount(delay)) { channel.close(promise: nil) }
        }
    }
}
