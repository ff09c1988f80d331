import ArgumentParser
import DutyAPI
import DutyCore
import Foundation

/// `--changes daemon|FILE`: apply the changes to the plan (moves, cancels, extra occurrences, pauses) that the
/// daemon recorded, read from its socket or from a file of `dutyctl changes --json` (`GET /v1/changes`), to the
/// schedule files `agenda` and `export` read. Without it they show the plan as the files have it.
struct ChangeSourceOptions: ParsableArguments {
    @Option(
        name: .customLong("changes"),
        help: ArgumentHelp(
            "Apply the daemon's changes: 'daemon' (its socket) or a file of 'dutyctl changes --json'.",
            valueName: "daemon|file"))
    var source: String?

    @Option(
        name: .customLong("socket"),
        help: ArgumentHelp("The daemon's query socket for --changes daemon (default: $DUTYD_SOCKET, then \(DaemonClient.defaultSocket)).", valueName: "path"),
        completion: .file())
    var socket: String?

    /// The changes to apply (none without --changes).
    func load() throws -> OccurrenceChanges {
        guard let source else { return .none }
        let list: ChangeList
        if source == "daemon" {
            let path = socket ?? ProcessInfo.processInfo.environment["DUTYD_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
                ?? DaemonClient.defaultSocket
            let response: DaemonClient.Response
            do {
                response = try DaemonClient(path: path).request("GET", APICoding.prefix + "/changes")
            } catch {
                throw ExitStatus.report(error)
            }
            if let refusal = response.refusal { throw ExitStatus.report(refusal) }
            do {
                list = try APICoding.decode(ChangeList.self, from: response.body)
            } catch {
                Terminal.standardError.write("dutyctl: cannot read the daemon's answer: \(error)\n")
                throw ExitStatus.failure.exitCode
            }
        } else {
            guard let data = source == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: source)
            else {
                Terminal.standardError.write("dutyctl: cannot read \(source)\n")
                throw ExitStatus.failure.exitCode
            }
            do {
                list = try APICoding.decode(ChangeList.self, from: data)
            } catch {
                Terminal.standardError.write("dutyctl: \(source) is not the JSON of 'dutyctl changes --json': \(error)\n")
                throw ExitStatus.failure.exitCode
            }
        }
        var changes: [OccurrenceChange] = []
        for item in list.changes {
            guard let change = item.change else {
                Terminal.standardError.write("dutyctl: change \(item.id) cannot be read; left out\n")
                continue
            }
            changes.append(change)
        }
        return OccurrenceChanges(changes)
    }
}
