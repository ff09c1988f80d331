import Testing
@testable import DutyMail

@Suite struct DutyMailSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
