import DutyAPI

/// Changes to the plan while it runs: move, cancel, restore, snooze, add, pause, resume. A backend without it
/// answers 404 for these endpoints.
///
/// The backend decides who may do what (the router only requires the socket's group): root and the admin group
/// may change any duty, a person may snooze their own reminders; every refusal is a `forbidden` error and is
/// written to the audit log. A change whose `if_revision` is not the occurrence's latest is a `conflict`.
public protocol DutyChangeBackend: Sendable {
    func move(occurrenceID: String, request: MoveRequest, peer: Peer) async throws -> ChangeResult
    func cancel(occurrenceID: String, request: ChangeRequest, peer: Peer) async throws -> ChangeResult
    func restore(occurrenceID: String, request: ChangeRequest, peer: Peer) async throws -> ChangeResult
    func snooze(occurrenceID: String, request: SnoozeRequest, peer: Peer) async throws -> ChangeResult
    /// An extra occurrence of a duty.
    func addOccurrence(dutyID: String, request: AddOccurrenceRequest, peer: Peer) async throws -> ChangeResult
    func pause(_ request: PauseRequest, peer: Peer) async throws -> ChangeResult
    func resume(_ request: PauseRequest, peer: Peer) async throws -> ChangeResult
    /// Every change (of one duty when given) and every pause with what it skips.
    func changes(duty: String?) async throws -> ChangeList
}
