import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An NFS-safe dot-lock `PATH.lock` (Debian Policy §11.6, liblockfile, exim's "hitching post"): a unique temporary
/// file is linked to the lock name and the lock is ours when `link(2)` succeeds or the temporary file's link count
/// became 2 (a lost reply on NFS). A lock is broken when it is older than `staleAge` (by mtime) or, as liblockfile
/// does, when the pid written in it names no process (`kill(pid, 0)` fails with `ESRCH`): a holder killed with
/// SIGKILL would otherwise block the mailbox for `staleAge`. A pid of 0 (`dotlockfile` without `-p`) or one we may
/// not signal (`EPERM`: alive, another user's) keeps the lock. Attempts are bounded and non-blocking, which is the
/// deadlock-free variant the policy allows.
struct DotLock {
    struct Policy: Sendable, Hashable {
        var attempts: Int
        /// Mean pause between attempts; each pause is randomised to 50…150 % of it.
        var retryInterval: Double
        var staleAge: Double
    }

    let path: String
    private let device: UInt
    private let inode: UInt

    static func acquire(_ path: String, policy: Policy, now: () -> Date) throws(DeliveryError) -> DotLock {
        let host = localHost
        let stamp = Posix.realtime()
        let temporary = "\(path).\(host).\(getpid()).\(Posix.nextSequence()).\(stamp.tv_sec)\(stamp.tv_nsec)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o444)
        guard fd >= 0 else {
            let code = errno
            throw DeliveryError(
                code == EACCES || code == EPERM ? .permissionDenied : .ioError, temporary: true,
                "cannot create the lock's temporary file", errno: code, path: temporary)
        }
        _ = Posix.writeAll(fd, Array("\(getpid())\n".utf8))
        close(fd)
        defer { unlink(temporary) }

        for attempt in 0..<max(1, policy.attempts) {
            _ = link(temporary, path)
            var st = stat()
            if stat(temporary, &st) == 0, st.st_nlink == 2 {
                return DotLock(path: path, device: UInt(st.st_dev), inode: UInt(st.st_ino))
            }
            // Someone else holds it: break it when stale, otherwise wait a little.
            var lockStat = stat()
            if lstat(path, &lockStat) == 0 {
                let age = now().timeIntervalSince1970 - Double(lockStat.st_mtim.tv_sec)
                let holderGone = Self.holderIsGone(path)
                if age > policy.staleAge || holderGone {
                    var again = stat()
                    if lstat(path, &again) == 0, again.st_ino == lockStat.st_ino, again.st_dev == lockStat.st_dev {
                        unlink(path)
                    }
                    if holderGone {
                        Self.sweepTemporaryFiles(in: (path as NSString).deletingLastPathComponent, of: path, host: host)
                    }
                    continue
                }
            } else if errno == ENOENT {
                continue  // released in between: try at once
            }
            if attempt + 1 < policy.attempts {
                Posix.sleep(seconds: policy.retryInterval * Double.random(in: 0.5...1.5))
            }
        }
        throw DeliveryError(.lockBusy, temporary: true, "the dot-lock stayed taken", errno: EAGAIN, path: path)
    }

    /// Whether the lock names a pid that no longer exists. Only a short regular file holding a decimal pid counts;
    /// anything else (0, text, another user's live process) is left to the age rule.
    static func holderIsGone(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0, count < buffer.count else { return false }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text), pid > 1 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Removes the temporary link files (`PATH.lock.HOST.PID.…`) that waiters on this host left when they were
    /// killed, once their pid is gone: of one lock (`lockPath`) after its dead holder's lock was broken, or of every
    /// lock in the directory (`lockPath == nil`, once at start-up). Returns how many were removed.
    @discardableResult
    static func sweepTemporaryFiles(in directory: String, of lockPath: String? = nil, host: String = localHost) -> Int {
        let hostPart = ".lock." + host + "."
        let prefix = lockPath.map { ($0 as NSString).lastPathComponent + "." + host + "." }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        var removed = 0
        for name in names {
            let rest: Substring
            if let prefix {
                guard name.hasPrefix(prefix) else { continue }
                rest = name.dropFirst(prefix.count)
            } else {
                guard let range = name.range(of: hostPart) else { continue }
                rest = name[range.upperBound...]
            }
            guard let pidText = rest.split(separator: ".", maxSplits: 1).first, let pid = Int32(pidText), pid > 1,
                kill(pid, 0) != 0 && errno == ESRCH
            else { continue }
            if unlink(directory + "/" + name) == 0 { removed += 1 }
        }
        return removed
    }

    /// Breaks every dot-lock (`NAME.lock`, a regular file) in `directory` whose holder is gone (`holderIsGone`: the
    /// rule `acquire` applies to a lock it meets, applied once at start-up to all of them), so a mailbox whose
    /// holder was killed is not left locked until some delivery to it comes along. Returns how many were removed.
    @discardableResult
    static func breakDeadLocks(in directory: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        var removed = 0
        for name in names where name.hasSuffix(".lock") {
            let path = directory + "/" + name
            var before = stat()
            guard lstat(path, &before) == 0, (before.st_mode & S_IFMT) == S_IFREG, holderIsGone(path) else { continue }
            var again = stat()
            if lstat(path, &again) == 0, again.st_ino == before.st_ino, again.st_dev == before.st_dev, unlink(path) == 0 {
                removed += 1
            }
        }
        return removed
    }

    /// The host name as it appears in temporary file names (no `/` or `.`).
    static var localHost: String { String(Posix.hostName().map { $0 == "/" || $0 == "." ? "_" : $0 }) }

    private init(path: String, device: UInt, inode: UInt) {
        self.path = path
        self.device = device
        self.inode = inode
    }

    /// Removes the lock if it is still ours (someone may have broken it as stale).
    func release() {
        var st = stat()
        if lstat(path, &st) == 0, UInt(st.st_dev) == device, UInt(st.st_ino) == inode {
            unlink(path)
        }
    }
}
