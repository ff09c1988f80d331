import DutyCore
import Foundation
import Testing

@testable import DutyJournal

let t0 = Date(timeIntervalSince1970: 1_537_146_000)  // 2018-09-17 09:00 +08:00

func sampleReminder(
    id: String = "dc-biweekly", kind: ReminderKind = .due, priority: DutyPriority = .high, title: String = "东川区委双周工作例会",
    description: String = "", zone: String = "Asia/Shanghai", at occurrence: Date = t0, offset: String = "",
    clause: String? = "二(一)1", responsible: [String] = ["区委办", "组织部"], scheduleFile: String? = "/etc/dutyd/plan.toml"
) -> Reminder {
    Reminder(
        dutyID: id, title: title, description: description, clause: clause, responsible: responsible,
        occurrence: occurrence, timeZoneIdentifier: zone, fireAt: occurrence - (kind == .warning ? 86400 : 0),
        kind: kind, offsetLabel: offset, priority: priority,
        recipient: Recipient(id: "dc-secretary", name: "秘书", account: "sec", channel: .mbox(account: "sec")),
        scheduleFile: scheduleFile)
}

extension [JournalField] {
    func values(_ name: String) -> [String] { filter { $0.name == name }.map(\.stringValue) }
    func value(_ name: String) -> String? { last { $0.name == name }?.stringValue }
}

@Suite struct JournalWriterTests {
    /// Priority vectors from the brief: (id, kind, duty priority, syslog priority).
    @Test(arguments: [
        ("warning", ReminderKind.warning, DutyPriority.alert, 5),
        ("due-normal", .due, .normal, 5), ("due-low", .due, .low, 5),
        ("due-high", .due, .high, 4), ("due-alert", .due, .alert, 4),
        ("overdue", .overdue, .low, 4),
        ("escalation-high", .escalation, .high, 2), ("escalation-alert", .escalation, .alert, 1),
        ("interview", .interview, .normal, 4), ("missed", .missed, .normal, 3),
        ("bulletin", .bulletin, .normal, 6), ("digest", .digest, .alert, 6),
    ])
    func priorityByKind(_ id: String, _ kind: ReminderKind, _ priority: DutyPriority, _ expected: Int) {
        #expect(JournalWriter.priority(for: sampleReminder(kind: kind, priority: priority)) == expected, "\(id)")
    }

    @Test func messageIDsAreDistinctLowercaseHex() {
        let ids = DutyMessageID.all
        #expect(Set(ids).count == ids.count)
        #expect(Set(ReminderKind.allCases.map(DutyMessageID.forKind)).count == ReminderKind.allCases.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { "0123456789abcdef".contains($0) }, "\(id)")
        }
    }

    @Test func fieldsOfADueReminder() {
        let fields = JournalWriter().fields(for: sampleReminder(description: "第一行\n第二行"))
        #expect(fields.allSatisfy { JournalField.isValidName($0.name) })
        #expect(fields.value("MESSAGE") == "东川区委双周工作例会 due 2018-09-17 09:00 CST")
        #expect(fields.value("PRIORITY") == "4")
        #expect(fields.value("SYSLOG_IDENTIFIER") == "dutyd")
        #expect(fields.value("MESSAGE_ID") == "c8ef11574ca845e598cf40969ac09226")
        #expect(fields.value("DUTY_ID") == "dc-biweekly")
        #expect(fields.value("DUTY_TITLE") == "东川区委双周工作例会")
        #expect(fields.value("DUTY_OCCURRENCE") == "2018-09-17T09:00:00+08:00")
        #expect(fields.value("DUTY_OCCURRENCE_ID") == "dc-biweekly@1537146000")
        #expect(fields.value("DUTY_KEY") == "dc-biweekly@1537146000/due/dc-secretary")
        #expect(fields.value("DUTY_KIND") == "due")
        #expect(fields.value("DUTY_CLAUSE") == "二(一)1")
        #expect(fields.values("DUTY_RESPONSIBLE") == ["区委办", "组织部"])
        #expect(fields.value("DUTY_RECIPIENT") == "dc-secretary")
        #expect(fields.value("DUTY_SCHEDULE_FILE") == "/etc/dutyd/plan.toml")
        #expect(fields.value("DUTY_PRIORITY") == "high")
        #expect(fields.value("DUTY_DESCRIPTION") == "第一行\n第二行")
        #expect(fields.value("DUTY_OFFSET") == nil)
        // Every name appears once except the repeated list field.
        let names = fields.map(\.name).filter { $0 != "DUTY_RESPONSIBLE" }
        #expect(Set(names).count == names.count)
    }

    @Test func optionalFieldsAreLeftOut() {
        let fields = JournalWriter().fields(
            for: sampleReminder(kind: .overdue, clause: nil, responsible: [], scheduleFile: nil))
        for name in ["DUTY_CLAUSE", "DUTY_RESPONSIBLE", "DUTY_SCHEDULE_FILE", "DUTY_DESCRIPTION", "DUTY_OFFSET"] {
            #expect(fields.value(name) == nil, "\(name)")
        }
        #expect(fields.value("MESSAGE") == "东川区委双周工作例会 overdue since 2018-09-17 09:00 CST")
    }

    @Test func messageIsOneLineTitleKeepsNewlines() {
        // 2026-03-30 09:00 in Berlin is after the spring change (CEST, +02:00).
        let occurrence = Date(timeIntervalSince1970: 1_774_854_000)
        let reminder = sampleReminder(
            kind: .warning, title: "标题\n第二行\t制表", zone: "Europe/Berlin", at: occurrence, offset: "2 workdays")
        let fields = JournalWriter().fields(for: reminder)
        #expect(fields.value("MESSAGE") == "标题 第二行 制表 due 2026-03-30 09:00 CEST (2 workdays ahead)")
        #expect(fields.value("DUTY_TITLE") == "标题\n第二行\t制表")
        #expect(fields.value("DUTY_OCCURRENCE") == "2026-03-30T09:00:00+02:00")
        #expect(fields.value("DUTY_OFFSET") == "2 workdays")
        #expect(fields.value("PRIORITY") == "5")
        #expect(fields.value("MESSAGE_ID") == DutyMessageID.warning)
    }

    @Test func descriptionIsCappedOnACharacterBoundary() {
        var writer = JournalWriter()
        writer.maxDescriptionBytes = 100
        let fields = writer.fields(for: sampleReminder(description: String(repeating: "长", count: 200)))
        let description = fields.value("DUTY_DESCRIPTION") ?? ""
        #expect(description.utf8.count == 99)  // 33 characters of 3 bytes
        #expect(description == String(repeating: "长", count: 33))
    }

    @Test func invalidFieldNameIsRefusedBeforeSending() {
        do {
            try JournalWriter(socketPath: "/nonexistent").send(fields: [
                JournalField("MESSAGE", "x"), JournalField("duty_key", "y"),
            ])
            Issue.record("a lower-case field name must be refused")
        } catch {
            #expect(error.code == .invalidField)
            #expect(error.description.contains("duty_key"))
        }
    }

    /// With no journal socket, sd_journal_sendv would return 0 and drop the entry: the writer reports it.
    @Test func missingSocketIsUnavailable() {
        let writer = JournalWriter(socketPath: "/run/dutyd-test-\(UUID().uuidString)/socket")
        do {
            try writer.send(sampleReminder())
            Issue.record("sending without a journal socket must throw")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.errno == ENOENT)
            #expect(!error.description.contains("东川"))
        }
    }

    @Test func regularFileIsNotASocket() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("socket").path
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: JournalError.self) { try JournalWriter(socketPath: path).send(fields: [JournalField("MESSAGE", "x")]) }
    }

    @Test func stderrFallbackLine() {
        let writer = JournalWriter()
        let line = writer.stderrLine(
            fields: writer.fields(for: sampleReminder(title: "会议\n第二行", description: "secret body\nline")))
        #expect(line.hasPrefix("<4>dutyd: 会议 第二行 due 2018-09-17 09:00 CST ["))
        #expect(line.contains(" DUTY_KEY=dc-biweekly@1537146000/due/dc-secretary"))
        #expect(line.contains("DUTY_TITLE=会议 第二行"))
        #expect(line.contains("MESSAGE_ID=c8ef11574ca845e598cf40969ac09226"))
        #expect(!line.contains("\n"))
        #expect(!line.contains("secret body"))
    }
}
