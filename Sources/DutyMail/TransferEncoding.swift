/// Base64 (RFC 2045 §6.8) without Foundation's line handling, so that the output is byte-for-byte predictable.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: encodeBytes(bytes), as: UTF8.self)
    }

    static func encodeBytes(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return out
    }

    /// Body form: lines of 76 characters, each ending in LF.
    static func encodeBody(_ bytes: [UInt8]) -> [UInt8] {
        let flat = encodeBytes(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(flat.count + flat.count / 76 + 1)
        var index = 0
        while index < flat.count {
            let end = min(index + 76, flat.count)
            out.append(contentsOf: flat[index..<end])
            out.append(0x0A)
            index = end
        }
        return out
    }
}

/// Quoted-printable (RFC 2045 §6.7) for text: LF line breaks stay hard breaks, lines are at most 76 characters with
/// soft breaks, trailing white space is encoded, and a line that would start with `From ` or `.` starts with an
/// encoded character instead, so the body survives mbox and SMTP untouched (RFC 2049 §3).
enum QuotedPrintable {
    private static let hex = Array("0123456789ABCDEF".utf8)

    static func encodeBody(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if bytes.last == 0x0A { lines.removeLast() }
        for line in lines {
            encodeLine(Array(line), into: &out)
            out.append(0x0A)
        }
        return out
    }

    private static func encodeLine(_ line: [UInt8], into out: inout [UInt8]) {
        var current: [UInt8] = []
        let startsWithFrom = line.starts(with: Array("From ".utf8))
        for (index, byte) in line.enumerated() {
            let isLast = index == line.count - 1
            var token: [UInt8]
            let mustEncode = byte == UInt8(ascii: "=") || byte < 0x20 && byte != 0x09 || byte > 0x7E
                || (isLast && (byte == 0x20 || byte == 0x09))
                || (index == 0 && (startsWithFrom || byte == UInt8(ascii: ".")))
            if mustEncode {
                token = [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            } else {
                token = [byte]
            }
            // Keep room for a soft break "=" so that no line exceeds 76 characters; a soft break never splits a token.
            let limit = isLast ? 76 : 75
            if current.count + token.count > limit {
                out.append(contentsOf: current)
                out.append(contentsOf: [UInt8(ascii: "="), 0x0A])
                current.removeAll(keepingCapacity: true)
                if token == [UInt8(ascii: ".")] { token = Array("=2E".utf8) }
                if token.first == UInt8(ascii: "F"), line[index...].starts(with: Array("From ".utf8)) {
                    token = Array("=46".utf8)
                }
            }
            current.append(contentsOf: token)
        }
        out.append(contentsOf: current)
    }
}
