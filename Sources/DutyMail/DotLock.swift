import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An NFS-safe dot-lock `PATH.lock` (Debian Policy §11.6, liblockfile, exim's "hitching post"): a unique temporary
/// file is linked to the lock name and the lock is ours when `link(2)` succeeds or the temporary file's link count
/// became 2 (a lost reply on NFS). A lock older than `staleAge` (by mtime) is broken. Attempts are bounded and
/// non-blocking, which is the deadlock-free variant the policy allows.
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
        let host = Posix.hostName().map { $0 == "/" || $0 == "." ? "_" : $0 }
        let stamp = Posix.realtime()
        let temporary = "\(path).\(String(host)).\(getpid()).\(Posix.nextSequence()).\(stamp.tv_sec)\(stamp.tv_nsec)"
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
                if age > policy.staleAge {
                    var again = stat()
                    if lstat(path, &again) == 0, again.st_ino == lockStat.st_ino, again.st_dev == lockStat.st_dev {
                        unlink(path)
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
