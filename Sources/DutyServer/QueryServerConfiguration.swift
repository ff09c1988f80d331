/// Limits on what one client may make the server hold.
public struct QueryServerLimits: Sendable, Hashable {
    /// Largest request body accepted (413 beyond).
    public var maximumBodySize = 64 * 1024
    /// Largest request header block (431/400 beyond) and header count.
    public var maximumHeaderSize = 16 * 1024
    public var maximumHeaderCount = 100
    /// A request's head must arrive within this time of the connection opening or the previous response.
    public var headerTimeout: Duration = .seconds(10)
    /// A request's body must arrive within this time of its head.
    public var bodyTimeout: Duration = .seconds(10)
    /// A keep-alive connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections beyond this are closed as soon as they are accepted.
    public var maximumConnections = 256

    public init() {}
}

/// Where and how the query server listens. Read by `dutyd` from its command line; see `docs/openapi.yaml`.
public struct QueryServerConfiguration: Sendable, Hashable {
    public enum Listener: Sendable, Hashable {
        /// Bind this path (removing a stale socket file), then set its mode and group.
        case path(String)
        /// A listening socket inherited from systemd (socket activation), with the path it is bound to.
        case inherited(fd: Int32, path: String?)
    }

    public var listener: Listener
    /// Mode of a socket the server binds itself.
    public var socketMode: UInt16 = 0o660
    /// Group of a socket the server binds itself, and the group whose members may read (nil: the socket file's
    /// group decides who can connect; everybody who can connect may read).
    public var socketGroup: UInt32?
    /// Members of this group may do everything root may (acknowledge for others, reload).
    public var adminGroup: UInt32?
    public var limits = QueryServerLimits()

    public init(listener: Listener, socketGroup: UInt32? = nil, adminGroup: UInt32? = nil) {
        self.listener = listener
        self.socketGroup = socketGroup
        self.adminGroup = adminGroup
    }
}
