import DutyAPI
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import Synchronization

@testable import DutyServer

/// Drives one connection of the query server without a socket: raw request bytes go through what
/// `QueryServer.connectionChannel` sets up for an accepted connection (NIO's HTTP/1 decoder, Hummingbird's HTTP/1
/// channel, the deadline handler, the router) on an in-memory channel. The client half-closes after its bytes;
/// the answer is every byte the server wrote before it closed the connection. Fuzz/Sources/FuzzHTTPRequest does
/// the same per fuzz input.
struct ConnectionHarness {
    static let root = Peer(uid: 0, gid: 0, pid: 1, account: "root", access: .admin)
    static let member = Peer(uid: 1000, gid: 1000, pid: 1, account: "alice", access: .read)
    static let outsider = Peer(uid: 1001, gid: 1001, pid: 1, account: "eve", access: .none)

    let responder: any HTTPResponder<DutyRequestContext>
    let limits: QueryServerLimits

    init(backend: any DutyQueryBackend, limits: QueryServerLimits = .init()) {
        self.limits = limits
        responder = QueryRouter(backend: backend, limits: limits).build().buildResponder()
    }

    struct HarnessError: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `bytes` in pieces of `pieceSize` as `peer`, half-closes, and returns what the server wrote (decoded
    /// as UTF-8 for the expectations' sake).
    func exchange(_ bytes: [UInt8], as peer: Peer = Self.root, pieceSize: Int? = nil) async throws -> String {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let loop = NIOAsyncTestingEventLoop()
        let channel = NIOAsyncTestingChannel(loop: loop)
        channel.allowRemoteHalfClosure = true
        let http = QueryServer.connectionChannel(
            responder: responder, peer: peer, limits: limits, metrics: ServerMetrics(), logger: logger)
        let value = try await loop.flatSubmit { http.setup(channel: channel, logger: logger) }.get()
        try await channel.register().get()
        try await channel.connect(to: SocketAddress(unixDomainSocketPath: "/run/dutyd/dutyd.sock")).get()
        let finished = Atomic(false)
        let handler = Task {
            await http.handle(value: value, logger: logger)
            finished.store(true, ordering: .releasing)
        }
        let size = max(pieceSize ?? bytes.count, 1)
        for start in stride(from: 0, to: bytes.count, by: size) where channel.isActive {
            _ = try? await channel.writeInbound(ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)]))
            await loop.run()
        }
        if channel.isActive {
            try await loop.submit { channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }.get()
        }
        let started = ContinuousClock.now
        while !finished.load(ordering: .acquiring) {
            await loop.run()
            try await Task.sleep(for: .milliseconds(1))
            // Generous: on a 2-core CI machine sync tests running in parallel can hold both threads of the
            // cooperative pool for minutes, and the handler task cannot run meanwhile (120 s was seen to pass).
            if ContinuousClock.now - started > .seconds(900) {
                handler.cancel()
                throw HarnessError(description: "the server did not close the connection within 900 s")
            }
        }
        await handler.value
        var output: [UInt8] = []
        while let data = try await channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { throw HarnessError(description: "a file region") }
            output += buffer.readableBytesView
        }
        if channel.isActive { try? await channel.close().get() }
        await loop.shutdownGracefully()
        return String(decoding: output, as: UTF8.self)
    }

    func exchange(_ text: String, as peer: Peer = Self.root, pieceSize: Int? = nil) async throws -> String {
        try await exchange(Array(text.utf8), as: peer, pieceSize: pieceSize)
    }

    /// The status codes of the responses in `output`, in order (status lines only; the server's bodies are JSON
    /// ending in a line feed, or empty).
    static func statuses(_ output: String) -> [Int] {
        output.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").compactMap { line in
            guard line.hasPrefix("HTTP/1.1 ") else { return nil }
            return Int(line.dropFirst(9).prefix(3))
        }
    }
}
