import Dispatch
import DutyCore

/// A `BlockingExecutor` for tests: each job runs on a thread of Dispatch's global pool, never on the caller's.
public struct TestExecutor: BlockingExecutor {
    public init() {}

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
