import DutyCore
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The daemon's one pool for blocking work: SQLite calls, journal sends and reads, mailbox locks and fsync, the
/// sendmail child, and the alarm's wait on its timerfd. Nothing blocking runs on Swift's cooperative pool (on a
/// 2-core machine it has two threads; a long delivery run on one of them left the query socket a single one).
///
/// A service of the daemon's `ServiceGroup`, listed first so that it stops last: every other service has ended,
/// and nothing can submit work, before its threads are joined.
public final class BlockingPool: Service, BlockingExecutor {
    let pool: NIOThreadPool

    /// - Parameter threads: more than the cores, because most of the work waits (for SQLite's single write
    ///   lock, fsync, journald): acknowledgements waiting for the write lock must leave threads for readers.
    public init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(2, threads))
        pool.start()
    }

    /// The default size: twice the cores, at least 8, plus one for the alarm's wait.
    public static var defaultThreads: Int { max(8, 2 * System.coreCount) + 1 }

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    public func run() async throws {
        await gracefulShutdownOrCancellation()
        try await pool.shutdownGracefully()
    }

    /// Waits until the group shuts down gracefully or the task is cancelled.
    private func gracefulShutdownOrCancellation() async {
        try? await gracefulShutdown()
    }
}
