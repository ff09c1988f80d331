import DutyCore

/// One problem found in the schedules, rendered compiler-style: `file:line:column: error: message`.
public struct ScheduleDiagnostic: Sendable, Hashable, CustomStringConvertible, Error {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case warning
        case error

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
    }

    public var location: SourceLocation
    public var severity: Severity
    public var message: String

    public init(_ severity: Severity, _ message: String, at location: SourceLocation) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// All problems of one load. Thrown by `ScheduleLoader.load()` when any of them is an error.
public struct ScheduleLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ScheduleDiagnostic]

    public init(diagnostics: [ScheduleDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [ScheduleDiagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
