import DutyCore

/// The ledger rows the store tests write: `"journal"` is the journal's route, `"mail"` the reminder's first mail
/// channel (its route name, `mbox` for these reminders).
extension Array where Element == Reminder {
    func on(_ channel: String) -> [LedgerEntry] {
        map { LedgerEntry($0, route: route(channel, of: $0)) }
    }
}

func route(_ channel: String, of reminder: Reminder) -> DeliveryRoute {
    channel == "journal" ? .journal : .mail(reminder.recipient.channels[0])
}

/// The key of a row: `"mail"` stands for the `mbox` route of the test reminders.
func ledgerRow(_ key: String, _ channel: String) -> DeliveryKey {
    DeliveryKey(key: key, channel: channel == "mail" ? "mbox" : channel)
}
