import Foundation

/// Whether a person's mail reminders of one kind are gathered into one message (a digest), and over which window.
///
/// Written in schedules as `digest = "instant"`, `"daily HH:MM"` or `"off"` (a `[[person]]` key, or a
/// `[[template]]` key for the duties it expands; templates default to `"instant"`). A person's own setting wins
/// over the template's.
///
/// - `instant`: reminders to the same person, of the same kind, firing at the same instant, through the same mail
///   route, become one mail (the cadre paired with four households gets one "visit due" mail, not four).
/// - `daily HH:MM`: the mail of every reminder firing after the previous `HH:MM` (local time of the duty's zone) and
///   up to this one waits until then, and those of one kind become one mail. The journal still records each
///   reminder when it fires.
/// - `off`: one mail per reminder.
///
/// The journal keeps one entry per reminder in every case, and the ledger one row per reminder and route.
public enum DigestPolicy: Sendable, Hashable, CustomStringConvertible {
    case off
    case instant
    case daily(hour: Int, minute: Int)

    /// Reads `off`, `instant` or `daily HH:MM` (00:00…23:59); nil for anything else.
    public init?(_ text: String) {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        switch words.count {
        case 1 where words[0] == "off": self = .off
        case 1 where words[0] == "instant": self = .instant
        case 2 where words[0] == "daily":
            let parts = words[1].split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
                let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
            else { return nil }
            self = .daily(hour: hour, minute: minute)
        default:
            return nil
        }
    }

    /// The canonical form (`off`, `instant`, `daily 08:00`); it reads back to the same value.
    public var description: String {
        switch self {
        case .off: "off"
        case .instant: "instant"
        case .daily(let hour, let minute):
            "daily \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
        }
    }

    /// The instant the mail of a reminder firing at `fireAt` goes out, or nil when digests are off: `fireAt` itself
    /// for `instant`, the first `HH:MM` at or after it (in `zone`) for `daily`. A local time skipped by a DST gap
    /// is taken at the same wall-clock offset after the gap (Foundation's `nextDate` rule).
    public func slot(for fireAt: Date, in zone: TimeZone) -> Date? {
        switch self {
        case .off: return nil
        case .instant: return fireAt
        case .daily(let hour, let minute):
            var calendar = Foundation.Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let parts = calendar.dateComponents([.hour, .minute, .second, .nanosecond], from: fireAt)
            if parts.hour == hour, parts.minute == minute, parts.second == 0, (parts.nanosecond ?? 0) == 0 { return fireAt }
            return calendar.nextDate(
                after: fireAt, matching: DateComponents(hour: hour, minute: minute, second: 0),
                matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward) ?? fireAt
        }
    }
}

extension DigestPolicy: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = DigestPolicy(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown digest \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Reminder {
    /// When this reminder's mail goes out (its digest slot), or nil when it is mailed on its own at `fireAt`.
    /// A notice of a change (moved, cancelled, added, snoozed) is never held for a digest: it goes out on its own.
    public var digestSlot: Date? {
        guard let digest, digest != .off, change == nil else { return nil }
        return digest.slot(for: fireAt, in: TimeZone(identifier: timeZoneIdentifier) ?? TimeZone(identifier: "UTC")!)
    }

    /// What a mail channel groups on: reminders with equal keys (and a digest slot) may share one message.
    public var digestGroup: DigestGroup? {
        guard let slot = digestSlot else { return nil }
        return DigestGroup(recipientID: recipient.id, kind: kind, slot: slot)
    }
}

/// The identity of a digest, less the route: one recipient, one kind, one slot.
public struct DigestGroup: Sendable, Hashable {
    public var recipientID: String
    public var kind: ReminderKind
    public var slot: Date

    public init(recipientID: String, kind: ReminderKind, slot: Date) {
        self.recipientID = recipientID
        self.kind = kind
        self.slot = slot
    }
}
