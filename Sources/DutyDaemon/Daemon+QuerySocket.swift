import DutyServer
import Foundation
import DutyCore
import Logging

extension Daemon {
    /// The query socket service: the socket systemd passed (named `query`, or the only one), else the configured
    /// path, bound with mode 0660 and the configured group.
    func makeQueryServer(
        publication: PlanPublication, inbox: SchedulerInbox, status: DaemonStatus, ledger: any Ledger,
        clock: any DaemonClock, triggers: TriggerEngine, leadership: any Leadership
    ) throws -> QueryServer {
        let sockets = SystemdNotifier.listenedSockets()
        let inherited = sockets.first { $0.name == "query" } ?? (sockets.count == 1 ? sockets.first : nil)
        let listener: QueryServerConfiguration.Listener
        let path: String
        if let inherited {
            path = QueryServer.boundPath(fd: inherited.fd) ?? "fd \(inherited.fd)"
            listener = .inherited(fd: inherited.fd, path: QueryServer.boundPath(fd: inherited.fd))
        } else {
            path = configuration.socketPath
            listener = .path(path)
        }
        var server = QueryServerConfiguration(listener: listener)
        if let group = configuration.socketGroup {
            guard let gid = AccessPolicy.groupID(group) else { throw StartError.socket(path, "unknown group '\(group)'") }
            server.socketGroup = gid
        }
        if let group = configuration.adminGroup {
            guard let gid = AccessPolicy.groupID(group) else { throw StartError.socket(path, "unknown admin group '\(group)'") }
            server.adminGroup = gid
        }
        let backend = DaemonBackend(
            publication: publication, inbox: inbox, status: status, ledger: ledger, clock: clock,
            configuration: configuration, triggers: triggers, socketPath: path, socketActivated: inherited != nil,
            leadership: leadership)
        return QueryServer(configuration: server, backend: backend, logger: Logger(label: "dutyd.socket"))
    }
}
