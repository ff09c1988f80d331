import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The process at the other end of the socket, from `SO_PEERCRED`, with what it may do.
public struct Peer: Sendable, Hashable {
    public enum Access: Int, Sendable, Hashable, Comparable {
        /// Not in the socket's group: nothing.
        case none = 0
        /// May read, and acknowledge its own duties.
        case read = 1
        /// Root, the daemon's own user and the admin group: everything.
        case admin = 2

        public static func < (lhs: Access, rhs: Access) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    /// The local account name of `uid` (nil when the uid has no passwd entry).
    public var account: String?
    public var access: Access

    public init(uid: UInt32, gid: UInt32, pid: Int32, account: String?, access: Access) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.account = account
        self.access = access
    }

    public var isAdmin: Bool { access == .admin }
}

/// Who may do what: reading is open to members of the socket's group (to everybody who can connect when no
/// group is set); root, the daemon's own user and members of the admin group may do everything.
public struct AccessPolicy: Sendable, Hashable {
    public var readGroup: UInt32?
    public var adminGroup: UInt32?
    public var ownerUID: UInt32

    public init(readGroup: UInt32?, adminGroup: UInt32?, ownerUID: UInt32 = UInt32(getuid())) {
        self.readGroup = readGroup
        self.adminGroup = adminGroup
        self.ownerUID = ownerUID
    }

    public func access(uid: UInt32, groups: Set<UInt32>) -> Peer.Access {
        if uid == 0 || uid == ownerUID { return .admin }
        if let adminGroup, groups.contains(adminGroup) { return .admin }
        if let readGroup { return groups.contains(readGroup) ? .read : .none }
        return .read
    }

    /// The gid of a group name or number.
    public static func groupID(_ nameOrNumber: String) -> UInt32? {
        if let n = UInt32(nameOrNumber) { return n }
        guard let entry = getgrnam(nameOrNumber) else { return nil }
        return entry.pointee.gr_gid
    }
}

/// Turns peer credentials into a `Peer`: account name and group list from NSS, cached per uid for a minute so
/// a busy client does not read /etc/group on every request.
public final class PeerResolver: Sendable {
    struct Entry {
        var account: String?
        var groups: Set<UInt32>
        var expires: ContinuousClock.Instant
    }

    public let policy: AccessPolicy
    private let cache = Mutex<[UInt32: Entry]>([:])
    private let lifetime: Duration

    public init(policy: AccessPolicy, lifetime: Duration = .seconds(60)) {
        self.policy = policy
        self.lifetime = lifetime
    }

    public func peer(uid: UInt32, gid: UInt32, pid: Int32) -> Peer {
        let now = ContinuousClock.now
        let cached = cache.withLock { cache -> Entry? in
            guard let entry = cache[uid], entry.expires > now else { return nil }
            return entry
        }
        let entry = cached ?? {
            let (account, groups) = Self.lookUp(uid: uid, gid: gid)
            let entry = Entry(account: account, groups: groups, expires: now + lifetime)
            cache.withLock {
                if $0.count > 4096 { $0.removeAll() }
                $0[uid] = entry
            }
            return entry
        }()
        var groups = entry.groups
        groups.insert(gid)
        return Peer(uid: uid, gid: gid, pid: pid, account: entry.account, access: policy.access(uid: uid, groups: groups))
    }

    /// Account name and groups (primary and supplementary) of a uid.
    static func lookUp(uid: UInt32, gid: UInt32) -> (String?, Set<UInt32>) {
        var record = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid_t(uid), &record, &buffer, buffer.count, &result) == 0, result != nil,
            let namePointer = record.pw_name
        else { return (nil, [gid]) }
        let name = String(cString: namePointer)
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(namePointer, record.pw_gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(namePointer, record.pw_gid, &groups, &count)
        }
        var set = Set(groups.prefix(Int(max(count, 0))).map { UInt32($0) })
        set.insert(gid)
        return (name, set)
    }
}
