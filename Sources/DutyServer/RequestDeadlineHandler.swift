import NIOCore
import NIOHTTPTypes

/// Cuts off slow clients: a request head must arrive within `headerTimeout` of the connection opening, its body
/// within `bodyTimeout` of the head, and the next request within `idleTimeout` of the previous response. A client
/// that sends one byte a second never completes its head and is closed at the header deadline. Nothing is armed
/// while the daemon is answering.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: QueryServerLimits
    private let metrics: ServerMetrics
    private var timer: Scheduled<Void>?

    init(limits: QueryServerLimits, metrics: ServerMetrics) {
        self.limits = limits
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context, limits.headerTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, limits.bodyTimeout)
        case .end:
            timer?.cancel()
            timer = nil
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, limits.idleTimeout) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: Duration) {
        timer?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let metrics = self.metrics
        timer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            metrics.timedOut()
            bound.value.close(promise: nil)
        }
    }
}
