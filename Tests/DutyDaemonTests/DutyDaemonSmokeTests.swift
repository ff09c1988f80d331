import Testing
@testable import DutyDaemon

@Suite struct DutyDaemonSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
