import DutyAPI
import DutyCore
import Foundation

/// Small formatting helpers of the pages.
enum Format {
    /// `2018-10-31T17:30:00+08:00` → `2018-10-31 17:30` (the wire's instants are in the duty's or plan's zone).
    static func minute(_ iso: String) -> String {
        guard iso.count >= 16 else { return iso }
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(5)
    }

    static func date(_ iso: String) -> String { String(iso.prefix(10)) }

    static func percent(_ value: Double) -> String {
        String(Int((value * 100).rounded())) + "%"
    }

    /// `2018-10` shifted by `delta` months.
    static func month(_ month: String, adding delta: Int) -> String {
        guard let date = CivilDate(iso: month + "-01") else { return month }
        var y = date.year
        var m = date.month + delta
        while m > 12 { m -= 12; y += 1 }
        while m < 1 { m += 12; y -= 1 }
        return String(format: "%04d-%02d", y, m)
    }

    static func isMonth(_ text: String) -> Bool {
        text.utf8.count == 7 && CivilDate(iso: text + "-01") != nil
    }
}
