import Testing

@testable import DutyJournal

@Suite struct JournalFieldTests {
    /// journald's `journal_field_valid()` rules (delivery.md §1.2).
    @Test(arguments: [
        ("MESSAGE", true), ("DUTY_KEY", true), ("A", true), ("X_1", true),
        (String(repeating: "A", count: 64), true), (String(repeating: "A", count: 65), false),
        ("", false), ("_TRUSTED", false), ("1DIGIT", false), ("lowercase", false), ("DUTY-KEY", false),
        ("DUTY.KEY", false), ("DUTY KEY", false), ("DUTY=KEY", false), ("ÄÖ", false), ("标题", false),
    ])
    func nameRules(_ name: String, _ valid: Bool) {
        #expect(JournalField.isValidName(name) == valid, "\(name)")
    }

    @Test func valueIsUTF8Bytes() {
        let field = JournalField("DUTY_TITLE", "会\n议")
        #expect(field.value == [0xE4, 0xBC, 0x9A, 0x0A, 0xE8, 0xAE, 0xAE])
        #expect(field.stringValue == "会\n议")
    }
}
