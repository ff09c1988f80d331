import DutyAPI
import Foundation
import Testing

@Suite struct ReportTextTests {
    @Test func csvHasAByteOrderMarkAndQuotes() {
        let text = CSVText.document(header: ["乡镇 township", "n"], rows: [["汤丹镇", "1"], ["a,\"b\"", "=HYPERLINK(\"x\")"], ["-3", "-x"]])
        #expect(text.hasPrefix("\u{FEFF}乡镇 township,n\r\n"))
        #expect(text.contains("\"a,\"\"b\"\"\""))
        #expect(text.contains("'=HYPERLINK"), "formulas are defused")
        #expect(text.contains("\r\n-3,'-x\r\n"), "numbers stay numbers")
    }

    @Test func icsFoldsAtOctetsAndEscapes() {
        let event = ICalendarFeed.Event(
            uid: "d1@1540000000", start: Date(timeIntervalSince1970: 1_540_000_000), zone: TimeZone(identifier: "Asia/Shanghai")!,
            summary: String(repeating: "脱贫攻坚", count: 20) + ";,\\", description: "a\nb", categories: "normal")
        let text = ICalendarFeed.calendar(name: "x", events: [event], stamp: Date(timeIntervalSince1970: 0))
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 75) }
        #expect(text.contains("UID:d1@1540000000@dutyd"))
        #expect(text.contains("DTSTART;TZID=Asia/Shanghai:20181020"))
        #expect(text.contains("DESCRIPTION:a\\nb"))
        #expect(text.replacingOccurrences(of: "\r\n ", with: "").contains("\\;\\,\\\\"))
    }
}
