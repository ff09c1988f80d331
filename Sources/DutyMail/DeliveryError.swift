#if canImport(Glibc)
    import Glibc
#endif

/// Why a delivery failed, and whether trying again later can help.
///
/// `isTemporary` is the one bit the scheduler acts on: temporary errors (lock busy, disk full, quota, MTA
/// EX_TEMPFAIL or timeout) are retried with back-off; permanent ones (unknown user, a mailbox that is a symlink,
/// hard-linked or owned by someone else, an MTA refusal) are logged once and the reminder is marked failed.
public struct DeliveryError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The dot-lock or the fcntl lock stayed taken for all attempts.
        case lockBusy
        /// ENOSPC, EDQUOT or EFBIG while appending; the mailbox was truncated back.
        case mailboxFull
        /// Another I/O error; the mailbox was truncated back when it had been touched.
        case ioError
        case symlinkRefused
        case hardLinkRefused
        case ownerRefused
        case notARegularFile
        case unknownUser
        case invalidRecipient
        case permissionDenied
        /// sendmail exited with EX_TEMPFAIL (75) or was killed by a signal.
        case mtaTemporaryFailure
        /// sendmail exited with another non-zero status.
        case mtaFailure
        /// sendmail did not finish in time and was killed.
        case mtaTimeout
        /// sendmail could not be started.
        case mtaUnavailable
    }

    public var code: Code
    public var isTemporary: Bool
    public var message: String
    /// The errno behind the failure, when there is one.
    public var errno: Int32?
    public var path: String?
    public var file: String
    public var line: Int

    public init(
        _ code: Code, temporary: Bool, _ message: String, errno: Int32? = nil, path: String? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.isTemporary = temporary
        self.message = message
        self.errno = errno
        self.path = path
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "\(isTemporary ? "temporary" : "permanent") delivery error (\(code.rawValue)): \(message)"
        if let path { text += " [\(path)]" }
        if let errno { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        return text
    }

    /// Classifies a failed write/fsync errno: full disks and quotas are temporary, as is everything else that the
    /// truncate-back made harmless.
    static func writeFailure(_ code: Int32, path: String, _ what: String) -> DeliveryError {
        let full = code == ENOSPC || code == EDQUOT || code == EFBIG
        return DeliveryError(full ? .mailboxFull : .ioError, temporary: true, what, errno: code, path: path)
    }
}
