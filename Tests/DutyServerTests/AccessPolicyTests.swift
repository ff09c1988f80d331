import Foundation
import Testing

@testable import DutyServer

@Suite struct AccessPolicyTests {
    @Test func rootOwnerAndAdminGroupMayEverything() {
        let policy = AccessPolicy(readGroup: 100, adminGroup: 200, ownerUID: 999)
        #expect(policy.access(uid: 0, groups: []) == .admin)
        #expect(policy.access(uid: 999, groups: []) == .admin)
        #expect(policy.access(uid: 1000, groups: [200]) == .admin)
        #expect(policy.access(uid: 1000, groups: [100]) == .read)
        #expect(policy.access(uid: 1000, groups: [300]) == Peer.Access.none)
    }

    @Test func withoutReadGroupEveryoneWhoConnectsMayRead() {
        let policy = AccessPolicy(readGroup: nil, adminGroup: nil, ownerUID: 999)
        #expect(policy.access(uid: 1000, groups: []) == .read)
        #expect(policy.access(uid: 1000, groups: [200]) == .read)
    }

    /// The resolver's account name and groups agree with `id(1)`.
    @Test(arguments: ["nobody", "root", "daemon"])
    func resolverAgreesWithId(_ user: String) throws {
        func id(_ flag: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/id")
            process.arguments = [flag, user]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let uid = UInt32(try id("-u"))!
        let gid = UInt32(try id("-g"))!
        let groups = Set(try id("-G").split(separator: " ").compactMap { UInt32($0) })
        let (account, resolved) = PeerResolver.lookUp(uid: uid, gid: gid)
        #expect(account == user)
        #expect(resolved == groups)
        let peer = PeerResolver(policy: AccessPolicy(readGroup: gid, adminGroup: nil, ownerUID: 4_000_000)).peer(uid: uid, gid: gid, pid: 1)
        #expect(peer.access == (uid == 0 ? .admin : .read))
    }
}
