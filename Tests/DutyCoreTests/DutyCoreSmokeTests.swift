import Testing
@testable import DutyCore

@Suite struct DutyCoreSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
