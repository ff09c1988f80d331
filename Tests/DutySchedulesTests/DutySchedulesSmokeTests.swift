import Testing
@testable import DutySchedules

@Suite struct DutySchedulesSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
