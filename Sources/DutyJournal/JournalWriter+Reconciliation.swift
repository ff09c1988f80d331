import CSystemd
import Foundation
import Glibc

/// Reading back: did an entry for this reminder reach the journal? Used to reconcile ledger rows left in
/// `delivering` by a crash between `sd_journal_sendv` and `markDelivered`.
///
/// Semantics: `send` returning means the datagram is queued on journald's socket, not yet stored. journald
/// normally stores it within milliseconds, but a query right after a send may not see it. So a `false` from
/// `contains` a short while after the crash means "not stored", which is the normal case for reconciliation at
/// start-up (the daemon restarted, seconds passed); tests use `waitUntilVisible` instead of sleeping.
///
/// Reading needs permission to read the journal files: root, or membership in the `systemd-journal` group (or
/// `adm` on Debian).
extension JournalWriter {
    /// Whether the journal has an entry of this writer's identifier with `DUTY_KEY=key` at or after `since`.
    /// Returns false when the journal cannot be read (the caller then redelivers: duplicate rather than lost).
    public func contains(key: String, since: Date) -> Bool {
        (try? lookup(key: key, since: since)) ?? false
    }

    /// Like `contains(key:since:)`, but reports why the journal could not be read.
    public func lookup(key: String, since: Date) throws(JournalError) -> Bool {
        let query = try JournalQuery(identifier: identifier, key: key, since: since, ledgerID: ledgerID, ownUID: true)
        defer { query.close() }
        return try query.next()
    }

    /// Whether the journal files in `directory` (a systemd-journal-remote collector's) hold an entry of this
    /// writer's identifier and ledger with `DUTY_KEY=key`, from any host.
    public func lookup(key: String, inDirectory directory: String) throws(JournalError) -> Bool {
        let query = try JournalQuery(identifier: identifier, key: key, since: Date(timeIntervalSince1970: 0), ledgerID: ledgerID, directory: directory)
        defer { query.close() }
        return try query.next()
    }

    /// Waits (on journal change notifications, no polling) until an entry with `DUTY_KEY=key` is visible, at
    /// most `timeout`. For tests: production code reconciles with `contains(key:since:)`.
    public func waitUntilVisible(key: String, since: Date, timeout: Duration = .seconds(5)) throws(JournalError)
        -> Bool
    {
        let deadline = ContinuousClock.now + timeout
        let query = try JournalQuery(identifier: identifier, key: key, since: since)
        defer { query.close() }
        while true {
            if try query.next() { return true }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return false }
            let parts = remaining.components
            let usec = UInt64(parts.seconds) * 1_000_000 + UInt64(parts.attoseconds / 1_000_000_000_000)
            try query.wait(microseconds: max(usec, 1))
        }
    }
}

/// A matched, positioned `sd_journal` handle.
private struct JournalQuery {
    let handle: OpaquePointer

    /// - Parameters:
    ///   - ledgerID: match `DUTY_LEDGER` too.
    ///   - ownUID: match journald's trusted `_UID` against this process's uid.
    init(
        identifier: String, key: String, since: Date, ledgerID: String? = nil, ownUID: Bool = false, directory: String? = nil
    ) throws(JournalError) {
        var journal: OpaquePointer?
        let opened =
            directory.map { sd_journal_open_directory(&journal, $0, 0) } ?? sd_journal_open(&journal, Int32(SD_JOURNAL_LOCAL_ONLY))
        guard opened >= 0, let journal else {
            throw JournalError(code: .openFailed, message: "open journal", errno: -opened)
        }
        handle = journal
        var matches = ["SYSLOG_IDENTIFIER=\(identifier)", "DUTY_KEY=\(key)"]
        if let ledgerID { matches.append("DUTY_LEDGER=\(ledgerID)") }
        if ownUID { matches.append("_UID=\(getuid())") }
        for match in matches {
            let bytes = Array(match.utf8)
            let r = bytes.withUnsafeBytes { sd_journal_add_match(journal, $0.baseAddress, $0.count) }
            if r < 0 {
                sd_journal_close(journal)
                throw JournalError(code: .queryFailed, message: "add journal match", errno: -r)
            }
        }
        let usec = since.timeIntervalSince1970 <= 0 ? 0 : UInt64(since.timeIntervalSince1970 * 1_000_000)
        let r = sd_journal_seek_realtime_usec(journal, usec)
        if r < 0 {
            sd_journal_close(journal)
            throw JournalError(code: .queryFailed, message: "seek journal", errno: -r)
        }
    }

    /// Advances to the next matching entry; true if there is one.
    func next() throws(JournalError) -> Bool {
        let r = sd_journal_next(handle)
        if r < 0 { throw JournalError(code: .queryFailed, message: "read journal", errno: -r) }
        return r > 0
    }

    func wait(microseconds: UInt64) throws(JournalError) {
        let r = sd_journal_wait(handle, microseconds)
        if r < 0 { throw JournalError(code: .queryFailed, message: "wait for journal", errno: -r) }
    }

    func close() { sd_journal_close(handle) }
}
