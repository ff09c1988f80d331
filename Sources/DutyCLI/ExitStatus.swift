import ArgumentParser
import DutyCore

/// dutyctl's exit statuses: the one list, which `dutyctl --help` prints (`helpText`) and the README and dutyctl(1)
/// repeat word for word. Commands throw; `ExitStatus(for:)` is the one mapping from an error to a status, and
/// `report(_:)` the one place that prints a failure and picks its status.
enum ExitStatus: Int32, CaseIterable, Sendable {
    /// Success.
    case success = 0
    /// Invalid input (a schedule error, a bad expression, an unknown id), a failed reload, or a request the
    /// daemon rejected with any status but 403.
    case failure = 1
    /// A usage error: an unknown option, a malformed option value (ArgumentParser's `ValidationError`).
    case usage = 64
    /// The daemon is not running or its socket cannot be opened.
    case unavailable = 69
    /// The daemon refused the caller (HTTP 403): not in the socket's group, not their duty, not an administrator.
    case permissionDenied = 77

    /// The words of the help text, the README and the man page.
    var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "invalid input (a schedule error, a bad expression, an unknown id), a failed reload or a request the daemon rejected"
        case .usage: "usage error"
        case .unavailable: "the daemon is not running or its socket cannot be opened"
        case .permissionDenied: "the daemon refused the caller (HTTP 403: not in the socket's group, not your duty, not an administrator)"
        }
    }

    /// `Exit codes: 0 success; 1 ...; 64 usage error; 69 ...; 77 ...`
    static var helpText: String {
        "Exit codes: " + allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ") + "."
    }

    var exitCode: ExitCode { ExitCode(rawValue) }

    /// The status an error stands for: the daemon unreachable 69, a 403 refusal 77, a usage error 64, an exit code
    /// as it is, anything else 1.
    init(for error: any Error) {
        switch error {
        case let error as ExitCode: self = ExitStatus(rawValue: error.rawValue) ?? .failure
        case let error as DaemonClient.ClientError:
            if case .unavailable = error { self = .unavailable } else { self = .failure }
        case let error as DaemonRefusal: self = error.status == 403 ? .permissionDenied : .failure
        case is ValidationError: self = .usage
        default: self = .failure
        }
    }

    /// Prints `dutyctl: <error>` on standard error and returns the exit code to throw.
    static func report(_ error: any Error) -> ExitCode {
        Terminal.standardError.write("dutyctl: \(error)\n")
        return ExitStatus(for: error).exitCode
    }
}

/// The daemon answered a request with an error status; `reason` is its `{"reason"}` (or the start of the body).
struct DaemonRefusal: Error, CustomStringConvertible {
    var status: Int
    var reason: String

    var description: String { "\(reason) (HTTP \(status))" }
}
