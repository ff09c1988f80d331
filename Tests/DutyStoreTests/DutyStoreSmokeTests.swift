import Testing
@testable import DutyStore

@Suite struct DutyStoreSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
