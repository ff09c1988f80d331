import Testing
@testable import DutyCLI

@Suite struct DutyCLISmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
