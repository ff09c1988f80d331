import DutyCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Appends messages to `SPOOL/<account>` mboxes the way Debian's MDAs do (Debian Policy §11.6; Postfix `local`,
/// exim `appendfile`, procmail):
///
/// 1. dot-lock `SPOOL/<account>.lock` with the link trick, stale after `staleLockAge`, bounded retries;
/// 2. `open(O_RDWR|O_APPEND|O_NOFOLLOW)`, or create it `O_EXCL` with mode 0660, owner `<account>:mail`;
/// 3. refuse anything but a regular file with one link owned by the account (symlinks, hard links, foreign
///    owners, FIFOs), and a path that changed between open and check;
/// 4. non-blocking `fcntl(F_OFD_SETLK, F_WRLCK)` (F_SETLK where OFD locks are missing), bounded retries;
/// 5. write the `From_` line (`From dutyd@host Mon Sep 17 09:00:00 2018`, UTC), the message with `>From `
///    quoting, and one empty line, in one buffer; `fsync`;
/// 6. on any error `ftruncate` back to the original size, so nothing is ever half-written;
/// 7. `futimens`: atime stays as it was, mtime is now, so readers (mutt, `MAILCHECK`, biff) see new mail.
///
/// Privileges: as root, any valid account can be delivered to (the mailbox is created `account:mail`). As a
/// non-root user only the caller's own account is allowed (`permissionDenied` otherwise); the mailbox is then
/// created with the caller's uid and group `mail` if the caller may set it, its own group otherwise.
/// The deliverer never ignores or handles signals: a daemon appending with a file-size limit must ignore
/// SIGXFSZ so that EFBIG is reported (and the mailbox truncated back) instead of the process being killed.
public struct MboxDeliverer: MailDeliverer {
    /// How body lines that look like mbox separators are protected.
    public enum FromQuoting: String, Sendable, Hashable, Codable {
        /// `From ` → `>From ` only (what Postfix, exim, procmail and Python write; Debian readers never un-quote).
        case mboxo
        /// `>*From ` → one more `>` (reversible for readers that un-quote).
        case mboxrd
    }

    public struct Configuration: Sendable, Hashable {
        public var lockAttempts: Int = 20
        /// Mean pause between lock attempts, seconds (randomised 50…150 %).
        public var lockRetryInterval: Double = 0.25
        /// A dot-lock older than this (seconds, by mtime) is broken. liblockfile: 300, Postfix: 500.
        public var staleLockAge: Double = 300
        /// How much of the end of the mailbox `alreadyDelivered` scans.
        public var tailScanBytes: Int = 256 * 1024
        public var fromQuoting: FromQuoting = .mboxo
        /// The group that owns new mailboxes (Debian: `mail`, mode 0660).
        public var mailGroup: String = "mail"
        public var mailboxMode: mode_t = 0o660
        /// A private spool (demos, tests, a per-user spool): mailboxes belong to the delivering process's own user
        /// and the account names need not be local users. Never for `/var/mail`.
        public var privateSpool: Bool = false

        public init() {}
    }

    public let spoolDirectory: String
    public let envelopeSender: String
    public var configuration: Configuration
    private let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - envelopeSender: the address of the `From_` line; `dutyd@<host name>` by default.
    ///   - clock: source of the `From_` time and of lock ages (tests inject it).
    public init(
        spoolDirectory: String = "/var/mail", envelopeSender: String? = nil, configuration: Configuration = .init(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.spoolDirectory = spoolDirectory
        let fallback = "dutyd@\(Posix.hostName())"
        if let envelopeSender, MailValidation.isValidAddress(envelopeSender) {
            self.envelopeSender = envelopeSender
        } else {
            self.envelopeSender = MailValidation.isValidAddress(fallback) ? fallback : "dutyd"
        }
        self.configuration = configuration
        self.clock = clock
    }

    /// The mailbox path of a recipient: `spool/<account>` from `.mbox(account:)`, else from `recipient.account`.
    public func mailboxPath(for recipient: Recipient, via channel: Recipient.Channel? = nil) throws(DeliveryError) -> String {
        let account: String
        switch channel ?? recipient.channels.first {
        case .mbox(let name): account = name
        default:
            guard let name = recipient.account else {
                throw DeliveryError(.invalidRecipient, temporary: false, "recipient \(recipient.id) has no account")
            }
            account = name
        }
        guard MailValidation.isValidAccount(account) else {
            throw DeliveryError(.invalidRecipient, temporary: false, "account \(account.debugDescription) is invalid")
        }
        return spoolDirectory + "/" + account
    }

    private func account(of path: String) -> String { String(path.split(separator: "/").last ?? "") }

    /// Removes the temporary dot-lock link files that mbox deliverers of this host left in the spool when they
    /// were killed while waiting for a lock, and breaks the dot-locks of holders that are gone (their pid names no
    /// process: a deliverer killed between its append and its unlock). dutyd calls it once at start; returns the
    /// count of files removed.
    @discardableResult
    public func sweepAbandonedLockFiles() -> Int {
        DotLock.sweepTemporaryFiles(in: spoolDirectory) + DotLock.breakDeadLocks(in: spoolDirectory)
    }

    public func deliver(_ message: MailMessage, to recipient: Recipient, via channel: Recipient.Channel?) throws(DeliveryError) {
        _ = try deliver(message, to: recipient, via: channel, gate: OpenLeaseGate())
    }

    /// The final check comes after both locks are taken and the message is prepared, immediately before the
    /// `write` that makes it visible to readers (assumption A2: nothing else between the check and the write).
    public func deliver(_ message: MailMessage, to recipient: Recipient, via channel: Recipient.Channel?, gate: any LeaseGate)
        throws(DeliveryError) -> Bool
    {
        let path = try mailboxPath(for: recipient, via: channel)
        let accountName = account(of: path)
        let user: Posix.User
        if configuration.privateSpool {
            user = Posix.User(name: accountName, uid: geteuid(), gid: getegid())
        } else if let known = Posix.user(named: accountName) {
            user = known
        } else {
            throw DeliveryError(.unknownUser, temporary: false, "no such user \(accountName)", path: path)
        }
        if geteuid() != 0 && user.uid != geteuid() && !Posix.hasEffectiveCapability(Posix.capChown) {
            throw DeliveryError(
                .permissionDenied, temporary: false, "only root or a holder of CAP_CHOWN may deliver to another user's mailbox",
                path: path)
        }
        let lock = try DotLock.acquire(
            path + ".lock",
            policy: .init(
                attempts: configuration.lockAttempts, retryInterval: configuration.lockRetryInterval,
                staleAge: configuration.staleLockAge),
            now: clock)
        defer { lock.release() }

        let fd = try openMailbox(path, user: user)
        defer { close(fd) }
        try lockFile(fd, path: path)

        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw DeliveryError(.ioError, temporary: true, "fstat failed", errno: errno, path: path)
        }
        let originalSize = st.st_size
        let originalTimes = [st.st_atim, st.st_mtim]

        var buffer: [UInt8] = []
        buffer.reserveCapacity(message.bytes.count + 128)
        buffer.append(contentsOf: separatorPrefix(fd, size: originalSize))
        buffer.append(contentsOf: fromLine())
        buffer.append(contentsOf: Self.quote(message.bytes, style: configuration.fromQuoting))
        if buffer.last != 0x0A { buffer.append(0x0A) }
        buffer.append(0x0A)

        guard var failure = gate.withPermit({ Posix.writeAll(fd, buffer) }) else { return false }
        var what = "appending the message failed"
        if failure == 0, fsync(fd) != 0 {
            failure = errno
            what = "fsync of the mailbox failed"
        }
        if failure != 0 {
            // Nothing half-written: back to the original size and times, durably.
            _ = ftruncate(fd, originalSize)
            _ = fsync(fd)
            originalTimes.withUnsafeBufferPointer { _ = futimens(fd, $0.baseAddress) }
            throw DeliveryError.writeFailure(failure, path: path, what)
        }
        // Keep atime, set mtime = now: "new mail" for readers that compare the two.
        let times = [originalTimes[0], timespec(tv_sec: 0, tv_nsec: Posix.UTIME_NOW)]
        times.withUnsafeBufferPointer { _ = futimens(fd, $0.baseAddress) }
        return true
    }

    public func alreadyDelivered(messageID: String, to recipient: Recipient, via channel: Recipient.Channel?) -> Bool {
        guard let path = try? mailboxPath(for: recipient, via: channel) else { return false }
        var fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | Posix.O_NOATIME)
        if fd < 0 && errno == EPERM { fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        let length = min(Int(st.st_size), max(0, configuration.tailScanBytes))
        var tail = [UInt8](repeating: 0, count: length)
        let got = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, st.st_size - off_t(length)) }
        // Put atime back in case O_NOATIME was not allowed.
        let times = [st.st_atim, timespec(tv_sec: 0, tv_nsec: Posix.UTIME_OMIT)]
        times.withUnsafeBufferPointer { _ = futimens(fd, $0.baseAddress) }
        guard got > 0 else { return false }
        return Self.containsMessageID(messageID, in: tail[..<got])
    }

    /// True when a header line `Message-ID: <id>` (name case-insensitive, optional white space) occurs in `bytes`.
    static func containsMessageID(_ messageID: String, in bytes: ArraySlice<UInt8>) -> Bool {
        let needle = Array(messageID.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        let name = Array("message-id:".utf8)
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                lineStart = index + 1
            } else if index == lineStart, bytes.endIndex - index >= name.count,
                zip(bytes[index..<index + name.count], name).allSatisfy({ lower($0) == $1 })
            {
                var cursor = index + name.count
                while cursor < bytes.endIndex, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 { cursor += 1 }
                if bytes.endIndex - cursor >= needle.count, bytes[cursor..<cursor + needle.count].elementsEqual(needle) {
                    return true
                }
            }
            index += 1
        }
        return false
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }

    /// `From <sender> <asctime UTC>\n`.
    func fromLine() -> [UInt8] {
        Array("From \(envelopeSender) \(MailDate.asctime(clock(), in: TimeZone(identifier: "UTC")!))\n".utf8)
    }

    /// Quotes lines that a reader would take for a message separator.
    static func quote(_ bytes: [UInt8], style: FromQuoting) -> [UInt8] {
        let from = Array("From ".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let line = bytes[lineStart..<min(lineEnd + 1, bytes.count)]
            var probe = line.startIndex
            if style == .mboxrd { while probe < line.endIndex && line[probe] == UInt8(ascii: ">") { probe += 1 } }
            if line[probe...].starts(with: from) { out.append(UInt8(ascii: ">")) }
            out.append(contentsOf: line)
            lineStart = lineEnd + 1
        }
        return out
    }

    /// What must precede the new `From_` line so that the previous message ends in an empty line.
    private func separatorPrefix(_ fd: Int32, size: off_t) -> [UInt8] {
        guard size > 0 else { return [] }
        var last: [UInt8] = [0, 0]
        let want = size >= 2 ? 2 : 1
        let got = last.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, size - off_t(want)) }
        guard got == want else { return [0x0A, 0x0A] }
        if want == 1 { return last[0] == 0x0A ? [0x0A] : [0x0A, 0x0A] }
        if last[0] == 0x0A && last[1] == 0x0A { return [] }
        return last[1] == 0x0A ? [0x0A] : [0x0A, 0x0A]
    }

    private func openMailbox(_ path: String, user: Posix.User) throws(DeliveryError) -> Int32 {
        let flags = O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK
        var fd = open(path, flags)
        if fd < 0 && errno == ENOENT {
            fd = open(path, flags | O_CREAT | O_EXCL, configuration.mailboxMode)
            if fd >= 0 {
                let group = Posix.groupID(named: configuration.mailGroup) ?? user.gid
                if fchown(fd, user.uid, group) != 0, fchown(fd, user.uid, user.gid) != 0, geteuid() == 0 {
                    let code = errno
                    close(fd)
                    unlink(path)
                    throw DeliveryError(.ioError, temporary: true, "cannot chown the new mailbox", errno: code, path: path)
                }
                _ = fchmod(fd, configuration.mailboxMode)
            } else if errno == EEXIST {
                fd = open(path, flags)  // created in between by another writer
            }
        }
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ELOOP:
                throw DeliveryError(.symlinkRefused, temporary: false, "the mailbox is a symbolic link", errno: code, path: path)
            case EACCES, EPERM:
                throw DeliveryError(.permissionDenied, temporary: false, "cannot open the mailbox", errno: code, path: path)
            case ENXIO, EISDIR:
                throw DeliveryError(.notARegularFile, temporary: false, "the mailbox is not a file", errno: code, path: path)
            default:
                throw DeliveryError.writeFailure(code, path: path, "cannot open the mailbox")
            }
        }
        var st = stat()
        var linkStat = stat()
        let problem: DeliveryError? =
            if fstat(fd, &st) != 0 {
                DeliveryError(.ioError, temporary: true, "fstat failed", errno: errno, path: path)
            } else if (st.st_mode & S_IFMT) != S_IFREG {
                DeliveryError(.notARegularFile, temporary: false, "the mailbox is not a regular file", path: path)
            } else if st.st_nlink != 1 {
                DeliveryError(.hardLinkRefused, temporary: false, "the mailbox has \(st.st_nlink) hard links", path: path)
            } else if st.st_uid != user.uid {
                DeliveryError(.ownerRefused, temporary: false, "the mailbox is owned by uid \(st.st_uid), not \(user.uid)", path: path)
            } else if lstat(path, &linkStat) != 0 || linkStat.st_ino != st.st_ino || linkStat.st_dev != st.st_dev {
                DeliveryError(.ioError, temporary: true, "the mailbox was replaced while opening it", path: path)
            } else {
                nil
            }
        if let problem {
            close(fd)
            throw problem
        }
        return fd
    }

    private func lockFile(_ fd: Int32, path: String) throws(DeliveryError) {
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = 0
        request.l_len = 0
        // Open-file-description locks (Linux 3.15+) conflict with the classic POSIX locks of MUAs and MDAs but are
        // not dropped when another thread of this process closes the same mailbox (alreadyDelivered, a second
        // delivery); fall back to F_SETLK where they are unknown.
        var command = Posix.F_OFD_SETLK
        for attempt in 0..<max(1, configuration.lockAttempts) {
            if fcntl(fd, command, &request) == 0 { return }
            let code = errno
            if code == EINVAL && command == Posix.F_OFD_SETLK {
                command = F_SETLK
                continue
            }
            guard code == EAGAIN || code == EACCES || code == EINTR else {
                throw DeliveryError(.ioError, temporary: true, "fcntl lock failed", errno: code, path: path)
            }
            if attempt + 1 < configuration.lockAttempts {
                Posix.sleep(seconds: configuration.lockRetryInterval * Double.random(in: 0.5...1.5))
            }
        }
        throw DeliveryError(.lockBusy, temporary: true, "the mailbox stayed fcntl-locked", errno: EAGAIN, path: path)
    }
}
