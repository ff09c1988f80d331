import Hummingbird

/// The request context: Hummingbird's core storage plus the peer the connection came from.
public struct DutyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `QueryServer` from `SO_PEERCRED`; nil when the request did not come over the socket (router tests).
    public var peer: Peer?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = nil
    }

    init(source: ApplicationRequestContextSource, peer: Peer) {
        coreContext = .init(source: source)
        self.peer = peer
    }
}
