/// The body of every error response: a short machine-readable `error` (the HTTP reason in snake case, e.g.
/// `forbidden`, `not_found`, `bad_request`) and a human `reason`.
public struct APIErrorBody: Codable, Sendable, Hashable {
    public var error: String
    public var reason: String

    public init(error: String, reason: String) {
        self.error = error
        self.reason = reason
    }
}
