import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// MboxDeliverer run by a non-root user: the test binary re-runs itself as `nobody` through `runuser`, filtered to
/// this test, with `DUTYMAIL_NONROOT_SPOOL` set. The child delivers to its own account (allowed) and tries the
/// root account (refused, permanent), and exits non-zero if either goes the wrong way; the parent then reads the
/// spool with Python.
@Suite struct NonRootDeliveryTests {
    @Test func nonRootDeliversOnlyToItsOwnAccount() throws {
        if let spool = ProcessInfo.processInfo.environment["DUTYMAIL_NONROOT_SPOOL"] {
            try child(spool: spool)
            return
        }
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/sbin/runuser") else { return }
        let spool = try TestSupport.temporaryDirectory("dutymail-nonroot")
        defer { try? FileManager.default.removeItem(atPath: spool) }
        try #require(chown(spool, 65534, 65534) == 0 && chmod(spool, 0o755) == 0)
        let binary = CommandLine.arguments[0]
        let output = try TestSupport.run(
            "/sbin/runuser",
            ["-u", "nobody", "--", "/usr/bin/env", "DUTYMAIL_NONROOT_SPOOL=\(spool)", binary,
             "--testing-library", "swift-testing", "--filter", "nonRootDeliversOnlyToItsOwnAccount"])
        #expect(output.status == 0, "child failed:\n\(output.text.suffix(1500))\n\(output.stderr.suffix(500))")
        #expect(output.text.contains("nonroot-child: ok"), "the child did not run:\n\(output.text.suffix(800))")
        var st = stat()
        try #require(stat("\(spool)/nobody", &st) == 0)
        #expect(st.st_uid == 65534)
        #expect(!FileManager.default.fileExists(atPath: "\(spool)/root"))
        let parsed = try TestSupport.python("mbox", ["\(spool)/nobody"])
        #expect(parsed.map(\.subject) == ["非特权投递"])
    }

    private func child(spool: String) throws {
        let nobody = Recipient(id: "n", name: "n", account: "nobody", channel: .mbox(account: "nobody"))
        let root = Recipient(id: "r", name: "r", account: "root", channel: .mbox(account: "root"))
        let message = try TestSupport.composer.compose(
            TestSupport.reminder(title: "非特权投递", recipient: nobody), date: Date(timeIntervalSince1970: 1_796_002_233))
        let mbox = MboxDeliverer(spoolDirectory: spool, envelopeSender: "dutyd@vm")
        try mbox.deliver(message, to: nobody)
        do {
            try mbox.deliver(message, to: root)
            Issue.record("a non-root user delivered into root's mailbox")
        } catch {
            #expect(error.code == .permissionDenied && !error.isTemporary)
        }
        print("nonroot-child: ok")
    }
}
