import DutyAPI
import Foundation

/// The monthly bulletin as a PDF (A4, PDF 1.4) written here without a library: the bulletin's text as mailed, set in
/// the standard Chinese font STSong-Light (Adobe-GB1, `UniGB-UTF16-H`), which PDF readers supply themselves, so no
/// font is embedded and the file stays a few kilobytes. A ToUnicode map makes the text searchable and extractable
/// (`pdftotext`). Lines are wrapped by width (CJK characters one em, Latin half an em) and pages break by height.
public enum BulletinPDF {
    static let pageWidth = 595.0
    static let pageHeight = 842.0
    static let margin = 56.0
    static let fontSize = 10.5
    static let titleSize = 16.0
    static let leading = 16.0

    public static func document(_ report: BulletinReport, language: Language) -> [UInt8] {
        var lines = report.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The first line is the title, the second its underline.
        let title = lines.isEmpty ? report.title : lines.removeFirst()
        if let first = lines.first, first.allSatisfy({ $0 == "=" }) { lines.removeFirst() }
        let footer = (language == .zh ? "生成时间 " : "Generated ") + report.generatedAt
        let width = pageWidth - 2 * margin
        var wrapped: [String] = []
        for line in lines + ["", footer] { wrapped += wrap(line, width: width, size: fontSize) }
        let perPage = Int((pageHeight - 2 * margin - 40) / leading)
        var pages: [[String]] = []
        var index = 0
        repeat {
            pages.append(Array(wrapped[index..<min(index + perPage, wrapped.count)]))
            index += perPage
        } while index < wrapped.count

        var objects: [String] = []  // object n is objects[n - 1]
        let pageCount = pages.count
        // 1 catalog, 2 pages, 3 font, 4 CID font, 5 descriptor, 6 ToUnicode, 7 info, then page + content pairs.
        let kids = (0..<pageCount).map { "\(8 + 2 * $0) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pageCount) >>")
        objects.append(
            "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UTF16-H /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>")
        objects.append(
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
                + "/FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>")
        objects.append(
            "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 "
                + "/Descent -120 /CapHeight 880 /StemV 93 >>")
        objects.append(stream(toUnicode))
        objects.append("<< /Title \(hexText(report.title)) /Producer (dutyd) >>")
        for (n, page) in pages.enumerated() {
            var content = "BT\n"
            var y = pageHeight - margin
            if n == 0 {
                content += "/F1 \(titleSize) Tf 1 0 0 1 \(margin) \(y - titleSize) Tm \(hexText(title)) Tj\n"
                y -= 40
            }
            content += "/F1 \(fontSize) Tf \(leading) TL 1 0 0 1 \(margin) \(y - fontSize) Tm\n"
            for line in page { content += "\(hexText(line)) Tj T*\n" }
            content += "ET\n"
            content += "BT /F1 8 Tf 1 0 0 1 \(pageWidth - margin - 30) \(margin / 2) Tm \(hexText("\(n + 1) / \(pageCount)")) Tj ET\n"
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Int(pageWidth)) \(Int(pageHeight))] "
                    + "/Resources << /Font << /F1 3 0 R >> >> /Contents \(9 + 2 * n) 0 R >>")
            objects.append(stream(content))
        }
        var out: [UInt8] = Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int] = []
        for (i, object) in objects.enumerated() {
            offsets.append(out.count)
            out += Array("\(i + 1) 0 obj\n\(object)\nendobj\n".utf8)
        }
        let xref = out.count
        var table = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets {
            let digits = String(offset)
            table += String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n"
        }
        table += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R /Info 7 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        out += Array(table.utf8)
        return out
    }

    static func stream(_ text: String) -> String {
        "<< /Length \(text.utf8.count) >>\nstream\n\(text)\nendstream"
    }

    /// The text as a PDF hex string of UTF-16BE code units (characters outside the BMP become U+FFFD).
    static func hexText(_ text: String) -> String {
        var out = "<"
        for scalar in text.unicodeScalars {
            let value = scalar.value <= 0xFFFF && !(0xD800...0xDFFF).contains(scalar.value) ? scalar.value : 0xFFFD
            let code = value < 0x20 ? 0x20 : value
            let hex = String(code, radix: 16, uppercase: true)
            out += String(repeating: "0", count: 4 - hex.count) + hex
        }
        return out + ">"
    }

    /// Width of a character in em: ASCII half, everything else one.
    static func em(_ scalar: Unicode.Scalar) -> Double { scalar.value < 0x80 ? 0.5 : 1 }

    static func wrap(_ line: String, width: Double, size: Double) -> [String] {
        var result: [String] = []
        var current = ""
        var used = 0.0
        for scalar in line.unicodeScalars {
            let w = em(scalar) * size
            if used + w > width && !current.isEmpty {
                result.append(current)
                current = "    "
                used = 2 * size
            }
            current.unicodeScalars.append(scalar)
            used += w
        }
        result.append(current)
        return result
    }

    /// A ToUnicode CMap mapping each 2-byte code to the same UTF-16 code unit.
    static let toUnicode: String = {
        var text = """
            /CIDInit /ProcSet findresource begin
            12 dict begin
            begincmap
            /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
            /CMapName /Adobe-Identity-UCS def
            /CMapType 2 def
            1 begincodespacerange
            <0000> <FFFF>
            endcodespacerange

            """
        var ranges: [String] = []
        for high in 0..<256 where !(0xD8...0xDF).contains(high) {
            let h = String(high, radix: 16, uppercase: true)
            let hh = h.count == 1 ? "0" + h : h
            ranges.append("<\(hh)00> <\(hh)FF> <\(hh)00>")
        }
        var i = 0
        while i < ranges.count {
            let chunk = ranges[i..<min(i + 100, ranges.count)]
            text += "\(chunk.count) beginbfrange\n" + chunk.joined(separator: "\n") + "\nendbfrange\n"
            i += 100
        }
        text += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
        return text
    }()
}
