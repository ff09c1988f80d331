import DutyCore

/// The `MESSAGE_ID`s of dutyd's journal entries, one per kind of event. Each was generated once with
/// `systemd-id128 new` and must never change: catalogs (`Units/dutyd.catalog`) and users' `journalctl
/// MESSAGE_ID=…` filters depend on them. Documented in docs/journal.md.
public enum DutyMessageID {
    public static let warning = "b465300be5bd48cf9029c6c26d0bd3aa"
    public static let due = "c8ef11574ca845e598cf40969ac09226"
    public static let overdue = "2584e2cc5aa340ff9eed6fea5bbce714"
    public static let interview = "c5cbeda30958442999cbd4870fb821c2"
    public static let escalation = "c4c5a0abd5ad4762b5ad11a9ce7e9c90"
    public static let missed = "73de4faf09724241a26dadd6faa99561"
    public static let bulletin = "5766c0bc61064af3a38485f54317d606"
    public static let digest = "d12983eccb8b41428726577a6d62d7b0"
    /// A change notice: an occurrence moved, restored or added.
    public static let changed = "ac81f301f10c4d978255d850e8a64c6c"
    /// A change notice: an occurrence cancelled.
    public static let cancelled = "eab9b6f70c7c43b0a697edbc6e7b6294"
    /// A reminder repeated for the person who snoozed it.
    public static let snoozed = "9f34e30f82e74bb18a6ec97ca6906ff6"
    /// An occurrence skipped by a pause.
    public static let skipped = "4d2779ae07ae42dc9b76c730a1e93c64"
    /// A schedule file failed to load or validate (generic entry, `JournalWriter.send(fields:)`).
    public static let scheduleError = "4c17156041ef43a8a02162286b87f3b2"
    /// Summary of reminders missed while the daemon was down (generic entry).
    public static let missedSummary = "8f07171783ae47b7a95e59809e71b953"

    /// The id of a reminder kind.
    public static func forKind(_ kind: ReminderKind) -> String {
        switch kind {
        case .warning: warning
        case .due: due
        case .overdue: overdue
        case .interview: interview
        case .escalation: escalation
        case .missed: missed
        case .bulletin: bulletin
        case .digest: digest
        case .changed: changed
        case .cancelled: cancelled
        case .snoozed: snoozed
        case .skipped: skipped
        }
    }

    /// Every id, for catalog checks.
    public static let all: [String] = [
        warning, due, overdue, interview, escalation, missed, bulletin, digest, scheduleError, missedSummary,
        changed, cancelled, snoozed, skipped,
    ]
}
