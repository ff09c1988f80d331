import Testing
@testable import DutyJournal

@Suite struct DutyJournalSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
