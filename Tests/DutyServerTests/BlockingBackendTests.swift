import DutyAPI
import Foundation
import Hummingbird
import NIOPosix
import Synchronization
import Testing

@testable import DutyServer

/// Ledger calls that block (an acknowledgement waiting for SQLite's write lock during a delivery burst) must not
/// hold Swift's cooperative pool, whose width is the core count: more blocked acknowledgements than cores, and
/// the other routes still answer (docs/reliability.md, finding 10).
///
/// The backend protocol is `async`: a backend does its blocking work on a thread pool of its own, as the daemon's
/// does (its `Ledger` runs SQLite on the daemon's `BlockingPool`; `SQLiteLedgerTests` holds SQLite's real write
/// lock). Here the backend blocks on a semaphore in such a pool, and the routes must still answer: a router that
/// ran handlers' work on the cooperative pool, or awaited in a way that held a thread, would fail.
@Suite struct BlockingBackendTests {
    /// Acknowledgements block until `release()`, on the backend's own pool; status answers at once.
    final class BlockingBackend: DutyQueryBackend {
        let gate = DispatchSemaphore(value: 0)
        let entered = Atomic<Int>(0)
        let released = Atomic<Bool>(false)
        let pool: NIOThreadPool = {
            let pool = NIOThreadPool(numberOfThreads: 2 * ProcessInfo.processInfo.activeProcessorCount + 4)
            pool.start()
            return pool
        }()

        func release(_ count: Int) {
            released.store(true, ordering: .relaxed)
            for _ in 0..<count { gate.signal() }
        }

        func acknowledge(occurrenceID: String, request: AcknowledgeRequest, peer: Peer) async throws -> AcknowledgeResponse {
            entered.add(1, ordering: .relaxed)
            try await pool.runIfActive { [gate] in gate.wait() }
            return AcknowledgeResponse(occurrenceId: occurrenceID, person: "root", recorded: true, acknowledgements: 1)
        }
        func status() throws -> StatusReport { throw DutyQueryError(.unavailable, "not ready (test)") }
        func upcoming(_ query: UpcomingQuery) throws -> UpcomingPage {
            UpcomingPage(from: "a", to: "b", total: 0, offset: 0, limit: query.limit, nextOffset: nil, items: [])
        }
        func duties() throws -> DutyList { DutyList(duties: []) }
        func duty(id: String) throws -> DutyDetail { throw DutyQueryError(.notFound, "no duty") }
        func occurrence(id: String) throws -> OccurrenceDetail { throw DutyQueryError(.notFound, "no occurrence") }
        func overdue(_ query: UpcomingQuery) throws -> OverdueList { OverdueList(items: []) }
        func reload(peer: Peer) async throws -> ReloadResult { ReloadResult(ok: true, duties: 0, errors: []) }
        func metrics() throws -> String { "" }
    }

    @Test func moreBlockedAcknowledgementsThanCoresLeaveTheOtherRoutesAnswering() async throws {
        let backend = BlockingBackend()
        let harness = RouterHarness(backend: backend)
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 1
        // A safety valve on a Dispatch thread (not the cooperative pool, which a regression would fill): the
        // blocked calls go after 900 s whatever happens, so a failure fails below (`released`) instead of hanging.
        // Generous: on a 2-core CI machine the cooperative pool has two threads, and sync tests running in
        // parallel (live daemons polled with usleep) can hold both for minutes; a 120 s valve fired there first.
        DispatchQueue.global().asyncAfter(deadline: .now() + 900) { backend.release(blocked) }
        let acks = (0..<blocked).map { i in
            Task { try await harness.send(.post, "/v1/occurrences/visit-\(i)@1/ack").status }
        }
        // All of them inside the backend at once: on the cooperative pool only `cores` could be.
        let deadline = ContinuousClock.now.advanced(by: .seconds(600))
        while backend.entered.load(ordering: .relaxed) < blocked, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let entered = backend.entered.load(ordering: .relaxed)
        #expect(entered == blocked)

        // Meanwhile a plan query (in memory) and a ledger query (offloaded too) are answered.
        #expect(try await harness.send(.get, "/v1/upcoming?days=1").status == 200)
        #expect(try await harness.send(.get, "/v1/status").status == 503)
        let releasedEarly = backend.released.load(ordering: .relaxed)
        #expect(!releasedEarly, "the acknowledgements held the cooperative pool until the safety valve let them go")

        backend.release(blocked)
        for ack in acks { #expect(try await ack.value == 200) }
    }
}
