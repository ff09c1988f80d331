import Foundation

extension UpcomingPage {
    /// The page as compact JSON with sorted snake_case keys, written by hand: the same document `APICoding`
    /// produces (a test parses both and compares), at a fraction of `JSONEncoder`'s cost on pages of 100+ entries.
    public func jsonBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + items.count * 480)
        out.append(contentsOf: #"{"from":"#.utf8)
        JSONText.string(from, into: &out)
        out.append(contentsOf: #","items":["#.utf8)
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            item.writeJSON(into: &out)
        }
        out.append(contentsOf: #"],"limit":"#.utf8)
        out.append(contentsOf: String(limit).utf8)
        if let nextOffset {
            out.append(contentsOf: #","next_offset":"#.utf8)
            out.append(contentsOf: String(nextOffset).utf8)
        }
        out.append(contentsOf: #","offset":"#.utf8)
        out.append(contentsOf: String(offset).utf8)
        out.append(contentsOf: #","to":"#.utf8)
        JSONText.string(to, into: &out)
        out.append(contentsOf: #","total":"#.utf8)
        out.append(contentsOf: String(total).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

extension OccurrenceEntry {
    func writeJSON(into out: inout [UInt8]) {
        if let acknowledged {
            out.append(contentsOf: #"{"acknowledged":"#.utf8)
            out.append(contentsOf: (acknowledged ? "true" : "false").utf8)
            out.append(UInt8(ascii: ","))
        } else {
            out.append(UInt8(ascii: "{"))
        }
        if let clause {
            out.append(contentsOf: #""clause":"#.utf8)
            JSONText.string(clause, into: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: #""duty":"#.utf8)
        JSONText.string(duty, into: &out)
        out.append(contentsOf: #","fire_at":"#.utf8)
        JSONText.string(fireAt, into: &out)
        out.append(contentsOf: #","kind":"#.utf8)
        JSONText.string(kind, into: &out)
        out.append(contentsOf: #","occurrence":"#.utf8)
        JSONText.string(occurrence, into: &out)
        out.append(contentsOf: #","occurrence_id":"#.utf8)
        JSONText.string(occurrenceId, into: &out)
        if let offset {
            out.append(contentsOf: #","offset":"#.utf8)
            JSONText.string(offset, into: &out)
        }
        out.append(contentsOf: #","priority":"#.utf8)
        JSONText.string(priority, into: &out)
        out.append(contentsOf: #","recipients":"#.utf8)
        JSONText.strings(recipients, into: &out)
        out.append(contentsOf: #","responsible":"#.utf8)
        JSONText.strings(responsible, into: &out)
        out.append(contentsOf: #","title":"#.utf8)
        JSONText.string(title, into: &out)
        out.append(UInt8(ascii: "}"))
    }
}

/// RFC 8259 string literals.
enum JSONText {
    static let hex = Array("0123456789abcdef".utf8)

    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let utf8 = text.utf8
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func strings(_ texts: [String], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, text) in texts.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(text, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
