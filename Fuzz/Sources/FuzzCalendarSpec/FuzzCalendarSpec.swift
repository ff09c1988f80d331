import DutyCore
import Foundation

// Fuzz target: systemd calendar expressions. Properties, checked on every input that parses:
// 1. the canonical form (`description`) parses again, to an equal value with the same canonical form;
// 2. the next elapse after a base is strictly after it, in three zones (one with DST), three times in a row.
// Input: UTF-8 text (invalid sequences are replaced), at most 512 bytes.

private let zones = ["UTC", "Asia/Shanghai", "America/New_York"].map { TimeZone(identifier: $0)! }
// 2018-09-13T08:00:00+08:00, 2021-03-14T06:59:59Z (just before the US DST gap), 2199-12-31T00:00:00Z (year bound).
private let bases: [Date] = [1_536_796_800, 1_615_705_199, 7_258_032_000].map { Date(timeIntervalSince1970: $0) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCalendarSpec(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count <= 512 else { return -1 }
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let text = String(decoding: bytes, as: UTF8.self)
    guard let spec = try? CalendarSpec(text) else { return 0 }
    let canonical = spec.description
    let again: CalendarSpec
    do {
        again = try CalendarSpec(canonical)
    } catch {
        fatalError("canonical form does not parse: \(text.debugDescription) -> \(canonical.debugDescription): \(error)")
    }
    guard again.description == canonical else {
        fatalError("canonical form unstable: \(text.debugDescription) -> \(canonical.debugDescription) -> \(again.description.debugDescription)")
    }
    let selector = count == 0 ? 0 : Int(bytes[0]) % bases.count
    for zone in zones {
        var base = bases[selector]
        for _ in 0..<3 {
            guard let next = spec.nextElapse(after: base, in: zone) else { break }
            guard next > base else {
                fatalError("next elapse not after base: \(canonical.debugDescription) in \(zone.identifier): \(base) -> \(next)")
            }
            base = next
        }
    }
    return 0
}
