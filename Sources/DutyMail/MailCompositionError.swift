/// Why a message could not be composed. Composition errors are programming or configuration errors (a bad host
/// name, an account that is not a valid user name), never transient.
public struct MailCompositionError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case invalidHeader
        case invalidBody
        case invalidHostName
        case invalidAccount
        case invalidAddress
        case invalidTimeZone
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "mail composition failed (\(code.rawValue)): \(message)" }
}
