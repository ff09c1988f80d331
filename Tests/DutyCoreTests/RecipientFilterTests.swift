import Foundation
import Testing

@testable import DutyCore

/// The one filter of the socket and the CLI: what each field selects, and the daemon's words for unknown ids.
@Suite struct RecipientFilterTests {
    static let set: ScheduleSet = {
        func duty(_ id: String, recipients: [String], responsible: [String] = []) -> Duty {
            Duty(
                id: id, title: id, responsible: responsible, recipients: recipients,
                recurrence: .once(Date(timeIntervalSince1970: 1_537_146_000)), timeZone: TimeZone(identifier: "UTC")!,
                location: SourceLocation(file: "t"))
        }
        return ScheduleSet(
            persons: [
                Person(id: "alice", name: "A", account: "alice", channels: []),
                Person(id: "bob", name: "B", account: "bob", channels: []),
            ],
            roles: [Role(id: "office", name: "办公室", members: ["alice"]), Role(id: "tangdan-township", name: "汤丹", members: ["bob"])],
            townships: [
                Township(id: "tangdan", name: "汤丹镇", county: "dongchuan", existingUnits: [], addedUnits: [], role: "tangdan-township"),
                Township(id: "roleless", name: "无", county: "dongchuan", existingUnits: [], addedUnits: [], role: nil),
            ],
            duties: [
                duty("meeting", recipients: ["office"]),
                duty("visit", recipients: ["bob"], responsible: ["tangdan-township"]),
                duty("report", recipients: ["alice", "tangdan-township"]),
            ],
            timeZone: TimeZone(identifier: "UTC")!)
    }()

    static func selected(_ filter: RecipientFilter) -> [String] {
        set.duties.filter { filter.selects($0, in: set) }.map(\.id)
    }

    @Test(arguments: [
        (RecipientFilter(), ["meeting", "visit", "report"]),
        (RecipientFilter(person: "alice"), ["meeting", "report"]),
        (RecipientFilter(person: "bob"), ["visit", "report"]),
        (RecipientFilter(role: "office"), ["meeting"]),
        (RecipientFilter(role: "tangdan-township"), ["visit", "report"]),
        (RecipientFilter(duty: "visit"), ["visit"]),
        (RecipientFilter(township: "tangdan"), ["visit", "report"]),
        (RecipientFilter(township: "汤丹镇"), ["visit", "report"]),
        (RecipientFilter(township: "roleless"), []),
        (RecipientFilter(person: "alice", township: "tangdan"), ["report"]),
        (RecipientFilter(person: "alice", role: "office", duty: "report"), []),
    ])
    func selects(_ filter: RecipientFilter, _ expected: [String]) throws {
        try filter.validate(against: Self.set)
        #expect(Self.selected(filter) == expected)
        #expect(filter.apply(to: Self.set).duties.map(\.id) == expected)
        #expect(filter.apply(to: Self.set).persons.count == 2, "the rest of the set is kept")
        #expect(filter.apply(to: Self.set).timeZone == Self.set.timeZone)
    }

    /// The daemon's 404 reasons, word for word, checked in the order person, role, duty, township.
    @Test(arguments: [
        (RecipientFilter(person: "carol"), "no person 'carol'"),
        (RecipientFilter(role: "nobody"), "no role 'nobody'"),
        (RecipientFilter(duty: "x"), "no duty 'x'"),
        (RecipientFilter(township: "nowhere"), "no township 'nowhere'"),
        (RecipientFilter(person: "office"), "no person 'office'"),
        (RecipientFilter(person: "carol", role: "nobody"), "no person 'carol'"),
        (RecipientFilter(person: "alice", role: "nobody"), "no role 'nobody'"),
    ])
    func refusesUnknownIds(_ filter: RecipientFilter, _ message: String) {
        #expect(throws: RecipientFilterError.self) { try filter.validate(against: Self.set) }
        do {
            try filter.validate(against: Self.set)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func emptyFilterKeepsTheSet() {
        #expect(RecipientFilter().isEmpty)
        #expect(!RecipientFilter(township: "tangdan").isEmpty)
        #expect(RecipientFilter().apply(to: Self.set).duties.count == 3)
    }
}
