import DutyCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Delivers into maildirs (cr.yp.to/proto/maildir.html): the message is written to `tmp/<unique>` (`O_EXCL`, 0600),
/// fsynced, linked to `new/<unique>` (never overwriting), the tmp name removed and both directories fsynced. No
/// locks, no `From_` line, no quoting. Unique names are `<seconds>.<pid>_<sequence>.<host>` (`/` and `:` in the
/// host escaped as `\057` and `\072`).
///
/// Where: `.maildir(path:)` — an absolute path as is, a relative one under `root`; other channels with an
/// account use `root/<account>`. Missing `tmp/`, `new/`, `cur/` are created 0700; as root, new directories and
/// files are given to the account's user when the recipient has one.
public struct MaildirDeliverer: MailDeliverer {
    public let root: String
    public let hostName: String
    private let clock: @Sendable () -> Date

    public init(root: String, hostName: String? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.root = root
        self.hostName = hostName ?? Posix.hostName()
        self.clock = clock
    }

    public func maildirPath(for recipient: Recipient, via channel: Recipient.Channel? = nil) throws(DeliveryError) -> String {
        let channel = channel ?? recipient.channels.first
        switch channel {
        case .maildir(let path):
            guard !path.isEmpty, !path.split(separator: "/").contains("..") else {
                throw DeliveryError(.invalidRecipient, temporary: false, "maildir path \(path.debugDescription) refused")
            }
            return path.hasPrefix("/") ? path : root + "/" + path
        default:
            let account: String? =
                if case .mbox(let name) = channel { name } else { recipient.account }
            guard let account, MailValidation.isValidAccount(account) else {
                throw DeliveryError(.invalidRecipient, temporary: false, "recipient \(recipient.id) has no valid account")
            }
            return root + "/" + account
        }
    }

    private var uniqueHost: String {
        hostName.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
    }

    public func deliver(_ message: MailMessage, to recipient: Recipient, via channel: Recipient.Channel?) throws(DeliveryError) {
        let maildir = try maildirPath(for: recipient, via: channel)
        var owner: Posix.User?
        if geteuid() == 0, let account = recipient.account, MailValidation.isValidAccount(account) {
            owner = Posix.user(named: account)
        }
        for sub in ["", "/tmp", "/new", "/cur"] {
            let dir = maildir + sub
            if mkdir(dir, 0o700) == 0 {
                if let owner { _ = chown(dir, owner.uid, owner.gid) }
            } else if errno != EEXIST {
                throw DeliveryError.writeFailure(errno, path: dir, "cannot create the maildir")
            }
            var st = stat()
            guard lstat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw DeliveryError(.notARegularFile, temporary: false, "not a directory (or a symlink)", path: dir)
            }
        }
        let bytes = message.bytes
        for _ in 0..<8 {
            let name = "\(Int64(clock().timeIntervalSince1970)).\(getpid())_\(Posix.nextSequence()).\(uniqueHost)"
            let tmpPath = maildir + "/tmp/" + name
            let newPath = maildir + "/new/" + name
            let fd = open(tmpPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw DeliveryError.writeFailure(errno, path: tmpPath, "cannot create the message file")
            }
            var failure = Posix.writeAll(fd, bytes)
            if failure == 0, fsync(fd) != 0 { failure = errno }
            if failure == 0, let owner { _ = fchown(fd, owner.uid, owner.gid) }
            if close(fd) != 0 && failure == 0 { failure = errno }
            if failure != 0 {
                unlink(tmpPath)
                throw DeliveryError.writeFailure(failure, path: tmpPath, "writing the message failed")
            }
            if link(tmpPath, newPath) != 0 {
                let code = errno
                if code == EEXIST {
                    unlink(tmpPath)
                    continue
                }
                // File systems without hard links: rename (the name is unique, nothing is overwritten).
                if code == EPERM || code == ENOTSUP, rename(tmpPath, newPath) == 0 {
                    syncDirectory(maildir + "/new")
                    syncDirectory(maildir + "/tmp")
                    return
                }
                unlink(tmpPath)
                throw DeliveryError.writeFailure(code, path: newPath, "cannot move the message into new/")
            }
            unlink(tmpPath)
            syncDirectory(maildir + "/new")
            syncDirectory(maildir + "/tmp")
            return
        }
        throw DeliveryError(.ioError, temporary: true, "no unique file name found", path: maildir)
    }

    public func alreadyDelivered(messageID: String, to recipient: Recipient, via channel: Recipient.Channel?) -> Bool {
        guard let maildir = try? maildirPath(for: recipient, via: channel) else { return false }
        for sub in ["/new", "/cur"] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: maildir + sub) else { continue }
            for name in names where !name.hasPrefix(".") {
                let fd = open(maildir + sub + "/" + name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
                guard fd >= 0 else { continue }
                var head = [UInt8](repeating: 0, count: 16 * 1024)
                let got = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                close(fd)
                guard got > 0 else { continue }
                // Only the header section counts.
                var end = got
                for index in 0..<max(0, got - 1) where head[index] == 0x0A && head[index + 1] == 0x0A {
                    end = index + 1
                    break
                }
                if MboxDeliverer.containsMessageID(messageID, in: head[..<end]) { return true }
            }
        }
        return false
    }

    private func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
