import Foundation

/// JSON for `--json`: sorted keys, pretty-printed, UTF-8 kept as is.
enum JSONOutput {
    static func render<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// Terminal display width of text: East Asian wide and fullwidth characters take two columns.
enum DisplayWidth {
    static func of(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + width(of: $1) }
    }

    static func width(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0 || (v < 0x20) || (0x7F..<0xA0).contains(v) { return 0 }
        if (0x0300...0x036F).contains(v) || (0x200B...0x200F).contains(v) { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
            || (0x20000...0x3FFFD).contains(v)
        {
            return 2
        }
        return 1
    }

    /// Cuts text to at most `width` columns (adding `…` when cut) and pads it with spaces to exactly `width`.
    static func fit(_ text: String, _ width: Int) -> String {
        var out = ""
        var used = 0
        let total = of(text)
        let limit = total > width ? width - 1 : width
        for scalar in text.unicodeScalars {
            let w = Self.width(of: scalar)
            if used + w > limit { break }
            out.unicodeScalars.append(scalar)
            used += w
        }
        if total > width {
            out += "…"
            used += 1
        }
        return out + String(repeating: " ", count: max(0, width - used))
    }
}

/// A left-aligned text table whose columns are as wide as their widest cell (CJK-aware), like `systemctl`.
struct TextTable {
    var columns: [String]
    var rows: [[String]] = []

    init(columns: [String]) {
        self.columns = columns
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    func rendered() -> String {
        var widths = columns.map { DisplayWidth.of($0) }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], DisplayWidth.of(cell)) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, cell) in cells.enumerated() {
                if i == cells.count - 1 {
                    out += cell
                } else {
                    out += cell + String(repeating: " ", count: widths[i] - DisplayWidth.of(cell) + 2)
                }
            }
            return out + "\n"
        }
        return line(columns) + rows.map(line).joined()
    }
}
