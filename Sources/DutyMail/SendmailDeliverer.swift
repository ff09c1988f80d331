import DutyCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Hands messages to the MTA: `sendmail -i -f SENDER [extra…] -- RECIPIENT`, the message on stdin.
///
/// Never `-t`: recipients come from the validated command line, not from headers, so a header injection could
/// never become a recipient injection. The child gets a fixed `PATH`, default signal dispositions, its own process
/// group and a socket as stdin (written with `MSG_NOSIGNAL`, so an MTA that exits early cannot kill dutyd with
/// SIGPIPE). Exit 0 is success, 75 (EX_TEMPFAIL), 71–74, exim's "insufficient disk space" (`isTemporary`) or death by
/// a signal a temporary error, any other status a permanent one. When `timeout` passes, the whole process group is
/// killed and the error is temporary.
///
/// `alreadyDelivered` is always false: once the MTA accepted a message, deduplication is its business.
public struct SendmailDeliverer: MailDeliverer {
    public let path: String
    public let sender: String
    public let timeout: Double
    /// Placed before `--`, e.g. `["-odi"]` to make exim deliver before it exits.
    public let extraArguments: [String]

    public init(path: String = "/usr/sbin/sendmail", sender: String, timeout: Double = 60, extraArguments: [String] = []) {
        self.path = path
        self.sender = sender
        self.timeout = timeout
        self.extraArguments = extraArguments
    }

    /// The address given to sendmail: `.sendmail(address:)`, else the local account.
    public func address(of recipient: Recipient, via channel: Recipient.Channel? = nil) throws(DeliveryError) -> String {
        let address: String? =
            switch channel ?? recipient.channels.first {
            case .sendmail(let address): address
            case .mbox(let account): account
            default: recipient.account
            }
        guard let address, MailValidation.isValidAddress(address) else {
            throw DeliveryError(.invalidRecipient, temporary: false, "recipient \(recipient.id) has no valid address")
        }
        return address
    }

    public func alreadyDelivered(messageID: String, to recipient: Recipient, via channel: Recipient.Channel?) -> Bool { false }

    public func deliver(_ message: MailMessage, to recipient: Recipient, via channel: Recipient.Channel?) throws(DeliveryError) {
        let address = try address(of: recipient, via: channel)
        guard MailValidation.isValidAddress(sender) else {
            throw DeliveryError(.invalidRecipient, temporary: false, "envelope sender \(sender.debugDescription) is invalid")
        }
        let arguments = [path, "-i", "-f", sender] + extraArguments + ["--", address]
        let result = try Self.run(arguments, input: message.bytes, timeout: timeout)
        switch result.status {
        case .exited(0):
            if !result.inputComplete {
                throw DeliveryError(
                    .mtaTemporaryFailure, temporary: true, "sendmail exited before reading the whole message", path: path)
            }
        case .exited(let code) where Self.isTemporary(exitCode: code, output: result.output):
            throw DeliveryError(
                .mtaTemporaryFailure, temporary: true, "sendmail exited with \(code) (temporary): \(result.output)", path: path)
        case .exited(let code):
            throw DeliveryError(.mtaFailure, temporary: false, "sendmail exited with \(code): \(result.output)", path: path)
        case .signaled(let signal):
            throw DeliveryError(.mtaTemporaryFailure, temporary: true, "sendmail killed by signal \(signal)", path: path)
        case .timedOut:
            throw DeliveryError(.mtaTimeout, temporary: true, "sendmail did not finish within \(timeout) s", path: path)
        }
    }

    /// Whether a sendmail exit status means "try again later". sysexits(3): EX_TEMPFAIL (75), and the operating
    /// system conditions EX_OSERR (71), EX_OSFILE (72), EX_CANTCREAT (73), EX_IOERR (74), which Postfix's sendmail
    /// uses for a queue it cannot write. Exim's sendmail exits with 1 for everything it refuses, a full spool
    /// partition too ("exim: insufficient disk space", checked with `check_spool_space`, docs/mail.md): exit 1
    /// with one of the diagnostics below is temporary as well. Anything else is permanent.
    static func isTemporary(exitCode code: Int32, output: String) -> Bool {
        if (71...75).contains(code) { return true }
        guard code == 1 else { return false }
        let text = output.lowercased()
        return temporaryDiagnostics.contains { text.contains($0) }
    }

    static let temporaryDiagnostics = [
        "insufficient disk space", "no space left on device", "disk quota exceeded", "resource temporarily unavailable",
        "try again later", "temporarily", "too many open files", "cannot allocate memory",
    ]

    enum Status: Equatable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
    }

    struct RunResult {
        var status: Status
        var output: String
        var inputComplete: Bool
    }

    /// The shell that runs sendmail and reports its exit status on fd 3. The status comes through a pipe rather than
    /// from `waitpid`, because another part of the process (Foundation's `Process`, in tests) may reap children of
    /// this process; sendmail is the shell's child, so nobody but the shell can reap it.
    static let reporter = "\"$0\" \"$@\" 3>&-; echo \"dutyd-status:$?\" >&3"

    /// Runs `arguments[0]` with `input` on a socket stdin, collecting at most 8 KiB of stdout+stderr, killing the
    /// process group after `timeout` seconds.
    static func run(_ arguments: [String], input: [UInt8], timeout: Double) throws(DeliveryError) -> RunResult {
        guard access(arguments[0], X_OK) == 0 else {
            throw DeliveryError(.mtaUnavailable, temporary: false, "cannot start \(arguments[0])", errno: errno)
        }
        var statusFDs: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &statusFDs) == 0 else {
            throw DeliveryError(.mtaUnavailable, temporary: true, "socketpair failed", errno: errno)
        }
        defer { close(statusFDs[0]) }
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw DeliveryError(.mtaUnavailable, temporary: true, "socketpair failed", errno: errno)
        }
        var pipeFDs: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pipeFDs) == 0 else {
            let code = errno
            close(sockets[0]); close(sockets[1])
            throw DeliveryError(.mtaUnavailable, temporary: true, "pipe failed", errno: code)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, sockets[1], 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        posix_spawn_file_actions_adddup2(&actions, statusFDs[1], 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGXFSZ, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGALRM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = (["/bin/sh", "-c", reporter] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = (["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"] as [String]).map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        close(sockets[1])
        close(pipeFDs[1])
        close(statusFDs[1])
        guard spawned == 0 else {
            close(sockets[0]); close(pipeFDs[0])
            throw DeliveryError(.mtaUnavailable, temporary: false, "cannot start \(arguments[0])", errno: spawned)
        }

        let input_ = sockets[0]
        let output = pipeFDs[0]
        _ = fcntl(input_, F_SETFL, fcntl(input_, F_GETFL) | O_NONBLOCK)
        _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
        var inputOpen = true
        var outputOpen = true
        var written = 0
        var collected: [UInt8] = []
        var status: Status?
        var statusOpen = true
        var statusText: [UInt8] = []
        let statusFD = statusFDs[0]
        _ = fcntl(statusFD, F_SETFL, fcntl(statusFD, F_GETFL) | O_NONBLOCK)
        let deadline = monotonicSeconds() + timeout

        func closeInput() {
            if inputOpen {
                close(input_)
                inputOpen = false
            }
        }
        while status == nil {
            if inputOpen && written >= input.count { closeInput() }
            var polls: [pollfd] = []
            if inputOpen { polls.append(pollfd(fd: input_, events: Int16(POLLOUT), revents: 0)) }
            if outputOpen { polls.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
            if statusOpen { polls.append(pollfd(fd: statusFD, events: Int16(POLLIN), revents: 0)) }
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                status = .timedOut
                break
            }
            let wait = Int32(min(remaining, 0.02) * 1000) + 1
            _ = poll(&polls, nfds_t(polls.count), polls.isEmpty ? wait : wait)
            if inputOpen {
                let sent = input.withUnsafeBytes { raw in
                    send(input_, raw.baseAddress! + written, input.count - written, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                }
                if sent > 0 {
                    written += sent
                } else if sent < 0 && errno != EAGAIN && errno != EINTR {
                    closeInput()  // EPIPE: the MTA stopped reading
                }
            }
            if outputOpen {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let got = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if got > 0 {
                    if collected.count < 8192 { collected += buffer[..<min(got, 8192 - collected.count)] }
                } else if got == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(output)
                    outputOpen = false
                }
            }
            if statusOpen {
                var buffer = [UInt8](repeating: 0, count: 64)
                let got = buffer.withUnsafeMutableBytes { read(statusFD, $0.baseAddress, $0.count) }
                if got > 0 {
                    if statusText.count < 64 { statusText += buffer[..<got] }
                } else if got == 0 || (errno != EAGAIN && errno != EINTR) {
                    statusOpen = false
                }
            }
            if !statusOpen && !outputOpen {
                // The shell is done: its report says how sendmail ended; no report means the shell itself was
                // killed. Reap the shell if nobody else has.
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                status = Self.status(from: statusText)
            }
        }
        closeInput()
        if outputOpen { close(output) }
        let text = String(decoding: collected, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return RunResult(status: status ?? .timedOut, output: text, inputComplete: written >= input.count)
    }

    /// `dutyd-status:N`: N < 128 is an exit code, 128 + S the signal S (as the shell reports it).
    static func status(from report: [UInt8]) -> Status {
        let text = String(decoding: report, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("dutyd-status:"), let code = Int32(text.dropFirst("dutyd-status:".count)) else {
            return .signaled(SIGKILL)
        }
        return code > 128 ? .signaled(code - 128) : .exited(code)
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
