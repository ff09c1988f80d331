import DutyCore
import Foundation
import Testing

@testable import DutyMail

#if canImport(Glibc)
    import Glibc
#endif

/// At start-up dutyd breaks the dot-locks whose holder is gone (a deliverer killed between its append and its
/// unlock), and leaves every other lock alone: a live holder, a pid of 0 (`dotlockfile` without `-p`), text.
@Suite struct DotLockSweepTests {
    @Test func startUpBreaksOnlyLocksOfHoldersThatAreGone() throws {
        let dir = try TestSupport.temporaryDirectory("dutymail-locks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        try #require(kill(dead, 0) != 0)
        try "\(dead)\n".write(toFile: dir + "/gone.lock", atomically: false, encoding: .utf8)
        try "\(getpid())\n".write(toFile: dir + "/alive.lock", atomically: false, encoding: .utf8)
        try "0\n".write(toFile: dir + "/zero.lock", atomically: false, encoding: .utf8)
        try "held by a script\n".write(toFile: dir + "/text.lock", atomically: false, encoding: .utf8)
        try "\(dead)\n".write(toFile: dir + "/mailbox", atomically: false, encoding: .utf8)
        let deliverer = MboxDeliverer(spoolDirectory: dir)
        #expect(deliverer.sweepAbandonedLockFiles() == 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(left == ["alive.lock", "mailbox", "text.lock", "zero.lock"])
    }
}
