import DutyCore
import Foundation

// Fuzz target: RFC 5545 recurrence rules. For a bare RRULE value: parse -> description -> parse gives an equal
// rule with the same description. For iCalendar text (DTSTART/RRULE/RDATE/EXDATE lines): the set never crashes
// and its first occurrences after a base are strictly increasing and after the base.
// Input: UTF-8 text (invalid sequences are replaced), at most 1024 bytes.

private let base = Date(timeIntervalSince1970: 1_536_796_800)  // 2018-09-13T00:00:00Z

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecurrenceRule(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count <= 1024 else { return -1 }
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    if let rule = try? RecurrenceRule(parsing: text) {
        let canonical = rule.description
        let again: RecurrenceRule
        do {
            again = try RecurrenceRule(parsing: canonical)
        } catch {
            fatalError("canonical rule does not parse: \(text.debugDescription) -> \(canonical.debugDescription): \(error)")
        }
        guard again == rule, again.description == canonical else {
            fatalError("rule round trip unstable: \(text.debugDescription) -> \(canonical.debugDescription) -> \(again.description.debugDescription)")
        }
    }
    if let set = try? RecurrenceSet(icalendar: text) {
        var previous = base
        var iterator = set.occurrences(after: base).makeIterator()
        for _ in 0..<5 {
            guard let next = iterator.next() else { break }
            guard next > previous else {
                fatalError("occurrences not increasing: \(text.debugDescription): \(previous) -> \(next)")
            }
            previous = next
        }
    }
    return 0
}
