import DutyCore
import Foundation
import Synchronization

/// What the daemon tells systemd (`STATUS=`) and the query socket: next due duty, duty count, last reload.
final class DaemonStatus: Sendable {
    struct Snapshot: Sendable {
        var nextFire: Date?
        var nextTitle: String?
        var dutyCount = 0
        var now = Date(timeIntervalSince1970: 0)
        var lastReloadOK = true
        var lastReloadErrors: [String] = []
        var files: [String] = []
        var reloads = 0
        /// SHA-256 of the schedule files in effect (names and contents): instances sharing a ledger compare it.
        var scheduleDigest = ""
    }

    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    func update(nextFire: Date?, nextTitle: String?, dutyCount: Int, now: Date) {
        state.withLock {
            $0.nextFire = nextFire
            $0.nextTitle = nextTitle
            $0.dutyCount = dutyCount
            $0.now = now
        }
    }

    func reloaded(ok: Bool, errors: [String], files: [String], digest: String? = nil) {
        state.withLock {
            $0.lastReloadOK = ok
            $0.lastReloadErrors = errors
            $0.files = files
            $0.reloads += 1
            if let digest { $0.scheduleDigest = digest }
        }
    }

    /// `next: 东川区委双周例会 in 2d 3h; 1423 duties` (plus the last reload's failure, if any).
    func text() -> String {
        let s = snapshot
        var text: String
        if let next = s.nextFire {
            text = "next: \(s.nextTitle ?? "?") in \(TimeSpan(rounding: next.timeIntervalSince(s.now)).abbreviated); \(s.dutyCount) duties"
        } else {
            text = "nothing due; \(s.dutyCount) duties"
        }
        if !s.lastReloadOK { text += "; last reload failed (\(s.lastReloadErrors.count) errors), previous schedules kept" }
        return text
    }
}
