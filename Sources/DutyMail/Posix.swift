import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Thin POSIX helpers shared by the deliverers.
enum Posix {
    // Not imported from glibc headers as Swift constants (macros or behind _GNU_SOURCE).
    static let O_NOATIME: Int32 = 0o1000000
    static let F_OFD_SETLK: Int32 = 37
    static let UTIME_NOW: Int = (1 << 30) - 1
    static let UTIME_OMIT: Int = (1 << 30) - 2

    struct User {
        var name: String
        var uid: uid_t
        var gid: gid_t
    }

    static func user(named name: String) -> User? {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let rc = getpwnam_r(name, &pw, &buffer, buffer.count, &result)
        guard rc == 0, result != nil else { return nil }
        return User(name: name, uid: pw.pw_uid, gid: pw.pw_gid)
    }

    /// CAP_CHOWN (capability.h): enough to hand a new mailbox to its owner, which is what a non-root
    /// `dutyd.service` (User=dutyd, AmbientCapabilities=CAP_CHOWN) holds instead of root.
    static let capChown = 0

    /// Whether the calling thread has `capability` in its effective set (`CapEff:` of /proc/self/status,
    /// readable under ProtectProc=invisible and ProcSubset=pid). False when it cannot be read.
    static func hasEffectiveCapability(_ capability: Int) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return false }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            guard let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
            else { return false }
            return mask & (1 << UInt64(capability)) != 0
        }
        return false
    }

    static func groupID(named name: String) -> gid_t? {
        var gr = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let rc = getgrnam_r(name, &gr, &buffer, buffer.count, &result)
        guard rc == 0, result != nil else { return nil }
        return gr.gr_gid
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// Writes all bytes, looping over short writes and EINTR; returns 0 or an errno.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if written == 0 { return EIO }
            offset += written
        }
        return 0
    }

    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    static func realtime() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }

    /// Process-wide sequence for unique file names.
    private static let counter = Mutex<UInt64>(0)
    static func nextSequence() -> UInt64 {
        counter.withLock { value in
            value += 1
            return value
        }
    }
}
