import Foundation
import Testing

@testable import DutyCore

/// Changes to a running plan, folded (`OccurrenceChanges`) and applied by the `Planner`: vectors as data
/// (Vectors/occurrence-changes.json), plus the fold's own rules (revisions, resumes, orphans, planned occurrences).
@Suite struct OccurrenceChangesTests {
    struct Vectors: Decodable {
        struct Change: Decodable {
            var action: String
            var occurrence: String?
            var to: String?
            var scope: String?
            var from: String?
            var until: String?
            var person: String?
            var span: String?
            var at: String
        }
        struct Vector: Decodable, CustomTestStringConvertible {
            var id: String
            var changes: [Change]
            var duty: String
            var after: String
            var through: String
            var expected: [String]
            var orphans: [Int64]?
            var testDescription: String { id }
        }
        var vectors: [Vector]
    }

    static let vectors: [Vectors.Vector] = {
        let url = Bundle.module.url(forResource: "occurrence-changes", withExtension: "json", subdirectory: "Vectors")!
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url)).vectors
    }()

    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    static func at(_ text: String) -> Date { TimeFormatting.parseISO8601(text, defaultZone: zone)! }

    static let schedules: ScheduleSet = {
        func person(_ id: String) -> Person { Person(id: id, name: id, account: id, channels: []) }
        let meeting = Duty(
            id: "meeting", title: "例会", responsible: ["lee"], recipients: ["office"],
            recurrence: .calendar([try! CalendarSpec("Mon *-*-* 09:00")]), timeZone: zone,
            warnings: [try! AdvanceWarning("1d"), try! AdvanceWarning("2h")], needsAcknowledgement: true, grace: 86_400,
            escalation: ["carl"], location: SourceLocation(file: "t"))
        let inspection = Duty(
            id: "inspection", title: "督查", recipients: ["tangdan"], recurrence: .calendar([try! CalendarSpec("*-*-10 10:00")]),
            timeZone: zone, location: SourceLocation(file: "t"))
        return ScheduleSet(
            persons: ["alice", "bob", "lee", "carl", "tom"].map(person),
            roles: [Role(id: "office", name: "办公室", members: ["alice", "bob"]), Role(id: "tangdan", name: "汤丹镇", members: ["tom"])],
            townships: [Township(id: "tangdan", name: "汤丹镇", county: "dc", existingUnits: [], addedUnits: [], role: "tangdan")],
            duties: [meeting, inspection], timeZone: zone)
    }()

    /// `meeting@2018-09-17T09:00` as an occurrence id.
    static func occurrence(_ text: String) -> OccurrenceID {
        let parts = text.split(separator: "@", maxSplits: 1)
        return OccurrenceID(duty: String(parts[0]), at: at(String(parts[1])))
    }

    static func changes(_ list: [Vectors.Change]) -> OccurrenceChanges {
        OccurrenceChanges(
            list.enumerated().map { i, c in
                let action: ChangeAction
                switch c.action {
                case "move": action = .move(occurrence(c.occurrence!), to: at(c.to!))
                case "cancel": action = .cancel(occurrence(c.occurrence!))
                case "restore": action = .restore(occurrence(c.occurrence!))
                case "add": action = .add(occurrence(c.occurrence!))
                case "snooze": action = .snooze(occurrence(c.occurrence!), person: c.person!, span: try! TimeSpan(c.span!))
                case "pause": action = .pause(PauseScope(c.scope!)!, from: at(c.from!), until: at(c.until!))
                case "resume": action = .resume(PauseScope(c.scope!)!)
                default: fatalError(c.action)
                }
                return OccurrenceChange(id: Int64(i + 1), action: action, recordedAt: at(c.at), actorUID: 0, actor: "root", note: nil)
            })
    }

    static func line(_ n: Notice) -> String {
        func short(_ d: Date) -> String { String(TimeFormatting.localMinute(d, in: zone).dropFirst(5)) }
        var text = "\(short(n.fireAt)) \(n.kind.rawValue)"
        if !n.offsetLabel.isEmpty { text += " \(n.offsetLabel)" }
        text += " \(n.dutyID)@\(short(n.occurrence))"
        if let own = n.originalOccurrence { text += " <- own \(short(own))" }
        if let person = n.recipient { text += " > \(person)" }
        if !n.excluded.isEmpty { text += " -x \(n.excluded.joined(separator: ","))" }
        return text
    }

    @Test(arguments: vectors)
    func vector(_ v: Vectors.Vector) {
        let planner = Planner(schedules: Self.schedules, changes: Self.changes(v.changes))
        var notices: [Notice] = []
        planner.appendNotices(of: Self.schedules.duty(id: v.duty)!, after: Self.at(v.after), through: Self.at(v.through), into: &notices)
        notices.sort { ($0.fireAt, $0.kind.rawValue, $0.offsetLabel) < ($1.fireAt, $1.kind.rawValue, $1.offsetLabel) }
        #expect(notices.map(Self.line) == v.expected)
        #expect(planner.orphanedChanges.map(\.change.id) == (v.orphans ?? []))
        // The planner's whole-plan listing agrees with the per-duty one.
        let all = planner.notices(after: Self.at(v.after), through: Self.at(v.through)).filter { $0.dutyID == v.duty }
        #expect(Set(all.map(Self.line)) == Set(v.expected))
    }

    @Test func changeNoticesCarryTheChangeAndReachTheRecipients() throws {
        var list = Self.changes([
            .init(action: "move", occurrence: "meeting@2018-09-17T09:00", to: "2018-09-19T15:00", at: "2018-09-15T10:00")
        ]).records
        list[0].note = "改到周三下午"
        let planner = Planner(schedules: Self.schedules, changes: OccurrenceChanges(list))
        let notice = try #require(planner.changeNotices(after: Self.at("2018-09-15T00:00"), through: Self.at("2018-09-16T00:00")).first)
        #expect(notice.change == ReminderChange(id: 1, action: "move", previous: Self.at("2018-09-17T09:00"), note: "改到周三下午", actor: "root", actorUID: 0))
        let reminders = planner.deliverableReminders(for: notice)
        #expect(reminders.map(\.recipient.id) == ["alice", "bob"])
        #expect(reminders.allSatisfy { $0.occurrenceID == "meeting@1537146000" && $0.occurrence == Self.at("2018-09-19T15:00") })
        #expect(reminders.first?.key == "meeting@1537146000/changed-move-1/alice")
        #expect(reminders.first?.change?.note == "改到周三下午")
    }

    @Test func skippedOccurrencesAreJournalOnly() throws {
        let planner = Planner(
            schedules: Self.schedules,
            changes: Self.changes([
                .init(action: "pause", scope: "township:tangdan", from: "2018-09-01T00:00", until: "2018-10-01T00:00", at: "2018-09-01T00:00")
            ]))
        let skipped = try #require(planner.notices(after: Self.at("2018-09-09"), through: Self.at("2018-09-11")).first { $0.kind == .skipped })
        #expect(planner.reminders(for: skipped).isEmpty)
        #expect(planner.deliverableReminders(for: skipped).map(\.recipient) == [.nobody])
        let pause = try #require(planner.changes.pauses.first)
        #expect(planner.skipped(by: pause).map(\.id.description) == ["inspection@1536544800"])
    }

    @Test func revisionsArePerSubject() {
        let changes = Self.changes([
            .init(action: "move", occurrence: "meeting@2018-09-17T09:00", to: "2018-09-19T15:00", at: "2018-09-15T10:00"),
            .init(action: "snooze", occurrence: "meeting@2018-09-17T09:00", person: "alice", span: "1h", at: "2018-09-15T11:00"),
            .init(action: "pause", scope: "role:office", from: "2018-09-17T00:00", until: "2018-09-26T00:00", at: "2018-09-16T00:00"),
            .init(action: "cancel", occurrence: "meeting@2018-09-17T09:00", at: "2018-09-16T10:00"),
        ])
        #expect(changes.revision(of: "meeting@1537146000") == 4)
        #expect(changes.revision(of: "meeting@1537146000/snooze/alice") == 2)
        #expect(changes.revision(of: "pause:role:office") == 3)
        #expect(changes.revision(of: "meeting@1537750800") == 0)
        #expect(changes.history(of: Self.occurrence("meeting@2018-09-17T09:00")).map(\.id) == [1, 2, 4])
        #expect(changes.state(of: Self.occurrence("meeting@2018-09-17T09:00")) == .init(movedTo: Self.at("2018-09-19T15:00"), cancelled: true, history: [1, 2, 4]))
    }

    @Test func plannedOccurrencesShowWhatChangesDid() throws {
        let planner = Planner(
            schedules: Self.schedules,
            changes: Self.changes([
                .init(action: "move", occurrence: "meeting@2018-09-17T09:00", to: "2018-10-03T15:00", at: "2018-09-15T10:00"),
                .init(action: "cancel", occurrence: "meeting@2018-09-24T09:00", at: "2018-09-15T10:00"),
                .init(action: "add", occurrence: "meeting@2018-09-20T14:00", at: "2018-09-15T10:00"),
                .init(action: "pause", scope: "duty:meeting", from: "2018-10-08T00:00", until: "2018-10-09T00:00", at: "2018-09-15T10:00"),
            ]))
        let meeting = try #require(Self.schedules.duty(id: "meeting"))
        let window = planner.plannedOccurrences(of: meeting, after: Self.at("2018-09-16T00:00"), through: Self.at("2018-10-09T00:00"), cancelled: true)
        #expect(window.map { "\(TimeFormatting.localMinute($0.at, in: Self.zone)) \($0.status.rawValue)" } == [
            "2018-09-20 14:00 added", "2018-09-24 09:00 cancelled", "2018-10-01 09:00 scheduled", "2018-10-03 15:00 moved",
            "2018-10-08 09:00 paused",
        ])
        let next = planner.nextOccurrences(of: meeting, after: Self.at("2018-09-16T00:00"), count: 3)
        #expect(next.map(\.id.description) == ["meeting@1537423200", "meeting@1538355600", "meeting@1537146000"])
        #expect(planner.plannedOccurrence(Self.occurrence("meeting@2018-09-17T09:00"))?.movedFrom == Self.at("2018-09-17T09:00"))
        #expect(planner.plannedOccurrence(Self.occurrence("meeting@2018-09-20T14:00"))?.status == .added)
        #expect(planner.plannedOccurrence(Self.occurrence("meeting@2018-09-21T14:00")) == nil)
    }

    @Test func columnsRoundTripEveryAction() {
        let o = Self.occurrence("meeting@2018-09-17T09:00")
        let actions: [ChangeAction] = [
            .move(o, to: Self.at("2018-09-19T15:00")), .cancel(o), .restore(o), .add(o),
            .snooze(o, person: "alice", span: TimeSpan(seconds: 5400)),
            .pause(.township("tangdan"), from: Self.at("2018-09-01T00:00"), until: Self.at("2018-10-01T00:00")),
            .resume(.role("office")),
        ]
        for action in actions { #expect(ChangeColumns(action).changeAction == action) }
        #expect(ChangeColumns(action: "move", occurrence: o.description).changeAction == nil)
        #expect(ChangeColumns(action: "explode").changeAction == nil)
        #expect(PauseScope("township:") == nil && PauseScope("street:x") == nil && PauseScope("duty:a:b") == .duty("a:b"))
    }
}
