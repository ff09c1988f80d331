import DutyCore
import Foundation

/// A `BlockingExecutor` for tests: each job runs on a thread of its own, never on the caller's. (Dispatch's global
/// queues on Linux do not add threads while their jobs block, so a test with more blocked jobs than cores would
/// stall on them; the daemon's `BlockingPool` has its own fixed threads for the same reason.)
public struct TestExecutor: BlockingExecutor {
    public init() {}

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
