import ArgumentParser
import DutyAPI
import Foundation

/// `--socket PATH` (default `$DUTYD_SOCKET`, then /run/dutyd/dutyd.sock) and `--json`, shared by every command
/// that talks to the daemon. A failed call is reported through `ExitStatus.report(_:)` (69 when the daemon cannot
/// be reached, 77 when it refuses the caller, 1 for other errors).
struct ClientOptions: ParsableArguments {
    @Option(
        name: .customLong("socket"),
        help: ArgumentHelp(
            "The daemon's query socket.", discussion: "Default: $DUTYD_SOCKET, then \(DaemonClient.defaultSocket).",
            valueName: "path"),
        completion: .file())
    var socket: String?

    @Flag(help: "Print the daemon's JSON instead of a table.")
    var json = false

    var socketPath: String {
        if let socket { return socket }
        if let env = ProcessInfo.processInfo.environment["DUTYD_SOCKET"], !env.isEmpty { return env }
        return DaemonClient.defaultSocket
    }

    /// Sends a request and decodes a successful answer; prints the reason and exits otherwise.
    func call<T: Decodable>(_ type: T.Type, _ method: String, _ target: String, body: Data? = nil) throws -> T {
        let response = try send(method, target, body: body)
        do {
            return try APICoding.decode(type, from: response.body)
        } catch {
            Terminal.standardError.write("dutyctl: cannot read the daemon's answer: \(error)\n")
            throw ExitStatus.failure.exitCode
        }
    }

    /// Sends a request; returns a 2xx response, prints the reason and exits otherwise.
    func send(_ method: String, _ target: String, body: Data? = nil) throws -> DaemonClient.Response {
        let response: DaemonClient.Response
        do {
            response = try DaemonClient(path: socketPath).request(method, target, body: body)
        } catch {
            throw ExitStatus.report(error)
        }
        if let refusal = response.refusal { throw ExitStatus.report(refusal) }
        return response
    }

    /// Whether a daemon answers on the socket (connect only).
    var isDaemonReachable: Bool {
        (try? DaemonClient(path: socketPath, timeout: 5).request("GET", APICoding.prefix + "/status")) != nil
    }

    func printJSON<T: Encodable>(_ value: T) throws {
        Terminal.standardOutput.write(String(decoding: try APICoding.encode(value, pretty: true), as: UTF8.self) + "\n")
    }
}

extension DaemonClient.Response {
    /// The daemon's reason when it answered with an error status, nil for a 2xx answer.
    var refusal: DaemonRefusal? {
        guard !(200..<300).contains(status) else { return nil }
        let reason = (try? APICoding.decode(APIErrorBody.self, from: body))?.reason
            ?? String(decoding: body.prefix(200), as: UTF8.self)
        return DaemonRefusal(status: status, reason: reason)
    }
}

/// `2018-09-17T09:00:00+08:00` → `2018-09-17 09:00`.
func shortTime(_ iso: String) -> String {
    guard iso.count >= 16 else { return iso }
    return String(iso.prefix(16)).replacingOccurrences(of: "T", with: " ")
}

/// Percent-encodes a path segment (ids are ASCII, but `@` and others are kept safe).
func pathSegment(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~@")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}
