import Foundation
import Testing

@testable import DutyCore

/// The delivery policies that are pure decisions: retry back-off, when the scheduler wakes, when retention
/// runs and what it may delete, and the priority and fallback rules of reminders. Vectors are data
/// (Vectors/delivery-policy.json), each with an id.
@Suite struct DeliveryPolicyTests {
    struct Vectors: Decodable {
        struct Retry: Decodable, CustomTestStringConvertible {
            var id: String
            var initial: Double
            var maximum: Double
            var attempt: Int
            var hint: Double?
            var delay: Double
            var testDescription: String { id }
        }
        struct WakeUpCase: Decodable, CustomTestStringConvertible {
            var id: String
            var now: Double
            var plan: Double?
            var retention: Double?
            var nextDue: Double?
            var backlog: Bool?
            var expected: Double?
            var testDescription: String { id }
        }
        struct PassDue: Decodable, CustomTestStringConvertible {
            var id: String
            var now: Double
            var next: Double?
            var due: Bool
            var testDescription: String { id }
        }
        var retry: [Retry]
        var wakeUp: [WakeUpCase]
        var retentionPassDue: [PassDue]
    }

    static let vectors: Vectors = {
        let url = Bundle.module.url(forResource: "delivery-policy", withExtension: "json", subdirectory: "Vectors")!
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    static func date(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }

    @Test(arguments: vectors.retry)
    func retryDelay(_ v: Vectors.Retry) {
        let policy = RetryPolicy(initialDelay: v.initial, maximumDelay: v.maximum)
        let hint = v.hint.map { Duration.seconds($0) }
        #expect(policy.delay(afterAttempt: v.attempt, hint: hint) == v.delay)
        let now = Date(timeIntervalSince1970: 1_537_146_000)
        #expect(policy.retryAt(now: now, afterAttempt: v.attempt, hint: hint) == now.addingTimeInterval(v.delay))
    }

    @Test(arguments: vectors.wakeUp)
    func wakeUp(_ v: Vectors.WakeUpCase) {
        let next = WakeUp.next(
            now: Date(timeIntervalSince1970: v.now), plan: Self.date(v.plan), backlog: v.backlog ?? false,
            retention: Self.date(v.retention), nextDue: Self.date(v.nextDue))
        #expect(next == Self.date(v.expected))
        if let next { #expect(next >= Date(timeIntervalSince1970: v.now)) }
    }

    @Test(arguments: vectors.retentionPassDue)
    func retentionPassDue(_ v: Vectors.PassDue) {
        #expect(RetentionPolicy.isPassDue(now: Date(timeIntervalSince1970: v.now), next: Self.date(v.next)) == v.due)
    }

    // MARK: - Retention policy

    static let zone = TimeZone(identifier: "Asia/Chongqing")!
    static let day: TimeInterval = 86_400

    static func duty(_ id: String, ack: Bool, grace: TimeInterval = 86_400, escalation: [String] = []) -> Duty {
        Duty(
            id: id, title: id, recurrence: .once(Date(timeIntervalSince1970: 1_537_146_000)), timeZone: zone,
            needsAcknowledgement: ack, grace: grace, escalation: escalation, location: SourceLocation(file: "t.toml"))
    }

    /// Cutoff: `now - retention`, but never after the horizon minus the catch-up window. Open occurrences reach
    /// back the overdue look-back plus the longest overdue trail of the duties that need acknowledgement.
    @Test func retentionCutoffAndOpenOccurrences() {
        let now = Date(timeIntervalSince1970: 1_600_000_000)
        let duties = [
            Self.duty("meeting", ack: true, grace: 2 * Self.day, escalation: ["a", "b"]),  // trail 6 days
            Self.duty("visit", ack: true),  // trail 1 day
            Self.duty("notice", ack: false),
        ]
        let policy = RetentionPolicy(
            now: now, retention: 400 * Self.day, horizon: now, catchUpWindow: Self.day, duties: duties,
            lookBack: 366 * Self.day)
        #expect(policy.cutoff == now - 400 * Self.day)
        #expect(policy.acknowledgedDuties == ["meeting", "visit"])
        #expect(policy.openSince == now - 366 * Self.day - 6 * Self.day)

        // A horizon far behind (a long catch-up) holds the cutoff back.
        let behind = RetentionPolicy(
            now: now, retention: Self.day, horizon: now - 30 * Self.day, catchUpWindow: Self.day, duties: duties,
            lookBack: 0)
        #expect(behind.cutoff == now - 31 * Self.day)
        #expect(behind.openSince == now - 31 * Self.day - 6 * Self.day)

        // No duty needs acknowledgement: nothing stays open beyond the look-back.
        let none = RetentionPolicy(
            now: now, retention: 10 * Self.day, horizon: now, catchUpWindow: Self.day, duties: [Self.duty("n", ack: false)],
            lookBack: 5 * Self.day)
        #expect(none.acknowledgedDuties.isEmpty && none.openSince == now - 5 * Self.day)
    }

    // MARK: - Priorities and fallback reminders

    static func schedules(recipients: [String], escalation: [String], priority: DutyPriority) -> ScheduleSet {
        let duty = Duty(
            id: "d", title: "双周例会", recipients: recipients, recurrence: .once(Date(timeIntervalSince1970: 1_537_146_000)),
            timeZone: zone, needsAcknowledgement: true, grace: 3600, escalation: escalation, priority: priority,
            location: SourceLocation(file: "t.toml"))
        return ScheduleSet(
            persons: [Person(id: "li", name: "李", account: "li", channels: [.mbox(account: "li")])],
            roles: [Role(id: "empty", name: "空", members: [])], duties: [duty])
    }

    static func notice(_ kind: ReminderKind, step: Int = 0) -> Notice {
        let at = Date(timeIntervalSince1970: 1_537_146_000)
        return Notice(dutyID: "d", occurrence: at, fireAt: at, kind: kind, offsetLabel: step > 0 ? "step-\(step)" : "", escalationStep: step)
    }

    /// (duty priority, notice kind) -> reminder priority: escalations are at least `high`, nothing else changes.
    @Test(arguments: [
        (DutyPriority.low, ReminderKind.due, DutyPriority.low), (.low, .escalation, .high), (.normal, .escalation, .high),
        (.high, .escalation, .high), (.alert, .escalation, .alert), (.normal, .overdue, .normal), (.alert, .warning, .alert),
    ])
    func priorities(_ duty: DutyPriority, _ kind: ReminderKind, _ expected: DutyPriority) {
        let planner = Planner(schedules: Self.schedules(recipients: ["li"], escalation: ["li"], priority: duty))
        let reminders = planner.deliverableReminders(for: Self.notice(kind, step: kind == .escalation ? 1 : 0))
        #expect(reminders.map(\.priority) == [expected])
        #expect(reminders.map(\.recipient.id) == ["li"])
    }

    /// A duty that reaches nobody still yields one reminder, to `Recipient.nobody` (the journal only), with the
    /// same priority rule: the fallback is not a second copy of the rules that can drift.
    @Test func fallbackReminderKeepsThePriorityRules() {
        let planner = Planner(schedules: Self.schedules(recipients: ["empty"], escalation: ["empty"], priority: .normal))
        #expect(planner.reminders(for: Self.notice(.due)).isEmpty)
        let due = planner.deliverableReminders(for: Self.notice(.due))
        #expect(due.count == 1 && due[0].recipient == .nobody && due[0].recipient.channels.isEmpty && due[0].priority == .normal)
        let escalation = planner.deliverableReminders(for: Self.notice(.escalation, step: 1))
        #expect(escalation.map(\.priority) == [.high])
        #expect(escalation[0].key.hasSuffix("/-"))
        // An unknown duty gives nothing at all.
        var unknown = Self.notice(.due)
        unknown.dutyID = "gone"
        #expect(planner.deliverableReminders(for: unknown).isEmpty)
    }

    /// Routes of a reminder: the journal first, then each mail channel in the schedule's order; `mail: false`
    /// (dutyd --no-mail) keeps only the journal.
    @Test func routesOfAReminder() {
        let recipient = Recipient(
            id: "li", name: "李", account: "li", channels: [.mbox(account: "li"), .sendmail(address: "office@example.org")])
        let reminder = Reminder(
            dutyID: "d", title: "t", occurrence: Date(timeIntervalSince1970: 0), timeZoneIdentifier: "UTC",
            fireAt: Date(timeIntervalSince1970: 0), kind: .due, recipient: recipient)
        #expect(DeliveryRoute.routes(of: reminder, journal: true, mail: true).map(\.description) == ["journal", "mbox", "sendmail:office@example.org"])
        #expect(DeliveryRoute.routes(of: reminder, journal: true, mail: false) == [.journal])
        for route in DeliveryRoute.routes(of: reminder, journal: true, mail: true) {
            #expect(DeliveryRoute(route.description, recipient: recipient) == route)
        }
        #expect(DeliveryRoute("mbox", recipient: .nobody) == nil)  // mbox needs an account
        #expect(DeliveryRoute("carrier-pigeon", recipient: recipient) == nil)
        #expect(DeliveryRoute("maildir:/srv/mail/li", recipient: recipient) == .mail(.maildir(path: "/srv/mail/li")))
    }
}
